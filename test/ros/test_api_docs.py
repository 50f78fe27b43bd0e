"""The ROS API page's tables (docs/ros-api.md) and config/face_analysis.yaml are what the code
declares."""

import subprocess

import yaml
from paths import REPO

from face_analysis.ros import api_docs, params


def test_ros_api_tables_are_generated_from_the_code():
    page = (REPO / "docs" / "ros-api.md").read_text()
    assert api_docs.render(page) == page, (
        "docs/ros-api.md is out of date: python -m face_analysis.ros.api_docs docs/ros-api.md"
    )


def test_config_file_holds_every_parameter_at_its_default():
    assert (REPO / "config" / "face_analysis.yaml").read_text() == params.parameters_yaml()
    loaded = yaml.safe_load((REPO / "config" / "face_analysis.yaml").read_text())
    values = loaded["/**"]["ros__parameters"]
    assert values == {p.name: p.default for p in params.PARAMS}
    assert all(p.check(p.default) is None for p in params.PARAMS)


def test_launch_file_documents_every_argument():
    out = subprocess.run(
        ["ros2", "launch", "face_analysis", "robot.launch.py", "--show-args"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    table = api_docs.launch_arguments_table()
    for row in table.splitlines()[2:]:
        name = row.split("`")[1]
        assert f"'{name}':" in out.stdout


def test_rviz_config_shows_the_overlay_markers_and_face_frames():
    config = yaml.safe_load((REPO / "config" / "face_analysis.rviz").read_text())
    displays = config["Visualization Manager"]["Displays"]
    topics = {d["Topic"]["Value"] for d in displays if "Topic" in d}
    assert topics == {"/faces/overlay", "/faces/markers"}
    assert "rviz_default_plugins/TF" in {d["Class"] for d in displays}  # face_<id>, gaze_<id>
