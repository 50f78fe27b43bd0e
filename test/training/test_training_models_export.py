"""Architecture checks and ONNX export parity/contract."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from face_analysis.core.preprocess import PreprocessSpec, normalize  # noqa: E402
from training.models import (  # noqa: E402
    MiniXception,
    SequentialFCN,
    TFSameMaxPool2d,
    count_parameters,
    multiply_adds,
)
from training.tasks import TASKS  # noqa: E402


def test_parameter_counts():
    # trainable parameters; Keras also counts the 1,472 BN moving statistics (58,423 for 7 classes)
    assert count_parameters(MiniXception(7)) == 56951
    n_bn_stats = sum(b.numel() for n, b in MiniXception(7).named_buffers() if "running" in n)
    assert count_parameters(MiniXception(7)) + n_bn_stats == 58423
    assert 550_000 < count_parameters(SequentialFCN(7)) < 700_000


@pytest.mark.parametrize("size", [48, 64])
@pytest.mark.parametrize(
    "build, width",
    [
        (lambda: MiniXception(7), 7),  # FER-2013's classes
        (lambda: MiniXception(8), 8),  # FER+'s, with contempt
        (lambda: MiniXception(2, tf_pool=True, bn_eps=1e-3), 2),  # the paper's gender network
        (lambda: SequentialFCN(7), 7),
        (lambda: TASKS["emotion"].build_model("mini_xception", 7), 7),
        (lambda: TASKS["gender"].build_model("mini_xception", 2), 2),
        (lambda: TASKS["age"].build_model("mini_xception", 59), 59),  # 1..117 years by 2
    ],
    ids=["mini_xception7", "ferplus8", "paper_gender2", "sequential7", "emotion", "gender", "age"],
)
def test_output_shapes(size, build, width):
    model = build().eval()
    with torch.no_grad():
        out = model(torch.zeros(3, 1, size, size))
    assert out.shape == (3, width)


def test_multiply_adds_by_hand():
    """A 3x3 conv from 1 to 2 maps on a 4x4 face ('same' padding): 4*4 outputs x 2 maps x 9
    taps; then a 2 -> 3 linear layer on the pooled maps: 6 more."""
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1, bias=False),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(2, 3),
    )
    assert multiply_adds(net, 4) == 4 * 4 * 2 * 9 + 2 * 3
    # the paper's small net does an order of magnitude less work than its baseline
    ratio = multiply_adds(SequentialFCN(7), 48) / multiply_adds(MiniXception(7), 48)
    assert 10 < ratio < 15


def test_tf_same_pool_pads_bottom_right():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    # TF 'same' 3x3/2 on 4x4: output 2x2, padding 0 top/left and 1 bottom/right
    out = TFSameMaxPool2d()(x)
    assert out.flatten().tolist() == [10.0, 11.0, 14.0, 15.0]


def _randomised_model(n_classes, seed=0):
    torch.manual_seed(seed)
    model = MiniXception(n_classes)
    for m in model.modules():  # non-trivial BN statistics so the folding is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize("flip", [False, True])
def test_onnx_export_parity_and_contract(tmp_path, flip, synthetic_faces):
    import onnx
    import onnxruntime as ort

    from training.export import export_onnx, parity_check
    from training.tasks import ProbsModel

    spec = PreprocessSpec(
        task="emotion",
        labels=("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"),
        input_size=48,
        crop_margin_x=0.1,
        crop_margin_y=0.15,
    )
    model = _randomised_model(7)
    path = export_onnx(model, spec, tmp_path / "m.onnx", flip=flip)
    images, _ = synthetic_faces(16, size=64)
    assert parity_check(model, path, spec, images, flip=flip) <= 1e-4
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"]
    assert [o.name for o in sess.get_outputs()] == ["probs"]
    assert PreprocessSpec.from_metadata(sess.get_modelmeta().custom_metadata_map) == spec
    for n in (1, 5):  # dynamic batch
        x = normalize(np.stack([images[0][:48, :48]] * n), spec)[:, None]
        p = sess.run(["probs"], {"input": x})[0]
        assert p.shape == (n, 7) and p.dtype == np.float32
        np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    with torch.no_grad():
        ref = ProbsModel(model, flip)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(p, ref, atol=1e-4)
    assert path.stat().st_size < 400_000
    onnx.checker.check_model(onnx.load(str(path)))


def test_training_tensors_equal_inference_tensors(synthetic_faces):
    from training import data as D

    spec = PreprocessSpec(task="gender", labels=("male", "female"), input_size=48)
    images, _ = synthetic_faces(4, size=64)
    px = D.to_model_pixels(images, spec.input_size)
    train_t = D.normalize_tensor(torch.from_numpy(px), spec).numpy()
    np.testing.assert_array_equal(train_t, normalize(px, spec))


@pytest.mark.parametrize("task", ["emotion", "gender"])
def test_evaluate_command_on_exported_model(tmp_path, task, fer_npz, utk_npz):
    from training import evaluate
    from training.export import export_onnx

    labels = (
        ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
        if task == "emotion"
        else ("male", "female")
    )
    spec = PreprocessSpec(task=task, labels=labels, input_size=32)
    path = export_onnx(_randomised_model(len(labels)), spec, tmp_path / f"{task}.onnx")
    args = evaluate.get_args_parser().parse_args(
        [
            "--model",
            str(path),
            "--data-path",
            str(fer_npz if task == "emotion" else utk_npz),
            "--out-dir",
            str(tmp_path),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    res = evaluate.main(args)
    assert (tmp_path / f"{task}_confusion.png").exists() and (tmp_path / "r.json").exists()
    if task == "emotion":
        assert res["PublicTest+PrivateTest"]["n"] == 80 and res["PrivateTest"]["n"] == 40
    else:
        assert res["test"]["n"] == 20 and "per_race" in res
