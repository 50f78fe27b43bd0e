"""The distillation teacher: ensemble probabilities of exported heads, their alignment with the
training images, and the targets train.py builds from them."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import data as D  # noqa: E402
from training import teacher, train  # noqa: E402
from training.tasks import TASKS  # noqa: E402

P1 = [0.05, 0.05, 0.05, 0.6, 0.1, 0.05, 0.1]  # says happy (class 3)
P2 = [0.5, 0.05, 0.05, 0.2, 0.1, 0.05, 0.05]  # says angry (class 0)


@pytest.fixture
def members(tmp_path, constant_emotion_onnx):
    """The two constant heads, as exported files."""
    return [constant_emotion_onnx(tmp_path / f"m{i}.onnx", p) for i, p in enumerate((P1, P2))]


@pytest.fixture
def teacher_file(fer_npz, tmp_path, members):
    out = tmp_path / "teacher.npz"
    teacher.main(
        ["--model", str(members[0]), "--model", str(members[1]), "--output", str(out)]
        + ["--data-path", str(fer_npz)]
    )
    return out


def test_the_teacher_is_the_members_mean_and_reports_validation_only(fer_npz, members):
    arrays, report = teacher.build(members, fer_npz)
    fer = D.load_fer(fer_npz)
    train_split, val = fer.subset(fer.split == 0), fer.subset(fer.split == 1)
    assert arrays["probs"].shape == (len(train_split), 7)
    np.testing.assert_allclose(
        arrays["probs"], np.mean([P1, P2], 0)[None].repeat(160, 0), atol=1e-5
    )
    # the mean says happy (0.4) over angry (0.275)
    assert report["ensemble_val_acc"] == pytest.approx(float((val.labels == 3).mean()))
    assert [m["val_acc"] for m in report["models"]] == pytest.approx(
        [float((val.labels == 3).mean()), float((val.labels == 0).mean())]
    )
    assert report["split"] == "PublicTest" and len(report["models"][0]["sha256"]) == 64


def test_a_teacher_of_other_images_is_refused(teacher_file, fer_npz):
    train_images = D.load_fer(fer_npz).subset(D.load_fer(fer_npz).split == 0).images
    assert teacher.load(teacher_file, train_images).shape == (160, 7)
    assert teacher.load(teacher_file, train_images[:40]).shape == (40, 7)  # as --limit takes them
    other = train_images.copy()
    other[5, 0, 0] ^= 1
    with pytest.raises(teacher.TeacherError, match="another training split"):
        teacher.load(teacher_file, other)
    with pytest.raises(teacher.TeacherError):
        teacher.load(teacher_file, np.concatenate([train_images, train_images[:1]]))


def test_distill_targets_mix_and_temperature():
    base = np.eye(7, dtype=np.float32)[[3, 0]]
    t = np.array([P1, P2], np.float32)
    np.testing.assert_allclose(teacher.distill_targets(base, t, 0.0), base)
    np.testing.assert_allclose(teacher.distill_targets(base, t, 1.0), t, atol=1e-6)
    soft = teacher.distill_targets(base, t, 1.0, temperature=2.0)
    np.testing.assert_allclose(soft.sum(1), 1, atol=1e-6)
    assert (soft.max(1) < t.max(1)).all()  # T > 1 flattens the teacher
    np.testing.assert_allclose(
        teacher.distill_targets(base, t, 0.25), 0.75 * base + 0.25 * t, atol=1e-6
    )
    with pytest.raises(ValueError):
        teacher.distill_targets(base, t, 1.5)


def test_training_uses_the_teacher_targets(teacher_file, fer_npz, tmp_path, tiny_run_args):
    args = tiny_run_args(
        "emotion", fer_npz, tmp_path / "kd", "--teacher-probs", teacher_file,
        "--teacher-alpha", "0.4", "--epochs", "1", "--no-plot",
    )  # fmt: skip
    splits, _ = train.load_data(args, TASKS["emotion"], 32)
    labels = splits["train"].labels.numpy()
    expected = 0.6 * np.eye(7)[labels] + 0.4 * np.mean([P1, P2], 0)
    np.testing.assert_allclose(splits["train"].targets.numpy(), expected, atol=1e-5)
    assert splits["val"].targets is None
    res = train.main(args)
    assert len(res["history"]) == 1
    ckpt = torch.load(tmp_path / "kd" / "best.pth", weights_only=True)
    assert ckpt["args"]["teacher_alpha"] == 0.4
