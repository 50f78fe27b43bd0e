"""Shared by the launch tests: one builder for their LaunchDescription (robot.launch.py with the
given arguments, optionally a camera process publishing still images), the face count the nodes
should find in a camera frame, the check that frames without analysis are few and were counted
as dropped by the nodes, and one exit-code check."""

import sys
import unittest
from pathlib import Path

import cv2
import launch_testing
import launch_testing.actions
import launch_testing.asserts
from ament_index_python.packages import get_package_share_directory
from launch.actions import ExecuteProcess, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from ros_probe import latest_reports

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.ros.compat import fastdds_profile_env
from face_analysis.ros.params import PARAMS, analyzer_config
from launch import LaunchDescription

SHARE = Path(get_package_share_directory("face_analysis"))


def robot_launch_description(
    arguments: dict, camera_args=None, more_cameras=()
) -> LaunchDescription:
    """robot.launch.py with `arguments`; with `camera_args`, also the image_publisher tool with
    those arguments as process "camera", and one more image_publisher ("camera_2", ...) for each
    argument list of `more_cameras`. They get the large-data Fast DDS profile: a best-effort
    camera needs it in its own process (docs/deployment.md, 'Best-effort cameras')."""
    entities = [
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(SHARE / "launch" / "robot.launch.py")),
            launch_arguments={name: str(value) for name, value in arguments.items()}.items(),
        )
    ]
    cameras = ([camera_args] if camera_args is not None else []) + list(more_cameras)
    for index, args in enumerate(cameras):
        entities.append(
            ExecuteProcess(
                cmd=[
                    sys.executable,
                    "-m",
                    "face_analysis.ros.tools.image_publisher",
                    *map(str, args),
                ],
                name="camera" if index == 0 else f"camera_{index + 1}",
                output="screen",
                additional_env=fastdds_profile_env(
                    str(SHARE / "config" / "fastdds_large_data.xml")
                ),
            )
        )
    return LaunchDescription([*entities, launch_testing.actions.ReadyToTest()])


def expected_face_count(photo: Path) -> int:
    """What the core finds in the photo sent as a 640x480 camera frame, with the nodes' default
    parameters."""
    frame = cv2.resize(cv2.imread(str(photo)), (640, 480), interpolation=cv2.INTER_AREA)
    defaults = {p.name: p.default for p in PARAMS}
    return len(FaceAnalyzer(analyzer_config(defaults, detect=True, classify=False)).detect(frame))


def published_stamps(stamps_file: Path) -> list[tuple[int, int]]:
    """The stamps an image_publisher with --stamps-file wrote, in order."""
    return [tuple(int(v) for v in line.split()) for line in stamps_file.read_text().splitlines()]


def unanalysed_frames(published: list, analysed) -> tuple[list, list]:
    """(window, missing): the published stamps between the first and the last analysed one, and
    those of them that got no analysis."""
    window = [s for s in published if min(analysed) <= s <= max(analysed)]
    return window, [s for s in window if s not in analysed]


def counted_drops(probe, diagnostics: list, nodes) -> int:
    """The frames `nodes` (fully qualified names) have counted as dropped, from a /diagnostics
    report each sends after this call; `diagnostics` is the probe's collected DiagnosticArrays."""
    start = len(diagnostics)
    probe.spin_until(
        lambda: set(nodes) <= set(latest_reports(diagnostics, start)),
        10.0,
        f"a /diagnostics report from each of {nodes}",
    )
    reports = latest_reports(diagnostics, start)
    return sum(int(reports[node]["frames dropped (stale)"]) for node in nodes)


def assert_unanalysed_frames_counted(case, probe, diagnostics, nodes, window, missing):
    """Most frames of the window are analysed, and the nodes counted at least as many dropped
    frames as got no analysis: a newest-frame worker drops a frame when a newer one arrives before
    it got to it (under load, or a late best-effort sample right behind the next), but never
    silently. Call it last: it spins the probe until each node reports."""
    case.assertLessEqual(
        len(missing), len(window) // 4, f"{len(missing)} of {len(window)} frames got no analysis"
    )
    dropped = counted_drops(probe, diagnostics, nodes)
    case.assertLessEqual(
        len(missing),
        dropped,
        f"{len(missing)} of {len(window)} frames got no analysis, but {nodes} counted only "
        f"{dropped} dropped: frames were lost silently",
    )


@launch_testing.post_shutdown_test()
class TestEveryProcessExitsCleanly(unittest.TestCase):
    """Each launch test module imports this class; launch_testing runs it after shutdown."""

    def test_exit_codes(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
