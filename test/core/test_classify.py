"""Classifier: output shapes, probabilities, one batch per frame, metadata-driven preprocessing,
and typed errors for bad models and bad input."""

import numpy as np
import pytest
from face_data import EMOTIONS, GENDERS, demo_image, make_head

from face_analysis.core.classify import FaceClassifier, OnnxHead
from face_analysis.core.errors import ConfigError, ModelError
from face_analysis.core.preprocess import (
    PreprocessError,
    PreprocessSpec,
    expand_box,
    normalize,
    prepare_batch,
    resize_face,
    to_gray,
)
from face_analysis.core.types import FaceBox

TEST_IMAGE_BOXES = [
    FaceBox(306, 347, 422, 463),
    FaceBox(574, 419, 685, 530),
    FaceBox(845, 374, 950, 479),
]


@pytest.fixture(scope="module")
def classifier(standin_models):
    return FaceClassifier(standin_models["emotion"], standin_models["gender"])


def test_shapes_and_probability_sums(classifier):
    results = classifier.classify(demo_image("oarriaga_test_image.jpg"), TEST_IMAGE_BOXES)
    assert len(results) == 3
    for result, box in zip(results, TEST_IMAGE_BOXES):
        assert result.box == box
        assert result.emotion.labels == EMOTIONS and result.gender.labels == GENDERS
        assert result.emotion.probs.shape == (7,) and result.gender.probs.shape == (2,)
        assert result.emotion.probs.dtype == np.float32
        assert result.emotion.probs.sum() == pytest.approx(1.0, abs=1e-5)
        assert result.gender.probs.sum() == pytest.approx(1.0, abs=1e-5)
        assert result.gender.label in GENDERS and 0.5 <= result.gender.confidence <= 1.0


def test_no_boxes_gives_no_results(classifier):
    assert classifier.classify(demo_image("astronaut_eileen_collins.png"), []) == []


def test_batch_equals_one_face_at_a_time(classifier):
    image = demo_image("oarriaga_test_image.jpg")
    together = classifier.classify(image, TEST_IMAGE_BOXES)
    for box, result in zip(TEST_IMAGE_BOXES, together):
        alone = classifier.classify(image, [box])[0]
        np.testing.assert_allclose(alone.emotion.probs, result.emotion.probs, atol=1e-6)


def test_preprocessing_is_the_training_transform(classifier):
    """The batch the heads get equals training's normalize(resize_face(crop)) for the same crop."""
    image = demo_image("oarriaga_test_image.jpg")
    spec = classifier.emotion.spec
    gray = to_gray(image)
    batch = prepare_batch(gray, [b.as_tuple() for b in TEST_IMAGE_BOXES], spec)
    assert batch.shape == (3, 1, 64, 64) and batch.dtype == np.float32
    # margins come from the model metadata: 0.1 of the width, 0.15 of the height on each side
    assert expand_box(TEST_IMAGE_BOXES[0].as_tuple(), spec, gray.shape) == (294, 330, 434, 480)
    for i, box in enumerate(TEST_IMAGE_BOXES):
        x0, y0, x1, y1 = expand_box(box.as_tuple(), spec, gray.shape)
        expected = normalize(resize_face(gray[y0:y1, x0:x1], spec.input_size), spec)
        np.testing.assert_array_equal(batch[i, 0], expected)
    assert batch.min() >= -1.0 and batch.max() <= 1.0
    # ... and that is what the classifier feeds the model
    probs = classifier.emotion.predict(batch)
    got = np.stack([r.emotion.probs for r in classifier.classify(image, TEST_IMAGE_BOXES)])
    np.testing.assert_allclose(got, probs, atol=1e-6)


def test_spec_comes_from_metadata(standin_models):
    head = OnnxHead(standin_models["emotion"])
    assert head.spec == PreprocessSpec(
        "emotion", EMOTIONS, 64, crop_margin_x=0.1, crop_margin_y=0.15
    )


def test_single_head(standin_models):
    only_gender = FaceClassifier(None, standin_models["gender"])
    result = only_gender.classify(
        demo_image("astronaut_eileen_collins.png"), [FaceBox(180, 60, 320, 220)]
    )[0]
    assert result.emotion is None and result.gender is not None


def test_boxes_partly_outside_are_clipped(classifier):
    image = demo_image("astronaut_eileen_collins.png")  # 512x512
    result = classifier.classify(image, [(-40, -30, 100, 120), (450, 400, 600, 700, 0.8)])
    assert result[0].box.as_tuple() == (0, 0, 100, 120)
    assert result[1].box.as_tuple() == (450, 400, 512, 512) and result[1].box.score == 0.8


@pytest.mark.parametrize(
    "box, message",
    [
        ((600, 600, 700, 700), "no area inside the 512x512 image"),
        ((10, 10, 10, 50), "no area"),
        ((float("nan"), 0, 10, 10), "non-finite"),
        ((1, 2, 3), "needs 4 coordinates"),
        ("abcd", "not a sequence of numbers"),
    ],
)
def test_bad_boxes(classifier, box, message):
    with pytest.raises(PreprocessError, match=message):
        classifier.classify(demo_image("astronaut_eileen_collins.png"), [box])


@pytest.mark.parametrize(
    "image, message",
    [
        (None, "image is None"),
        (np.zeros((0, 0, 3), np.uint8), "empty"),
        (np.zeros((100, 100, 3), np.float64), "dtype must be uint8"),
        (np.zeros((100, 100, 5), np.uint8), "gray, BGR or BGRA"),
        (np.zeros((100, 100, 3, 1), np.uint8), "gray, BGR or BGRA"),
        (np.zeros((40, 100, 3), np.uint8), "100x40, smaller than the model input 64x64"),
    ],
)
def test_bad_images(classifier, image, message):
    with pytest.raises(PreprocessError, match=message):
        classifier.classify(image, [(0, 0, 30, 30)])


def test_flipped_view_is_accepted(classifier):
    image = demo_image("astronaut_eileen_collins.png")[:, ::-1]
    assert len(classifier.classify(image, [(180, 60, 320, 220)])) == 1


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match=r"nothing\.onnx: model file not found"):
        OnnxHead(str(tmp_path / "nothing.onnx"))


def test_corrupt_model_file(tmp_path):
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(b"\x08\x07this is not a protobuf" * 10)
    with pytest.raises(ModelError, match=r"corrupt\.onnx: not a loadable ONNX model"):
        OnnxHead(str(path))


def test_model_without_metadata(tmp_path):
    path = make_head(
        tmp_path / "bare.onnx", PreprocessSpec("emotion", EMOTIONS, 64), metadata=False
    )
    with pytest.raises(
        ModelError, match=r"bare\.onnx: metadata key 'face_analysis.task' is missing"
    ):
        OnnxHead(str(path))


def test_model_whose_metadata_disagrees_with_its_shape(tmp_path):
    path = make_head(tmp_path / "liar.onnx", PreprocessSpec("emotion", EMOTIONS, 64))
    import onnx

    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, PreprocessSpec("gender", GENDERS, 64).to_metadata())
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="output shape .* does not match the metadata's 2 labels"):
        OnnxHead(str(path))


def test_model_with_fixed_batch(tmp_path):
    path = make_head(
        tmp_path / "fixed.onnx", PreprocessSpec("emotion", EMOTIONS, 64), fixed_batch=True
    )
    with pytest.raises(ModelError, match="batch dimension is fixed"):
        OnnxHead(str(path))


def test_bad_runtime_settings(standin_models):
    with pytest.raises(ConfigError, match="execution providers.*NoSuchProvider"):
        FaceClassifier(standin_models["emotion"], None, providers=["NoSuchProvider"])
    with pytest.raises(ConfigError, match="thread counts"):
        FaceClassifier(standin_models["emotion"], None, intra_op_threads=-1)
    with pytest.raises(ConfigError, match="at least one"):
        FaceClassifier(None, None)
