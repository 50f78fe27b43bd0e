"""The per-frame classify path against the path it replaced, the code of commit 2798e4a itself
(imported from the git history by benchmarks/old_commit.py; a clone without that commit fails
here, saying so): the same crops bit for bit, the same probabilities on the test photo's faces,
any set of heads, and the adaptive flip of the shipped emotion model."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pytest
from face_data import EMOTIONS, GENDERS, demo_image, make_head
from paths import MODELS

from benchmarks.old_commit import (
    BASELINE_COMMIT,
    BASELINE_MODELS,
    baseline_classifier,
    boxes_at,
    module_at,
)
from face_analysis.core.align import aligned_matrix, eye_angle, upright_size
from face_analysis.core.classify import FaceClassifier, OnnxHead
from face_analysis.core.detect import make_detector
from face_analysis.core.preprocess import (
    GrayFrame,
    PreprocessSpec,
    crop_plan,
    face_pixels,
    prepare_batch,
)
from face_analysis.core.types import FaceBox

SPECS = [
    PreprocessSpec("emotion", EMOTIONS, 48, crop_margin_x=0.1, crop_margin_y=0.1),
    PreprocessSpec("gender", GENDERS, 64, crop_margin_x=0.12, crop_margin_y=0.12),
]


@pytest.fixture(scope="module")
def today():
    """Commit 2798e4a's preprocess module (its to_gray, face_pixels, prepare_batch)."""
    return module_at(BASELINE_COMMIT, "core.preprocess")


@pytest.fixture(scope="module")
def photo_faces():
    """The test photo and YuNet's faces on it (with landmarks), plus two made-up hard cases: a
    face cut by the image border and a turned one without landmarks."""
    image = demo_image("oarriaga_test_image.jpg")
    faces = make_detector("yunet").detect(image)
    assert len(faces) >= 5
    h, w = image.shape[:2]
    edge = FaceBox(
        w - 60, -20, w + 40, 120, 0.9, ((w - 30, 30), (w - 5, 25), (w - 15, 50), (0, 0), (0, 0))
    )
    plain = FaceBox(300, 300, 480, 520)
    return image, [*faces, edge, plain]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.task)
@pytest.mark.parametrize("aligned", [True, False], ids=["aligned", "axis-aligned"])
def test_crop_written_into_the_batch_equals_the_old_crop(photo_faces, today, spec, aligned):
    image, faces = photo_faces
    old_gray = today.to_gray(image)
    plans = [
        crop_plan(f.as_tuple(), spec, image.shape, f.landmarks if aligned else None) for f in faces
    ]
    frames = GrayFrame()
    frames(np.full_like(image, 255), [(0, 0, image.shape[1], image.shape[0])])  # stale frame
    gray = frames(image, [p.source for p in plans])  # converted only where the faces are
    batch = np.full((len(faces), spec.input_size, spec.input_size), 7, np.uint8)
    for plan, row in zip(plans, batch):
        assert plan.write(gray, row) is row or np.shares_memory(plan.write(gray, row), batch)
    for face, row in zip(faces, batch):
        points = face.landmarks if aligned else None
        old = today.face_pixels(old_gray, face.as_tuple(), spec, points)
        np.testing.assert_array_equal(row, old)
        np.testing.assert_array_equal(face_pixels(old_gray, face.as_tuple(), spec, points), old)


def test_prepare_batch_equals_the_old_one(photo_faces, today):
    image, faces = photo_faces
    gray = today.to_gray(image)
    boxes, points = [f.as_tuple() for f in faces], [f.landmarks for f in faces]
    for spec in SPECS:
        np.testing.assert_array_equal(
            prepare_batch(gray, boxes, spec, points), today.prepare_batch(gray, boxes, spec, points)
        )


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_gray_frame_converts_only_the_regions_and_exactly(today, channels):
    rng = np.random.default_rng(channels)
    image = rng.integers(0, 256, (120, 160, channels), dtype=np.uint8)
    regions = [(10, 5, 40, 30), (100, 60, 160, 120)]
    gray = GrayFrame()(image, regions)
    full = today.to_gray(image)
    for x0, y0, x1, y1 in regions:
        np.testing.assert_array_equal(gray[y0:y1, x0:x1], full[y0:y1, x0:x1])
    whole = GrayFrame()(image, [(0, 0, 160, 120)])  # large regions: the whole frame at once
    np.testing.assert_array_equal(whole, full)


def test_aligned_matrix_is_bit_identical_to_the_old_formula():
    """Floats instead of numpy for the 2x2 part; any rounding change would move crops."""
    max_angle = module_at(BASELINE_COMMIT, "core.align").MAX_ANGLE
    rng = np.random.default_rng(0)
    for _ in range(3000):
        x0, y0 = rng.uniform(-50, 600, 2)
        w = rng.uniform(5, 400)
        box = (x0, y0, x0 + w, y0 + w * rng.uniform(0.8, 1.5))
        a, d = rng.uniform(-0.9, 0.9), 0.2 * w
        cx, cy = x0 + w / 2, y0 + w / 3
        eyes = (
            (cx - d * math.cos(a), cy - d * math.sin(a)),
            (cx + d * math.cos(a), cy + d * math.sin(a)),
        )
        size, margin = int(rng.choice([48, 64])), float(rng.choice([0.1, 0.12]))
        angle = max(-max_angle, min(max_angle, eye_angle(eyes)))
        side = upright_size(box[2] - box[0], box[3] - box[1], angle)[0]
        sw = side * (1 + 2 * margin)
        c, s = math.cos(angle), math.sin(angle)
        linear = np.array([[c, -s], [s, c]]) @ np.diag([sw / size, sw / size])
        centre = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
        old = np.hstack([linear, (centre - linear @ np.full(2, (size - 1) / 2))[:, None]])
        np.testing.assert_array_equal(aligned_matrix(box, eyes, size, margin, margin)[0], old)


@pytest.mark.parametrize("align", [True, False], ids=["aligned", "axis-aligned"])
def test_new_path_gives_the_old_per_face_probabilities(photo_faces, align):
    """Today's float pair through both paths: the same probabilities on the test photo's faces,
    all faces in one frame or one at a time."""
    image, faces = photo_faces
    old = baseline_classifier(align=align)
    new = FaceClassifier(BASELINE_MODELS["emotion"], BASELINE_MODELS["gender"], align=align)
    together = new.classify(image, faces)
    for face, result in zip(boxes_at(BASELINE_COMMIT, faces), together):
        (reference,) = old.classify(image, [face])
        for task in BASELINE_MODELS:
            np.testing.assert_allclose(
                getattr(result, task).probs, getattr(reference, task).probs, atol=1e-5
            )


def test_any_set_of_heads(standin_models, tmp_path):
    """A head with other outputs than `probs` (an age head: age, age_std) runs beside the
    classifiers; its value and spread land on result.age as an Estimate."""
    onnx = pytest.importorskip("onnx")
    path = make_head(tmp_path / "age.onnx", PreprocessSpec("age", ("age", "age_std"), 64))
    model = onnx.load(str(path))
    graph = model.graph
    graph.node[-1].output[0] = "p"
    graph.node.extend(
        [
            onnx.helper.make_node("ReduceSum", ["p", "axis1"], ["age"], keepdims=0),
            # a spread other than the value, so that the two cannot be swapped unseen
            onnx.helper.make_node("Mul", ["age", "spread"], ["age_std"]),
        ]
    )
    graph.initializer.append(onnx.numpy_helper.from_array(np.array([1], np.int64), "axis1"))
    graph.initializer.append(onnx.numpy_helper.from_array(np.array(2.5, np.float32), "spread"))
    del graph.output[:]
    for name in ("age", "age_std"):
        graph.output.append(onnx.helper.make_tensor_value_info(name, 1, ["N"]))
    props = {p.key: p.value for p in model.metadata_props}
    props["face_analysis.outputs"] = json.dumps(["age", "age_std"])
    onnx.helper.set_model_props(model, props)
    onnx.save(model, str(path))
    assert not OnnxHead(str(path)).is_classifier
    classifier = FaceClassifier(
        standin_models["emotion"],
        None,
        models={"age": str(path), "gender": standin_models["gender"]},
    )
    assert set(classifier.heads) == {"emotion", "age", "gender"}
    image = demo_image("astronaut_eileen_collins.png")
    (result,) = classifier.classify(image, [FaceBox(180, 60, 320, 220)])
    # age: the sum of a softmax; its spread 2.5 times that
    assert result.age.value == pytest.approx(1.0, abs=1e-5)
    assert result.age.std == pytest.approx(2.5, abs=1e-5)
    assert result.emotion.labels == EMOTIONS and result.gender.labels == GENDERS


def test_threads_do_not_share_batches(standin_models, photo_faces):
    image, faces = photo_faces
    classifier = FaceClassifier(standin_models["emotion"], standin_models["gender"])
    expected = [r.emotion.probs for r in classifier.classify(image, faces)]
    errors = []

    def work(subset):
        for _ in range(20):
            got = [r.emotion.probs for r in classifier.classify(image, [faces[i] for i in subset])]
            if not all(np.allclose(g, expected[i], atol=1e-6) for g, i in zip(got, subset)):
                errors.append(subset)

    threads = [threading.Thread(target=work, args=(s,)) for s in ([0, 1, 2], [3, 4], [5, 0])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_shipped_emotion_flips_only_unsure_faces(photo_faces, today):
    """models/emotion.onnx (adaptive flip, margin in its metadata) = the old flip-for-every-face
    file on unsure faces, its own unflipped network on confident ones; batches of 0 and of only
    confident faces work."""
    pytest.importorskip("onnx")
    import onnx
    import onnxruntime as ort

    from training.flip_graph import plain_network

    shipped = OnnxHead(str(MODELS / "emotion.onnx"))
    meta = shipped.session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["face_analysis.flip"]) == "adaptive"
    margin = json.loads(meta["face_analysis.flip_margin"])
    everyone = OnnxHead(BASELINE_MODELS["emotion"])
    plain = ort.InferenceSession(
        plain_network(onnx.load(BASELINE_MODELS["emotion"])).SerializeToString()
    )
    image, faces = photo_faces
    gray = today.to_gray(image)
    x = prepare_batch(
        gray, [f.as_tuple() for f in faces], shipped.spec, [f.landmarks for f in faces]
    )
    x = np.concatenate([x, x[:, :, :, ::-1], np.zeros_like(x[:2])])  # more faces, mirrored too
    got, flipped = shipped.predict(x), everyone.predict(x)
    unflipped = plain.run(["probs"], {"input": x})[0]
    top = np.sort(unflipped, axis=1)
    unsure = top[:, -1] - top[:, -2] < margin
    assert 0 < unsure.sum() < len(x)
    np.testing.assert_allclose(got[unsure], flipped[unsure], atol=1e-6)
    np.testing.assert_allclose(got[~unsure], unflipped[~unsure], atol=1e-6)
    assert shipped.predict(x[:0]).shape == (0, 7)
    confident = x[~unsure][:3]
    np.testing.assert_allclose(
        shipped.predict(confident), plain.run(["probs"], {"input": confident})[0], atol=1e-6
    )


def test_skipped_heads_are_not_run_and_the_others_are_unchanged(photo_faces):
    """skip (attribute_every): each head runs on exactly the faces that do not skip it, and
    gives them the numbers a full run gives; a face no head of a framing needs is not cropped."""
    image, faces = photo_faces
    classifier = FaceClassifier(
        str(MODELS / "emotion.onnx"),
        str(MODELS / "gender.onnx"),
        models={"age": str(MODELS / "age.onnx")},
    )
    full = classifier.classify(image, faces)
    rows = {name: [] for name in classifier.heads}
    for name, head in classifier.heads.items():
        predict = head.predict
        head.predict = lambda batch, name=name, predict=predict: (
            rows[name].append(len(batch)) or predict(batch)
        )
    skip = [{"gender", "age"} if i % 2 else set() for i in range(len(faces))]
    skip[0] = {"emotion", "gender", "age"}
    got = classifier.classify(image, faces, skip)
    runs = {name: sum(name not in s for s in skip) for name in rows}
    assert rows == {name: [n] for name, n in runs.items()}
    for i, (a, b) in enumerate(zip(got, full)):
        for name in ("emotion", "gender"):
            if name in skip[i]:
                assert getattr(a, name) is None
            else:
                np.testing.assert_allclose(
                    getattr(a, name).probs, getattr(b, name).probs, atol=1e-6
                )
        assert (a.age is None) == ("age" in skip[i])
        if a.age is not None:
            assert a.age.value == pytest.approx(b.age.value, abs=1e-4)
    for head in classifier.heads.values():
        del head.predict
    everything = [set(classifier.heads)] * len(faces)
    assert all(
        r.emotion is None and r.age is None for r in classifier.classify(image, faces, everything)
    )
