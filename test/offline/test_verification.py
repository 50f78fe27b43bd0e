"""The LFW verification protocol: pair files, the fitted threshold, the 10-fold mean and TAR at
FAR 1 %, on distances worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from face_analysis.offline.verification import (
    Pair,
    PairFileError,
    best_threshold,
    pair_distances,
    photo_path,
    read_pairs,
    score_folds,
    tar_at_far,
)


def write(tmp_path, text: str):
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    return path


def test_one_block_and_folds_are_read(tmp_path):
    one = read_pairs(write(tmp_path, "1\nAda\t1\t2\nAda\t1\tGrace\t3\n"))
    assert one == [[Pair(("Ada", 1), ("Ada", 2), True), Pair(("Ada", 1), ("Grace", 3), False)]]
    folds = read_pairs(write(tmp_path, "2 1\nA\t1\t2\nA\t1\tB\t1\nC\t1\t2\nC\t2\tD\t1\n"))
    assert [[p.same for p in fold] for fold in folds] == [[True, False], [True, False]]
    assert folds[1][1] == Pair(("C", 2), ("D", 1), False)
    assert photo_path("lfw", ("Ada", 7)).as_posix() == "lfw/Ada/Ada_0007.jpg"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("2\nA\t1\t2\nA\t1\tB\t1\n", "promises 1 x 2 x 2 pairs"),
        ("1\nA\t1\t2\nA\tone\tB\t1\n", "not an LFW pair file"),
        ("1 2 3\nA\t1\t2\n", "not an LFW pair file"),
        ("1\nA\t1\nA\t1\tB\t1\n", "3 or 4 fields"),
    ],
)
def test_bad_pair_files_are_refused(tmp_path, text, reason):
    with pytest.raises(PairFileError, match=reason):
        read_pairs(write(tmp_path, text))


def test_threshold_accuracy_and_tar_at_far():
    same = np.array([True] * 4 + [False] * 4)
    distances = np.array([0.2, 0.3, 0.5, 0.9, 0.4, 0.8, 1.0, 1.2])
    # 6 of 8 right at thresholds in (0.3, 0.4), (0.5, 0.8) and (0.9, 1.0), no more anywhere: the
    # middle one of the best candidates (halfway between neighbours) is 0.65.
    assert best_threshold(distances, same) == pytest.approx(0.65)
    # FAR 1 % of 4 different pairs allows none: the threshold is the nearest impostor, 0.4.
    assert tar_at_far(distances, same) == 0.5
    scored = score_folds([distances], [same], threshold=0.6)
    assert scored["accuracy"] == 0.75 and scored["pairs"] == 8


def test_each_fold_is_scored_at_the_threshold_of_the_others():
    same = np.array([True, True, False, False])
    easy = np.array([0.2, 0.3, 0.9, 1.0])  # split anywhere in (0.3, 0.9)
    odd = np.array([0.7, 0.75, 0.8, 0.85])  # split between 0.75 and 0.8
    scored = score_folds([easy, easy, odd], [same, same, same])
    # Fold 3 at the easy folds' threshold (0.6) calls all four pairs different: 50 %.
    assert scored["fold_thresholds"][2] == pytest.approx(0.6)
    assert scored["accuracy"] == pytest.approx((1 + 1 + 0.5) / 3, abs=1e-4)


def test_a_photo_without_a_face_makes_its_pairs_different():
    pairs = [
        Pair(("A", 1), ("A", 2), True),
        Pair(("A", 1), ("B", 1), False),
        Pair(("B", 1), ("B", 2), True),
    ]
    vectors = {("A", 1): np.zeros(2), ("A", 2): np.array([0.3, 0.4]), ("B", 1): None}
    calls = []

    def embedding(photo):
        calls.append(photo)
        return vectors.get(photo)

    distances = pair_distances(pairs, embedding)
    assert distances[0] == pytest.approx(0.5) and np.isinf(distances[1:]).all()
    assert calls == [("A", 1), ("A", 2), ("B", 1), ("B", 2)]  # each photo once, in order
