"""Checks and conversions of input frames and boxes, done once at the edge of the core so that
OpenCV and onnxruntime only ever see arrays and boxes they accept."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from .preprocess import PreprocessError
from .types import FaceBox

BoxLike = FaceBox | Sequence[float]


def check_image(image: np.ndarray, min_size: int = 1) -> np.ndarray:
    """`image` as a C-contiguous uint8 gray, BGR or BGRA array of at least min_size x min_size."""
    if image is None:
        raise PreprocessError("image is None")
    if not isinstance(image, np.ndarray):
        raise PreprocessError(f"image must be a numpy array, got {type(image).__name__}")
    if image.size == 0:
        raise PreprocessError(f"image is empty (shape {image.shape})")
    if image.dtype != np.uint8:
        raise PreprocessError(f"image dtype must be uint8, got {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3, 4))):
        raise PreprocessError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")
    height, width = image.shape[:2]
    if height < min_size or width < min_size:
        raise PreprocessError(
            f"image is {width}x{height}, smaller than the model input {min_size}x{min_size}"
        )
    # OpenCV rejects negative strides (e.g. a flipped view) with an obscure assertion.
    return np.ascontiguousarray(image)


def to_bgr(image: np.ndarray) -> np.ndarray:
    """A checked gray, BGR or BGRA image as 3-channel BGR (the input itself when already BGR)."""
    image = check_image(image)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def as_face_box(box: BoxLike) -> FaceBox:
    """A FaceBox, or (x_min, y_min, x_max, y_max[, score]) turned into one."""
    if isinstance(box, FaceBox):
        return box
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError) as exc:
        raise PreprocessError(f"box {box!r} is not a sequence of numbers") from exc
    if len(values) not in (4, 5):
        raise PreprocessError(f"box {box!r} needs 4 coordinates (and an optional score)")
    return FaceBox(*values)


def clip_box(box: BoxLike, image_shape: Sequence[int]) -> FaceBox:
    """The box cut to the image; PreprocessError if it is not finite or nothing of it is inside."""
    box = as_face_box(box)
    if not all(math.isfinite(v) for v in (*box.as_tuple(), box.score)):
        raise PreprocessError(f"box {box.as_tuple()} has a non-finite coordinate or score")
    height, width = image_shape[:2]
    x0, y0 = min(max(box.x_min, 0.0), width), min(max(box.y_min, 0.0), height)
    x1, y1 = min(max(box.x_max, 0.0), width), min(max(box.y_max, 0.0), height)
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise PreprocessError(f"box {box.as_tuple()} has no area inside the {width}x{height} image")
    return FaceBox(x0, y0, x1, y1, box.score, box.landmarks)
