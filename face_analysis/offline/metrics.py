"""Detection and classification scores against ground truth.

Matching, per annotated frame: every (true face, detection) pair with IoU >= 0.5 is a
candidate; pairs are taken greedily by descending IoU, each true face and each detection at most
once (core.geometry.greedy_match; for non-overlapping faces this equals the optimal assignment).
Matched detections are true positives, unmatched detections false positives, unmatched true faces
false negatives, summed over all annotated frames: precision = TP / (TP + FP),
recall = TP / (TP + FN). Classification accuracy, per head, counts only matched faces whose
ground truth has a label for that head; the prediction is the (track-smoothed) top label.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional, Sequence

from ..core.geometry import greedy_match, iou_matrix
from ..core.types import FaceBox
from .ground_truth import LABEL_HEADS, FrameTruth, TrueFace

MATCH_IOU = 0.5


def match_faces(truth: Sequence[FaceBox], detected: Sequence[FaceBox],
                threshold: float = MATCH_IOU) -> list[tuple[int, int]]:
    """(truth index, detection index) pairs, as described in the module docstring."""
    return greedy_match(iou_matrix(truth, detected), threshold)


def _ratio(num: int, den: int) -> Optional[float]:
    return round(num / den, 4) if den else None


def _detection_scores(counts: Counter) -> dict:
    tp, fp, fn = (counts[k] for k in ("true_positives", "false_positives", "false_negatives"))
    return {"true_positives": tp, "false_positives": fp, "false_negatives": fn,
            "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}


@dataclass
class GroundTruthScorer:
    """Feed it each analysed frame (its stamp and face dicts from records.py); frames without
    ground truth are ignored."""

    truth: dict[int, FrameTruth]
    threshold: float = MATCH_IOU
    counts: Counter = field(default_factory=Counter)
    # The same per source photo/video of the frames: one scene's hard faces stay visible.
    by_source: dict = field(default_factory=dict)
    labels: dict = field(default_factory=lambda: {head: Counter() for head in LABEL_HEADS})
    seen: set = field(default_factory=set)

    def add(self, stamp_ns: int, faces: Sequence[dict]) -> Optional[dict]:
        """This frame's TP/FP/FN, or None if it is not annotated."""
        frame = self.truth.get(stamp_ns)
        if frame is None:
            return None
        self.seen.add(stamp_ns)
        detected = [FaceBox(*face["box"]) for face in faces]
        pairs = match_faces([t.box for t in frame.faces], detected, self.threshold)
        result = {"true_positives": len(pairs), "false_positives": len(detected) - len(pairs),
                  "false_negatives": len(frame.faces) - len(pairs)}
        self.counts.update(result)
        self.by_source.setdefault(frame.source, Counter()).update(result)
        for t, d in pairs:
            self._score_labels(frame.faces[t], faces[d])
        return result

    def _score_labels(self, truth: TrueFace, face: dict) -> None:
        for head, wanted in truth.labels.items():
            predicted = face.get(head)
            if head not in self.labels or predicted is None:
                continue
            self.labels[head]["total"] += 1
            self.labels[head]["correct"] += predicted["label"] == wanted

    def detection(self) -> dict:
        return {"iou_threshold": self.threshold, "annotated_frames": len(self.seen),
                "annotated_frames_not_evaluated": len(self.truth) - len(self.seen),
                **_detection_scores(self.counts),
                "by_source": {source: _detection_scores(counts)
                              for source, counts in sorted(self.by_source.items())}}

    def classification(self) -> dict:
        return {head: {"correct": c["correct"], "total": c["total"],
                       "accuracy": _ratio(c["correct"], c["total"])}
                for head, c in self.labels.items() if c["total"]}
