"""A virtual camera moving over a still photo: the view of each frame, the rendered frame, and
where a box of the photo lands in it. Used to turn group photos into recordings whose face boxes
are known exactly, because they are the photo's boxes pushed through the same mapping.

Coordinates are continuous pixel-edge coordinates (a pixel i covers [i, i+1)), the convention of
FaceBox. A view (cx, cy, scale) shows the photo point (cx, cy) at the frame centre, and one frame
pixel spans `scale` photo pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ..core.types import FaceBox


@dataclass(frozen=True)
class View:
    cx: float
    cy: float
    scale: float  # photo pixels per frame pixel

    def to_frame(self, x: float, y: float, frame_size: tuple[int, int]) -> tuple[float, float]:
        width, height = frame_size
        return (x - self.cx) / self.scale + width / 2, (y - self.cy) / self.scale + height / 2

    def box_to_frame(self, box: FaceBox, frame_size: tuple[int, int]) -> FaceBox:
        x0, y0 = self.to_frame(box.x_min, box.y_min, frame_size)
        x1, y1 = self.to_frame(box.x_max, box.y_max, frame_size)
        return FaceBox(x0, y0, x1, y1, box.score)


def fit_scale(photo_size: tuple[int, int], frame_size: tuple[int, int]) -> float:
    """Scale at which the whole photo fits the frame (letterboxed)."""
    return max(photo_size[0] / frame_size[0], photo_size[1] / frame_size[1])


def pan_zoom_path(
    photo_size: tuple[int, int], frame_size: tuple[int, int], n_frames: int, zoom: float = 2.0
) -> Iterator[View]:
    """Start on the whole photo, zoom in to `zoom` x while panning left to right (with a gentle
    vertical sway), and zoom back out: a hand-held sweep over a group photo. Where the view is
    smaller than the photo it stays inside it, so no black border enters mid-sweep."""
    photo_w, photo_h = photo_size
    full = fit_scale(photo_size, frame_size)
    for k in range(n_frames):
        t = k / (n_frames - 1) if n_frames > 1 else 0.0
        scale = full / (1.0 + (zoom - 1.0) * math.sin(math.pi * t))
        half_w, half_h = frame_size[0] * scale / 2, frame_size[1] * scale / 2
        across = (1.0 - math.cos(math.pi * t)) / 2  # 0 -> 1, slow at both ends
        sway = 0.5 + 0.25 * math.sin(2 * math.pi * t)
        yield View(_within(half_w, photo_w, across), _within(half_h, photo_h, sway), scale)


def _within(half: float, extent: float, fraction: float) -> float:
    """Centre coordinate at `fraction` of the range that keeps [c - half, c + half] in
    [0, extent]; the middle when the view is wider than the photo."""
    if 2 * half >= extent:
        return extent / 2
    return half + fraction * (extent - 2 * half)


def render(
    photo: np.ndarray, view: View, frame_size: tuple[int, int], pyramid: dict | None = None
) -> np.ndarray:
    """The frame a camera with this view sees; black outside the photo.

    Zoomed out, one frame pixel covers several photo pixels; warpAffine alone would alias, so
    the photo is first shrunk with an area filter (cached per integer factor in `pyramid`)."""
    factor = max(1, int(view.scale))
    if factor > 1:
        cache = pyramid if pyramid is not None else {}
        if factor not in cache:
            cache[factor] = cv2.resize(
                photo, None, fx=1.0 / factor, fy=1.0 / factor, interpolation=cv2.INTER_AREA
            )
        source = cache[factor]
    else:
        source = photo
    # Actual shrink per axis (the resize rounds sizes), then the edge mapping u = (x - cx)/s + W/2
    # written for pixel centres (x_c = x - 0.5), which is what warpAffine maps.
    fx, fy = source.shape[1] / photo.shape[1], source.shape[0] / photo.shape[0]
    width, height = frame_size
    sx, sy = view.scale * fx, view.scale * fy  # source pixels per frame pixel
    matrix = np.array(
        [
            [1 / sx, 0.0, (0.5 - view.cx * fx) / sx + width / 2 - 0.5],
            [0.0, 1 / sy, (0.5 - view.cy * fy) / sy + height / 2 - 0.5],
        ]
    )
    return cv2.warpAffine(
        source,
        matrix,
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
