"""Shared fixtures for the training tests: small synthetic data only (no real dataset images)."""

import numpy as np
import pytest


def synthetic_faces(n, size=48, n_classes=7, seed=0, classes=None):
    """Separable toy 'faces': a bright blob whose position encodes the class, plus noise."""
    rng = np.random.default_rng(seed)
    classes = list(range(n_classes)) if classes is None else classes
    labels = rng.choice(classes, size=n)
    yy, xx = np.mgrid[:size, :size]
    images = np.empty((n, size, size), np.uint8)
    for i, c in enumerate(labels):
        ang = 2 * np.pi * c / n_classes
        cy, cx = size / 2 + size / 4 * np.sin(ang), size / 2 + size / 4 * np.cos(ang)
        blob = 200 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * (size / 8) ** 2))
        images[i] = np.clip(30 + blob + rng.normal(0, 12, (size, size)), 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


@pytest.fixture(name="synthetic_faces")
def synthetic_faces_fixture():
    """The generator function, as a fixture (works with every pytest import mode)."""
    return synthetic_faces


@pytest.fixture
def fer_npz(tmp_path):
    images, labels = synthetic_faces(240, classes=[0, 3])
    usage = np.array([0] * 160 + [1] * 40 + [2] * 40, np.uint8)
    votes = np.zeros((240, 10), np.uint8)
    votes[:, 0] = 10
    path = tmp_path / "fer2013.npz"
    np.savez_compressed(path, images=images, labels=labels, usage=usage, ferplus_votes=votes)
    return path


@pytest.fixture
def utk_npz(tmp_path):
    images, gender = synthetic_faces(120, size=64, n_classes=2, seed=1)
    rng = np.random.default_rng(2)
    path = tmp_path / "utkface_gray64.npz"
    np.savez_compressed(
        path,
        images=images,
        gender=gender,
        age=rng.integers(1, 90, 120).astype(np.uint8),
        race=rng.integers(0, 5, 120).astype(np.int8),
        split=np.array([0] * 80 + [1] * 20 + [2] * 20, np.uint8),
        gender_conflict=np.zeros(120, bool),
        dup_group=-np.ones(120, np.int32),
    )
    return path


@pytest.fixture
def tiny_run_args():
    """train.py's parsed arguments for a tiny seeded CPU run of a task on synthetic data;
    arguments given after the task, data and output folder add to or override these."""
    from training import train

    def make(task, data, out, *extra):
        argv = ["--task", task, "--data-path", data, "--output-dir", out, "--input-size", "32"]
        argv += ["--batch-size", "16", "--lr", "3e-3", "--threads", "1", "--no-progress"]
        return train.get_args_parser().parse_args([str(a) for a in [*argv, "--seed", "0", *extra]])

    return make


@pytest.fixture
def constant_age_onnx(tmp_path):
    """An exported age head (32x32 input) that says 31 years, spread ~0, for every face."""
    torch = pytest.importorskip("torch")
    from face_analysis.core.preprocess import PreprocessSpec
    from training import age as A
    from training import export
    from training.tasks import TASKS

    centres = A.bin_centres(A.DEFAULT_BINS)
    model = TASKS["age"].build_model("mini_xception", len(centres)).eval()
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[int(np.flatnonzero(centres == 31)[0])] = 60.0
    spec = PreprocessSpec(task="age", labels=A.AGE_OUTPUTS, input_size=32)
    return export.export_onnx(model, spec, tmp_path / "age_31.onnx", train_args=A.DEFAULT_BINS)


@pytest.fixture
def evaluate_to_json():
    """training.evaluate's command line on a model and a data file: its results, also written
    to `out` when given."""
    from training import evaluate

    def run(model, data, out=None):
        argv = ["--model", model, "--data-path", data] + (["--json", out] if out else [])
        return evaluate.main(evaluate.get_args_parser().parse_args([str(a) for a in argv]))

    return run


@pytest.fixture(name="constant_emotion_onnx")
def constant_emotion_onnx_fixture():
    """make(path, probs, labels=FER-2013's 7): an exported emotion head (32x32 input) that gives
    `probs` for every face."""
    torch = pytest.importorskip("torch")
    from face_analysis.core.preprocess import PreprocessSpec
    from training import data as D
    from training import export
    from training.tasks import TASKS

    def make(path, probs, labels=D.EMOTION_LABELS):
        model = TASKS["emotion"].build_model("mini_xception", len(labels)).eval()
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.log(torch.tensor(probs, dtype=torch.float32)))
        spec = PreprocessSpec(task="emotion", labels=tuple(labels), input_size=32)
        return export.export_onnx(model, spec, path)

    return make
