"""The aligned face chip the dlib ResNet embeds: 150x150 RGB, the face turned, scaled and moved
onto a fixed template by a similarity transform from YuNet's five landmarks.

dlib builds its chips (`get_face_chip_details`, padding 0.25) by fitting detected landmarks to the
mean face of its 68-point model; its 5-point variant maps eye corners and the base of the nose
onto the same mean face. YuNet gives other points (eye centres, nose tip, mouth corners), so
TEMPLATE holds where those points lie on that same mean face: the eye centres are the means of
its six eye points, the nose tip is its point 30 and the mouth corners its points 48 and 54.
docs/identity.md gives the LFW accuracy of this choice and of the alternatives tried.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..align import warp_face

CHIP_SIZE = 150  # what the network takes
CHIP_PADDING = 0.25  # dlib's default border around the template, as a share of its size
# YuNet's points (types.LANDMARKS order) on dlib's mean face, in the unit square.
TEMPLATE = np.array(
    [
        (0.225492, 0.215990),  # right eye centre (on the image's left)
        (0.754761, 0.215990),  # left eye centre
        (0.490127, 0.515625),  # nose tip
        (0.254149, 0.780233),  # right mouth corner
        (0.726104, 0.780233),  # left mouth corner
    ]
)


def chip_points(template: np.ndarray = TEMPLATE) -> np.ndarray:
    """The template's points in chip pixels (dlib's padding and size)."""
    return (CHIP_PADDING + template) / (1 + 2 * CHIP_PADDING) * CHIP_SIZE


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (rotation, uniform scale, shift) taking `source` points closest to
    `target` points in the least-squares sense (as dlib's find_similarity_transform)."""
    w = source[:, 0] + 1j * source[:, 1]
    z = target[:, 0] + 1j * target[:, 1]
    w0, z0 = w - w.mean(), z - z.mean()
    a = np.vdot(w0, z0) / np.vdot(w0, w0)  # vdot conjugates its first argument
    b = z.mean() - a * w.mean()
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def face_chip(
    image_bgr: np.ndarray, landmarks: Sequence[Sequence[float]], template: np.ndarray = TEMPLATE
) -> np.ndarray:
    """The uint8 (150, 150, 3) RGB chip of the face with these five landmarks (image pixels)."""
    matrix = similarity(chip_points(template), np.asarray(landmarks, dtype=float))
    shrink = float(np.hypot(matrix[0, 0], matrix[1, 0]))  # image pixels per chip pixel
    chip = warp_face(image_bgr, matrix, shrink, CHIP_SIZE)
    return cv2.cvtColor(chip, cv2.COLOR_BGR2RGB)
