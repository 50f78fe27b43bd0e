"""The README's ROS API tables and config/face_analysis.yaml are what the code declares."""

import subprocess

import yaml
from paths import REPO

from face_analysis.ros import api_docs, params


def test_readme_tables_are_generated_from_the_code():
    readme = (REPO / "README.md").read_text()
    assert api_docs.render(readme) == readme, (
        "README.md is out of date: python -m face_analysis.ros.api_docs README.md"
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


def test_rviz_config_shows_the_overlay_and_markers():
    config = yaml.safe_load((REPO / "config" / "face_analysis.rviz").read_text())
    topics = {d["Topic"]["Value"] for d in config["Visualization Manager"]["Displays"]}
    assert topics == {"/faces/overlay", "/faces/markers"}
