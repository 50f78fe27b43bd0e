"""Identity in the messages: person_id, name and identity_confidence through faces/analysis and
back (what face_overlay draws), and /humans/candidate_matches over DDS: face to person with the
match's confidence, 1 for a face's own person, 0 when the face is lost or its person changes."""

from hri_msgs.msg import IdsMatch

from face_analysis.core.draw import face_caption
from face_analysis.core.types import FaceBox, FaceResult
from face_analysis.ros.outputs.candidate_matches import TOPIC, CandidateMatches
from face_analysis.ros.outputs.conversions import msg_to_results, results_to_msg


def test_identity_fields_cross_faces_analysis_and_reach_the_overlay_caption():
    box = FaceBox(10, 20, 110, 140, 0.9)
    known = FaceResult(box, 3, person_id="person_0a1b2c3d", name="Ada", identity_confidence=0.8)
    results = [known, FaceResult(box, 4), FaceResult(box, 5, person_id="anon_2")]
    msg = results_to_msg(None, results, {})
    fields = [(f.person_id, f.name, round(f.identity_confidence, 3)) for f in msg.faces]
    assert fields == [("person_0a1b2c3d", "Ada", 0.8), ("", "", 0.0), ("anon_2", "", 0.0)]
    back = msg_to_results(msg)
    assert [(r.person_id, r.name) for r in back] == [
        ("person_0a1b2c3d", "Ada"),
        (None, ""),
        ("anon_2", ""),
    ]
    assert "Ada" in face_caption(back[0])[0]


def test_candidate_matches_follow_faces_and_their_people(ros_probe):
    received = ros_probe.collect(IdsMatch, TOPIC, 50)
    matches = CandidateMatches(ros_probe.node)
    ros_probe.spin_until(lambda: ros_probe.node.count_subscribers(TOPIC) > 0, 10, "subscriber")

    def frame(people: dict, tracked) -> list[tuple]:
        start = len(received)
        matches.publish(people, tracked)
        ros_probe.spin_for(0.3)
        return [(m.id1, m.id2, round(m.confidence, 2)) for m in received[start:]]

    assert frame({"fab1": ("anon_1", 0.0)}, ["fab1"]) == [("fab1", "anon_1", 1.0)]
    assert frame({"fab1": ("anon_1", 0.0)}, ["fab1"]) == []  # unchanged: not repeated at once
    assert frame({"fab1": ("person_x", 0.7)}, ["fab1"]) == [
        ("fab1", "anon_1", 0.0),
        ("fab1", "person_x", 0.7),
    ]
    assert frame({"fab1": ("person_x", 0.8)}, ["fab1"]) == [("fab1", "person_x", 0.8)]
    assert frame({}, ["fab1"]) == []  # tracked, not in this frame: the match holds
    ros_probe.spin_for(1.0)
    assert frame({"fab1": ("person_x", 0.8)}, ["fab1"]) == [("fab1", "person_x", 0.8)]  # repeat
    assert frame({}, []) == [("fab1", "person_x", 0.0)]  # lost
    assert frame({}, []) == []
    assert all((m.id1_type, m.id2_type) == (IdsMatch.FACE, IdsMatch.PERSON) for m in received)
    matches.destroy()
