"""The embedding of a photo's face through the whole pipeline, as `face-analysis verify` scores
it: the detector on the full image, the face nearest the centre (LFW's photos are centred on
their face), its aligned chip, the embedding. With a face size, the photo is first shrunk so that
face is that many pixels wide, and the detector runs again on the small photo: what a robot's
camera gives of a person further away."""

from __future__ import annotations

import time

import cv2
import numpy as np

from ..core.detect import Detector
from ..core.identity.embedder import FaceEmbedder
from ..core.types import FaceBox


def nearest_centre(faces: list[FaceBox], shape) -> FaceBox | None:
    height, width = shape[:2]

    def off_centre(face: FaceBox) -> float:
        return ((face.x_min + face.x_max) / 2 - width / 2) ** 2 + (
            (face.y_min + face.y_max) / 2 - height / 2
        ) ** 2

    return min(faces, key=off_centre, default=None)


class PhotoEmbedder:
    """embed(image) -> the embedding of its central face, or None when no face is found."""

    def __init__(self, detector: Detector, embedder: FaceEmbedder, face_size: float | None = None):
        self.detector, self.embedder, self.face_size = detector, embedder, face_size
        self.embed_s, self.faces = 0.0, 0  # the network's time, for ms per face

    def _face(self, image: np.ndarray) -> tuple[np.ndarray, FaceBox | None]:
        face = nearest_centre(self.detector.detect(image), image.shape)
        if face is None or not self.face_size:
            return image, face
        scale = self.face_size / face.width
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return small, nearest_centre(self.detector.detect(small), small.shape)

    def embed(self, image: np.ndarray) -> np.ndarray | None:
        image, face = self._face(image)
        if face is None or face.landmarks is None:
            return None
        start = time.perf_counter()
        vector = self.embedder.embed(image, face)
        self.embed_s += time.perf_counter() - start
        self.faces += 1
        return vector
