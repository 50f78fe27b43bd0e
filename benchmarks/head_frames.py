"""640x480 frames with real faces for the head benchmarks, and the detector's boxes (with
landmarks) for them: a 5 x 4 mosaic of the five faces of the test photo and fifteen of the Solvay
photo, each ~100 px wide, so the emotion head's confidence (and with it the adaptive flip's
work) is that of real faces, not noise."""

from __future__ import annotations

import csv

import cv2
import numpy as np
from timing import DEMO

from face_analysis.core.detect import make_detector
from face_analysis.core.types import FaceBox

PHOTO_FACES = [  # oarriaga_test_image.jpg (2048x1536), with hair and chin
    (270, 290, 460, 520),
    (540, 370, 720, 590),
    (810, 320, 990, 540),
    (1150, 350, 1330, 570),
    (1500, 330, 1670, 540),
]
CELL_W, CELL_H = 128, 120


def _solvay_faces(photo: np.ndarray, n: int):
    with open(DEMO / "solvay_conference_1927_1280_faces.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["is_face"] == "1"]
    out = []
    for r in rows[:n]:
        x0, y0, x1, y1 = (int(r[k]) for k in ("x_min", "y_min", "x_max", "y_max"))
        w, h = x1 - x0, y1 - y0  # grow like PHOTO_FACES (hair and chin)
        out.append(photo[max(0, y0 - h // 4) : y1 + h // 5, max(0, x0 - w // 6) : x1 + w // 6])
    return out


def mosaic() -> np.ndarray:
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    solvay = cv2.imread(str(DEMO / "solvay_conference_1927_1280.png"))
    chips = [photo[y0:y1, x0:x1] for x0, y0, x1, y1 in PHOTO_FACES] + _solvay_faces(solvay, 15)
    frame = np.full((480, 640, 3), 90, np.uint8)
    for i, chip in enumerate(chips[:20]):
        col, row = i % 5, i // 5
        fit = cv2.resize(chip, (100, 116), interpolation=cv2.INTER_AREA)
        x, y = col * CELL_W + 14, row * CELL_H + 2
        frame[y : y + 116, x : x + 100] = fit
    return frame


def frame_and_faces() -> tuple[np.ndarray, list[FaceBox]]:
    """The mosaic and YuNet's faces on it (with landmarks), in reading order."""
    frame = mosaic()
    faces = make_detector("yunet").detect(frame)
    faces = sorted(faces, key=lambda f: (round(f.y_min / CELL_H), f.x_min))
    return frame, faces
