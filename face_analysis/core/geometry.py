"""Box overlap, shared by the tracker and the detector evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .types import FaceBox


def iou_matrix(boxes_a: Sequence[FaceBox], boxes_b: Sequence[FaceBox]) -> np.ndarray:
    """(len(a), len(b)) intersection-over-union of every pair."""
    a = np.array([b.as_tuple() for b in boxes_a], dtype=np.float64).reshape(-1, 4)
    b = np.array([b.as_tuple() for b in boxes_b], dtype=np.float64).reshape(-1, 4)
    ix = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None
    )
    iy = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None
    )
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def centre_distance(boxes_a: Sequence[FaceBox], boxes_b: Sequence[FaceBox]) -> np.ndarray:
    """(len(a), len(b)) distance between the centres of every pair, in units of the geometric
    mean of their sizes (sqrt of width * height), so near and far faces compare alike."""
    a = np.array([b.as_tuple() for b in boxes_a], dtype=np.float64).reshape(-1, 4)
    b = np.array([b.as_tuple() for b in boxes_b], dtype=np.float64).reshape(-1, 4)
    centre_a, centre_b = (a[:, :2] + a[:, 2:]) / 2, (b[:, :2] + b[:, 2:]) / 2
    size_a = np.sqrt((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))
    size_b = np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
    gap = np.linalg.norm(centre_a[:, None] - centre_b[None], axis=2)
    return gap / np.maximum(np.sqrt(size_a[:, None] * size_b[None]), 1e-9)


def greedy_match(iou: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Row/column pairs, best IoU first, each row and column used once, IoU >= threshold
    (any similarity works the same way: the tracker passes one of distances).

    Faces in a frame rarely overlap, so the greedy assignment equals the optimal (Hungarian) one
    in practice, and it needs no scipy in the ROS environment.
    """
    pairs = []
    if iou.size == 0:
        return pairs
    rows, cols = np.nonzero(iou >= threshold)
    order = np.argsort(-iou[rows, cols], kind="stable")
    used_rows, used_cols = set(), set()
    for r, c in zip(rows[order].tolist(), cols[order].tolist()):
        if r not in used_rows and c not in used_cols:
            pairs.append((r, c))
            used_rows.add(r)
            used_cols.add(c)
    return pairs


def recall(
    detections: Sequence[FaceBox], truth: Sequence[FaceBox], threshold: float = 0.5
) -> tuple[int, int]:
    """(found, len(truth)): true faces matched one-to-one by a detection with IoU >= threshold."""
    return len(greedy_match(iou_matrix(truth, detections), threshold)), len(truth)


def suppress_overlaps(boxes: Sequence[FaceBox], threshold: float = 0.3) -> list[FaceBox]:
    """Non-maximum suppression: highest score first, dropping boxes overlapping a kept one."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if not kept or iou_matrix([box], kept).max() < threshold:
            kept.append(box)
    return kept


def tile_origins(length: int, tile: int, overlap: float) -> list[int]:
    """Start offsets of tiles of `tile` pixels covering `length`, overlapping by that fraction."""
    if length <= tile:
        return [0]
    step = max(1, int(tile * (1.0 - overlap)))
    starts = list(range(0, length - tile + 1, step))
    return starts if starts[-1] == length - tile else starts + [length - tile]
