"""The camera's own motion between consecutive frames, for the tracker: when a robot turns its
head, every face in view moves with the scene, and a tracker that knows the scene's motion only
has to follow each face's own motion (the camera-motion compensation of BoT-SORT, Aharon et
al. 2022). Corners of a small gray copy are followed by pyramidal Lucas-Kanade optical flow and
a similarity transform (shift, zoom, roll) is fitted to them with RANSAC, so moving people are
outliers. Too few corners or inliers (a cut, a blank wall) give no transform rather than a
wrong one."""

from __future__ import annotations

import cv2
import numpy as np

from .image import check_image
from .preprocess import to_gray

WIDTH = 160  # pixels of the small copy: enough detail for the flow, ~1.5 ms a frame
MAX_CORNERS = 100
MIN_INLIERS = 12
RANSAC_PX = 1.0  # of the small copy


class GlobalMotion:
    def __init__(self):
        self._previous: np.ndarray | None = None

    def reset(self) -> None:
        self._previous = None

    def transform(self, frame: np.ndarray) -> np.ndarray | None:
        """2x3 similarity mapping the previous frame's pixels to this frame's, or None."""
        gray = to_gray(check_image(frame))
        scale = gray.shape[1] / WIDTH
        small = cv2.resize(
            gray, (WIDTH, max(1, round(gray.shape[0] / scale))), interpolation=cv2.INTER_AREA
        )
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            return None
        corners = cv2.goodFeaturesToTrack(previous, MAX_CORNERS, 0.01, 8)
        if corners is None or len(corners) < MIN_INLIERS:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, small, corners, None)
        found = status.ravel() == 1
        if found.sum() < MIN_INLIERS:
            return None
        matrix, inliers = cv2.estimateAffinePartial2D(
            corners[found], moved[found], method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX
        )
        if matrix is None or inliers.sum() < MIN_INLIERS:
            return None
        matrix[:, 2] *= scale  # the shift in full-size pixels; the linear part is scale-free
        return matrix
