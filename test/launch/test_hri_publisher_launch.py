"""robot.launch.py hri:=publish on the full-resolution test photo: one REP-155 id per face on
/humans/faces/tracked, expression and softbiometrics per id with the image's stamp; a face that
leaves the picture leaves tracked and its topics stop; every process exits 0."""

import unittest

import pytest
from hri_fixtures import TEST_PHOTO, faces_and_masked_photo, params_file
from hri_msgs.msg import Expression, IdsList, SoftBiometrics
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    robot_launch_description,
)
from ros_probe import RosProbe

from face_analysis.core.hri import valid_face_id

CAMERA_TOPIC = "/hri_test/image_raw"
BOXES, MASKED = faces_and_masked_photo()
REPEAT = 40  # frames (10 s) of each picture: time to subscribe per id, and far more than
# max_missed (5), so the masked face expires


@pytest.mark.launch_test
def generate_test_description():
    return robot_launch_description(
        {"hri": "publish", "camera_topic": CAMERA_TOPIC, "params_file": params_file()},
        camera_args=[
            TEST_PHOTO,
            MASKED,
            "--topic",
            CAMERA_TOPIC,
            "--rate",
            "4",
            "--repeat",
            REPEAT,
            "--wait-for-subscriber",
        ],
    ), {}


class TestHriPublisher(unittest.TestCase):
    def test_ids_per_face_and_a_leaving_face_is_dropped(self):
        probe = RosProbe("hri_probe")
        node, spin_until = probe.node, probe.spin_until
        tracked = probe.collect(IdsList, "/humans/faces/tracked")
        per_id = {}

        try:
            full = lambda: [m for m in tracked if len(m.ids) == len(BOXES)]  # noqa: E731
            spin_until(full, 120, f"{len(BOXES)} tracked ids")
            ids = list(full()[-1].ids)
            self.assertEqual(len(set(ids)), len(BOXES))
            self.assertTrue(all(valid_face_id(i) for i in ids), ids)
            for face_id in ids:
                per_id[face_id] = ([], [])
                node.create_subscription(
                    Expression, f"/humans/faces/{face_id}/expression", per_id[face_id][0].append, 10
                )
                node.create_subscription(
                    SoftBiometrics,
                    f"/humans/faces/{face_id}/softbiometrics",
                    per_id[face_id][1].append,
                    10,
                )
            spin_until(
                lambda: all(e and s for e, s in per_id.values()),
                30,
                "expression and softbiometrics of every id",
            )
            # The tracked message of the same frame arrives on its own topic, possibly later.
            received = {i: list(e) + list(b) for i, (e, b) in per_id.items()}
            probe.spin_for(1.0)
            stamps = {(m.header.stamp.sec, m.header.stamp.nanosec) for m in tracked}
            for face_id, (expressions, biometrics) in per_id.items():
                for msg in received[face_id]:
                    self.assertIn((msg.header.stamp.sec, msg.header.stamp.nanosec), stamps)
                self.assertTrue(0.0 < expressions[-1].confidence <= 1.0)
                self.assertIn(biometrics[-1].gender, (SoftBiometrics.FEMALE, SoftBiometrics.MALE))
                # The age head's estimate: defined (REP-155's 0 means unknown), with a confidence.
                self.assertTrue(1 <= biometrics[-1].age <= 100, biometrics[-1].age)
                self.assertTrue(0.0 < biometrics[-1].age_confidence <= 1.0)

            # The masked picture: one face fewer; its id leaves tracked, its publishers go.
            spin_until(
                lambda: len(tracked[-1].ids) == len(BOXES) - 1,
                120,
                "the masked face to leave tracked",
            )
            (gone,) = set(ids) - set(tracked[-1].ids)
            spin_until(
                lambda: node.count_publishers(f"/humans/faces/{gone}/expression") == 0,
                20,
                f"the publishers of {gone} to be destroyed",
            )
            self.assertGreater(
                node.count_publishers(f"/humans/faces/{tracked[-1].ids[0]}/expression"), 0
            )
            # Back to the full picture: the face gets a new id, the old one is not reused.
            spin_until(lambda: len(tracked[-1].ids) == len(BOXES), 120, "the face to come back")
            self.assertNotIn(gone, tracked[-1].ids)
        finally:
            probe.close()
