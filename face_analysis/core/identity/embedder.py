"""128-D face embeddings by dlib's ResNet (`dlib_face_recognition_resnet_model_v1.dat`, Davis
King, CC0), run by dlib (Boost Software License) on the aligned chip of chip.py.

Neither is a core dependency: they are the `identity` extra (setup.cfg; dlib-bin and
face-recognition-models in the lock files), imported only when identity is on. The model file
comes with the PyPI package face-recognition-models, which also carries dlib's 68-point landmark
model (trained on iBUG 300-W, non-commercial terms): it is never loaded here. The file is checked
by its sha256 at load. Why dlib runs the network and not onnxruntime: docs/identity.md.

Two faces are the same person when the Euclidean distance of their embeddings is below a
threshold (DEFAULT_THRESHOLD; the identity_threshold setting).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..image import to_bgr
from ..model_files import file_sha256
from ..types import FaceBox
from .chip import face_chip

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MODEL_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
MODEL_PACKAGE = "face_recognition_models"
INSTALL = "pip install 'face_analysis[identity]' (or: pip install dlib-bin face-recognition-models)"
DIMENSIONS = 128
# What an embedding is: the model file, the chip, the flip average, unit length. A gallery records
# it and refuses embeddings of any other kind (they cannot be compared).
EMBEDDING = f"dlib_resnet_v1 {MODEL_SHA256[:12]}, mean-face 5-point chip 150 px, flip mean, unit"
# Distances below this are one person: the threshold best on LFW's pairsDevTrain through the
# whole pipeline (`face-analysis verify --fit-on`: 0.4121; docs/identity.md). dlib's own 0.6 is
# for the network's vectors as they are; ours are the flip mean scaled to unit length.
DEFAULT_THRESHOLD = 0.412
# The slope of the logistic that turns a distance into a confidence, 0.5 at the threshold
# (fitted on pairsDevTrain by `face-analysis verify`: docs/identity.md).
CONFIDENCE_SLOPE = 73.5


def default_model_path() -> Path:
    """Where the face-recognition-models package keeps the file (found without importing the
    package, whose import pulls in pkg_resources)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"{MODEL_FILE}: the package face-recognition-models is not installed; {INSTALL}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models" / MODEL_FILE


def confidence(distance: float, threshold: float = DEFAULT_THRESHOLD) -> float:
    """How sure a match at this distance is, in [0, 1]: 0.5 at the threshold, towards 1 nearer."""
    return 1.0 / (1.0 + math.exp(min(50.0, CONFIDENCE_SLOPE * (distance - threshold))))


def check_model(path: Path) -> None:
    """ModelError naming the file and how to install it, unless it is dlib's file, unaltered."""
    if not path.is_file():
        raise ModelError(f"{path}: {MODEL_FILE} not found; {INSTALL}")
    actual = file_sha256(path)
    if actual != MODEL_SHA256:
        raise ModelError(
            f"{path}: sha256 {actual} is not {MODEL_SHA256} of dlib's {MODEL_FILE}: the file is "
            f"altered or corrupt; reinstall it: {INSTALL}"
        )


class FaceEmbedder:
    """embed(image, face) -> float32 (128,) for a face with five landmarks (YuNet's)."""

    def __init__(self, model_path: str | Path | None = None):
        path = Path(model_path) if model_path else default_model_path()
        check_model(path)
        try:
            import dlib
        except ImportError as exc:
            raise ModelError(f"dlib is not installed, needed for {MODEL_FILE}; {INSTALL}") from exc
        self.model_path = path
        self._net = dlib.face_recognition_model_v1(str(path))

    def embed(self, image_bgr: np.ndarray, face: FaceBox) -> np.ndarray:
        return self.embed_many(image_bgr, [face])[0]

    def embed_many(self, image_bgr: np.ndarray, faces: Sequence[FaceBox]) -> np.ndarray:
        """float32 (len(faces), 128): the faces of one image, in one call of the network."""
        if not faces:
            return np.zeros((0, DIMENSIONS), np.float32)
        missing = [face.as_tuple() for face in faces if face.landmarks is None]
        if missing:
            raise ModelError(f"faces {missing} have no landmarks to align them by (use YuNet)")
        image = to_bgr(image_bgr)
        return self.embed_chips([face_chip(image, face.landmarks) for face in faces])

    def embed_chips(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        """float32 (len(chips), 128), unit length, of aligned 150x150 RGB chips
        (chip.face_chip): the mean of the network's vectors of each chip and its mirror image,
        scaled to unit length (each choice measured on LFW: docs/identity.md)."""
        if not chips:
            return np.zeros((0, DIMENSIONS), np.float32)
        both = [view for chip in chips for view in (chip, np.ascontiguousarray(chip[:, ::-1]))]
        vectors = np.asarray(self._net.compute_face_descriptor(both), dtype=np.float32)
        mean = vectors.reshape(len(chips), 2, DIMENSIONS).mean(axis=1)
        return mean / np.linalg.norm(mean, axis=1, keepdims=True)
