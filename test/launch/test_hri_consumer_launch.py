"""robot.launch.py hri:=consume, fed by this test as an existing REP-155 face detector would be:
/humans/faces/tracked plus /humans/faces/<id>/cropped for the test photo's faces. It publishes an
expression and softbiometrics per id, with the crop's stamp and the labels publisher mode gives
those faces; a malformed id, a tracked id without crops and a crop of the wrong size are
reported and skipped while the other faces go on."""

import time
import unittest

import pytest
from hri_fixtures import analyzer, params_file, photo
from hri_msgs.msg import Expression, IdsList, SoftBiometrics
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    robot_launch_description,
)
from ros_probe import RosProbe
from sensor_msgs.msg import Image

from face_analysis.core.hri import EXPRESSIONS, GENDERS, cropped_face, softbiometrics_age
from face_analysis.core.image_codec import encode_image
from face_analysis.ros.outputs.hri_faces import HRI_QOS


@pytest.mark.launch_test
def generate_test_description():
    return robot_launch_description(
        {"hri": "consume", "params_file": params_file(no_image_timeout=1.0)}
    ), {}


class TestHriConsumer(unittest.TestCase):
    def test_expressions_for_an_existing_detectors_faces(self, proc_output):
        image = photo()
        publisher_mode = analyzer().analyze(image)  # what hri:=publish labels these faces
        ids = [f"face{i}" for i in range(len(publisher_mode))]
        crops = {i: cropped_face(image, r.box) for i, r in zip(ids, publisher_mode)}

        probe = RosProbe("hri_detector_stand_in")
        node = probe.node
        tracked_pub = node.create_publisher(IdsList, "/humans/faces/tracked", HRI_QOS)
        crop_pubs = {
            i: node.create_publisher(Image, f"/humans/faces/{i}/cropped", HRI_QOS)
            for i in ids + ["wrongsize"]
        }
        received = {i: ([], []) for i in ids}
        for i in ids:
            node.create_subscription(
                Expression, f"/humans/faces/{i}/expression", received[i][0].append, 10
            )
            node.create_subscription(
                SoftBiometrics, f"/humans/faces/{i}/softbiometrics", received[i][1].append, 10
            )
        try:

            def feed():
                nonlocal sec
                sec += 1
                tracked = IdsList(ids=ids + ["9bad", "wrongsize", "nocrops"])
                tracked.header.stamp.sec = sec
                tracked_pub.publish(tracked)
                for i, crop in crops.items():
                    msg = encode_image(crop, Image(), "bgr8")
                    msg.header = tracked.header
                    crop_pubs[i].publish(msg)
                small = encode_image(crops[ids[0]][:64, :64].copy(), Image(), "bgr8")
                crop_pubs["wrongsize"].publish(small)
                probe.spin_for(0.3)

            sec, deadline = 0, time.monotonic() + 60
            while not all(e and s for e, s in received.values()):
                self.assertLess(time.monotonic(), deadline, "no expression for every face")
                feed()
            # Long enough past no_image_timeout (1 s) for the id without crops to be reported.
            for _ in range(8):
                feed()

            for i, result in zip(ids, publisher_mode):
                expressions, biometrics = received[i]
                self.assertGreaterEqual(expressions[-1].header.stamp.sec, 1)
                self.assertEqual(expressions[-1].expression, EXPRESSIONS[result.emotion.label], i)
                self.assertEqual(biometrics[-1].gender, GENDERS[result.gender.label], i)
                age, age_confidence = softbiometrics_age(result.age)
                self.assertAlmostEqual(biometrics[-1].age, age, delta=1, msg=i)
                self.assertAlmostEqual(biometrics[-1].age_confidence, age_confidence, delta=0.05)
            for text in (
                "malformed face id '9bad'",
                "wrongsize/cropped: 64x64",
                "face nocrops is tracked but nothing arrives",
            ):
                proc_output.assertWaitFor(text, timeout=15)
        finally:
            probe.close()
