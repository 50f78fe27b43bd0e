"""Face crop -> model input: the one definition shared by training, inference and tests.

Training writes a `PreprocessSpec` into each exported ONNX model's metadata; inference reads it
back from there, so the input size, normalisation, crop margin and label order are never
repeated as constants anywhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .align import aligned_crop
from .errors import FaceAnalysisError

METADATA_PREFIX = "face_analysis."


class PreprocessError(FaceAnalysisError, ValueError):
    """An image, box or metadata entry that cannot be turned into a model input."""


@dataclass(frozen=True)
class PreprocessSpec:
    """How a face crop becomes a model input, and what the model's outputs mean.

    The model input is float32 (N, 1, input_size, input_size): gray pixels p in 0..255 mapped to
    p * pixel_scale + pixel_offset. Crops are the detector box made square (square_box), grown by
    crop_margin_x of its width on the left and right and crop_margin_y of its height on top and
    bottom.
    """

    task: str
    labels: tuple[str, ...]
    input_size: int
    pixel_scale: float = 2.0 / 255.0
    pixel_offset: float = -1.0
    crop_margin_x: float = 0.0
    crop_margin_y: float = 0.0

    def to_metadata(self) -> dict[str, str]:
        """String key/values for ONNX `metadata_props`."""
        out = {}
        for key, value in asdict(self).items():
            out[METADATA_PREFIX + key] = json.dumps(list(value) if key == "labels" else value)
        return out

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, str], source: str = "model") -> PreprocessSpec:
        """Inverse of `to_metadata`; `source` names the model file in error messages."""
        values = {}
        for name in cls.__dataclass_fields__:
            key = METADATA_PREFIX + name
            if key not in metadata:
                if name in ("task", "labels", "input_size"):
                    raise PreprocessError(
                        f"{source}: metadata key '{key}' is missing; "
                        "was it exported by face_analysis training?"
                    )
                continue
            try:
                values[name] = json.loads(metadata[key])
            except json.JSONDecodeError as exc:
                raise PreprocessError(f"{source}: metadata '{key}' is not JSON: {exc}") from exc
        values["labels"] = tuple(values["labels"])
        spec = cls(**values)
        if spec.input_size < 8 or not spec.labels:
            raise PreprocessError(f"{source}: implausible metadata {spec}")
        return spec


def to_gray(image: np.ndarray) -> np.ndarray:
    """A uint8 BGR, BGRA or single-channel image as a 2-D uint8 gray image."""
    if image is None:
        raise PreprocessError("image is None")
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise PreprocessError(f"image dtype must be uint8, got {image.dtype}")
    if image.size == 0:
        raise PreprocessError(f"image is empty (shape {image.shape})")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    raise PreprocessError(f"expected a gray, BGR or BGRA image, got shape {image.shape}")


def expand_box(
    box: Sequence[float], spec: PreprocessSpec, image_shape: Sequence[int]
) -> tuple[int, int, int, int]:
    """(x_min, y_min, x_max, y_max) grown by the spec's margins and clipped to the image."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        raise PreprocessError(f"box {tuple(box)} has no area")
    dx, dy = (x1 - x0) * spec.crop_margin_x, (y1 - y0) * spec.crop_margin_y
    height, width = image_shape[:2]
    ex0, ey0 = max(0, int(round(x0 - dx))), max(0, int(round(y0 - dy)))
    ex1, ey1 = min(width, int(round(x1 + dx))), min(height, int(round(y1 + dy)))
    if ex1 <= ex0 or ey1 <= ey0:
        raise PreprocessError(f"box {tuple(box)} lies outside the {width}x{height} image")
    return ex0, ey0, ex1, ey1


def resize_face(gray_crop: np.ndarray, size: int) -> np.ndarray:
    """Square uint8 crop of size x size: area filter when shrinking, bilinear when enlarging."""
    h, w = gray_crop.shape[:2]
    if (h, w) == (size, size):
        return gray_crop
    interpolation = cv2.INTER_AREA if h > size or w > size else cv2.INTER_LINEAR
    return cv2.resize(gray_crop, (size, size), interpolation=interpolation)


def normalize(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 pixels -> float32 model values (same formula as the training tensors)."""
    return pixels.astype(np.float32) * np.float32(spec.pixel_scale) + np.float32(spec.pixel_offset)


def square_box(box: Sequence[float]) -> tuple[float, float, float, float]:
    """The box as a square of its width about its centre. The training faces fill square
    frames; YuNet's boxes are ~1.25x taller than wide (they reach over the forehead), and
    squeezing such a crop into the square input cost 8-13 points of accuracy (DETECTORS.md).
    Haar's and BlazeFace's boxes are square already."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    half, centre_y = (x1 - x0) / 2, (y0 + y1) / 2
    return x0, centre_y - half, x1, centre_y + half


def face_pixels(
    gray: np.ndarray,
    box: Sequence[float],
    spec: PreprocessSpec,
    landmarks: Sequence[Sequence[float]] | None = None,
) -> np.ndarray:
    """uint8 (S, S) model pixels of one face: the squared box grown by the spec's margins, turned
    so the eyes are level when landmarks are given (align.py), else cut axis-aligned."""
    if landmarks is not None:
        expand_box(box, spec, gray.shape)  # the same checks of the box
        return aligned_crop(
            gray, box, landmarks, spec.input_size, spec.crop_margin_x, spec.crop_margin_y
        )
    x0, y0, x1, y1 = expand_box(square_box(box), spec, gray.shape)
    return resize_face(gray[y0:y1, x0:x1], spec.input_size)


def prepare_batch(
    gray: np.ndarray,
    boxes: Sequence[Sequence[float]],
    spec: PreprocessSpec,
    landmarks: Sequence | None = None,
) -> np.ndarray:
    """All faces of one gray frame as one float32 (N, 1, S, S) batch; `landmarks`, one entry
    (five points or None) per box, aligns the faces that have them."""
    size = spec.input_size
    batch = np.empty((len(boxes), 1, size, size), dtype=np.float32)
    for i, box in enumerate(boxes):
        points = landmarks[i] if landmarks is not None else None
        batch[i, 0] = normalize(face_pixels(gray, box, spec, points), spec)
    return batch
