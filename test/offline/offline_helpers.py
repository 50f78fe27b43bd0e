"""Helpers of the face_analysis.offline tests. Deterministic stand-ins: synthetic 'photos' whose
'faces' are flat bright squares, a detector that finds exactly those squares, and a classifier
whose answer follows from the square's brightness, so every expected metric is known exactly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
from face_analysis.core.image import clip_box
from face_analysis.core.preprocess import to_gray
from face_analysis.core.types import ClassScores, FaceBox, FaceResult

MALE_GRAY, FEMALE_GRAY = 250, 170  # square brightness -> the fake classifier's gender
GENDERS = ("male", "female")
EMOTIONS = ("happy", "sad")


def square_photo(size: tuple[int, int], squares: Sequence[tuple[int, int, int, int, int]]):
    """BGR photo, dark noisy background, squares (x0, y0, x1, y1, gray) drawn on it."""
    width, height = size
    rng = np.random.default_rng(7)
    photo = rng.integers(0, 60, size=(height, width, 3), dtype=np.uint8)
    for x0, y0, x1, y1, gray in squares:
        photo[y0:y1, x0:x1] = gray
    return photo


def write_photo(path: Path, photo: np.ndarray, faces: Sequence[tuple]) -> Path:
    """The photo as PNG plus its face CSV (faces: (x0, y0, x1, y1, gender)); the CSV path."""
    cv2.imwrite(str(path), photo)
    csv = path.with_suffix(".csv")
    lines = ["x_min,y_min,x_max,y_max,gender"] + [",".join(map(str, face)) for face in faces]
    csv.write_text("\n".join(lines) + "\n")
    return csv


class SquareDetector:
    """Boxes of the connected regions brighter than the background."""

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        mask = (to_gray(image) > 120).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        return [
            FaceBox(float(x), float(y), float(x + w), float(y + h))
            for x, y, w, h, area in stats[1:count]
            if area >= 16
        ]


class BrightnessClassifier:
    """gender: male for squares brighter than halfway between the two grays; emotion: happy."""

    heads = {
        "gender": SimpleNamespace(spec=SimpleNamespace(labels=GENDERS), is_classifier=True),
        "emotion": SimpleNamespace(spec=SimpleNamespace(labels=EMOTIONS), is_classifier=True),
    }

    def classify(self, image: np.ndarray, boxes, skip=None) -> list[FaceResult]:
        """skip: per box, heads left None (as FaceClassifier.classify)."""
        gray = to_gray(image)
        results = []
        for box, skipped in zip(boxes, skip or [()] * len(boxes)):
            box = clip_box(box, image.shape)
            x0, y0, x1, y1 = (int(round(v)) for v in box.as_tuple())
            male = gray[y0:y1, x0:x1].mean() > (MALE_GRAY + FEMALE_GRAY) / 2
            results.append(
                FaceResult(
                    box=box,
                    gender=ClassScores(
                        GENDERS, np.array([0.9, 0.1] if male else [0.2, 0.8], dtype=np.float32)
                    ),
                    emotion=ClassScores(EMOTIONS, np.array([0.75, 0.25], dtype=np.float32)),
                )
            )
            for head in skipped:
                setattr(results[-1], head, None)
        return results


def fake_analyzer() -> FaceAnalyzer:
    config = AnalyzerConfig(emotion_model=None, gender_model=None, age_model=None, detector=None)
    return FaceAnalyzer(config, detector=SquareDetector(), classifier=BrightnessClassifier())
