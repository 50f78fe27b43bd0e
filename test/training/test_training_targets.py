"""What the target options of train.py do to the training targets and the loss, checked against
figures worked out by hand for six training images with known labels, FER+ votes and teacher
probabilities: `--ferplus-alpha` mixes the vote distribution into the one-hot FER label,
`--teacher-alpha`/`--teacher-temperature` mix a softened teacher into that, and
`--label-smoothing` eps smooths whatever the target is to (1 - eps) * target + eps / 7
(torch's cross-entropy). The loss is the one an epoch of train.py reports, with a network whose
outputs are a known constant and a learning rate of 0. With `--label-source ferplus` the teacher,
of FER+'s 8 classes, mixes into the vote distribution or the one-hot majority of the two training
images with a FER+ majority; a teacher of the other label set or of other images is refused."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from face_analysis.core.preprocess import PreprocessSpec  # noqa: E402
from training import data as D  # noqa: E402
from training import engine, teacher, train  # noqa: E402
from training.tasks import TASKS  # noqa: E402

# FER-2013 classes: angry 0, disgust 1, fear 2, happy 3, sad 4, surprise 5, neutral 6
LABELS = [0, 3, 6, 2, 4, 5]
# FER+ vote columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt,
# unknown, not a face
VOTES = [
    [5, 5, 0, 0, 0, 0, 0, 0, 0, 0],  # half neutral, half happy
    [0, 0, 0, 0, 2, 0, 0, 3, 5, 0],  # anger is the only FER class voted for
    [0, 0, 0, 0, 0, 0, 0, 0, 6, 4],  # no usable vote: the one-hot label stays
    [0, 0, 1, 3, 0, 0, 6, 0, 0, 0],
    [2, 0, 0, 0, 4, 4, 0, 0, 0, 0],
    [0, 0, 10, 0, 0, 0, 0, 0, 0, 0],
]
# the same votes as distributions over the FER-2013 classes, by hand
VOTE_DIST = [
    [0, 0, 0, 0.5, 0, 0, 0.5],
    [1, 0, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0.6, 0, 0.3, 0.1, 0],
    [0.4, 0.4, 0, 0, 0, 0, 0.2],
    [0, 0, 0, 0, 0, 1, 0],
]
TEACHER = [[0.04, 0.01, 0.04, 0.64, 0.09, 0.09, 0.09], [0.49, 0.04, 0.09, 0.16, 0.09, 0.04, 0.09]]
# the teacher rows to the power 1/2 (`--teacher-temperature 2`), renormalised by their sums 2.2
# and 2.4
TEACHER_T2 = [
    [0.2 / 2.2, 0.1 / 2.2, 0.2 / 2.2, 0.8 / 2.2, 0.3 / 2.2, 0.3 / 2.2, 0.3 / 2.2],
    [0.7 / 2.4, 0.2 / 2.4, 0.3 / 2.4, 0.4 / 2.4, 0.3 / 2.4, 0.2 / 2.4, 0.3 / 2.4],
]
LOGITS = [0.5, -1.0, 0.2, 1.5, 0.0, -0.3, 0.8]  # what the network says for every image


@pytest.fixture
def voted_npz(tmp_path, synthetic_faces):
    """Six training images with LABELS and VOTES, then two validation and two test images."""
    images, _ = synthetic_faces(10)
    labels = np.array(LABELS + [0, 3, 3, 0], np.uint8)
    votes = np.array(VOTES + [[10] + [0] * 9] * 4, np.uint8)
    usage = np.array([0] * 6 + [1, 1, 2, 2], np.uint8)
    path = tmp_path / "fer2013.npz"
    np.savez_compressed(path, images=images, labels=labels, usage=usage, ferplus_votes=votes)
    return path


def write_teacher(path, probs, images, labels=None):
    """A teacher file of `probs` for `images`; without `labels`, as written before teacher files
    recorded their label set (read as FER-2013's)."""
    arrays = {"probs": np.array(probs, np.float32), "fingerprints": teacher.fingerprints(images)}
    np.savez(path, **arrays, **({} if labels is None else {"labels": np.array(labels)}))
    return path


@pytest.fixture
def teacher_npz(tmp_path, voted_npz):
    """A teacher file for the six training images: TEACHER's rows, alternating."""
    return write_teacher(tmp_path / "teacher.npz", TEACHER * 3, np.load(voted_npz)["images"][:6])


def epoch_loss(args) -> tuple[float, np.ndarray | None]:
    """(the mean loss of one train.py epoch of a network that says LOGITS, the training targets)
    for the parsed `args`."""
    task = TASKS["emotion"]
    splits, _ = train.load_data(args, task, args.input_size)
    assert splits["val"].targets is None
    model = task.build_model(args.arch, 7)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(LOGITS))
    spec = PreprocessSpec(task="emotion", labels=D.EMOTION_LABELS, input_size=args.input_size)
    scores = engine.train_one_epoch(
        model,
        task.criterion(args, "cpu"),
        torch.optim.SGD(model.parameters(), lr=0.0),
        splits["train"],
        spec,
        args,
        0,
        None,
        torch.Generator().manual_seed(0),
        progress=False,
    )
    assert scores["acc"] == pytest.approx(LABELS.count(3) / 6)  # the network always says happy
    targets = splits["train"].targets
    return scores["loss"], None if targets is None else targets.numpy()


def cross_entropy_by_hand(targets: np.ndarray, eps: float) -> float:
    log_p = np.array(LOGITS) - np.log(np.exp(LOGITS).sum())
    smoothed = (1 - eps) * targets + eps / 7
    return float(-(smoothed * log_p).sum(1).mean())


ONE_HOT = np.eye(7)[LABELS]
FERPLUS_MIX = 0.7 * ONE_HOT + 0.3 * np.array(VOTE_DIST)  # --ferplus-alpha 0.3


@pytest.mark.parametrize(
    "options, expected_targets, eps",
    [
        ([], None, 0.0),
        (["--label-smoothing", "0.1"], None, 0.1),
        (["--ferplus-alpha", "0.3"], FERPLUS_MIX, 0.0),
        (["--ferplus-alpha", "0.3", "--label-smoothing", "0.2"], FERPLUS_MIX, 0.2),
    ],
    ids=["labels", "smoothing", "ferplus", "ferplus+smoothing"],
)
def test_label_smoothing_and_the_ferplus_mix_set_targets_and_loss(
    voted_npz, tmp_path, tiny_run_args, options, expected_targets, eps
):
    args = tiny_run_args("emotion", voted_npz, tmp_path / "run", *options)
    loss, targets = epoch_loss(args)
    if expected_targets is None:
        assert targets is None
    else:
        assert targets is not None
        np.testing.assert_allclose(targets, expected_targets, atol=1e-6)
    train_targets = ONE_HOT if expected_targets is None else expected_targets
    assert loss == pytest.approx(cross_entropy_by_hand(train_targets, eps), abs=1e-5)


def test_the_teacher_mix_and_temperature_set_targets_and_loss(
    voted_npz, teacher_npz, tmp_path, tiny_run_args
):
    args = tiny_run_args(
        "emotion", voted_npz, tmp_path / "kd", "--ferplus-alpha", "0.3",
        "--teacher-probs", teacher_npz, "--teacher-alpha", "0.4", "--teacher-temperature", "2",
        "--label-smoothing", "0.1",
    )  # fmt: skip
    expected = 0.6 * FERPLUS_MIX + 0.4 * np.array(TEACHER_T2 * 3)
    loss, targets = epoch_loss(args)
    np.testing.assert_allclose(targets, expected, atol=1e-6)
    assert loss == pytest.approx(cross_entropy_by_hand(expected, 0.1), abs=1e-5)


# FER+ labels: of the six training images only rows 3 (majority fear, 6 of 10 votes) and 5
# (surprise) have a FER+ majority; a FER+ teacher's rows for them, and to the power 1/2 (sums 2.4)
TEACHER8 = [
    [0.04, 0.01, 0.04, 0.49, 0.09, 0.04, 0.25, 0.04],
    [0.01, 0.04, 0.49, 0.16, 0.09, 0.04, 0.16, 0.01],
]
# --teacher-alpha 0.4 --teacher-temperature 2 for row 3, in 60ths: 0.4 * the square roots
# [2, 1, 2, 7, 3, 2, 5, 2] / 2.4, plus 0.6 * the label target: the vote distribution (surprise
# 0.1, sad 0.3, fear 0.6) or the one-hot majority (fear)
ROW3_DISTRIBUTION = np.array([2, 1, 2 + 3.6, 7 + 10.8, 3, 2, 5 + 21.6, 2]) / 60
ROW3_MAJORITY = np.array([2, 1, 2, 7, 3, 2, 5 + 36, 2]) / 60


@pytest.fixture
def ferplus_teacher_npz(tmp_path, voted_npz):
    images = np.load(voted_npz)["images"]
    return write_teacher(tmp_path / "t8.npz", TEACHER8, images[[3, 5]], D.FERPLUS_LABELS)


def ferplus_targets(args) -> np.ndarray:
    splits, _ = train.load_data(args, TASKS["emotion"], args.input_size)
    return splits["train"].targets.numpy()


@pytest.mark.parametrize(
    "target, row3", [("distribution", ROW3_DISTRIBUTION), ("majority", ROW3_MAJORITY)]
)
def test_a_ferplus_teacher_mixes_into_the_ferplus_target(
    voted_npz, ferplus_teacher_npz, tmp_path, tiny_run_args, target, row3
):
    args = tiny_run_args(
        "emotion", voted_npz, tmp_path / "kd8", "--label-source", "ferplus",
        "--ferplus-target", target, "--teacher-probs", ferplus_teacher_npz,
        "--teacher-alpha", "0.4", "--teacher-temperature", "2",
    )  # fmt: skip
    targets = ferplus_targets(args)
    assert targets.shape == (2, 8)
    np.testing.assert_allclose(targets[0], row3, atol=1e-6)
    # row 5: all ten votes surprise, so both targets are one-hot surprise
    np.testing.assert_allclose(targets[1], np.array([1, 2, 36 + 7, 4, 3, 2, 4, 1]) / 60, atol=1e-6)


def test_a_teacher_of_the_other_label_set_or_images_is_refused(
    voted_npz, teacher_npz, ferplus_teacher_npz, tmp_path, tiny_run_args
):
    def run(*options):
        return tiny_run_args("emotion", voted_npz, tmp_path / "r", *options)

    ferplus = ["--label-source", "ferplus"]
    with pytest.raises(
        teacher.TeacherError, match="FER-2013 .7 classes. heads, but this run trains FER\\+"
    ):
        ferplus_targets(run(*ferplus, "--teacher-probs", teacher_npz))
    with pytest.raises(
        teacher.TeacherError, match="FER\\+ .8 classes. heads, but this run trains FER-2013"
    ):
        ferplus_targets(run("--teacher-probs", ferplus_teacher_npz))
    images = np.load(voted_npz)["images"]
    other = write_teacher(tmp_path / "other.npz", TEACHER8, images[[3, 4]], D.FERPLUS_LABELS)
    with pytest.raises(teacher.TeacherError, match="another training split"):
        ferplus_targets(run(*ferplus, "--teacher-probs", other))
    with pytest.raises(SystemExit, match="--ferplus-alpha mixes FER\\+ votes into FER-2013"):
        ferplus_targets(run(*ferplus, "--ferplus-alpha", "0.3"))
