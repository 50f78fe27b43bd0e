"""The overlay: a box per face coloured by gender (paper Fig. 6: blue men, red women), with
track id, labels and confidences, and the detector's landmarks where it gives them. Sizes scale
with the image so text stays readable from 640x480 to 1920x1080 and beyond."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .image import to_bgr
from .types import ClassScores, FaceResult

# BGR. Keyed by label name, so models with other gender label spellings still get colours.
GENDER_COLOURS = {
    "male": (255, 0, 0),
    "man": (255, 0, 0),
    "female": (0, 0, 255),
    "woman": (0, 0, 255),
}
NO_GENDER_COLOUR = (0, 200, 0)
TEXT_COLOUR = (255, 255, 255)
LANDMARK_COLOUR = (0, 255, 255)  # yellow: visible on both gender colours
FONT = cv2.FONT_HERSHEY_SIMPLEX


def face_colour(result: FaceResult) -> tuple[int, int, int]:
    if result.gender is None:
        return NO_GENDER_COLOUR
    return GENDER_COLOURS.get(result.gender.label.lower(), NO_GENDER_COLOUR)


def face_caption(result: FaceResult) -> list[str]:
    """Caption lines, e.g. ['#3 female 0.93 34y', 'happy 0.71'] (34y: the age head's estimate)."""

    def text(scores: ClassScores | None) -> str:
        return f"{scores.label} {scores.confidence:.2f}" if scores is not None else ""

    track = f"#{result.track_id}" if result.track_id >= 0 else ""
    age = f"{result.age.value:.0f}y" if result.age is not None else ""
    first = " ".join(part for part in (track, text(result.gender), age) if part)
    return [line for line in (first, text(result.emotion)) if line]


def draw_results(image: np.ndarray, results: Sequence[FaceResult]) -> np.ndarray:
    """A BGR copy of `image` (gray, BGR or BGRA) with every face drawn on it."""
    canvas = to_bgr(image).copy()
    height, width = canvas.shape[:2]
    # 1.0 at 640x480, 1.8 at 1920x1080: text and lines grow with the shorter image side, a bit
    # slower than it, so captions of neighbouring faces in big group photos overlap less.
    scale = max(min(height, width) / 480.0, 0.5) ** 0.7
    font_scale, thickness = 0.5 * scale, max(1, round(scale))
    line_width = max(2, round(2 * scale))
    pad = max(2, round(3 * scale))
    for result in results:
        colour = face_colour(result)
        x0, y0, x1, y1 = (int(round(v)) for v in result.box.as_tuple())
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), colour, line_width)
        for x, y in result.box.landmarks or ():
            cv2.circle(
                canvas, (int(round(x)), int(round(y))), line_width, LANDMARK_COLOUR, -1, cv2.LINE_AA
            )
        lines = face_caption(result)
        sizes = [cv2.getTextSize(line, FONT, font_scale, thickness) for line in lines]
        line_height = max((h + base for (_, h), base in sizes), default=0) + 2 * pad
        block_width = max((w for (w, _), _ in sizes), default=0) + 2 * pad
        left, top = caption_origin(
            (x0, y0, x1, y1), (block_width, line_height * len(lines)), (width, height)
        )
        for i, (line, ((w, h), _base)) in enumerate(zip(lines, sizes)):
            row = top + i * line_height
            cv2.rectangle(canvas, (left, row), (left + w + 2 * pad, row + line_height), colour, -1)
            cv2.putText(
                canvas,
                line,
                (left + pad, row + pad + h),
                FONT,
                font_scale,
                TEXT_COLOUR,
                thickness,
                cv2.LINE_AA,
            )
    return canvas


def caption_origin(
    box: tuple[int, int, int, int], block: tuple[int, int], image: tuple[int, int]
) -> tuple[int, int]:
    """Top-left corner of a caption block: above the box, else below it (a face at the image
    top), else inside its top edge (a face filling the image); always within the image, so no
    caption is cut off at an edge."""
    x0, y0, _, y1 = box
    (block_width, block_height), (width, height) = block, image
    if y0 - block_height >= 0:
        top = y0 - block_height
    elif y1 + block_height <= height:
        top = y1
    else:
        top = min(max(y0, 0), max(height - block_height, 0))
    return min(max(x0, 0), max(width - block_width, 0)), top
