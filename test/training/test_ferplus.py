"""FER+ labels (Barsoum et al. 2016): the majority of ten votes, the 8-class training data, and
the scores of 7- and 8-class heads against the annotators."""

import numpy as np
import pytest

from training import classifiers, onnx_head, robustness
from training import data as D

#                neutral happy surprise sad angry disgust fear contempt unknown NF
VOTES = np.array(
    [
        [8, 1, 0, 0, 0, 0, 0, 1, 0, 0],  # neutral
        [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt: FER+ class 7, not one of FER-2013's
        [5, 5, 0, 0, 0, 0, 0, 0, 0, 0],  # tie
        [0, 0, 0, 0, 0, 0, 0, 0, 2, 8],  # not a face
        [1, 0, 0, 0, 0, 0, 0, 0, 9, 0],  # unknown
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  # no votes (row not in FER+)
        [0, 2, 7, 0, 0, 0, 0, 0, 1, 0],  # surprise
    ],
    np.uint8,
)


def test_majority_leaves_out_ties_unknown_and_not_a_face():
    assert D.ferplus_majority(VOTES).tolist() == [0, 7, -1, -1, -1, -1, 2]
    assert D.ferplus_majority(VOTES, 7).tolist() == [0, -1, -1, -1, -1, -1, 2]


@pytest.fixture
def ferplus_npz(tmp_path, synthetic_faces):
    """42 images, the seven vote rows above six times: two of each usable row per split."""
    images, labels = synthetic_faces(42)
    votes = np.tile(VOTES, (6, 1))
    usage = np.repeat([0, 0, 1, 1, 2, 2], 7).astype(np.uint8)
    path = tmp_path / "fer2013.npz"
    np.savez_compressed(path, images=images, labels=labels, usage=usage, ferplus_votes=votes)
    return path


def test_load_ferplus_keeps_the_images_with_a_majority(ferplus_npz):
    a = D.load_ferplus(ferplus_npz)
    assert len(a) == 18 and a.labels.tolist() == [0, 7, 2] * 6
    assert [(a.split == s).sum() for s in range(3)] == [6, 6, 6]
    np.testing.assert_allclose(a.extras["ferplus_dist"].sum(1), 1)
    np.testing.assert_allclose(a.extras["ferplus_dist"][0], [0.8, 0.1, 0, 0, 0, 0, 0, 0.1])


def test_load_ferplus_without_votes_is_refused(tmp_path, synthetic_faces):
    images, labels = synthetic_faces(10)
    path = tmp_path / "fer2013.npz"
    np.savez_compressed(path, images=images, labels=labels, usage=np.zeros(10, np.uint8))
    with pytest.raises(D.DatasetError, match="ferplus_votes"):
        D.load_ferplus(path)


def test_training_on_ferplus_labels_writes_an_8_class_spec(ferplus_npz, tmp_path, tiny_run_args):
    from training import train
    from training.tasks import TASKS

    args = tiny_run_args("emotion", ferplus_npz, tmp_path / "run", "--label-source", "ferplus")
    args.epochs, args.batch_size = 1, 4
    splits, _ = train.load_data(args, TASKS["emotion"], 32)
    assert splits["train"].targets.shape == (6, 8)  # the vote distribution
    assert train.make_spec(args, TASKS["emotion"]).labels == D.FERPLUS_LABELS
    train.main(args)
    ck = train.checkpoint.load(tmp_path / "run" / "best.pth")
    assert ck["model"]["classifier.weight"].shape[0] == 8


ONE_HOT = 0.93, 0.01


def says(label, labels):
    hit, other = ONE_HOT
    return [hit if name == label else other for name in labels]


def test_a_contempt_answer_is_a_miss_in_the_7_class_agreement(
    ferplus_npz, tmp_path, constant_emotion_onnx
):
    probs = says("contempt", D.FERPLUS_LABELS)
    path = constant_emotion_onnx(tmp_path / "c.onnx", probs, D.FERPLUS_LABELS)
    head = onnx_head.load(path)
    res, _, _ = classifiers.emotion_report(head, ferplus_npz, None, "c")
    assert res["PrivateTest"]["n"] == 6 and res["PrivateTest"]["acc"] == pytest.approx(1 / 3)
    agree, _ = classifiers.ferplus_agreement_report(head, ferplus_npz)
    assert agree["PrivateTest"]["n"] == 4 and agree["PrivateTest"]["acc"] == 0


def test_7_and_8_class_heads_are_scored_on_the_same_images(
    ferplus_npz, tmp_path, constant_emotion_onnx
):
    seven = constant_emotion_onnx(tmp_path / "7.onnx", says("neutral", D.EMOTION_LABELS))
    eight = constant_emotion_onnx(
        tmp_path / "8.onnx", says("surprise", D.FERPLUS_LABELS), D.FERPLUS_LABELS
    )
    for path, hits in ((seven, "neutral"), (eight, "surprise")):
        head = onnx_head.load(path)
        agree, _ = classifiers.ferplus_agreement_report(head, ferplus_npz)
        per_class = {"neutral": float(hits == "neutral"), "surprise": float(hits == "surprise")}
        assert agree["PublicTest"] == {"n": 4, "acc": 0.5, "per_class": per_class}
        test, truth = robustness.load_test_images(head.spec, ferplus_npz, truth="ferplus7")
        assert len(test) == 4 and sorted(truth) == ["neutral"] * 2 + ["surprise"] * 2
        rows = robustness.measure(head, test, truth)
        assert rows[0]["perturbation"] == "clean" and rows[0]["ours"] == 0.5
