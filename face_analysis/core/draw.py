"""The overlay: a box per face coloured by gender (paper Fig. 6: blue men, red women), with
track id, labels and confidences, and the detector's landmarks where it gives them. Captions
grow with the face and the image, never overlap each other nor cover a face (caption_layout),
and shrink to a compact line in a crowd."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
HEAD_DIRECTION_COLOUR = (255, 0, 255)  # magenta: apart from the landmarks and box colours
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Caption text: FONT scale per pixel of face width (0.5, the largest at 640x480, from an 80 px
# face on), and the smallest, still readable at 640x480 (~8 px capitals).
FONT_PER_FACE_PIXEL = 1 / 160
MIN_FONT = 0.33


def face_colour(result: FaceResult) -> tuple[int, int, int]:
    if result.gender is None:
        return NO_GENDER_COLOUR
    return GENDER_COLOURS.get(result.gender.label.lower(), NO_GENDER_COLOUR)


def face_caption(result: FaceResult) -> list[str]:
    """Caption lines, e.g. ['#3 Ada female 0.93 34y', 'happy 0.71'] (Ada: the name of an enrolled
    person, when identity recognises them; 34y: the age head's estimate)."""

    def text(scores: ClassScores | None) -> str:
        return f"{scores.label} {scores.confidence:.2f}" if scores is not None else ""

    track = f"#{result.track_id}" if result.track_id >= 0 else ""
    if result.attributes_unknown:
        return [" ".join(part for part in (track, result.name, "too small") if part)]
    age = f"{result.age.value:.0f}y" if result.age is not None else ""
    first = " ".join(part for part in (track, result.name, text(result.gender), age) if part)
    return [line for line in (first, text(result.emotion)) if line]


def compact_caption(result: FaceResult) -> list[str]:
    """One short line for a crowd, e.g. ['M 35 neutral'] or ['Ada F 35 happy']; ['?'] for a
    face too small for the heads (['Ada ?'] when recognised)."""
    if result.attributes_unknown:
        return [" ".join(part for part in (result.name, "?") if part)]
    parts = (
        result.name,
        result.gender.label[:1].upper() if result.gender is not None else "",
        f"{result.age.value:.0f}" if result.age is not None else "",
        result.emotion.label if result.emotion is not None else "",
    )
    line = " ".join(part for part in parts if part)
    return [line] if line else []


Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def image_scale(width: int, height: int) -> float:
    """1.0 at 640x480, 1.8 at 1920x1080: text and lines grow with the shorter image side, a bit
    slower than it, so captions of neighbouring faces in big group photos overlap less."""
    return max(min(height, width) / 480.0, 0.5) ** 0.7


@dataclass(frozen=True)
class Caption:
    """Where and how one face's caption is drawn: `rect` holds all its lines."""

    lines: list[str]
    rect: Rect
    font_scale: float
    thickness: int
    pad: int
    line_height: int


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _block(lines: list[str], font_scale: float, thickness: int, pad: int) -> tuple[int, int, int]:
    """(width, height, line height) of a caption block."""
    sizes = [cv2.getTextSize(line, FONT, font_scale, thickness) for line in lines]
    line_height = max(h + base for (_, h), base in sizes) + 2 * pad
    return max(w for (w, _), _ in sizes) + 2 * pad, line_height * len(lines), line_height


def _places(box: Rect, size: tuple[int, int], image: tuple[int, int]) -> list[Rect]:
    """Candidate rects of a width x height block beside the box: above, below, right, left,
    moved along that side to stay within the image; none that leave it."""
    x0, y0, x1, y1 = box
    (w, h), (width, height) = size, image
    left = min(max(x0, 0), width - w)
    top = min(max(y0, 0), height - h)
    spots = [(left, y0 - h), (left, y1), (x1, top), (x0 - w, top)]
    return [
        (x, y, x + w, y + h)
        for x, y in spots
        if 0 <= x and x + w <= width and 0 <= y and y + h <= height
    ]


def caption_layout(results: Sequence[FaceResult], image: tuple[int, int]) -> list[Caption | None]:
    """Per face, its caption, placed so that no two captions overlap and none covers a face's
    box: the full caption, then the compact one, each at the face's text size and then at the
    smallest, on each side of the box in turn (larger faces choose first). None: no room
    anywhere; that face keeps its box only. Text grows with the face, between the smallest
    readable size and one that grows with the image (`image`: width, height)."""
    width, height = image
    scale = image_scale(width, height)
    smallest, largest = MIN_FONT * scale, 0.5 * scale
    thickness, pad = max(1, round(scale)), max(2, round(3 * scale))
    boxes = [tuple(int(round(v)) for v in r.box.as_tuple()) for r in results]
    placed: list[Rect] = []
    layout: list[Caption | None] = [None] * len(results)
    for i in sorted(range(len(results)), key=lambda k: -results[k].box.width):
        own = min(max(results[i].box.width * FONT_PER_FACE_PIXEL, smallest), largest)
        for lines in (face_caption(results[i]), compact_caption(results[i])):
            if layout[i] is not None or not lines:
                continue
            for font_scale in dict.fromkeys((own, smallest)):
                w, h, line_height = _block(lines, font_scale, thickness, pad)
                free = [
                    rect
                    for rect in _places(boxes[i], (w, h), image)
                    if not any(_overlaps(rect, other) for other in placed + boxes)
                ]
                if free:
                    layout[i] = Caption(lines, free[0], font_scale, thickness, pad, line_height)
                    placed.append(free[0])
                    break
    return layout


def draw_results(image: np.ndarray, results: Sequence[FaceResult]) -> np.ndarray:
    """A BGR copy of `image` (gray, BGR or BGRA) with every face drawn on it."""
    canvas = to_bgr(image).copy()
    height, width = canvas.shape[:2]
    line_width = max(2, round(2 * image_scale(width, height)))
    for result, caption in zip(results, caption_layout(results, (width, height))):
        colour = face_colour(result)
        x0, y0, x1, y1 = (int(round(v)) for v in result.box.as_tuple())
        cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), colour, line_width)
        for x, y in result.box.landmarks or ():
            cv2.circle(
                canvas, (int(round(x)), int(round(y))), line_width, LANDMARK_COLOUR, -1, cv2.LINE_AA
            )
        draw_head_direction(canvas, result, line_width)
        if caption is not None:
            _draw_caption(canvas, caption, colour)
    return canvas


def _draw_caption(canvas: np.ndarray, caption: Caption, colour: tuple[int, int, int]) -> None:
    x0, y0, x1, y1 = caption.rect
    cv2.rectangle(canvas, (x0, y0), (x1 - 1, y1 - 1), colour, -1)
    for row, line in enumerate(caption.lines):
        (_, text_height), _ = cv2.getTextSize(line, FONT, caption.font_scale, caption.thickness)
        cv2.putText(
            canvas,
            line,
            (x0 + caption.pad, y0 + row * caption.line_height + caption.pad + text_height),
            FONT,
            caption.font_scale,
            TEXT_COLOUR,
            caption.thickness,
            cv2.LINE_AA,
        )


def draw_head_direction(canvas: np.ndarray, result: FaceResult, line_width: int) -> None:
    """An arrow from the nose tip where the head points (head_pose.py), its image-plane part:
    as long as the face is wide for a head turned 90 degrees, a dot for one facing the camera."""
    if result.pose is None or result.box.landmarks is None:
        return
    forward = result.pose.forward
    x, y = result.box.landmarks[2]  # the nose tip (types.LANDMARKS)
    tip = (x + forward[0] * result.box.width, y + forward[1] * result.box.width)
    cv2.arrowedLine(
        canvas,
        (int(round(x)), int(round(y))),
        (int(round(tip[0])), int(round(tip[1]))),
        HEAD_DIRECTION_COLOUR,
        line_width,
        cv2.LINE_AA,
        tipLength=0.25,
    )
