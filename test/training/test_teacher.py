"""The distillation teacher: ensemble probabilities of exported heads, of FER-2013's 7 classes or
FER+'s 8, their alignment with the training images and label set, and the targets train.py
builds from them."""

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
    fer7 = D.EMOTION_LABELS
    assert teacher.load(teacher_file, train_images, fer7).shape == (160, 7)
    assert teacher.load(teacher_file, train_images[:40], fer7).shape == (40, 7)  # as --limit does
    other = train_images.copy()
    other[5, 0, 0] ^= 1
    with pytest.raises(teacher.TeacherError, match="another training split"):
        teacher.load(teacher_file, other, fer7)
    with pytest.raises(teacher.TeacherError):
        teacher.load(teacher_file, np.concatenate([train_images, train_images[:1]]), fer7)


def test_a_fer2013_teacher_is_refused_on_a_ferplus_run(
    teacher_file, fer_npz, tmp_path, tiny_run_args
):
    """Every image of fer_npz has a FER+ majority (neutral), so the FER+ run trains on the very
    images of the 7-class teacher: only its recorded label set refuses it."""
    ferplus_kd = ["--label-source", "ferplus", "--teacher-probs", teacher_file]
    args = tiny_run_args("emotion", fer_npz, tmp_path / "kd", *ferplus_kd)
    with pytest.raises(
        teacher.TeacherError, match="FER-2013 .7 classes. heads, but this run trains FER\\+"
    ):
        train.load_data(args, TASKS["emotion"], 32)


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


# FER+ stand-in heads (8 classes: neutral, happy, surprise, sad, angry, disgust, fear, contempt)
PA = [0.1, 0.6, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]  # says happy (class 1)
PB = [0.5, 0.2, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]  # says neutral (class 0)
# FER+ vote rows (the 8 emotions, unknown, not a face) and their majorities
NEUTRAL = [7, 2, 0, 0, 0, 0, 0, 1, 0, 0]
HAPPY = [1, 8, 1, 0, 0, 0, 0, 0, 0, 0]
CONTEMPT = [2, 0, 0, 0, 0, 0, 0, 6, 2, 0]
TIE = [5, 5, 0, 0, 0, 0, 0, 0, 0, 0]  # no majority: not a FER+ image
UNKNOWN = [1, 0, 0, 0, 0, 0, 0, 0, 9, 0]  # majority unknown: not a FER+ image


@pytest.fixture
def ferplus_npz(tmp_path, synthetic_faces):
    """Training: 16 images, 12 with a FER+ majority (4 neutral, 4 happy, 4 contempt).
    PublicTest: 12 images, 10 with a majority (5 happy, 3 neutral, 2 contempt). PrivateTest: 6
    neutral. Every FER-2013 label is sad, which neither stand-in head says."""
    votes = [NEUTRAL, HAPPY, CONTEMPT, TIE] * 4
    votes += [HAPPY] * 5 + [NEUTRAL] * 3 + [CONTEMPT] * 2 + [TIE, UNKNOWN] + [NEUTRAL] * 6
    usage = [0] * 16 + [1] * 12 + [2] * 6
    images, _ = synthetic_faces(len(votes))
    path = tmp_path / "fer2013.npz"
    np.savez_compressed(
        path,
        images=images,
        labels=np.full(len(votes), 4, np.uint8),
        usage=np.array(usage, np.uint8),
        ferplus_votes=np.array(votes, np.uint8),
    )
    return path


@pytest.fixture
def ferplus_members(tmp_path, constant_emotion_onnx):
    return [
        constant_emotion_onnx(tmp_path / f"f{i}.onnx", p, D.FERPLUS_LABELS)
        for i, p in enumerate((PA, PB))
    ]


def test_a_ferplus_teacher_is_made_on_the_ferplus_images_and_majority(ferplus_npz, ferplus_members):
    arrays, report = teacher.build(ferplus_members, ferplus_npz)
    assert arrays["probs"].shape == (12, 8)  # the training images with a FER+ majority
    np.testing.assert_allclose(arrays["probs"], np.mean([PA, PB], 0)[None].repeat(12, 0), atol=1e-5)
    assert tuple(arrays["labels"]) == D.FERPLUS_LABELS
    assert report["label_set"] == "FER+ (8 classes)"
    # PublicTest against the FER+ majority (the 2 images without one left out): happy 5 of 10,
    # neutral 3 of 10, the mean (0.4 happy, 0.3 neutral) says happy
    assert [m["val_acc"] for m in report["models"]] == pytest.approx([0.5, 0.3])
    assert report["ensemble_val_acc"] == pytest.approx(0.5)
    assert report["train_agreement"] == pytest.approx(4 / 12)
    ferplus = D.load_ferplus(ferplus_npz)
    train_images = ferplus.images[ferplus.split == 0]
    np.testing.assert_array_equal(arrays["fingerprints"], teacher.fingerprints(train_images))


def test_a_teacher_of_mixed_label_sets_is_refused(fer_npz, ferplus_members, members):
    with pytest.raises(teacher.TeacherError, match="label sets differ.*FER-2013 .7 classes"):
        teacher.build([ferplus_members[0], members[0]], fer_npz)


def test_training_on_ferplus_labels_uses_a_ferplus_teacher(
    ferplus_npz, tmp_path, ferplus_members, tiny_run_args
):
    teacher_path = tmp_path / "teacher_ferplus.npz"
    members = [a for m in ferplus_members for a in ("--model", str(m))]
    teacher.main([*members, "--output", str(teacher_path), "--data-path", str(ferplus_npz)])
    args = tiny_run_args(
        "emotion", ferplus_npz, tmp_path / "kd", "--label-source", "ferplus",
        "--teacher-probs", teacher_path, "--teacher-alpha", "0.5", "--epochs", "1", "--no-plot",
    )  # fmt: skip
    splits, _ = train.load_data(args, TASKS["emotion"], 32)
    votes = np.array([NEUTRAL, HAPPY, CONTEMPT] * 4, np.float32)[:, :8]  # unknown left out
    expected = 0.5 * votes / votes.sum(1, keepdims=True) + 0.5 * np.mean([PA, PB], 0)
    np.testing.assert_allclose(splits["train"].targets.numpy(), expected, atol=1e-5)
    res = train.main(args)
    assert len(res["history"]) == 1
    args.label_source = "fer2013"  # the same teacher for FER-2013's 7 classes
    with pytest.raises(
        teacher.TeacherError, match="FER\\+ .8 classes. heads, but this run trains FER-2013"
    ):
        train.load_data(args, TASKS["emotion"], 32)
