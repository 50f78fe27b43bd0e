"""robot.launch.py with the default parameters, fed the full-resolution test photo (2048x1536):
faces/analysis has all 6 faces. It respawns a crashed node process and brings its lifecycle node
back to active: the pipeline process is killed with SIGKILL (as a segfault or the OOM killer would
end it), and faces/analysis flows again within RECOVERY_S seconds; at shutdown nothing is
respawned, and every process but the killed one exits 0 (a restart is a new process of the
launch, so the killed one keeps its -9)."""

import os
import signal
import time
import unittest
from pathlib import Path

import launch_testing
import psutil
import pytest
from launch_helpers import robot_launch_description
from paths import TEST_PHOTO, write_params
from ros_probe import RosProbe

from face_analysis.msg import FaceAnalysisArray, FaceDetectionArray

CAMERA_TOPIC = "/respawn_test/image_raw"
RECOVERY_S = 15.0
PHOTO_FACES, PHOTO_SIZE = 6, (2048, 1536)
TMP = Path(os.environ.get("TMPDIR", "/tmp"))
KILLED: list[int] = []  # the pid the test killed, for the exit code check after shutdown


@pytest.mark.launch_test
def generate_test_description():
    params = write_params(TMP / f"face_analysis_respawn_{os.getpid()}.yaml")
    return robot_launch_description(
        {"camera_topic": CAMERA_TOPIC, "params_file": params},
        camera_args=[TEST_PHOTO, "--topic", CAMERA_TOPIC, "--rate", 2, "--wait-for-subscriber"],
    ), {}


def stamp_s(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def pipeline_processes() -> list:
    """The face_analysis_pipeline processes launched from this test process."""
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if any(part.endswith("face_analysis/face_analysis_pipeline") for part in p.cmdline())
    ]


class TestRespawn(unittest.TestCase):
    def test_killed_pipeline_comes_back_and_publishes(self):
        probe = RosProbe("respawn_probe")
        analyses = probe.collect(FaceAnalysisArray, "/faces/analysis")
        detections = probe.collect(FaceDetectionArray, "/faces/detections")
        try:
            probe.spin_until(
                lambda: len(analyses) >= 3 and detections, 90.0, "analyses before the crash"
            )
            self.assertEqual([len(m.faces) for m in analyses[:3]], [PHOTO_FACES] * 3)
            self.assertEqual((detections[0].image_width, detections[0].image_height), PHOTO_SIZE)
            (victim,) = pipeline_processes()
            victim.send_signal(signal.SIGKILL)
            KILLED.append(victim.pid)
            killed_at, killed_stamp = time.monotonic(), time.time()
            # Only frames the camera stamped after the kill can come from the new process.
            probe.spin_until(
                lambda: any(stamp_s(m) > killed_stamp for m in analyses),
                RECOVERY_S,
                "faces/analysis from the respawned pipeline",
            )
            print(f"faces/analysis again {time.monotonic() - killed_at:.1f} s after SIGKILL")
            (respawned,) = pipeline_processes()
            self.assertNotEqual(respawned.pid, victim.pid)
        finally:
            probe.close()


@launch_testing.post_shutdown_test()
class TestExitCodes(unittest.TestCase):
    def test_only_the_killed_process_failed(self, proc_info):
        codes = {info.pid: info.returncode for info in proc_info}
        self.assertEqual(len(KILLED), 1, "the test killed no process")
        self.assertEqual(codes.pop(KILLED[0]), -signal.SIGKILL)
        self.assertEqual(set(codes.values()), {0}, codes)
