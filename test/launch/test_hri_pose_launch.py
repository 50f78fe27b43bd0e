"""robot.launch.py hri:=publish with YuNet (landmarks) and a camera that publishes camera_info:
for every id on /humans/faces/tracked, face_<id> and gaze_<id> on /tf with the image's stamp and
frame_id, placed with the camera_info's calibration (not the camera_fov fallback), landmarks and
aligned messages; a face that leaves leaves no publisher behind. The single-process pipeline
here; test_hri_pose_separate_launch.py runs the same test on the separate nodes."""

import os
import statistics
import unittest

import cv2
import pytest
from hri_fixtures import TEST_PHOTO, TMP, faces_and_masked_photo
from hri_msgs.msg import FacialLandmarks, IdsList
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    robot_launch_description,
)
from paths import write_params
from ros_probe import RosProbe
from sensor_msgs.msg import Image
from tf2_msgs.msg import TFMessage

from face_analysis.core import hri
from face_analysis.core.detect import make_detector
from face_analysis.core.head_pose import CameraModel, estimate_head_pose

CAMERA_TOPIC = "/hri_pose_test/image_raw"
FRAME_ID = "hri_pose_test_optical_frame"
CAMERA_FOV = 40.0  # the camera_info's; the nodes' camera_fov fallback stays at its 60
_, MASKED = faces_and_masked_photo()
PHOTO = cv2.imread(str(TEST_PHOTO))
# Without the small-face path (refine_below 0), here and in the graph: the expected faces are one
# detect() of the photo, which does not search its full-resolution frame, and the graph must see
# the same set of faces (the small-face path of a separate face_detector: test_analyzer.py).
LANDMARKED = make_detector("yunet", refine_below=0).detect(PHOTO)
REPEAT = 40  # frames (10 s) of each picture, as test_hri_publisher_launch


def core_distances(fov: float) -> list[float]:
    camera = CameraModel.from_fov(PHOTO.shape[1], PHOTO.shape[0], fov)
    return [estimate_head_pose(box.landmarks, camera).translation[2] for box in LANDMARKED]


def pose_launch_description(single_process: bool):
    params = write_params(
        TMP / f"face_analysis_pose_params_{os.getpid()}.yaml",
        detector="yunet",
        **{"yunet.refine_below": 0.0},
    )
    return robot_launch_description(
        {
            "hri": "publish",
            "camera_topic": CAMERA_TOPIC,
            "params_file": params,
            "single_process": str(single_process).lower(),
        },
        camera_args=[
            TEST_PHOTO,
            MASKED,
            "--topic",
            CAMERA_TOPIC,
            "--frame-id",
            FRAME_ID,
            "--camera-info-fov",
            CAMERA_FOV,
            "--rate",
            "4",
            "--repeat",
            REPEAT,
            "--wait-for-subscriber",
        ],
    )


@pytest.mark.launch_test
def generate_test_description():
    return pose_launch_description(single_process=True), {}


def stamp(header):
    return (header.stamp.sec, header.stamp.nanosec)


class TestHriPose(unittest.TestCase):
    def test_frames_landmarks_and_aligned_per_id(self):
        probe = RosProbe("hri_pose_probe")
        node, spin_until = probe.node, probe.spin_until
        tracked = probe.collect(IdsList, "/humans/faces/tracked")
        tf = probe.collect(TFMessage, "/tf", 100)
        per_id = {}
        try:
            full = lambda: [m for m in tracked if len(m.ids) == len(LANDMARKED)]  # noqa: E731
            spin_until(full, 120, f"{len(LANDMARKED)} tracked ids")
            ids = list(full()[-1].ids)
            for face_id in ids:
                per_id[face_id] = (
                    probe.collect(FacialLandmarks, f"/humans/faces/{face_id}/landmarks"),
                    probe.collect(Image, f"/humans/faces/{face_id}/aligned"),
                )
            transforms = lambda: {  # noqa: E731
                t.child_frame_id: t for m in tf for t in m.transforms
            }
            wanted = {f"{kind}_{i}" for i in ids for kind in ("face", "gaze")}
            spin_until(
                lambda: all(a and b for a, b in per_id.values()) and wanted <= set(transforms()),
                30,
                "landmarks, aligned, face_<id> and gaze_<id> of every id",
            )
            # What was received so far, checked against the tracked messages of a second later:
            # a frame's tracked message may come after its /tf, landmarks and aligned messages.
            frames = transforms()
            latest = {face_id: (lm[-1], al[-1]) for face_id, (lm, al) in per_id.items()}
            probe.spin_for(1.0)
            image_stamps = {stamp(m.header) for m in tracked}
            for name in wanted:
                self.assertEqual(frames[name].header.frame_id, FRAME_ID, name)
                self.assertIn(stamp(frames[name].header), image_stamps, name)
            for face_id in ids:
                face, gaze = frames[f"face_{face_id}"], frames[f"gaze_{face_id}"]
                self.assertEqual(face.transform.translation, gaze.transform.translation)
                self.assertGreater(face.transform.translation.z, 0.0)  # in front of the camera
                landmarks, aligned = latest[face_id]
                points = landmarks.landmarks
                self.assertEqual(len(points), hri.FACIAL_LANDMARK_COUNT)
                ours = set(hri.LANDMARK_SLOTS)
                self.assertTrue(all(points[s].c > 0 for s in ours))
                self.assertTrue(all(p.c == 0 for s, p in enumerate(points) if s not in ours))
                self.assertEqual((aligned.width, aligned.height), (128, 128))
                for msg in (landmarks, aligned):
                    self.assertIn(stamp(msg.header), image_stamps)
                    self.assertEqual(msg.header.frame_id, FRAME_ID)
            # Placed with the camera_info's calibration, not the 60 degree fallback: on the
            # frames of a second later, as the first frames may come before the node's first
            # camera_info (the fallback, then; twice a ratio of 0.64 in CI).
            settled = transforms()
            depth = statistics.median(settled[f"face_{i}"].transform.translation.z for i in ids)
            self.assertAlmostEqual(
                depth / statistics.median(core_distances(CAMERA_FOV)), 1.0, delta=0.05
            )
            # (a wider field of view, a shorter focal length: the faces would come out nearer)
            self.assertLess(statistics.median(core_distances(60.0)) / depth, 0.75)

            # The masked picture: the id that leaves takes its publishers with it.
            spin_until(
                lambda: len(tracked[-1].ids) == len(ids) - 1, 120, "the masked face to leave"
            )
            (gone,) = set(ids) - set(tracked[-1].ids)
            for topic in ("landmarks", "aligned"):
                spin_until(
                    lambda topic=topic: node.count_publishers(f"/humans/faces/{gone}/{topic}") == 0,
                    20,
                    f"the {topic} publisher of {gone} to be destroyed",
                )
        finally:
            probe.close()
