"""Person ids (identity session or gallery) against the ground truth's people.

Per annotated frame, the faces matched to true faces (metrics.match_faces, IoU >= 0.5) link a
person id to a true person. person_ids_per_person: for each true person, how many distinct
person ids their matched faces carried, averaged over the people (1.0: everyone kept one id);
track_ids_per_person: the same for the track ids, the figure without re-identification. Merged:
the person ids whose faces belong to more than one true person. IDF1 and ID switches of the
person ids come from py-motmetrics (metrics.IdentityScorer, given), as those of the track ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from ..core.types import FaceBox
from .ground_truth import FrameTruth


class PersonIdScorer:
    """`motmetrics`: a metrics.IdentityScorer, fed the person ids (as numbers)."""

    def __init__(self, motmetrics):
        self.ids_of: dict = defaultdict(set)  # true person -> person ids
        self.tracks_of: dict = defaultdict(set)  # true person -> track ids
        self.people_of: dict = defaultdict(set)  # person id -> true people
        self._numbers: dict = {}  # person id -> number, for motmetrics
        self.motmetrics = motmetrics

    def add(
        self,
        stamp_ns: int,
        frame: FrameTruth,
        detected: Sequence[FaceBox],
        faces: Sequence[dict],
        pairs: Sequence[tuple[int, int]],
    ) -> None:
        """One frame: its true faces, the detected boxes and their face dicts, matched pairs."""
        for t, d in pairs:
            person, person_id = frame.faces[t].person, faces[d].get("person_id")
            self.tracks_of[person].add(faces[d]["track_id"])
            if person_id is not None:
                self.ids_of[person].add(person_id)
                self.people_of[person_id].add(person)
        numbers = [
            self._numbers.setdefault(face.get("person_id"), len(self._numbers)) for face in faces
        ]
        self.motmetrics.add(stamp_ns, frame, detected, numbers)

    def scores(self) -> dict:
        people = sorted(self.tracks_of)
        merged = {pid: sorted(who) for pid, who in sorted(self.people_of.items()) if len(who) > 1}
        mot = self.motmetrics.scores()
        return {
            "people": len(people),
            "person_ids": len(self.people_of),
            "person_ids_per_person": round(
                float(np.mean([len(self.ids_of[p]) for p in people])), 4
            ),
            "track_ids_per_person": round(
                float(np.mean([len(self.tracks_of[p]) for p in people])), 4
            ),
            "merged_ids": len(merged),
            "merged": merged,
            "idf1": mot["idf1"],
            "id_switches": mot["id_switches"],
        }
