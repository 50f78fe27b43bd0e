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

from .align import aligned_matrix, source_region, warp_face
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


def resize_face(gray_crop: np.ndarray, size: int, out: np.ndarray | None = None) -> np.ndarray:
    """Square uint8 crop of size x size: area filter when shrinking, bilinear when enlarging;
    written into `out` (a C-contiguous uint8 (size, size) array) when given."""
    h, w = gray_crop.shape[:2]
    if (h, w) == (size, size):
        if out is None:
            return gray_crop
        out[...] = gray_crop
        return out
    interpolation = cv2.INTER_AREA if h > size or w > size else cv2.INTER_LINEAR
    return cv2.resize(gray_crop, (size, size), dst=out, interpolation=interpolation)


def normalize(pixels: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """uint8 pixels -> float32 model values (same formula as the training tensors)."""
    return pixels.astype(np.float32) * np.float32(spec.pixel_scale) + np.float32(spec.pixel_offset)


def square_box(box: Sequence[float]) -> tuple[float, float, float, float]:
    """The box as a square of its width about its centre. The training faces fill square
    frames; YuNet's boxes are ~1.25x taller than wide (they reach over the forehead), and
    squeezing such a crop into the square input costs accuracy (benchmarks/README.md, aligned
    crops). Haar's and BlazeFace's boxes are square already."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    half, centre_y = (x1 - x0) / 2, (y0 + y1) / 2
    return x0, centre_y - half, x1, centre_y + half


@dataclass(frozen=True, eq=False)
class CropPlan:
    """Where one face's model pixels come from: `matrix`/`shrink` (the eyes-level warp of
    align.py) or, without landmarks, the axis-aligned `region`; `source` is the image pixels that
    reads (so a caller can turn just those into gray)."""

    size: int
    source: tuple[int, int, int, int]
    region: tuple[int, int, int, int] | None = None
    matrix: np.ndarray | None = None
    shrink: float = 1.0

    def write(self, gray: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The uint8 (S, S) pixels, written by one OpenCV call into `out` when given."""
        if self.matrix is not None:
            return warp_face(gray, self.matrix, self.shrink, self.size, out)
        x0, y0, x1, y1 = self.region
        return resize_face(gray[y0:y1, x0:x1], self.size, out)


def crop_plan(
    box: Sequence[float],
    spec: PreprocessSpec,
    image_shape: Sequence[int],
    landmarks: Sequence[Sequence[float]] | None = None,
) -> CropPlan:
    """The crop of face_pixels for this face and model (checks the box the same way)."""
    size = spec.input_size
    if landmarks is not None:
        expand_box(box, spec, image_shape)  # the same checks of the box
        matrix, shrink = aligned_matrix(
            box, landmarks, size, spec.crop_margin_x, spec.crop_margin_y
        )
        return CropPlan(size, source_region(matrix, size, image_shape), None, matrix, shrink)
    region = expand_box(square_box(box), spec, image_shape)
    return CropPlan(size, region, region)


def face_pixels(
    gray: np.ndarray,
    box: Sequence[float],
    spec: PreprocessSpec,
    landmarks: Sequence[Sequence[float]] | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """uint8 (S, S) model pixels of one face: the squared box grown by the spec's margins, turned
    so the eyes are level when landmarks are given (align.py), else cut axis-aligned. One OpenCV
    call writes them into `out` (e.g. one row of a uint8 batch) when given."""
    return crop_plan(box, spec, gray.shape, landmarks).write(gray, out)


class GrayFrame:
    """The gray version of a frame, converted only where faces are: face_pixels reads a few
    percent of a 640x480 frame, and converting all of it cost as much as cropping five faces.

    `regions` are (x0, y0, x1, y1) image pixels (CropPlan.source); the gray pixels there equal
    to_gray(image)'s, the rest of the returned array is stale. The buffer is reused from frame
    to frame (one GrayFrame per thread)."""

    CALL_COST = 10_000  # pixels; measured: 640x480 in ~75 us, a 60x60 region in ~4.5 us

    def __init__(self):
        self._buffer = np.empty((0, 0), np.uint8)

    def __call__(self, image: np.ndarray, regions: Sequence[Sequence[int]]) -> np.ndarray:
        if image.ndim == 2:
            return image
        if image.ndim == 3 and image.shape[2] == 1:
            return image[:, :, 0]
        if image.dtype != np.uint8 or image.shape[2] not in (3, 4):
            return to_gray(image)  # raises the error that names the problem
        if self._buffer.shape != image.shape[:2]:
            self._buffer = np.empty(image.shape[:2], np.uint8)
        code = cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        # One call per region costs about as much as converting CALL_COST more pixels.
        total = sum((x1 - x0) * (y1 - y0) + self.CALL_COST for x0, y0, x1, y1 in regions)
        if total >= self._buffer.size:
            cv2.cvtColor(image, code, dst=self._buffer)
            return self._buffer
        for x0, y0, x1, y1 in regions:
            if x1 > x0 and y1 > y0:
                cv2.cvtColor(image[y0:y1, x0:x1], code, dst=self._buffer[y0:y1, x0:x1])
        return self._buffer


def normalize_into(pixels: np.ndarray, spec: PreprocessSpec, out: np.ndarray) -> np.ndarray:
    """normalize() of a uint8 batch written into the float32 array `out` (same shape), in two
    vectorised passes and no temporary."""
    np.multiply(pixels, np.float32(spec.pixel_scale), out=out, casting="unsafe")
    np.add(out, np.float32(spec.pixel_offset), out=out)
    return out


def prepare_batch(
    gray: np.ndarray,
    boxes: Sequence[Sequence[float]],
    spec: PreprocessSpec,
    landmarks: Sequence | None = None,
) -> np.ndarray:
    """All faces of one gray frame as one float32 (N, 1, S, S) batch; `landmarks`, one entry
    (five points or None) per box, aligns the faces that have them. Each crop is written straight
    into a uint8 batch, normalised in one pass."""
    size = spec.input_size
    pixels = np.empty((len(boxes), size, size), dtype=np.uint8)
    for i, box in enumerate(boxes):
        points = landmarks[i] if landmarks is not None else None
        face_pixels(gray, box, spec, points, out=pixels[i])
    batch = np.empty((len(boxes), 1, size, size), dtype=np.float32)
    normalize_into(pixels, spec, batch[:, 0])
    return batch
