"""robot.launch.py as `ros2 launch` starts it, fed the test photo at 640x480 by a camera process:
single-process and separate variants, reliable and best-effort cameras. Every frame published
while the graph runs gets a FaceAnalysisArray with its stamp and frame_id and the expected faces,
or is one the nodes counted as dropped on /diagnostics (most are analysed); so does the
vision_msgs Detection2DArray on faces/detections_2d; the overlay arrives; deactivate stops
processing and activate resumes it; every process exits 0. Once more with the pipeline in two
threads (pipeline_overlap) detecting on every second frame (detect_every: 2): the same messages,
the frames in between carried by the tracker."""

import os
import time
import unittest
from pathlib import Path

import launch_testing
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    assert_unanalysed_frames_counted,
    expected_face_count,
    published_stamps,
    robot_launch_description,
    unanalysed_frames,
)
from lifecycle_msgs.msg import Transition
from paths import TEST_PHOTO, write_params
from ros_probe import RosProbe
from sensor_msgs.msg import Image
from vision_msgs.msg import Detection2DArray

from face_analysis.msg import FaceAnalysisArray

CAMERA_TOPIC = "/test_camera/image_raw"
FRAME_ID = "test_camera_optical_frame"
RATE_HZ = 5.0
STAMPS_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / f"face_analysis_stamps_{os.getpid()}.txt"


@pytest.mark.launch_test
@launch_testing.parametrize(
    "single_process,reliability,fast",
    [
        ("true", "reliable", False),
        ("false", "reliable", False),
        ("true", "best_effort", False),
        ("false", "best_effort", False),
        # The pipeline in two threads, detecting on every second frame only.
        ("true", "reliable", True),
    ],
)
def generate_test_description(single_process, reliability, fast):
    STAMPS_FILE.unlink(missing_ok=True)
    speed = {"pipeline_overlap": True, "detect_every": 2} if fast else {}
    params = write_params(STAMPS_FILE.with_suffix(".yaml"), **speed)
    camera_args = [
        TEST_PHOTO,
        "--topic",
        CAMERA_TOPIC,
        "--size",
        "640x480",
        "--rate",
        RATE_HZ,
        "--frame-id",
        FRAME_ID,
        "--stamps-file",
        STAMPS_FILE,
        "--wait-for-subscriber",
    ]
    if reliability == "best_effort":
        camera_args.append("--best-effort")
    stages = (
        ("/face_analysis_pipeline",)
        if single_process == "true"
        else ("/face_detector", "/face_classifier")
    )
    return (
        robot_launch_description(
            {"single_process": single_process, "camera_topic": CAMERA_TOPIC, "params_file": params},
            camera_args,
        ),
        # Only the single-process pipeline knows the track ids when it publishes detections.
        {"stages": stages, "track_ids": single_process == "true"},
    )


class TestRobotLaunch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.probe = RosProbe("launch_test_probe")
        cls.analyses = cls.probe.collect(FaceAnalysisArray, "/faces/analysis", 50)
        cls.overlays = cls.probe.collect(Image, "/faces/overlay", 5)
        cls.detections_2d = cls.probe.collect(Detection2DArray, "/faces/detections_2d", 50)
        cls.diagnostics = cls.probe.collect(DiagnosticArray, "/diagnostics", 50)

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

    def test_1_every_frame_analysed_with_its_stamp(self, stages, track_ids):
        self.probe.spin_until(
            lambda: len(self.analyses) >= 12, 90.0, "12 FaceAnalysisArray messages"
        )
        self.probe.spin_until(lambda: self.overlays, 20.0, "an overlay image")
        # Its own topic: discovered on its own schedule, possibly after faces/analysis.
        self.probe.spin_until(lambda: self.detections_2d, 20.0, "a Detection2DArray")
        received = {(m.header.stamp.sec, m.header.stamp.nanosec): m for m in self.analyses}
        published = published_stamps(STAMPS_FILE)
        window, missing = unanalysed_frames(published, received)
        faces = expected_face_count(TEST_PHOTO)
        self.assertGreaterEqual(faces, 1)
        for msg in received.values():
            self.assertEqual(msg.header.frame_id, FRAME_ID)
            self.assertEqual(len(msg.faces), faces)
            for face in msg.faces:
                self.assertAlmostEqual(sum(face.emotion_probabilities), 1.0, places=3)
                self.assertEqual(
                    face.gender,
                    msg.gender_labels[max(range(2), key=lambda i: face.gender_probabilities[i])],
                )
        for msg in self.detections_2d:
            self.assertIn((msg.header.stamp.sec, msg.header.stamp.nanosec), set(published))
            self.assertEqual(msg.header.frame_id, FRAME_ID)
            self.assertEqual(len(msg.detections), faces)
            for face in msg.detections:
                (result,) = face.results
                self.assertEqual(result.hypothesis.class_id, "face")
                self.assertGreater(face.bbox.size_x, 0.0)
                self.assertEqual(face.id.isdigit(), track_ids, face.id)
        overlay = self.overlays[-1]
        self.assertEqual(
            (overlay.width, overlay.height, overlay.header.frame_id), (640, 480, FRAME_ID)
        )
        self.assertIn((overlay.header.stamp.sec, overlay.header.stamp.nanosec), set(published))
        assert_unanalysed_frames_counted(
            self, self.probe, self.diagnostics, stages, window, missing
        )

    def test_2_deactivate_stops_and_activate_resumes(self, stages):
        first_stage = stages[0].lstrip("/")
        self.probe.spin_until(lambda: self.analyses, 90.0, "a first FaceAnalysisArray")
        self.assertTrue(self.probe.change_state(first_stage, Transition.TRANSITION_DEACTIVATE))
        # Frames already between the stages may still come out; then nothing may.
        self.spin_quiet(1.0, timeout=15.0)
        count = len(self.analyses)
        self.probe.spin_for(2.0)
        self.assertEqual(len(self.analyses), count, "processing went on while inactive")
        self.assertTrue(self.probe.change_state(first_stage, Transition.TRANSITION_ACTIVATE))
        self.probe.spin_until(
            lambda: len(self.analyses) > count + 2, 30.0, "analyses after re-activation"
        )
