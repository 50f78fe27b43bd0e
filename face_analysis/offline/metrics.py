"""Detection and classification scores against ground truth.

Matching, per annotated frame: every (true face, detection) pair with IoU >= 0.5 is a
candidate; pairs are taken greedily by descending IoU, each true face and each detection at most
once (core.geometry.greedy_match; for non-overlapping faces this equals the optimal assignment).
Matched detections are true positives, unmatched detections false positives, unmatched true faces
false negatives, summed over all annotated frames: precision = TP / (TP + FP),
recall = TP / (TP + FN). Classification accuracy, per head, counts only matched faces whose
ground truth has a label for that head; the prediction is the (track-smoothed) top label.

Tracking, when the ground truth names the person of every face: py-motmetrics' CLEAR-MOT and
identity metrics of the track ids against the person ids (its own optimal matching over the
same IoU >= 0.5 candidates, so its counts can differ from the greedy ones above by a pair or
two): IDF1 (the share of faces given the identity their person holds longest), ID switches,
MOTA, and tracks per person (distinct track ids on the annotated frames / distinct people).
With identity on, the person ids too (person_metrics.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.geometry import greedy_match, iou_matrix
from ..core.types import FaceBox
from .ground_truth import LABEL_HEADS, FrameTruth, TrueFace
from .person_metrics import PersonIdScorer

MATCH_IOU = 0.5
MOT_METRICS = {
    "idf1": "idf1",
    "id_switches": "num_switches",
    "fragmentations": "num_fragmentations",
    "mota": "mota",
}


def match_faces(
    truth: Sequence[FaceBox], detected: Sequence[FaceBox], threshold: float = MATCH_IOU
) -> list[tuple[int, int]]:
    """(truth index, detection index) pairs, as described in the module docstring."""
    return greedy_match(iou_matrix(truth, detected), threshold)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _detection_scores(counts: Counter) -> dict:
    tp, fp, fn = (counts[k] for k in ("true_positives", "false_positives", "false_negatives"))
    return {
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }


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
    identities: IdentityScorer | None = None
    persons: PersonIdScorer | None = None  # when the faces carry person ids (identity on)

    def __post_init__(self):
        if self.truth and all(face.person for frame in self.truth.values() for face in frame.faces):
            self.identities = IdentityScorer(self.threshold)

    def add(self, stamp_ns: int, faces: Sequence[dict]) -> dict | None:
        """This frame's TP/FP/FN, or None if it is not annotated."""
        frame = self.truth.get(stamp_ns)
        if frame is None:
            return None
        self.seen.add(stamp_ns)
        detected = [FaceBox(*face["box"]) for face in faces]
        pairs = match_faces([t.box for t in frame.faces], detected, self.threshold)
        result = {
            "true_positives": len(pairs),
            "false_positives": len(detected) - len(pairs),
            "false_negatives": len(frame.faces) - len(pairs),
        }
        self.counts.update(result)
        self.by_source.setdefault(frame.source, Counter()).update(result)
        for t, d in pairs:
            self._score_labels(frame.faces[t], faces[d])
        if self.identities is not None:
            self.identities.add(stamp_ns, frame, detected, [face["track_id"] for face in faces])
            if self.persons is None and any("person_id" in face for face in faces):
                self.persons = PersonIdScorer(IdentityScorer(self.threshold))
            if self.persons is not None:
                self.persons.add(stamp_ns, frame, detected, faces, pairs)
        return result

    def _score_labels(self, truth: TrueFace, face: dict) -> None:
        for head, wanted in truth.labels.items():
            predicted = face.get(head)
            if head not in self.labels or predicted is None:
                continue
            self.labels[head]["total"] += 1
            self.labels[head]["correct"] += predicted["label"] == wanted

    def detection(self) -> dict:
        return {
            "iou_threshold": self.threshold,
            "annotated_frames": len(self.seen),
            "annotated_frames_not_evaluated": len(self.truth) - len(self.seen),
            **_detection_scores(self.counts),
            "by_source": {
                source: _detection_scores(counts)
                for source, counts in sorted(self.by_source.items())
            },
        }

    def tracking(self) -> dict | None:
        """None when the ground truth has no person ids (files written before they existed) or
        no annotated frame was analysed."""
        if self.identities is None or not self.identities.accumulators:
            return None
        return self.identities.scores()

    def person_ids(self) -> dict | None:
        """Person ids against the true people (person_metrics.py); None when identity was off."""
        return self.persons.scores() if self.persons is not None else None

    def classification(self) -> dict:
        return {
            head: {
                "correct": c["correct"],
                "total": c["total"],
                "accuracy": _ratio(c["correct"], c["total"]),
            }
            for head, c in self.labels.items()
            if c["total"]
        }


class IdentityScorer:
    """Track ids against person ids, per source and over all, with py-motmetrics."""

    def __init__(self, threshold: float = MATCH_IOU):
        # Imported here: only evaluation needs motmetrics (and its pandas), not the robot.
        import motmetrics

        self._mm, self.threshold = motmetrics, threshold
        self.accumulators: dict = {}  # source -> MOTAccumulator
        self.people: dict = {}  # source -> set of person ids
        self.tracks: dict = {}  # source -> set of track ids
        self._numbers: dict = {}  # person id -> number: motmetrics 1.4 keeps ids as floats

    def add(
        self,
        stamp_ns: int,
        frame: FrameTruth,
        detected: Sequence[FaceBox],
        track_ids: Sequence[int],
    ) -> None:
        iou = iou_matrix([t.box for t in frame.faces], detected)
        # motmetrics takes distances; NaN marks a pair that may not match.
        distance = np.where(iou >= self.threshold, 1.0 - iou, np.nan)
        accumulator = self.accumulators.setdefault(frame.source, self._mm.MOTAccumulator())
        people = [self._numbers.setdefault(t.person, len(self._numbers)) for t in frame.faces]
        accumulator.update(people, list(track_ids), distance, frameid=stamp_ns)
        self.people.setdefault(frame.source, set()).update(t.person for t in frame.faces)
        self.tracks.setdefault(frame.source, set()).update(track_ids)

    def scores(self) -> dict:
        sources = sorted(self.accumulators)
        table = self._mm.metrics.create().compute_many(
            [self.accumulators[s] for s in sources],
            names=sources,
            metrics=list(MOT_METRICS.values()),
            generate_overall=True,
        )
        by_source = {s: self._row(table.loc[s], self.people[s], self.tracks[s]) for s in sources}
        people = set().union(*self.people.values())
        tracks = set().union(*self.tracks.values())
        return {
            "library": f"motmetrics {self._mm.__version__}",
            "iou_threshold": self.threshold,
            **self._row(table.loc["OVERALL"], people, tracks),
            "by_source": by_source,
        }

    @staticmethod
    def _row(row, people: set, tracks: set) -> dict:
        values = {}
        for key, column in MOT_METRICS.items():
            value = float(row[column])
            values[key] = (
                int(value)
                if key in ("id_switches", "fragmentations")
                else (None if np.isnan(value) else round(value, 4))
            )
        return {
            "people": len(people),
            "tracks": len(tracks),
            "tracks_per_person": _ratio(len(tracks), len(people)),
            **values,
        }
