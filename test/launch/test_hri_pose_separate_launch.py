"""test_hri_pose_launch.py's test on the separate nodes (single_process:=false): face_detector
sends the landmarks with faces/detections, face_classifier pairs the image with them and with
the camera_info of its stamp, and publishes the REP-155 frames, landmarks and aligned images."""

import pytest
from launch_helpers import TestEveryProcessExitsCleanly  # noqa: F401 - run after shutdown
from test_hri_pose_launch import TestHriPose, pose_launch_description  # noqa: F401 - the test


@pytest.mark.launch_test
def generate_test_description():
    return pose_launch_description(single_process=False), {}
