"""The ROS API page's tables (docs/ros-api.md) and config/face_analysis.yaml are what the code
declares, and the parameters of the analyzer's settings are what the core describes (core/config.py,
each detector's settings): the same names, descriptions, ranges and defaults."""

import dataclasses
import subprocess

import yaml
from paths import REPO

from face_analysis.core.config import HEADS_SETTING, SETTINGS, AnalyzerConfig
from face_analysis.core.detect import DETECTOR_SETTINGS
from face_analysis.ros import api_docs, params


def check_parameter_of(setting, name: str) -> None:
    """The parameter `name` says what the core's `setting` says."""
    param = params.BY_NAME[name]
    core = setting.description[0].lower() + setting.description[1:]
    assert core in param.description[0].lower() + param.description[1:], name
    assert (param.range, param.choices, param.unit) == (
        setting.range,
        setting.choices,
        setting.unit,
    ), name
    if name in params.EMPTY_IS_SHIPPED or setting.default is None:
        assert param.default == "", name
    else:
        assert param.default == (
            list(setting.default) if isinstance(setting.default, tuple) else setting.default
        ), name


def test_every_setting_is_a_parameter_of_its_name():
    one_parameter = [
        s for s in (HEADS_SETTING, *SETTINGS) if s.name not in params.NOT_ONE_PARAMETER
    ]
    assert set(params.NOT_ONE_PARAMETER) == {"detector_settings"}
    assert set(params.NODES) == {s.name for s in (HEADS_SETTING, *SETTINGS)}
    for setting in one_parameter:
        check_parameter_of(setting, setting.name)
        assert params.BY_NAME[setting.name].nodes == params.NODES[setting.name]
    for detector, settings in DETECTOR_SETTINGS.items():
        for setting in settings:
            check_parameter_of(setting, f"{detector}.{setting.name}")
    rows = len(one_parameter) + sum(map(len, DETECTOR_SETTINGS.values()))
    assert len([p for p in params.PARAMS if p.group or "." in p.name]) == rows


def test_default_parameters_are_the_cores_defaults():
    defaults = {p.name: p.default for p in params.PARAMS}
    config = params.analyzer_config(defaults, detect=True, classify=True)
    yunet = {s.name: s.default for s in DETECTOR_SETTINGS["yunet"] if s.default is not None}
    expected = dataclasses.replace(AnalyzerConfig(), detector_settings=yunet)
    assert dataclasses.asdict(config) == {
        **dataclasses.asdict(expected),
        "providers": ["CPUExecutionProvider"],
    }


def test_renamed_parameters_name_declared_ones():
    for old, new in params.RENAMED.items():
        assert old not in params.BY_NAME and new in params.BY_NAME
    page = (REPO / "docs" / "ros-api.md").read_text()
    assert all(f"| `{old}` | `{new}` |" in page for old, new in params.RENAMED.items())


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
