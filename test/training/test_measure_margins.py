"""training.measure_margins --detector yunet: crops of a real photo's faces cut at a known margin
around YuNet's own boxes measure as that margin, and the box centre as the crop's centre."""

import cv2
import numpy as np
from paths import TEST_PHOTO

from face_analysis.core.detect import make_detector
from training.measure_margins import measure_yunet

MARGIN = 0.25  # per side, of the box width


def test_yunet_margins_of_crops_cut_at_a_known_margin():
    gray = cv2.cvtColor(cv2.imread(str(TEST_PHOTO)), cv2.COLOR_BGR2GRAY)
    crops = []
    for box in make_detector("yunet", downscale=1.0).detect(gray):
        cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
        half = box.width * (0.5 + MARGIN)
        y0, y1, x0, x1 = (round(v) for v in (cy - half, cy + half, cx - half, cx + half))
        if y0 >= 0 and x0 >= 0 and y1 <= gray.shape[0] and x1 <= gray.shape[1]:
            crops.append(cv2.resize(gray[y0:y1, x0:x1], (64, 64), interpolation=cv2.INTER_AREA))
    assert len(crops) >= 4
    for context in ("gray", "replicate"):
        rows = measure_yunet(np.stack(crops), 128, context)
        assert len(rows) >= len(crops) - 1, context
        margin_x, _, dx, dy = np.median(rows, axis=0)
        assert abs(margin_x - MARGIN) < 0.05, (context, margin_x)
        assert abs(dx) < 0.05 and abs(dy) < 0.05, (context, dx, dy)
