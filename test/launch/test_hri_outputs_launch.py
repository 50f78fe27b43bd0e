"""robot.launch.py hri:=publish publish_markers:=true on the full-resolution test photo, read for
what the outputs say: each face's REP-155 roi is its box on faces/detections of the same stamp,
normalised to the image, with the detector's score; its cropped image is hri_face_width x
hri_face_height and shows the photo at that box; faces/markers holds one text marker per face,
at the face, its text carrying the face's labels on faces/analysis."""

import os
import unittest

import cv2
import numpy as np
import pytest
from hri_fixtures import TEST_PHOTO, TMP, photo
from hri_msgs.msg import IdsList, NormalizedRegionOfInterest2D
from launch_helpers import (
    TestEveryProcessExitsCleanly,  # noqa: F401 - run after shutdown
    robot_launch_description,
)
from paths import write_params
from ros_probe import RosProbe
from sensor_msgs.msg import Image
from visualization_msgs.msg import Marker, MarkerArray

from face_analysis.core import hri
from face_analysis.core.detect import make_detector
from face_analysis.core.image_codec import decode_image
from face_analysis.msg import FaceAnalysisArray, FaceDetectionArray

CAMERA_TOPIC = "/hri_outputs_test/image_raw"
CROP_WIDTH, CROP_HEIGHT = 96, 128  # not square: a crop of swapped sides shows
PHOTO = photo()
FACES = len(make_detector("yunet").detect(PHOTO))
# The photo at a face's box against the same place of its crop: measured 0.95 and more; at a
# random place of the photo 0.4 at most.
LEAST_CORRELATION = 0.8
MOST_RANDOM_CORRELATION = 0.5
# Markers lie on a plane this far ahead, at each face's direction for a 90 degree field of view
# (the docstring of OverlayOutput._markers).
MARKER_DEPTH_M = 1.0


@pytest.mark.launch_test
def generate_test_description():
    params = write_params(
        TMP / f"face_analysis_outputs_params_{os.getpid()}.yaml",
        publish_markers=True,
        hri_face_width=CROP_WIDTH,
        hri_face_height=CROP_HEIGHT,
    )
    return robot_launch_description(
        {"hri": "publish", "camera_topic": CAMERA_TOPIC, "params_file": params},
        camera_args=[TEST_PHOTO, "--topic", CAMERA_TOPIC, "--rate", "4", "--wait-for-subscriber"],
    ), {}


def stamp(header) -> tuple[int, int]:
    return (header.stamp.sec, header.stamp.nanosec)


def corners(face) -> np.ndarray:
    """x_min, y_min, x_max, y_max of a FaceDetection, pixels."""
    return np.array([face.x_min, face.y_min, face.x_max, face.y_max], float)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(float).ravel(), b.astype(float).ravel()
    a, b = a - a.mean(), b - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def place_in_crop(box: np.ndarray) -> np.ndarray:
    """Where the face's box lies in its cropped image, from the documented framing: a square
    about the box centre, CROP_MARGIN larger than its longer side per side, scaled to fit
    CROP_WIDTH x CROP_HEIGHT and centred."""
    width, height = box[2] - box[0], box[3] - box[1]
    side = max(width, height) * (1 + 2 * hri.CROP_MARGIN)
    fit = min(CROP_WIDTH, CROP_HEIGHT)
    scale = fit / side
    left, top = (CROP_WIDTH - fit) / 2, (CROP_HEIGHT - fit) / 2
    x0, y0 = left + (side - width) / 2 * scale, top + (side - height) / 2 * scale
    return np.round([x0, y0, x0 + width * scale, y0 + height * scale]).astype(int)


def photo_at(box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The photo's gray pixels in `box`, resized to `size` (width, height)."""
    x0, y0, x1, y1 = np.round(box).astype(int)
    gray = cv2.cvtColor(PHOTO[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


class TestHriOutputs(unittest.TestCase):
    def test_roi_cropped_and_markers_describe_the_faces(self):
        probe = RosProbe("hri_outputs_probe")
        spin_until = probe.spin_until
        tracked = probe.collect(IdsList, "/humans/faces/tracked")
        detections = probe.collect(FaceDetectionArray, "/faces/detections", 50)
        analyses = probe.collect(FaceAnalysisArray, "/faces/analysis", 50)
        markers = probe.collect(MarkerArray, "/faces/markers", 50)
        try:
            full = lambda: [m for m in tracked if len(m.ids) == FACES]  # noqa: E731
            spin_until(full, 120, f"{FACES} tracked ids")
            ids = list(full()[-1].ids)
            rois = {
                i: probe.collect(NormalizedRegionOfInterest2D, f"/humans/faces/{i}/roi")
                for i in ids
            }
            crops = {i: probe.collect(Image, f"/humans/faces/{i}/cropped") for i in ids}
            spin_until(
                lambda: all(rois[i] and crops[i] for i in ids) and markers,
                30,
                "roi and cropped of every id, and markers",
            )
            probe.spin_for(1.0)  # the same frames' detections and analyses, on their own topics
            by_stamp = {stamp(m.header): m for m in detections}
            analysis_by_stamp = {stamp(m.header): m for m in analyses}
            matched = {}
            for face_id in ids:
                with self.subTest(face_id=face_id):
                    roi = rois[face_id][-1]
                    self.assertIn(stamp(roi.header), by_stamp)  # an image's stamp
                    frame = by_stamp[stamp(roi.header)]
                    self.assertEqual((frame.image_width, frame.image_height), PHOTO.shape[1::-1])
                    size = np.array([frame.image_width, frame.image_height] * 2, float)
                    box = np.array([roi.xmin, roi.ymin, roi.xmax, roi.ymax]) * size
                    face = max(frame.detections, key=lambda d: iou(corners(d), box))
                    np.testing.assert_allclose(box, corners(face), atol=1.0)
                    self.assertAlmostEqual(roi.c, face.score, places=5)
                    matched[face_id] = corners(face)
                    self.check_crop(face_id, crops[face_id], roi, corners(face), by_stamp)
            boxes = list(matched.values())  # one face per id
            self.assertTrue(
                all(iou(a, b) < 0.3 for k, a in enumerate(boxes) for b in boxes[k + 1 :])
            )
            self.check_markers(markers, analysis_by_stamp)
        finally:
            probe.close()

    def check_crop(self, face_id, crops, roi, box, by_stamp):
        """The crop of the roi's frame (or the newest: the photo does not change) is the photo
        at the face's box, not at random places of the same size."""
        same = [m for m in crops if stamp(m.header) == stamp(roi.header)]
        msg = (same or crops)[-1]
        self.assertIn(stamp(msg.header), by_stamp)
        self.assertEqual((msg.width, msg.height, msg.encoding), (CROP_WIDTH, CROP_HEIGHT, "bgr8"))
        crop = cv2.cvtColor(decode_image(msg), cv2.COLOR_BGR2GRAY)
        x0, y0, x1, y1 = place_in_crop(box)
        seen = crop[y0:y1, x0:x1]
        size = (x1 - x0, y1 - y0)
        here = correlation(seen, photo_at(box, size))
        rng = np.random.default_rng(0)
        width, height = box[2] - box[0], box[3] - box[1]
        elsewhere = []
        while len(elsewhere) < 5:
            x, y = rng.uniform(0, PHOTO.shape[1] - width), rng.uniform(0, PHOTO.shape[0] - height)
            other = np.array([x, y, x + width, y + height])
            if iou(other, box) == 0:
                elsewhere.append(correlation(seen, photo_at(other, size)))
        print(
            f"{face_id}: crop against the photo at its box {here:.2f}, elsewhere "
            f"{max(elsewhere):.2f} at most"
        )
        self.assertGreater(here, LEAST_CORRELATION, face_id)
        self.assertLess(max(elsewhere), MOST_RANDOM_CORRELATION, face_id)

    def check_markers(self, markers, analysis_by_stamp):
        """The newest marker array of an analysed frame: after a DELETEALL, one text marker per
        face, its id the face's track, at the face's direction on the markers' plane, its text
        the face's gender, age and emotion."""
        array = [
            m for m in markers if m.markers and stamp(m.markers[0].header) in analysis_by_stamp
        ][-1]
        analysis = analysis_by_stamp[stamp(array.markers[0].header)]
        self.assertEqual(array.markers[0].action, Marker.DELETEALL)
        texts = array.markers[1:]
        self.assertEqual(len(texts), len(analysis.faces))
        self.assertEqual(len(texts), FACES)
        faces = {face.track_id: face for face in analysis.faces}
        height, width = PHOTO.shape[:2]
        for marker in texts:
            face = faces[marker.id]
            self.assertEqual((marker.type, marker.action), (Marker.TEXT_VIEW_FACING, Marker.ADD))
            self.assertTrue(face.gender and face.emotion and face.age > 0)  # labels to carry
            words = marker.text.split()
            self.assertIn(face.gender, words)
            self.assertIn(face.emotion, words)
            ages = [int(w[:-1]) for w in words if w.endswith("y") and w[:-1].isdigit()]
            self.assertEqual(len(ages), 1, marker.text)
            self.assertLessEqual(abs(ages[0] - face.age), 0.51, marker.text)  # whole years
            box = corners(face.detection)
            position = marker.pose.position
            centre = (box[0] + box[2]) / 2
            self.assertAlmostEqual(
                position.x, (centre - width / 2) / (width / 2) * MARKER_DEPTH_M, places=3
            )
            self.assertAlmostEqual(
                position.y, (box[1] - height / 2) / (width / 2) * MARKER_DEPTH_M, places=3
            )
            self.assertAlmostEqual(position.z, MARKER_DEPTH_M)
