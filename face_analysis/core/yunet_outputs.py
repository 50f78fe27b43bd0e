"""YuNet's outputs decoded into faces. The network is anchor-free: every cell of the stride-8, 16
and 32 feature maps predicts a face classification score and an objectness score (score =
sqrt(cls * obj)), the face centre as an offset from the cell's corner and its size as a log, both
in units of the stride, and the five landmarks as offsets from the cell's corner. Decoding those,
then non-maximum suppression, is what OpenCV's cv2.FaceDetectorYN does around the same file."""

from __future__ import annotations

import cv2
import numpy as np

from .image import clip_box
from .preprocess import PreprocessError
from .types import FaceBox

STRIDES = (8, 16, 32)
DIVISOR = 32  # the input's height and width must be multiples of the coarsest stride
OUTPUTS = tuple(f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in STRIDES)


def padded_size(pixels: int) -> int:
    """The network's input side for an image side: rounded up to a multiple of DIVISOR."""
    return -(-pixels // DIVISOR) * DIVISOR


def clipped(face: FaceBox, shape) -> FaceBox | None:
    """The face cut to the image, or None where nothing of it is inside."""
    try:
        return clip_box(face, shape)
    except PreprocessError:
        return None


def decode(
    outputs: list[np.ndarray],
    shape: tuple[int, ...],
    scale: tuple[float, float],
    image_shape: tuple[int, int],
    score_threshold: float,
    nms_threshold: float,
    min_size: float,
) -> list[FaceBox]:
    """Faces in the image of `image_shape`, from the network's outputs on an image of `shape`
    that was shrunk by `scale` (x, y): those scoring score_threshold or more, at least min_size
    wide and high, after non-maximum suppression at nms_threshold."""
    padded_width = padded_size(shape[1])
    scores, boxes, points = [], [], []
    for i, stride in enumerate(STRIDES):
        cls, obj, bbox, kps = (outputs[i + k * len(STRIDES)][0] for k in range(4))
        # cls and obj leave sigmoids, so sqrt(cls * obj) >= t is cls * obj >= t * t: the
        # square root is taken for the few anchors kept only.
        product = cls[:, 0] * obj[:, 0]
        cells = np.flatnonzero(product >= score_threshold**2)
        if not len(cells):
            continue
        # Cell (row, col) of each kept anchor, as the corner the offsets are measured from.
        corner = np.stack(
            [cells % (padded_width // stride), cells // (padded_width // stride)], axis=1
        ).astype(np.float32)
        centre = (corner + bbox[cells, :2]) * stride
        size = np.exp(bbox[cells, 2:]) * stride
        boxes.append(np.concatenate([centre - size / 2, size], axis=1))
        points.append((kps[cells].reshape(-1, 5, 2) + corner[:, None, :]) * stride)
        scores.append(np.sqrt(np.clip(product[cells], 0, 1)))
    if not scores:
        return []
    scores, boxes, points = (
        np.concatenate(scores),
        np.concatenate(boxes),
        np.concatenate(points),
    )
    if scale != (1.0, 1.0):
        boxes *= np.tile(np.float32(scale), 2)
        points *= np.float32(scale)
    if min_size:
        large = boxes[:, 2:].min(axis=1) >= min_size
        scores, boxes, points = scores[large], boxes[large], points[large]
    keep = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), score_threshold, nms_threshold)
    faces = []
    for k in np.asarray(keep, dtype=int).reshape(-1).tolist():
        x, y, w, h = boxes[k].tolist()
        landmarks = tuple(map(tuple, points[k].tolist()))
        face = clipped(FaceBox(x, y, x + w, y + h, float(scores[k]), landmarks), image_shape)
        faces += [face] if face is not None else []  # else in the padding or off the frame
    return faces
