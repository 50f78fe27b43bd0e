"""CameraInfo -> the core's camera model: K and plumb_bob distortion taken, an uncalibrated
CameraInfo (K zero) refused, an unknown distortion model's coefficients not misread."""

import pytest
from sensor_msgs.msg import CameraInfo

from face_analysis.ros.runtime.camera_info_input import camera_model
from face_analysis.ros.tools.image_publisher import camera_info


def test_calibrated_camera_info_gives_its_intrinsics_and_distortion():
    msg = CameraInfo(width=640, height=480, distortion_model="plumb_bob")
    msg.k = [500.0, 0.0, 320.5, 0.0, 510.0, 240.25, 0.0, 0.0, 1.0]
    msg.d = [0.1, -0.05, 0.0, 0.0, 0.01]
    model = camera_model(msg)
    assert (model.fx, model.fy, model.cx, model.cy) == (500.0, 510.0, 320.5, 240.25)
    assert (model.width, model.height) == (640, 480)
    assert model.distortion == (0.1, -0.05, 0.0, 0.0, 0.01)
    msg.distortion_model = "equidistant"  # fisheye: not OpenCV's pinhole coefficients
    assert camera_model(msg).distortion == ()


def test_uncalibrated_camera_info_gives_none():
    assert camera_model(CameraInfo(width=640, height=480)) is None


def test_the_image_publishers_camera_info_is_the_field_of_view_model():
    model = camera_model(camera_info(640, 480, 90.0))
    assert (model.fx, model.cx, model.cy) == pytest.approx((320.0, 319.5, 239.5))
