"""Faces made unrecognisable: the blur of privacy mode's overlay (ROS nodes) and of anonymised
recordings (face-analysis anonymize, record --anonymize), written once here.

A face's box, grown by BLUR_MARGIN per side to take in hair, chin and ears, is shrunk to
MOSAIC_BLOCKS x MOSAIC_BLOCKS pixels and scaled back up smoothly (bilinear). Fewer blocks and a
wider margin hide more: on the sample recording (samples/faces_demo, 845 faces) YuNet still
found 13 faces (1.5 %) after 4x4 blocks, head-shaped blobs, and 1 (0.1 %) after 2x2, counted on
the blurred frames (0 after the copy's jpeg re-encoding, which the test counts); on the
privacy overlay of the demo photos (105 faces at three sizes) a margin of 0.25 left 2 faces to
find (the drawn box around a blurred face reads as one), 0.35 none (2026-12-02: the counts of
test/offline/test_anonymize.py and test/core/test_face_blur.py, run with other constants).

FrameAnonymizer adds the tracker, for video: a face the detector misses for a few frames keeps
being blurred at its track's predicted box, so it does not flash through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np

from .image import BoxLike, as_face_box, check_image
from .types import FaceBox, FaceResult

BLUR_MARGIN = 0.35  # of the box's size, per side
MOSAIC_BLOCKS = 2  # a blurred face is this many blocks across, at most


def blur_faces(image: np.ndarray, boxes: Sequence[BoxLike]) -> np.ndarray:
    """A copy of `image` (gray, BGR or BGRA) with every box's region pixelated and smoothed."""
    out = check_image(image).copy()
    height, width = out.shape[:2]
    for box in boxes:
        box = as_face_box(box)
        grow_x, grow_y = BLUR_MARGIN * box.width, BLUR_MARGIN * box.height
        x0, y0 = max(int(box.x_min - grow_x), 0), max(int(box.y_min - grow_y), 0)
        x1 = min(int(np.ceil(box.x_max + grow_x)), width)
        y1 = min(int(np.ceil(box.y_max + grow_y)), height)
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue  # nothing of the face inside the image
        region = out[y0:y1, x0:x1]
        blocks = (min(MOSAIC_BLOCKS, x1 - x0), min(MOSAIC_BLOCKS, y1 - y0))
        mosaic = cv2.resize(region, blocks, interpolation=cv2.INTER_AREA)
        out[y0:y1, x0:x1] = cv2.resize(mosaic, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    return out


def private_view(image: np.ndarray, results: Sequence[FaceResult]):
    """What privacy mode draws an overlay from: the image with every face blurred, and the
    results without their landmarks (five dots where the eyes, nose and mouth are draw a face
    of their own, which a detector finds again)."""
    blurred = blur_faces(image, [result.box for result in results])
    bare = [
        dataclasses.replace(result, box=dataclasses.replace(result.box, landmarks=None))
        for result in results
    ]
    return blurred, bare


class FrameAnonymizer:
    """Blurs every face of each frame of one video stream, in order: every box the analyzer's
    detector reports (also low-score ones, which the tracker would not report as faces), and
    each track's predicted box on the frames its face is missed (up to the tracker's
    max_missed). `analyzer`: a FaceAnalyzer, normally without heads (nothing is classified)."""

    def __init__(self, analyzer):
        self.analyzer = analyzer

    def boxes(self, frame: np.ndarray) -> list[FaceBox]:
        """The regions to blur in this frame (advances the tracker by one frame)."""
        detected = self.analyzer.detect(frame)
        self.analyzer.classify(frame, detected)
        missed = [track.filter.box for track in self.analyzer.tracker.tracks if track.missed]
        return list(detected) + missed

    def __call__(self, frame: np.ndarray) -> tuple[np.ndarray, list[FaceBox]]:
        """The frame with its faces blurred, and the regions blurred."""
        boxes = self.boxes(frame)
        return blur_faces(frame, boxes), boxes
