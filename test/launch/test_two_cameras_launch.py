"""robot.launch.py with two cameras (cameras:=[...]): two image_publisher processes, a head camera
showing the group photo (6 faces) and a torso camera showing the astronaut (1 face), both at
640x480. Each camera gets its own pipeline under its own namespace (/head/..., /torso/...): every
frame a camera published while the graph ran gets a FaceAnalysisArray on its own namespace with
its own stamp, frame_id and face count, or is one its pipeline counted as dropped (most are
analysed), and none crosses over; the two pipelines have distinct node names; every process
exits 0."""

import os
import unittest
from pathlib import Path

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
from paths import DEMO, TEST_PHOTO, write_params
from ros_probe import RosProbe

from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.params import PIPELINE

TMP = Path(os.environ.get("TMPDIR", "/tmp"))
RATE_HZ = 5.0
# camera name -> (topic, photo, frame_id, stamps file)
CAMERAS = {
    name: (
        f"/{name}/image_raw",
        photo,
        f"{name}_optical_frame",
        TMP / f"fa_{name}_{os.getpid()}.txt",
    )
    for name, photo in (
        ("head", TEST_PHOTO),
        ("torso", DEMO / "astronaut_eileen_collins.png"),
    )
}


@pytest.mark.launch_test
def generate_test_description():
    params = write_params(TMP / f"face_analysis_two_cameras_{os.getpid()}.yaml")
    cameras = []
    for topic, photo, frame_id, stamps in CAMERAS.values():
        stamps.unlink(missing_ok=True)
        cameras.append(
            [
                photo,
                "--topic",
                topic,
                "--size",
                "640x480",
                "--rate",
                RATE_HZ,
                "--frame-id",
                frame_id,
                "--stamps-file",
                stamps,
                "--wait-for-subscriber",
            ]
        )
    topics = ", ".join(topic for topic, *_ in CAMERAS.values())
    return robot_launch_description(
        {"cameras": f"[{topics}]", "params_file": params, "overlay": "false"},
        more_cameras=cameras,
    ), {}


class TestTwoCameras(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.probe = RosProbe("two_cameras_probe")
        cls.analyses = {
            name: cls.probe.collect(FaceAnalysisArray, f"/{name}/faces/analysis", 50)
            for name in CAMERAS
        }
        cls.diagnostics = cls.probe.collect(DiagnosticArray, "/diagnostics", 50)

    @classmethod
    def tearDownClass(cls):
        cls.probe.close()

    def test_each_camera_is_analysed_on_its_own_namespace(self):
        self.probe.spin_until(
            lambda: all(len(received) >= 10 for received in self.analyses.values()),
            120.0,
            "10 FaceAnalysisArray messages on each camera's namespace",
        )
        for name, (_, photo, frame_id, stamps) in CAMERAS.items():
            received = {
                (m.header.stamp.sec, m.header.stamp.nanosec): m for m in self.analyses[name]
            }
            published = published_stamps(stamps)
            window, missing = unanalysed_frames(published, received)
            self.assertLessEqual(set(received), set(published), f"{name}: foreign stamps")
            faces = expected_face_count(photo)
            self.assertGreaterEqual(faces, 1)
            for msg in received.values():
                self.assertEqual(msg.header.frame_id, frame_id)
                self.assertEqual(len(msg.faces), faces, name)
            assert_unanalysed_frames_counted(
                self, self.probe, self.diagnostics, [f"/{name}/{PIPELINE}"], window, missing
            )

    def test_one_pipeline_per_camera_with_distinct_names(self):
        self.probe.spin_until(
            lambda: (
                {"head", "torso"}
                <= {
                    ns.strip("/")
                    for name, ns in self.probe.node.get_node_names_and_namespaces()
                    if name == PIPELINE
                }
            ),
            60.0,
            "/head/face_analysis_pipeline and /torso/face_analysis_pipeline",
        )
        names = [
            f"{ns.rstrip('/')}/{name}"
            for name, ns in self.probe.node.get_node_names_and_namespaces()
            if name == PIPELINE
        ]
        self.assertEqual(
            sorted(names), ["/head/face_analysis_pipeline", "/torso/face_analysis_pipeline"]
        )
