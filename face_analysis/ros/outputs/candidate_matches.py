"""/humans/candidate_matches (REP-155): which person each tracked face is, for hri_person_manager,
which builds the known persons (/humans/persons/...) from these matches. Published with
hri_publish while identity is on.

Each message matches a face id (id1, FACE) with a person id (id2, PERSON), the ids of
faces/analysis's person_id, with the match's confidence. A person id made for the face itself (a
person first seen on this track, identity_confidence 0 in faces/analysis) is matched with
confidence 1: the face is that person by definition. Confidence 0 undoes a match (REP-155): sent
once when the face leaves /humans/faces/tracked, and for the earlier person when a face's person
changes (it was recognised, or its person was forgotten). A match is sent when it is new or its
confidence moved, and again every REPEAT_S, so that a person manager started later learns it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from hri_msgs.msg import IdsMatch
from rclpy.qos import QoSProfile, ReliabilityPolicy

TOPIC = "/humans/candidate_matches"
# Several faces' matches go out back to back in one frame: deeper than the per-face topics.
MATCH_QOS = QoSProfile(depth=20, reliability=ReliabilityPolicy.RELIABLE)
REPEAT_S = 1.0
MOVED = 0.05  # a confidence change that is sent at once


def match_msg(face_id: str, person_id: str, confidence: float) -> IdsMatch:
    return IdsMatch(
        id1=face_id,
        id1_type=IdsMatch.FACE,
        id2=person_id,
        id2_type=IdsMatch.PERSON,
        confidence=float(confidence),
    )


class CandidateMatches:
    def __init__(self, node):
        self.node = node
        self.publisher = node.create_publisher(IdsMatch, TOPIC, MATCH_QOS)
        self.sent: dict[str, tuple[str, float, float]] = {}  # face -> person, confidence, when

    def publish(self, matches: Mapping[str, tuple[str, float]], tracked: Iterable[str]) -> None:
        """matches: face id -> (person id, identity_confidence) of this frame's faces; tracked:
        every face id still tracked (a face may be tracked without being in this frame)."""
        now, tracked = time.monotonic(), set(tracked)
        for face_id in [face for face in self.sent if face not in tracked]:
            self.publisher.publish(match_msg(face_id, self.sent.pop(face_id)[0], 0.0))
        for face_id, (person_id, confidence) in matches.items():
            confidence = confidence or 1.0
            before = self.sent.get(face_id)
            if before is not None and before[0] != person_id:
                self.publisher.publish(match_msg(face_id, before[0], 0.0))
                before = None
            if before is None or abs(before[1] - confidence) > MOVED or now - before[2] >= REPEAT_S:
                self.publisher.publish(match_msg(face_id, person_id, confidence))
                self.sent[face_id] = (person_id, confidence, now)

    def destroy(self) -> None:
        self.node.destroy_publisher(self.publisher)
