"""Overlay: colour by gender, captions, scaling with the image, input left untouched."""

import numpy as np
import pytest
from face_data import EMOTIONS, GENDERS

from face_analysis.core.draw import (
    GENDER_COLOURS,
    HEAD_DIRECTION_COLOUR,
    LANDMARK_COLOUR,
    NO_GENDER_COLOUR,
    caption_layout,
    compact_caption,
    draw_results,
    face_caption,
)
from face_analysis.core.head_pose import HeadPose
from face_analysis.core.preprocess import PreprocessError
from face_analysis.core.types import ClassScores, Estimate, FaceBox, FaceResult


def result(gender_index=None, track_id=3, box=(100, 100, 200, 200)):
    gender = (
        None
        if gender_index is None
        else ClassScores(GENDERS, np.eye(2, dtype=np.float32)[gender_index] * 0.8 + 0.1)
    )
    emotion = ClassScores(EMOTIONS, np.eye(7, dtype=np.float32)[3] * 0.65 + 0.05)
    return FaceResult(FaceBox(*box), track_id, emotion, gender)


def test_caption():
    assert face_caption(result(1)) == ["#3 female 0.90", "happy 0.70"]
    aged = result(0)
    aged.age = Estimate(34.4, 6.0)
    assert face_caption(aged) == ["#3 male 0.90 34y", "happy 0.70"]
    assert face_caption(result(None, track_id=-1)) == ["happy 0.70"]


@pytest.mark.parametrize(
    "gender_index, colour",
    [(0, GENDER_COLOURS["male"]), (1, GENDER_COLOURS["female"]), (None, NO_GENDER_COLOUR)],
)
def test_box_colour_follows_gender(gender_index, colour):
    image = np.zeros((480, 640, 3), np.uint8)
    out = draw_results(image, [result(gender_index)])
    assert tuple(out[150, 100]) == colour  # left edge of the box, below the caption
    assert GENDER_COLOURS["male"] == (255, 0, 0) and GENDER_COLOURS["female"] == (0, 0, 255)
    assert not image.any()  # input not drawn on


def caption_height(out, column):
    """Rows of the caption block: filled with colour above the box."""
    return int((out[:, column] == GENDER_COLOURS["male"]).all(axis=1).sum())


def test_text_grows_with_the_image():
    small = draw_results(np.zeros((480, 640, 3), np.uint8), [result(0, box=(100, 300, 200, 400))])
    large = draw_results(np.zeros((1080, 1920, 3), np.uint8), [result(0, box=(300, 675, 600, 900))])
    assert caption_height(large, 302) > 1.5 * caption_height(small, 101) > 0


def test_gray_input_and_caption_below_a_face_at_the_top_edge():
    out = draw_results(np.zeros((480, 640), np.uint8), [result(1, box=(0, 0, 100, 100))])
    assert out.shape == (480, 640, 3)
    assert tuple(out[50, 50]) == (0, 0, 0)  # the face itself stays visible
    assert tuple(out[105, 5]) == GENDER_COLOURS["female"]  # caption drawn below the box


def test_caption_stays_inside_the_image():
    # A face touching the top-right corner: its caption moves below it and left of the edge.
    out = draw_results(np.zeros((480, 640, 3), np.uint8), [result(0, box=(600, 0, 640, 40))])
    caption_rows = (out[40:, 600:] == GENDER_COLOURS["male"]).all(axis=2).any(axis=1)
    assert caption_rows.any()
    assert (out[40:80, 560:600] == GENDER_COLOURS["male"]).all(axis=2).any()  # shifted left


def test_landmarks_are_drawn():
    landmarks = ((130, 130), (170, 130), (150, 150), (135, 175), (165, 175))
    face = result(0)
    face.box = FaceBox(100, 100, 200, 200, 1.0, landmarks)
    out = draw_results(np.zeros((480, 640, 3), np.uint8), [face])
    for x, y in landmarks:
        assert tuple(out[y, x]) == LANDMARK_COLOUR
    assert tuple(draw_results(np.zeros((480, 640, 3), np.uint8), [result(0)])[130, 130]) == (
        0,
        0,
        0,
    )


def test_no_faces_and_bad_image():
    image = np.full((50, 60, 4), 7, np.uint8)
    assert (draw_results(image, []) == 7).all()
    with pytest.raises(PreprocessError, match="uint8"):
        draw_results(np.zeros((10, 10, 3), np.int16), [])


def test_head_direction_is_drawn_from_the_nose_where_the_head_points():
    landmarks = ((130, 130), (170, 130), (150, 150), (135, 175), (165, 175))
    face = result(0)
    face.box = FaceBox(100, 100, 200, 200, 1.0, landmarks)
    face.pose = HeadPose.from_angles(40, 0, 0, (0, 0, 1.0))  # turned to the image's right
    out = draw_results(np.zeros((480, 640, 3), np.uint8), [face])
    arrow = np.argwhere((out == HEAD_DIRECTION_COLOUR).all(axis=2))
    assert arrow.size
    assert arrow[:, 1].max() > 150 + 50 and abs(np.median(arrow[:, 0]) - 150) < 5
    face.pose = None
    out = draw_results(np.zeros((480, 640, 3), np.uint8), [face])
    assert not (out == HEAD_DIRECTION_COLOUR).all(axis=2).any()


def test_compact_caption_and_a_face_too_small():
    aged = result(0)
    aged.age = Estimate(34.6, 6.0)
    assert compact_caption(aged) == ["M 35 happy"]
    small = FaceResult(FaceBox(10, 10, 20, 20), 4, attributes_unknown=True)
    assert face_caption(small) == ["#4 too small"] and compact_caption(small) == ["?"]


def test_captions_fall_back_to_the_compact_form_then_to_none():
    # Rows of 30 px faces 20 px apart: room for one line of text between rows, not for two.
    crowd = [
        result(0, track_id=k, box=(40 * col, 100 + 50 * row, 40 * col + 30, 130 + 50 * row))
        for k, (row, col) in enumerate((r, c) for r in range(4) for c in range(1, 15))
    ]
    layout = caption_layout(crowd, (640, 480))
    inner = [c for c in layout[14:42] if c is not None]  # rows 1 and 2: faces above and below
    assert inner and all(len(c.lines) == 1 for c in inner)
    assert None in layout  # not every face finds room
    placed = [c.rect for c in layout if c is not None]
    assert not any(
        a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for i, a in enumerate(placed)
        for b in placed[i + 1 :]
    )
