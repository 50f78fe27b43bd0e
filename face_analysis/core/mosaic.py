"""Patches of an image around faces, tiled side by side into one mosaic image, so that a detector
finds them all in one network call, and the faces it finds there mapped back into the image
(YuNet's small faces and derotation, yunet.py). One image rather than a batch of patches: the
network's cost follows the pixel count, and a mosaic pads only its own edge to the network's
stride, not each tile (benchmarks/README.md, small faces)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .types import FaceBox


@dataclass
class Mosaic:
    image: np.ndarray  # uint8 BGR, the tiles in rows of `columns`
    side: int  # of a square tile, pixels
    columns: int
    maps: list[np.ndarray]  # per tile: the 2x3 affine map from the tile back into the image

    @classmethod
    def around(
        cls,
        bgr: np.ndarray,
        faces: Sequence[FaceBox],
        angles: Sequence[float],
        face_pixels: int,
        context: float,
    ) -> Mosaic:
        """A tile per face: the patch of `bgr` around it scaled so the face is `face_pixels`
        wide in a tile `context` face widths wide, turned counter-clockwise by its angle
        (radians) about its centre."""
        side = round(face_pixels * context)
        columns = math.ceil(math.sqrt(len(faces)))
        image = np.zeros((-(-len(faces) // columns) * side, columns * side, 3), np.uint8)
        maps = []
        for index, (face, angle) in enumerate(zip(faces, angles)):
            top, left = index // columns * side, index % columns * side
            centre = ((face.x_min + face.x_max) / 2, (face.y_min + face.y_max) / 2)
            to_tile = cv2.getRotationMatrix2D(centre, math.degrees(angle), face_pixels / face.width)
            to_tile[:, 2] += np.array([side / 2, side / 2]) - np.array(centre)
            image[top : top + side, left : left + side] = cv2.warpAffine(
                bgr, to_tile, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            maps.append(cv2.invertAffineTransform(to_tile))
        return cls(image, side, columns, maps)

    def nearest(self, found: Sequence[FaceBox], radius: float) -> list[FaceBox | None]:
        """Per tile, the face of `found` (in mosaic pixels) whose centre is nearest the tile's
        centre, within `radius` pixels, mapped back into the image (the box exact only for an
        unturned tile), or None where there is none."""
        nearest: list[tuple[float, FaceBox] | None] = [None] * len(self.maps)
        for face in found:
            x, y = (face.x_min + face.x_max) / 2, (face.y_min + face.y_max) / 2
            row, column = int(y // self.side), int(x // self.side)
            index = row * self.columns + column
            off = math.hypot(x - (column + 0.5) * self.side, y - (row + 0.5) * self.side)
            if index < len(self.maps) and off < radius:
                if nearest[index] is None or off < nearest[index][0]:
                    nearest[index] = (off, face)
        return [
            None if hit is None else self._back(index, hit[1]) for index, hit in enumerate(nearest)
        ]

    def _back(self, index: int, face: FaceBox) -> FaceBox:
        """A face found on tile `index`, mapped back into the image."""
        origin = np.array([index % self.columns, index // self.columns]) * self.side
        corners = [(face.x_min, face.y_min), (face.x_max, face.y_max), *face.landmarks]
        points = np.hstack([np.array(corners) - origin, np.ones((len(corners), 1))])
        points = points @ self.maps[index].T
        (x0, y0), (x1, y1) = points[:2].tolist()
        return FaceBox(x0, y0, x1, y1, face.score, tuple(map(tuple, points[2:].tolist())))
