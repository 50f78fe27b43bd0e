"""REP-155's face_<id> and gaze_<id> axes from a head pose, and the aligned face image."""

import math

import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from face_analysis.core import hri
from face_analysis.core.head_pose import HeadPose
from face_analysis.core.types import FaceBox


def axes(pose: HeadPose, frame_axes) -> np.ndarray:
    """The frame's x, y, z axes (columns) in the camera's optical frame."""
    return Rotation.from_quat(hri.frame_quaternion(pose, frame_axes)).as_matrix()


def test_frontal_face_frames_follow_rep155():
    frontal = HeadPose.from_angles(0, 0, 0, (0, 0, 1.0))
    face = axes(frontal, hri.FACE_AXES)
    # x out of the face (towards the camera), z to the scalp (up: -y in the optical frame), y
    # the subject's left (the image's right).
    assert face[:, 0] == pytest.approx([0, 0, -1])
    assert face[:, 1] == pytest.approx([1, 0, 0])
    assert face[:, 2] == pytest.approx([0, -1, 0])
    gaze = axes(frontal, hri.GAZE_AXES)
    # Optical convention: z along face_<id>'s x, x the subject's right, y down.
    assert gaze[:, 2] == pytest.approx(face[:, 0])
    assert gaze[:, 0] == pytest.approx([-1, 0, 0])
    assert gaze[:, 1] == pytest.approx([0, 1, 0])


@pytest.mark.parametrize("angles", [(30, 0, 0), (0, 20, 0), (-25, 10, 15)])
def test_gaze_z_is_the_face_x_and_the_head_direction(angles):
    pose = HeadPose.from_angles(*angles, (0.2, 0.1, 1.5))
    face, gaze = axes(pose, hri.FACE_AXES), axes(pose, hri.GAZE_AXES)
    assert gaze[:, 2] == pytest.approx(face[:, 0])
    assert face[:, 0] == pytest.approx(pose.forward)
    assert np.linalg.det(face) == pytest.approx(1.0) and np.linalg.det(gaze) == pytest.approx(1.0)


def test_a_face_turned_to_the_image_right_points_its_x_there():
    face = axes(HeadPose.from_angles(30, 0, 0, (0, 0, 1.0)), hri.FACE_AXES)
    assert face[0, 0] == pytest.approx(math.sin(math.radians(30)))


def test_aligned_face_levels_the_eyes():
    image = np.zeros((240, 320, 3), np.uint8)
    centre, half, angle = np.array([160.0, 120.0]), 30.0, math.radians(25)
    offset = half * np.array([math.cos(angle), math.sin(angle)])
    right_eye, left_eye = centre - offset, centre + offset
    cv2.line(image, tuple(map(int, right_eye)), tuple(map(int, left_eye)), (255, 255, 255), 3)
    landmarks = (tuple(right_eye), tuple(left_eye), (160.0, 140.0), (150.0, 160.0), (170, 160))
    box = FaceBox(110.0, 70.0, 210.0, 170.0, 0.9, landmarks)
    aligned = hri.aligned_face(image, box)
    assert aligned.shape == (128, 128, 3)
    rows, cols = np.nonzero(aligned[:, :, 0] > 128)
    slope = np.polyfit(cols, rows, 1)[0]
    assert abs(math.degrees(math.atan(slope))) < 1.0  # the line tilted by 25 degrees is level
    assert hri.aligned_face(image, FaceBox(110.0, 70.0, 210.0, 170.0)) is None
