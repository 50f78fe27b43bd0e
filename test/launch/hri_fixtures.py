"""Shared by the REP-155 launch tests: the test photo at full resolution, its faces as the core
finds them, a copy with one face masked out, and the labels publisher mode gives each face."""

import os
from pathlib import Path

import cv2
from paths import TEST_PHOTO, model_path, write_params

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig

TMP = Path(os.environ.get("TMPDIR", "/tmp"))


def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(
        AnalyzerConfig(
            detector="haar", emotion_model=model_path("emotion"), gender_model=model_path("gender")
        )
    )


def photo():
    return cv2.imread(str(TEST_PHOTO))


def faces_and_masked_photo():
    """(boxes of the full photo, path of a copy with the rightmost face painted over)."""
    image = photo()
    boxes = analyzer().detect(image)
    right = max(boxes, key=lambda b: b.x_min)
    masked = image.copy()
    pad = 0.3 * right.width
    masked[
        int(right.y_min - pad) : int(right.y_max + pad),
        int(right.x_min - pad) : int(right.x_max + pad),
    ] = 128
    path = TMP / f"face_analysis_masked_{os.getpid()}.png"
    cv2.imwrite(str(path), masked)
    return boxes, path


def params_file(no_image_timeout: float = 5.0) -> Path:
    """The test parameters with the paper's Haar detector, as analyzer() has it: it finds all 6
    faces of the full-resolution photo, and without landmarks publisher mode cuts its crops as
    consumer mode gets them (REP-155 crops carry no landmarks), so both give the same labels."""
    return write_params(
        TMP / f"face_analysis_params_{os.getpid()}.yaml",
        detector="haar",
        no_image_timeout=no_image_timeout,
    )
