"""The 1927 Solvay group photo (29 people) shrunk to 640 px wide, where its faces are 15-24 px,
analysed as `face-analysis image` analyses a photo (FaceAnalyzer with the default settings, one
image): the small faces are found and framed at full resolution, and labelled as the same faces
are on the photo at 1280 px (faces ~48 px)."""

import csv

import cv2
import numpy as np
import pytest
from face_data import demo_image, faces_hit
from paths import DEMO, require_data

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig

PHOTO = "solvay_conference_1927_1280.png"
FACES = "solvay_conference_1927_1280_faces.csv"  # ViSP's boxes; is_face 0: the balustrade


def centre(box) -> np.ndarray:
    return np.array([(box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2])


@pytest.fixture(scope="module")
def analysed():
    """The faces found at 1280 px and at 640 px, each image analysed on its own."""
    photo = demo_image(PHOTO)
    small = cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return FaceAnalyzer(AnalyzerConfig()).analyze(photo), FaceAnalyzer(AnalyzerConfig()).analyze(
        small
    )


@pytest.fixture(scope="module")
def pairs(analysed):
    """(1280 px face, 640 px face) of each person found at both sizes: the 640 px face whose box
    centre lies within a quarter of the large face's width of its halved centre."""
    large, small = analysed
    found = []
    for face in large:
        near = [
            f
            for f in small
            if np.abs(centre(f.box) - centre(face.box) / 2).max() < face.box.width / 4
        ]
        if near:
            found.append((face, near[0]))
    return found


def test_nearly_every_face_is_found_at_640_px(analysed):
    with open(require_data(DEMO / FACES)) as rows:
        boxes = [
            [float(r[k]) for k in ("x_min", "y_min", "x_max", "y_max")]
            for r in csv.DictReader(rows)
            if r["is_face"] == "1"
        ]
    centres = [((x0 + x1) / 4, (y0 + y1) / 4) for x0, y0, x1, y1 in boxes]  # at 640 px
    assert len(centres) == 29
    _, small = analysed
    assert faces_hit([f.box for f in small], centres) >= 28
    assert max(f.box.width for f in small) < 26  # small faces indeed


def test_every_face_at_or_above_the_minimum_is_labelled(analysed):
    minimum = AnalyzerConfig().min_attribute_face_size
    _, small = analysed
    labelled = [f for f in small if f.box.width >= minimum]
    assert len(labelled) >= 26
    for face in labelled:
        assert not face.attributes_unknown
        assert None not in (face.emotion, face.gender, face.age)


def test_labels_at_640_px_agree_with_those_at_1280_px(pairs):
    """Gender as at 1280 px for 26 people or more; the age within the 1280 px face's age_std for
    80 % of the people found at both sizes (an unlabelled face counts as a miss)."""
    assert len(pairs) >= 28
    same_gender = sum(
        small.gender is not None and small.gender.label == large.gender.label
        for large, small in pairs
    )
    assert same_gender >= 26
    within = sum(
        small.age is not None and abs(small.age.value - large.age.value) <= large.age.std
        for large, small in pairs
    )
    assert within >= 0.8 * len(pairs), (within, len(pairs))
