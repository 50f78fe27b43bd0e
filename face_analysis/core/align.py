"""Aligned face crops: the same square crop as preprocess.face_pixels (the box squared by its
width and grown by the model's margins), turned about the box centre so that the eyes are level.
Pure geometry; preprocess.face_pixels chooses between this and the axis-aligned crop.

The training images (FER-2013, UTKFace) are mostly upright faces; a tilted head in front of the
robot is not. A detector's axis-aligned box around a face tilted by angle a is wider than the
upright face, so the width is first brought back to the upright face's, then the square is turned
by a (a similarity transform from the two eye landmarks) and sampled to the model's input size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

RIGHT_EYE, LEFT_EYE = 0, 1  # indices in FaceBox.landmarks (types.LANDMARKS)
MAX_ANGLE = math.radians(40)  # beyond this the box-size correction degenerates (cos 2a -> 0)


def eye_angle(landmarks: Sequence[Sequence[float]]) -> float:
    """Radians from the image's x axis to the line from the right eye to the left eye."""
    (rx, ry), (lx, ly) = landmarks[RIGHT_EYE], landmarks[LEFT_EYE]
    return math.atan2(ly - ry, lx - rx)


def upright_size(width: float, height: float, angle: float) -> tuple[float, float]:
    """(w, h) of the upright face whose turned copy has a width x height bounding box."""
    c, s = abs(math.cos(angle)), abs(math.sin(angle))
    det = c * c - s * s
    w, h = (c * width - s * height) / det, (c * height - s * width) / det
    if w <= 0 or h <= 0:  # a box much longer than wide: keep its size rather than invert
        return width, height
    return w, h


def aligned_matrix(
    box: Sequence[float],
    landmarks: Sequence[Sequence[float]],
    size: int,
    margin_x: float,
    margin_y: float,
) -> tuple[np.ndarray, float]:
    """The 2x3 inverse map of aligned_crop (output pixel (u, v) samples the image at
    matrix @ (u, v, 1)) and its shrink factor (image pixels per output pixel)."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    angle = max(-MAX_ANGLE, min(MAX_ANGLE, eye_angle(landmarks)))
    side = upright_size(x1 - x0, y1 - y0, angle)[0]
    w, h = side * (1 + 2 * margin_x), side * (1 + 2 * margin_y)
    # Inverse map: output pixel (u, v) samples the image at centre + R(angle) (offset of (u, v)
    # from the output's centre, scaled to w x h), i.e. linear = R(angle) @ diag(w, h) / size,
    # built from plain floats (the same values as that product; numpy costs more than the
    # arithmetic on four numbers). The offset stays a numpy product: its rounding (FMA) is the
    # one the crops were made with, bit for bit (test/core/test_align.py).
    c, s = math.cos(angle), math.sin(angle)
    sx, sy = w / size, h / size
    linear = np.array([[c * sx, -s * sy], [s * sx, c * sy]])
    offset = np.array([(x0 + x1) / 2, (y0 + y1) / 2]) - linear @ np.full(2, (size - 1) / 2)
    return np.hstack([linear, offset[:, None]]), max(w, h) / size


def source_region(
    matrix: np.ndarray, size: int, image_shape: Sequence[int], pad: int = 3
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the image pixels a warp by `matrix` to size x size reads (also those
    _area_shrunk resizes), grown by `pad` and clipped to the image; empty when it lies outside."""
    (a, b, tx), (d, e, ty) = matrix.tolist()
    xs = (tx, tx + a * size, tx + b * size, tx + (a + b) * size)
    ys = (ty, ty + d * size, ty + e * size, ty + (d + e) * size)
    height, width = image_shape[:2]
    x0 = min(width, max(0, math.floor(min(xs)) - pad))
    y0 = min(height, max(0, math.floor(min(ys)) - pad))
    x1 = max(x0, min(width, math.ceil(max(xs)) + pad))
    y1 = max(y0, min(height, math.ceil(max(ys)) + pad))
    return x0, y0, x1, y1


def warp_face(
    gray: np.ndarray,
    matrix: np.ndarray,
    shrink: float,
    size: int,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 (size, size) crop sampled by the inverse map `matrix` (bilinear, after an area
    shrink for large faces; pixels outside the image repeat its border), written into `out`
    (a C-contiguous uint8 (size, size) array, e.g. one row of a batch) when given."""
    if shrink > 1.5:
        gray, matrix = _area_shrunk(gray, matrix, size, shrink)
    return cv2.warpAffine(
        gray,
        matrix,
        (size, size),
        dst=out,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def aligned_crop(
    gray: np.ndarray,
    box: Sequence[float],
    landmarks: Sequence[Sequence[float]],
    size: int,
    margin_x: float,
    margin_y: float,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 (size, size) crop of the face in a box with area: a square of the upright face's
    width grown by margin_x of it left and right and margin_y top and bottom, eyes level; pixels
    outside the image repeat its border. Written into `out` when given (see warp_face)."""
    matrix, shrink = aligned_matrix(box, landmarks, size, margin_x, margin_y)
    return warp_face(gray, matrix, shrink, size, out)


def _area_shrunk(
    gray: np.ndarray, matrix: np.ndarray, size: int, shrink: float
) -> tuple[np.ndarray, np.ndarray]:
    """The image region the crop samples, shrunk by `shrink` with an area filter (bilinear
    sampling alone aliases a large face), and the inverse map onto that smaller image."""
    corners = matrix @ np.array([[0, size, 0, size], [0, 0, size, size], [1, 1, 1, 1]], float)
    height, width = gray.shape[:2]
    rx0, ry0 = (max(0, math.floor(v) - 1) for v in corners.min(axis=1))
    rx1 = min(width, math.ceil(corners[0].max()) + 2)
    ry1 = min(height, math.ceil(corners[1].max()) + 2)
    if rx1 - rx0 < 2 or ry1 - ry0 < 2:
        return gray, matrix  # the crop lies outside the image: border pixels either way
    small = cv2.resize(
        gray[ry0:ry1, rx0:rx1],
        (max(1, round((rx1 - rx0) / shrink)), max(1, round((ry1 - ry0) / shrink))),
        interpolation=cv2.INTER_AREA,
    )
    factors = np.array([small.shape[1] / (rx1 - rx0), small.shape[0] / (ry1 - ry0)])
    # Pixel centres: x_small = (x - rx0 + 0.5) * factor - 0.5.
    shifted = matrix - np.array([[0, 0, rx0], [0, 0, ry0]], float)
    shifted[:, 2] += 0.5
    shrunk = factors[:, None] * shifted
    shrunk[:, 2] -= 0.5
    return small, shrunk
