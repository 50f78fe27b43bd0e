"""robot.launch.py as `ros2 launch` starts it, fed the test photo at 640x480 by a camera process:
composed and separate variants, reliable and best-effort cameras. Every frame published while the
graph runs gets a FaceAnalysisArray with its stamp and frame_id and the expected faces; the overlay
arrives; deactivate stops processing and activate resumes it; every process exits 0."""
import os
import sys
import time
import unittest
from pathlib import Path

import cv2
import launch_testing
import launch_testing.actions
import launch_testing.asserts
import pytest
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import ExecuteProcess, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from lifecycle_msgs.msg import Transition
from sensor_msgs.msg import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from paths import TEST_PHOTO, write_params  # noqa: E402
from ros_probe import RosProbe  # noqa: E402

from face_analysis.core.analyzer import FaceAnalyzer  # noqa: E402
from face_analysis.msg import FaceAnalysisArray  # noqa: E402
from face_analysis.ros.analyzer_config import analyzer_config  # noqa: E402
from face_analysis.ros.params import PARAMS  # noqa: E402

SHARE = Path(get_package_share_directory("face_analysis"))
CAMERA_TOPIC = "/test_camera/image_raw"
FRAME_ID = "test_camera_optical_frame"
RATE_HZ = 5.0
STAMPS_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / f"face_analysis_stamps_{os.getpid()}.txt"


@pytest.mark.launch_test
@launch_testing.parametrize("composed,reliability", [
    ("true", "reliable"), ("false", "reliable"), ("true", "best_effort"), ("false", "best_effort")])
def generate_test_description(composed, reliability):
    STAMPS_FILE.unlink(missing_ok=True)
    params = write_params(STAMPS_FILE.with_suffix(".yaml"))
    robot = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(SHARE / "launch" / "robot.launch.py")),
        launch_arguments={"composed": composed, "camera_topic": CAMERA_TOPIC,
                          "params_file": str(params)}.items())
    camera_cmd = [sys.executable, "-m", "face_analysis.ros.image_publisher", str(TEST_PHOTO),
                  "--topic", CAMERA_TOPIC, "--size", "640x480", "--rate", str(RATE_HZ),
                  "--frame-id", FRAME_ID, "--stamps-file", str(STAMPS_FILE),
                  "--wait-for-subscriber"]
    if reliability == "best_effort":
        camera_cmd.append("--best-effort")
    # A best-effort camera needs the large-data profile in its own process (README, QoS).
    camera = ExecuteProcess(cmd=camera_cmd, name="camera", output="screen", additional_env={
        "FASTDDS_DEFAULT_PROFILES_FILE": str(SHARE / "config" / "fastdds_large_data.xml")})
    first_stage = "face_analysis_pipeline" if composed == "true" else "face_detector"
    return (LaunchDescription([robot, camera, launch_testing.actions.ReadyToTest()]),
            {"first_stage": first_stage, "composed": composed})


def expected_face_count() -> int:
    """What the core finds in the camera frame with the nodes' default parameters."""
    frame = cv2.resize(cv2.imread(str(TEST_PHOTO)), (640, 480), interpolation=cv2.INTER_AREA)
    defaults = {p.name: p.default for p in PARAMS}
    return len(FaceAnalyzer(analyzer_config(defaults, detect=True, classify=False)).detect(frame))


class TestRobotLaunch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.probe = RosProbe("launch_test_probe")
        cls.analyses = cls.probe.collect(FaceAnalysisArray, "/faces/analysis", 50)
        cls.overlays = cls.probe.collect(Image, "/faces/overlay", 5)

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()

    def spin_quiet(self, quiet_s, timeout):
        """Spin until no FaceAnalysisArray arrived for quiet_s seconds."""
        deadline = time.monotonic() + timeout
        count, since = len(self.analyses), time.monotonic()
        while time.monotonic() - since < quiet_s:
            self.assertLess(time.monotonic(), deadline, "analyses kept coming")
            self.probe.executor.spin_once(timeout_sec=0.05)
            if len(self.analyses) != count:
                count, since = len(self.analyses), time.monotonic()

    def test_1_every_frame_analysed_with_its_stamp(self, first_stage, composed):
        self.probe.spin_until(lambda: len(self.analyses) >= 12, 90.0, "12 FaceAnalysisArray messages")
        self.probe.spin_until(lambda: self.overlays, 20.0, "an overlay image")
        received = {(m.header.stamp.sec, m.header.stamp.nanosec): m for m in self.analyses}
        published = [tuple(int(v) for v in line.split())
                     for line in STAMPS_FILE.read_text().splitlines()]
        first, last = min(received), max(received)
        window = [s for s in published if first <= s <= last]
        missing = [s for s in window if s not in received]
        self.assertFalse(missing, f"{len(missing)} of {len(window)} frames got no analysis")
        faces = expected_face_count()
        self.assertGreaterEqual(faces, 1)
        for msg in received.values():
            self.assertEqual(msg.header.frame_id, FRAME_ID)
            self.assertEqual(len(msg.faces), faces)
            for face in msg.faces:
                self.assertAlmostEqual(sum(face.emotion_probabilities), 1.0, places=3)
                self.assertEqual(face.gender, msg.gender_labels[
                    max(range(2), key=lambda i: face.gender_probabilities[i])])
        overlay = self.overlays[-1]
        self.assertEqual((overlay.width, overlay.height, overlay.header.frame_id),
                         (640, 480, FRAME_ID))
        self.assertIn((overlay.header.stamp.sec, overlay.header.stamp.nanosec),
                      set(published))

    def test_2_deactivate_stops_and_activate_resumes(self, first_stage, composed):
        self.probe.spin_until(lambda: self.analyses, 90.0, "a first FaceAnalysisArray")
        self.assertTrue(self.probe.change_state(first_stage, Transition.TRANSITION_DEACTIVATE))
        # Frames already between the stages may still come out; then nothing may.
        self.spin_quiet(1.0, timeout=15.0)
        count = len(self.analyses)
        self.probe.spin_for(2.0)
        self.assertEqual(len(self.analyses), count, "processing went on while inactive")
        self.assertTrue(self.probe.change_state(first_stage, Transition.TRANSITION_ACTIVATE))
        self.probe.spin_until(lambda: len(self.analyses) > count + 2, 30.0,
                        "analyses after re-activation")


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    def test_every_process_exits_cleanly(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
