"""The classify path as shipped on 2026-11-30 (commit 2798e4a), frozen for bench_heads.py: one
onnxruntime session per head, the whole frame turned gray, each face cropped into its own array
(aligned with a warp, else cut and resized) and normalised one by one, one call per head.

A verbatim copy of the code of face_analysis/core/{classify,preprocess,align}.py of that commit
that the path runs (so later changes to the package do not speed up the baseline); only the
validation that raises errors is left out where the current code runs the same checks first."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import cv2
import numpy as np
import onnxruntime as ort

from face_analysis.core.image import check_image, clip_box
from face_analysis.core.preprocess import PreprocessSpec
from face_analysis.core.types import ClassScores, FaceResult

RIGHT_EYE, LEFT_EYE = 0, 1
MAX_ANGLE = math.radians(40)


def session_options(intra_op_threads: int = 1, inter_op_threads: int = 1) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class Head:
    def __init__(self, path: str, options: ort.SessionOptions):
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        meta = self.session.get_modelmeta().custom_metadata_map
        self.spec = PreprocessSpec.from_metadata(meta, source=str(path))

    def predict(self, batch: np.ndarray) -> np.ndarray:
        probs = self.session.run(["probs"], {"input": batch})[0]
        return np.asarray(probs, dtype=np.float32).reshape(len(batch), len(self.spec.labels))


# --- core/align.py of 2798e4a
def eye_angle(landmarks):
    (rx, ry), (lx, ly) = landmarks[RIGHT_EYE], landmarks[LEFT_EYE]
    return math.atan2(ly - ry, lx - rx)


def upright_size(width, height, angle):
    c, s = abs(math.cos(angle)), abs(math.sin(angle))
    det = c * c - s * s
    w, h = (c * width - s * height) / det, (c * height - s * width) / det
    if w <= 0 or h <= 0:
        return width, height
    return w, h


def aligned_crop(gray, box, landmarks, size, margin_x, margin_y):
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    angle = max(-MAX_ANGLE, min(MAX_ANGLE, eye_angle(landmarks)))
    side = upright_size(x1 - x0, y1 - y0, angle)[0]
    w, h = side * (1 + 2 * margin_x), side * (1 + 2 * margin_y)
    c, s = math.cos(angle), math.sin(angle)
    linear = np.array([[c, -s], [s, c]]) @ np.diag([w / size, h / size])
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    matrix = np.hstack([linear, (centre - linear @ np.full(2, (size - 1) / 2))[:, None]])
    shrink = max(w, h) / size
    if shrink > 1.5:
        gray, matrix = _area_shrunk(gray, matrix, size, shrink)
    return cv2.warpAffine(
        gray,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _area_shrunk(gray, matrix, size, shrink):
    corners = matrix @ np.array([[0, size, 0, size], [0, 0, size, size], [1, 1, 1, 1]], float)
    height, width = gray.shape[:2]
    rx0, ry0 = (max(0, math.floor(v) - 1) for v in corners.min(axis=1))
    rx1 = min(width, math.ceil(corners[0].max()) + 2)
    ry1 = min(height, math.ceil(corners[1].max()) + 2)
    if rx1 - rx0 < 2 or ry1 - ry0 < 2:
        return gray, matrix
    small = cv2.resize(
        gray[ry0:ry1, rx0:rx1],
        (max(1, round((rx1 - rx0) / shrink)), max(1, round((ry1 - ry0) / shrink))),
        interpolation=cv2.INTER_AREA,
    )
    factors = np.array([small.shape[1] / (rx1 - rx0), small.shape[0] / (ry1 - ry0)])
    shifted = matrix - np.array([[0, 0, rx0], [0, 0, ry0]], float)
    shifted[:, 2] += 0.5
    shrunk = factors[:, None] * shifted
    shrunk[:, 2] -= 0.5
    return small, shrunk


# --- core/preprocess.py of 2798e4a
def to_gray(image):
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    if image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)


def expand_box(box, spec, image_shape):
    x0, y0, x1, y1 = (float(v) for v in box)
    dx, dy = (x1 - x0) * spec.crop_margin_x, (y1 - y0) * spec.crop_margin_y
    height, width = image_shape[:2]
    ex0, ey0 = max(0, int(round(x0 - dx))), max(0, int(round(y0 - dy)))
    ex1, ey1 = min(width, int(round(x1 + dx))), min(height, int(round(y1 + dy)))
    return ex0, ey0, ex1, ey1


def resize_face(gray_crop, size):
    h, w = gray_crop.shape[:2]
    if (h, w) == (size, size):
        return gray_crop
    interpolation = cv2.INTER_AREA if h > size or w > size else cv2.INTER_LINEAR
    return cv2.resize(gray_crop, (size, size), interpolation=interpolation)


def normalize(pixels, spec):
    return pixels.astype(np.float32) * np.float32(spec.pixel_scale) + np.float32(spec.pixel_offset)


def square_box(box):
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    half, centre_y = (x1 - x0) / 2, (y0 + y1) / 2
    return x0, centre_y - half, x1, centre_y + half


def face_pixels(gray, box, spec, landmarks=None):
    if landmarks is not None:
        expand_box(box, spec, gray.shape)
        return aligned_crop(
            gray, box, landmarks, spec.input_size, spec.crop_margin_x, spec.crop_margin_y
        )
    x0, y0, x1, y1 = expand_box(square_box(box), spec, gray.shape)
    return resize_face(gray[y0:y1, x0:x1], spec.input_size)


def prepare_batch(gray, boxes, spec, landmarks=None):
    size = spec.input_size
    batch = np.empty((len(boxes), 1, size, size), dtype=np.float32)
    for i, box in enumerate(boxes):
        points = landmarks[i] if landmarks is not None else None
        batch[i, 0] = normalize(face_pixels(gray, box, spec, points), spec)
    return batch


# --- core/classify.py of 2798e4a (FaceClassifier.classify)
class TodayClassifier:
    """FaceClassifier as of 2798e4a: heads {name: model path}, one session each."""

    def __init__(self, models: dict[str, str], threads: int = 1, align: bool = True):
        options = session_options(threads, 1)
        self.heads = {name: Head(path, options) for name, path in models.items()}
        self.align = align
        self.min_image_size = max(h.spec.input_size for h in self.heads.values())

    def classify(self, image: np.ndarray, boxes: Sequence) -> list[FaceResult]:
        image = check_image(image, self.min_image_size)
        faces = [clip_box(box, image.shape) for box in boxes]
        results = [FaceResult(box=face) for face in faces]
        if not faces:
            return results
        gray = to_gray(image)
        landmarks = [f.landmarks for f in faces] if self.align else None
        batches = {}
        for name, head in self.heads.items():
            key = dataclasses.replace(head.spec, task="", labels=())
            if key not in batches:
                batches[key] = prepare_batch(
                    gray, [f.as_tuple() for f in faces], head.spec, landmarks
                )
            probs = head.predict(batches[key])
            for result, row in zip(results, probs):
                setattr(result, name, ClassScores(head.spec.labels, row))
        return results
