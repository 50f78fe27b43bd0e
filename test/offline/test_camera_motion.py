"""The virtual camera: what it renders is where its box mapping says (the basis of the sample's
ground truth), and the sweep starts and ends on the whole photo."""

import numpy as np
import pytest

from face_analysis.core.types import FaceBox
from face_analysis.offline.camera_motion import fit_scale, pan_zoom_path, render
from face_analysis.offline.ground_truth import visible_part

PHOTO_SIZE, FRAME_SIZE = (1000, 700), (320, 240)
BOX = FaceBox(420, 250, 580, 410)


def rendered_box(frame: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box (edge coordinates) of the pixels brighter than half the square's level."""
    ys, xs = np.nonzero(frame[:, :, 0] > 100)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


@pytest.mark.parametrize("index", [0, 7, 15, 22, 29])
def test_rendered_square_is_where_the_mapped_box_says(index):
    photo = np.zeros((PHOTO_SIZE[1], PHOTO_SIZE[0], 3), np.uint8)
    photo[int(BOX.y_min) : int(BOX.y_max), int(BOX.x_min) : int(BOX.x_max)] = 200
    view = list(pan_zoom_path(PHOTO_SIZE, FRAME_SIZE, 30, zoom=3.0))[index]
    x0, y0, x1, y1 = view.box_to_frame(BOX, FRAME_SIZE).as_tuple()
    expected = (max(x0, 0), max(y0, 0), min(x1, FRAME_SIZE[0]), min(y1, FRAME_SIZE[1]))
    # Linear interpolation (and the area pre-shrink) soften an edge by about one pixel.
    np.testing.assert_allclose(rendered_box(render(photo, view, FRAME_SIZE)), expected, atol=1.5)


def test_sweep_starts_and_ends_on_the_whole_photo_and_zooms_in_between():
    views = list(pan_zoom_path(PHOTO_SIZE, FRAME_SIZE, 31, zoom=2.5))
    full = fit_scale(PHOTO_SIZE, FRAME_SIZE)
    for view in (views[0], views[-1]):
        assert (view.cx, view.cy, view.scale) == pytest.approx((500.0, 350.0, full))
    assert views[15].scale == pytest.approx(full / 2.5)
    for view in views:  # zoomed in, the view never leaves the photo
        half_w, half_h = FRAME_SIZE[0] * view.scale / 2, FRAME_SIZE[1] * view.scale / 2
        if 2 * half_w < PHOTO_SIZE[0]:
            assert half_w - 1e-6 <= view.cx <= PHOTO_SIZE[0] - half_w + 1e-6
        if 2 * half_h < PHOTO_SIZE[1]:
            assert half_h - 1e-6 <= view.cy <= PHOTO_SIZE[1] - half_h + 1e-6
    assert views[5].cx < views[15].cx < views[25].cx  # pans left to right


def test_faces_mostly_out_of_view_leave_the_ground_truth():
    size = (100, 100)
    assert visible_part(FaceBox(10, 10, 30, 30), size) == FaceBox(10, 10, 30, 30)
    assert visible_part(FaceBox(-8, 10, 12, 30), size) == FaceBox(0, 10, 12, 30)  # 60 % in view
    assert visible_part(FaceBox(-12, 10, 8, 30), size) is None  # 40 % in view
    assert visible_part(FaceBox(120, 10, 140, 30), size) is None
