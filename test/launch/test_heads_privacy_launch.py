"""robot.launch.py hri:=publish heads:=[gender] privacy:=true on the test photo: no emotion is
computed or published (faces/analysis has no emotion labels or values, no REP-155 expression
topic exists) while gender is (softbiometrics), and no topic carries a face image: the only
image topics besides the camera are faces/overlay, in which the default detector finds no face
although faces/analysis has them all, and no REP-155 cropped topic exists."""

import os
import unittest
from pathlib import Path

import pytest
from hri_msgs.msg import IdsList, SoftBiometrics
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    expected_face_count,
    robot_launch_description,
)
from paths import TEST_PHOTO, write_params
from ros_probe import RosProbe
from sensor_msgs.msg import Image

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig, with_heads
from face_analysis.core.image_codec import decode_image
from face_analysis.msg import FaceAnalysisArray

CAMERA_TOPIC = "/private_test/image_raw"
IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
TMP = Path(os.environ.get("TMPDIR", "/tmp"))


@pytest.mark.launch_test
def generate_test_description():
    params = write_params(TMP / f"face_analysis_private_{os.getpid()}.yaml")
    return robot_launch_description(
        {
            "camera_topic": CAMERA_TOPIC,
            "params_file": params,
            "hri": "publish",
            "heads": "[gender]",
            "privacy": "true",
        },
        camera_args=[
            TEST_PHOTO,
            "--topic",
            CAMERA_TOPIC,
            "--size",
            "640x480",
            "--rate",
            "4",
            "--wait-for-subscriber",
        ],
    ), {}


class TestHeadsAndPrivacy(unittest.TestCase):
    def test_no_emotion_and_no_face_image(self):
        faces = expected_face_count(TEST_PHOTO)
        probe = RosProbe("private_probe")
        node = probe.node
        analyses = probe.collect(FaceAnalysisArray, "/faces/analysis")
        overlays = probe.collect(Image, "/faces/overlay")
        tracked = probe.collect(IdsList, "/humans/faces/tracked")
        try:
            probe.spin_until(
                lambda: (
                    len([m for m in analyses if len(m.faces) == faces]) >= 3
                    and len(overlays) >= 3
                    and tracked
                    and tracked[-1].ids
                ),
                120,
                f"analyses of {faces} faces, overlays and tracked ids",
            )
            full = [m for m in analyses if len(m.faces) == faces][-1]
            self.assertEqual(list(full.emotion_labels), [])
            self.assertEqual(list(full.gender_labels), ["male", "female"])
            for face in full.faces:
                self.assertEqual((face.emotion, list(face.emotion_probabilities)), ("", []))
                self.assertIn(face.gender, ("male", "female"))

            face_id = tracked[-1].ids[0]
            biometrics = probe.collect(SoftBiometrics, f"/humans/faces/{face_id}/softbiometrics")
            probe.spin_until(lambda: biometrics, 30, f"softbiometrics of {face_id}")
            self.assertIn(biometrics[-1].gender, (SoftBiometrics.FEMALE, SoftBiometrics.MALE))

            topics = dict(node.get_topic_names_and_types())
            per_face = [t for t in topics if t.startswith(f"/humans/faces/{face_id}/")]
            self.assertIn(f"/humans/faces/{face_id}/roi", per_face)
            self.assertFalse([t for t in topics if t.endswith(("/expression", "/cropped"))])
            images = {t for t, types in topics.items() if set(types) & set(IMAGE_TYPES)}
            self.assertEqual(images - {CAMERA_TOPIC}, {"/faces/overlay"})

            find = FaceAnalyzer(with_heads(AnalyzerConfig(), ()))
            self.assertGreater(faces, 0)  # the same detector finds them in the camera frame
            seen = [len(find.detect(decode_image(msg))) for msg in overlays[-3:]]
            self.assertEqual(seen, [0, 0, 0])
        finally:
            probe.close()
