"""Core results <-> messages: the landmarks cross faces/detections (so face_classifier aligns the
crops as the single-process pipeline does), the age and the head pose cross faces/analysis, the
vision_msgs form of the faces, and REP-155's age fields."""

import pytest
from std_msgs.msg import Header

from face_analysis.core.head_pose import HeadPose
from face_analysis.core.hri import softbiometrics_age
from face_analysis.core.types import Estimate, FaceBox, FaceResult
from face_analysis.ros.outputs.conversions import (
    box_to_msg,
    detections_2d_to_msg,
    msg_to_box,
    msg_to_results,
    results_to_msg,
)

# Dyadic values: exact in float32.
POINTS = ((12.5, 20.25), (30.75, 20.5), (21.0, 28.0), (14.25, 36.5), (29.5, 36.0))
BOX = FaceBox(4.0, 8.0, 40.0, 48.0, 0.875, POINTS)


def test_landmarks_survive_the_detection_message():
    msg = box_to_msg(BOX)
    assert list(msg.landmarks) == [v for point in POINTS for v in point]
    back = msg_to_box(msg)
    assert back == BOX and back.landmarks == POINTS


def test_a_box_without_five_landmark_pairs_gets_none():
    assert list(box_to_msg(FaceBox(0.0, 0.0, 10.0, 10.0)).landmarks) == []
    msg = box_to_msg(BOX)
    msg.landmarks = msg.landmarks[:6]
    assert msg_to_box(msg).landmarks is None


def test_detection_2d_array_has_the_header_boxes_scores_and_track_ids():
    header = Header(frame_id="camera")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    other = FaceBox(100.0, 50.0, 120.0, 74.0, 0.5)
    msg = detections_2d_to_msg(header, [BOX, other], {BOX: 7})
    assert msg.header == header
    first, second = msg.detections
    assert (first.bbox.center.position.x, first.bbox.center.position.y) == (22.0, 28.0)
    assert (first.bbox.size_x, first.bbox.size_y) == (36.0, 40.0)
    (hypothesis,) = first.results
    assert (hypothesis.hypothesis.class_id, hypothesis.hypothesis.score) == ("face", 0.875)
    assert (first.id, second.id) == ("7", "")
    assert detections_2d_to_msg(header, [BOX]).detections[0].id == ""


def test_age_survives_the_analysis_message_and_none_stays_none():
    aged = FaceResult(BOX, 3, age=Estimate(34.5, 6.25))
    plain = FaceResult(BOX, 4)
    msg = results_to_msg(Header(), [aged, plain], {})
    assert (msg.faces[0].age, msg.faces[0].age_std) == (34.5, 6.25)
    assert (msg.faces[1].age, msg.faces[1].age_std) == (0.0, 0.0)  # REP-155's "unknown"
    back = msg_to_results(msg)
    assert back[0].age == Estimate(34.5, 6.25) and back[1].age is None


def test_softbiometrics_age_and_its_confidence():
    assert softbiometrics_age(None) == (0, 0.0)
    age, confidence = softbiometrics_age(Estimate(34.4, 5.0))
    assert age == 34 and confidence == pytest.approx(0.6827, abs=1e-4)  # +-1 sigma
    assert softbiometrics_age(Estimate(0.3, 1.0))[0] == 1  # 0 would read as "unknown"


def test_head_pose_survives_the_analysis_message():
    pose = HeadPose.from_angles(20.0, -10.0, 5.0, (0.25, -0.125, 1.5), 0.0625)
    msg = results_to_msg(Header(), [FaceResult(BOX, 3, pose=pose), FaceResult(BOX, 4)], {})
    posed, plain = msg.faces
    assert posed.has_head_pose and not plain.has_head_pose
    assert (posed.head_yaw, posed.head_pitch, posed.head_roll) == pytest.approx((20, -10, 5))
    assert posed.distance == pytest.approx(pose.distance)
    assert posed.looking_at_camera == pytest.approx(pose.looking_at_camera)
    back, none = msg_to_results(msg)
    assert none.pose is None
    assert back.pose.rotation == pytest.approx(pose.rotation, abs=1e-6)
    assert back.pose.translation == pytest.approx(pose.translation)
    assert back.pose.reprojection_error == pytest.approx(0.0625)
