"""Captions in a crowd: on a Solvay frame of the bundled recording (its faces through the whole
default pipeline), no two caption rectangles overlap and none covers another face's box; the
layout before this one (every caption above its face at one size) fails the same count."""

import cv2
import pytest
from paths import REPO

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
from face_analysis.core.draw import FONT, caption_layout, draw_results, face_caption
from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.ground_truth import read_ground_truth

RECORDING = REPO / "samples" / "faces_demo"


def overlapping_pairs(rects):
    return [
        (a, b)
        for i, a in enumerate(rects)
        for b in rects[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def covered_faces(captions, boxes):
    """(caption, box) pairs where a caption covers a face other than its own."""
    return [
        (i, j)
        for i, rect in captions.items()
        for j, box in enumerate(boxes)
        if i != j and overlapping_pairs([rect, box])
    ]


@pytest.fixture(scope="module")
def crowded_frame():
    """The recording's frame with the most ground-truth faces (a Solvay frame) and the default
    pipeline's results on it, every face labelled (min_attribute_face_size 0: the longest
    captions), without the small-face search (refine_below 0): its 24 faces, the scene the layout
    was measured on; with the search the frame has 29 faces and 13 captions fit."""
    truth = read_ground_truth(REPO / "samples" / "faces_demo_ground_truth.jsonl")
    stamp = max(truth, key=lambda s: len(truth[s].faces))
    with ImageBag(RECORDING) as bag:
        image = next(f.image() for f in bag.frames() if f.stamp_ns == stamp)
    config = AnalyzerConfig(min_attribute_face_size=0, detector_settings={"refine_below": 0})
    return image, FaceAnalyzer(config).analyze(image)


def old_layout(results, image_shape):
    """The pre-change rectangles: the full caption at one size above each face (below at the
    image top), moved inside the image."""
    height, width = image_shape[:2]
    scale = max(min(height, width) / 480.0, 0.5) ** 0.7
    font_scale, thickness, pad = 0.5 * scale, max(1, round(scale)), max(2, round(3 * scale))
    rects = []
    for result in results:
        lines = face_caption(result)
        sizes = [cv2.getTextSize(line, FONT, font_scale, thickness) for line in lines]
        line_height = max(h + base for (_, h), base in sizes) + 2 * pad
        w, h = max(w for (w, _), _ in sizes) + 2 * pad, line_height * len(lines)
        x0, y0, _, y1 = (int(round(v)) for v in result.box.as_tuple())
        top = y0 - h if y0 - h >= 0 else y1
        left = min(max(x0, 0), width - w)
        rects.append((left, top, left + w, top + h))
    return rects


def test_no_caption_overlaps_another_or_covers_a_face(crowded_frame):
    image, results = crowded_frame
    assert len(results) >= 20  # a crowd
    layout = caption_layout(results, (image.shape[1], image.shape[0]))
    captions = {i: c.rect for i, c in enumerate(layout) if c is not None}
    boxes = [tuple(int(round(v)) for v in r.box.as_tuple()) for r in results]
    assert overlapping_pairs(list(captions.values())) == []
    assert covered_faces(captions, boxes) == []
    assert len(captions) >= len(results) // 2  # most faces keep a caption
    assert draw_results(image, results).shape == image.shape


def test_the_old_layout_fails_the_same_checks(crowded_frame):
    image, results = crowded_frame
    old = old_layout(results, image.shape)
    boxes = [tuple(int(round(v)) for v in r.box.as_tuple()) for r in results]
    assert overlapping_pairs(old) and covered_faces(dict(enumerate(old)), boxes)
