"""Face verification on LFW-format pair files: is each pair of photos one person or two?

A pair file (the LFW protocol) starts with a header line: one number n (n same-person pairs,
then n different-person pairs: View 1's pairsDevTrain/pairsDevTest) or two numbers k n (k folds
of n same then n different pairs each: View 2's pairs.txt). Then one pair per line:
`Name<TAB>i<TAB>j` (photos i and j of Name) or `Name1<TAB>i<TAB>Name2<TAB>j`; photo i of Name is
`<images>/Name/Name_%04d.jpg`.

A pair is called "same" when the distance of the two embeddings is below a threshold. With
folds, each fold is scored at the threshold that is best on the other folds, and the accuracy
is the mean over folds (LFW's 10-fold protocol); one block is scored at a given threshold. A pair
with a photo where no face was found counts as called "different". TAR at FAR 1 %: the share of
same pairs accepted at the strictest threshold that accepts at most 1 % of different pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import FaceAnalysisError


class PairFileError(FaceAnalysisError, ValueError):
    """A pair file that is not in the LFW format."""


@dataclass(frozen=True)
class Pair:
    first: tuple[str, int]  # (name, photo number)
    second: tuple[str, int]
    same: bool


def read_pairs(path: str | Path) -> list[list[Pair]]:
    """The folds of a pair file (one fold for a one-number header)."""
    path = Path(path)
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise PairFileError(f"{path}: cannot read the pair file ({exc})") from exc
    if not lines:
        raise PairFileError(f"{path}: empty pair file")
    try:
        header = [int(v) for v in lines[0]]
        folds, per_kind = (1, header[0]) if len(header) == 1 else header
        if len(header) > 2 or folds < 1 or per_kind < 1:
            raise ValueError(f"header {lines[0]}")
        pairs = [_pair(fields) for fields in lines[1:]]
    except (ValueError, IndexError) as exc:
        raise PairFileError(f"{path}: not an LFW pair file ({exc})") from exc
    if len(pairs) != folds * 2 * per_kind:
        raise PairFileError(
            f"{path}: the header promises {folds} x 2 x {per_kind} pairs, the file has {len(pairs)}"
        )
    block = 2 * per_kind
    return [pairs[k * block : (k + 1) * block] for k in range(folds)]


def _pair(fields: Sequence[str]) -> Pair:
    if len(fields) == 3:
        return Pair((fields[0], int(fields[1])), (fields[0], int(fields[2])), True)
    if len(fields) == 4:
        return Pair((fields[0], int(fields[1])), (fields[2], int(fields[3])), False)
    raise ValueError(f"a pair line has 3 or 4 fields, not {fields}")


def photo_path(images: str | Path, photo: tuple[str, int]) -> Path:
    name, number = photo
    return Path(images) / name / f"{name}_{number:04d}.jpg"


def pair_distances(
    pairs: Sequence[Pair], embedding: Callable[[tuple[str, int]], np.ndarray | None]
) -> np.ndarray:
    """Distance of each pair's embeddings; inf where a photo has none (no face found).
    `embedding(photo)` is called once per distinct photo, in the order the pairs name them."""
    cache: dict[tuple[str, int], np.ndarray | None] = {}
    distances = []
    for pair in pairs:
        vectors = []
        for photo in (pair.first, pair.second):
            if photo not in cache:
                cache[photo] = embedding(photo)
            vectors.append(cache[photo])
        if any(v is None for v in vectors):
            distances.append(np.inf)
        else:
            distances.append(float(np.linalg.norm(vectors[0] - vectors[1])))
    return np.asarray(distances)


def accuracy(distances: np.ndarray, same: np.ndarray, threshold: float) -> float:
    return float(np.mean((distances < threshold) == same))


def best_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The threshold of the highest accuracy: the middle one of the best candidates, each
    candidate halfway between two neighbouring distances."""
    finite = np.unique(distances[np.isfinite(distances)])
    if finite.size == 0:
        raise FaceAnalysisError("no pair has two faces: no threshold can be fitted")
    candidates = np.concatenate([[finite[0] - 1e-6], (finite[:-1] + finite[1:]) / 2])
    candidates = np.append(candidates, finite[-1] + 1e-6)
    scores = np.array([accuracy(distances, same, t) for t in candidates])
    best = np.flatnonzero(scores == scores.max())
    return float(candidates[best[len(best) // 2]])


def tar_at_far(distances: np.ndarray, same: np.ndarray, far: float = 0.01) -> float:
    """Share of same pairs accepted at the largest threshold that accepts at most `far` of the
    different pairs (a pair is accepted when its distance is below the threshold)."""
    impostors = np.sort(distances[~same])
    allowed = int(np.floor(far * impostors.size))  # different pairs that may be accepted
    threshold = impostors[allowed] if allowed < impostors.size else np.inf
    return float(np.mean(distances[same] < threshold))


def roc_curve(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FAR, TAR) at every threshold, for the ROC plot."""
    thresholds = np.unique(np.concatenate([distances[np.isfinite(distances)], [np.inf]]))
    far = np.array([np.mean(distances[~same] < t) for t in thresholds])
    tar = np.array([np.mean(distances[same] < t) for t in thresholds])
    return far, tar


def score_folds(
    folds: Sequence[np.ndarray], labels: Sequence[np.ndarray], threshold: float | None = None
) -> dict:
    """Accuracy over folds of distances: each fold at the threshold best on the others (several
    folds), or one fold at `threshold`. Also TAR at FAR 1 % over all pairs."""
    distances, same = np.concatenate(folds), np.concatenate(labels)
    if len(folds) == 1:
        if threshold is None:
            raise FaceAnalysisError("one block of pairs needs a threshold to be scored at")
        thresholds = [threshold]
        scores = [accuracy(distances, same, threshold)]
    else:
        thresholds, scores = [], []
        for k in range(len(folds)):
            rest = [i for i in range(len(folds)) if i != k]
            fitted = best_threshold(
                np.concatenate([folds[i] for i in rest]), np.concatenate([labels[i] for i in rest])
            )
            thresholds.append(fitted)
            scores.append(accuracy(folds[k], labels[k], fitted))
    return {
        "accuracy": round(float(np.mean(scores)), 4),
        "accuracy_std": round(float(np.std(scores)), 4),
        "threshold": round(float(np.mean(thresholds)), 4),
        "fold_thresholds": [round(float(t), 4) for t in thresholds],
        "tar_at_far_1": round(tar_at_far(distances, same), 4),
        "pairs": int(distances.size),
    }


def fit_confidence_slope(distances: np.ndarray, same: np.ndarray, threshold: float) -> float:
    """The slope k of P(same | d) = 1 / (1 + exp(k (d - threshold))) most likely on these pairs
    (embedder.confidence's CONFIDENCE_SLOPE), on a grid of 0.5 steps."""
    finite = np.isfinite(distances)
    d, y = distances[finite], same[finite]
    best, best_slope = -np.inf, 1.0
    for slope in np.arange(1.0, 100.0, 0.5):
        p = 1.0 / (1.0 + np.exp(np.clip(slope * (d - threshold), -50, 50)))
        likelihood = np.sum(np.log(np.where(y, p, 1.0 - p) + 1e-12))
        if likelihood > best:
            best, best_slope = likelihood, float(slope)
    return best_slope
