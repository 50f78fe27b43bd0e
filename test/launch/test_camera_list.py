"""robot.launch.py's `cameras:=` argument (launch_support.camera_list): the forms it reads and
the names it gives each camera's namespace."""

import pytest

from face_analysis.ros.launch_support import camera_list


@pytest.mark.parametrize(
    "text, cameras",
    [
        (
            "[/head/image_raw, /torso/image_raw]",
            [("head", "/head/image_raw"), ("torso", "/torso/image_raw")],
        ),
        (
            "/head/image_raw,/torso/image_raw",
            [("head", "/head/image_raw"), ("torso", "/torso/image_raw")],
        ),
        (
            "['/cam/left/image_raw', '/cam/right/image_raw']",
            [("cam_left", "/cam/left/image_raw"), ("cam_right", "/cam/right/image_raw")],
        ),
        ("[gripper=/wrist/rgb/image_raw]", [("gripper", "/wrist/rgb/image_raw")]),
        ("/image_raw", [("image_raw", "/image_raw")]),
    ],
)
def test_camera_list_forms(text, cameras):
    assert camera_list(text) == cameras


def test_camera_names_must_be_unique():
    with pytest.raises(ValueError, match="not unique"):
        camera_list("[/a/x/image_raw, /a/x/image_raw]")
