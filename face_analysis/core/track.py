"""Track ids across frames and per-track smoothing of the heads' probabilities.

Matching is greedy by IoU (see geometry.greedy_match for why not Hungarian). Each head's
probabilities are smoothed by an exponential moving average per track, so a label only changes
when the evidence has shifted for a few frames, not on one noisy frame.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Optional, Sequence

from .errors import ConfigError
from .geometry import greedy_match, iou_matrix
from .types import ClassScores, FaceBox, FaceResult

HEADS = ("emotion", "gender")


@dataclass
class Track:
    track_id: int
    box: FaceBox
    scores: dict[str, ClassScores] = field(default_factory=dict)  # smoothed, per head
    missed: int = 0  # consecutive frames without a matching detection
    hits: int = 1


class FaceTracker:
    """iou_threshold: least overlap between a track's last box and a new box to continue it.
    smoothing_alpha: weight of the newest frame in the average (1 = no smoothing).
    max_missed: a track survives this many consecutive frames without a match, then expires.
    """

    def __init__(self, iou_threshold: float = 0.3, smoothing_alpha: float = 0.5,
                 max_missed: int = 5):
        if not 0.0 < iou_threshold <= 1.0:
            raise ConfigError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
        if not 0.0 < smoothing_alpha <= 1.0:
            raise ConfigError(f"smoothing_alpha must be in (0, 1], got {smoothing_alpha}")
        if max_missed < 0:
            raise ConfigError(f"max_missed must be >= 0, got {max_missed}")
        self.iou_threshold, self.alpha, self.max_missed = iou_threshold, smoothing_alpha, max_missed
        self.tracks: list[Track] = []
        # Ids are never reused, not even after reset(): a consumer may still hold old ones.
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.tracks = []

    def update(self, results: Sequence[FaceResult]) -> list[FaceResult]:
        """The frame's results with track ids set and each head's probabilities smoothed."""
        pairs = dict((r, t) for t, r in greedy_match(
            iou_matrix([t.box for t in self.tracks], [r.box for r in results]), self.iou_threshold))
        matched = set(pairs.values())
        survivors = []
        for index, track in enumerate(self.tracks):
            if index not in matched:
                track.missed += 1
            if track.missed <= self.max_missed:
                survivors.append(track)
        out = []
        for index, result in enumerate(results):
            if index in pairs:
                track = self.tracks[pairs[index]]
                track.box, track.missed, track.hits = result.box, 0, track.hits + 1
            else:
                track = Track(next(self._ids), result.box)
                survivors.append(track)
            smoothed = {head: self._smooth(track, head, getattr(result, head)) for head in HEADS}
            out.append(dataclasses.replace(result, track_id=track.track_id, **smoothed))
        self.tracks = survivors
        return out

    def _smooth(self, track: Track, head: str,
                scores: Optional[ClassScores]) -> Optional[ClassScores]:
        if scores is None:
            return None
        previous = track.scores.get(head)
        if previous is not None and previous.labels == scores.labels:
            probs = self.alpha * scores.probs + (1.0 - self.alpha) * previous.probs
            scores = ClassScores(scores.labels, probs.astype(scores.probs.dtype))
        track.scores[head] = scores
        return scores
