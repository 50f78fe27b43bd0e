"""Mosaic: patches around faces tiled into one image, and faces found on the tiles mapped back into
the image (YuNet's small faces and derotation)."""

import math

import numpy as np
import pytest

from face_analysis.core.mosaic import Mosaic
from face_analysis.core.types import FaceBox

LANDMARKS = ((0.3, 0.4), (0.7, 0.4), (0.5, 0.6), (0.35, 0.8), (0.65, 0.8))  # of the box


def with_landmarks(x0, y0, x1, y1, score=0.9) -> FaceBox:
    points = tuple((x0 + u * (x1 - x0), y0 + v * (y1 - y0)) for u, v in LANDMARKS)
    return FaceBox(x0, y0, x1, y1, score, points)


def test_faces_found_on_their_tiles_map_back_to_where_they_are():
    """Five faces of different sizes, two turned: the face found at each tile's centre (the
    patch's face, 64 px wide) maps back onto the face; a tile with nothing near its centre gives
    None; the tiles fill rows of ceil(sqrt(n)) and the image holds them exactly."""
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    faces = [
        with_landmarks(10, 20, 30, 45),
        with_landmarks(300, 200, 324, 230),
        with_landmarks(600, 440, 640, 480),  # at the corner: the tile repeats the border
        with_landmarks(100, 300, 148, 360),
        with_landmarks(400, 50, 416, 70),
    ]
    angles = [0.0, 0.0, 0.0, math.radians(20), 0.0]
    mosaic = Mosaic.around(image, faces, angles, 64, 1.5)
    assert mosaic.side == 96 and mosaic.columns == 3 and mosaic.image.shape == (192, 288, 3)
    found = []
    for index in (0, 1, 2, 4):  # none found on tile 3
        left, top = index % 3 * 96 + 48, index // 3 * 96 + 48
        height = 64 * faces[index].height / faces[index].width
        found.append(with_landmarks(left - 32, top - height / 2, left + 32, top + height / 2))
    found.append(with_landmarks(96 + 5, 96 + 5, 96 + 25, 96 + 25))  # tile 4's corner: too far
    back = mosaic.nearest(found, 32)
    assert back[3] is None
    for index in (0, 1, 2, 4):
        assert back[index].as_tuple() == pytest.approx(faces[index].as_tuple(), abs=1e-6)
        np.testing.assert_allclose(back[index].landmarks, faces[index].landmarks, atol=1e-6)
        assert back[index].score == 0.9
