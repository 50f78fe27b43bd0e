"""Face detectors behind one interface: `detect(image) -> list[FaceBox]`.

* "haar": the paper's OpenCV Viola-Jones cascade (haarcascade_frontalface_default.xml).
* "blazeface": MediaPipe's BlazeFace, an optional dependency.
* "yunet": YuNet by onnxruntime (yunet.py), with five landmarks per face; the default.

docs/detectors.md says why each was chosen and what else was checked; benchmarks/README.md
how they measure.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from .errors import ConfigError, DetectorUnavailableError, ModelError
from .geometry import suppress_overlaps, tile_origins
from .image import check_image, clip_box
from .preprocess import PreprocessError, to_gray
from .setting import Setting, keyword_settings
from .types import FaceBox
from .yunet import YUNET_SETTINGS, YuNetDetector

HAAR_CASCADE = "haarcascade_frontalface_default.xml"
# Debian's python3-opencv (what a ROS apt install brings) has no cv2.data; it ships them here.
_SYSTEM_CASCADE_DIRS = ("/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades")


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in a uint8 gray/BGR/BGRA image, in its pixel coordinates."""


@runtime_checkable
class SmallFaceDetector(Protocol):
    """A detector that finds faces narrower than `refine_below` (0: none) at full resolution
    when told (YuNet): `search` looks at the whole image at full resolution (FaceAnalyzer asks
    every `search_every`-th frame), `expected` boxes (the tracker's predictions) are looked for
    where they are."""

    refine_below: float
    search_every: int

    def detect(
        self, image: np.ndarray, search: bool = False, expected: Sequence[FaceBox] = ()
    ) -> list[FaceBox]: ...


def default_cascade_path() -> str:
    """The frontal-face cascade shipped with the installed OpenCV."""
    data = getattr(cv2, "data", None)
    dirs = ([data.haarcascades] if data is not None else []) + list(_SYSTEM_CASCADE_DIRS)
    for folder in dirs:
        path = os.path.join(folder, HAAR_CASCADE)
        if os.path.isfile(path):
            return path
    raise ModelError(f"{HAAR_CASCADE} not found in {dirs}; pass cascade=PATH")


class HaarDetector:
    """OpenCV cascade detector; scale_factor 1.3 and min_neighbors 5 are the paper's demo values.

    The smallest face searched is the larger of min_size pixels and min_relative_size times the
    shorter image side: the relative bound keeps one setting valid when the camera resolution
    changes, and drops the tiny false positives (textures) that a big photo otherwise yields.
    downscale > 1 shrinks the image by that factor before detection (the cascade's cost grows
    with the pixel count); boxes are mapped back to the input image.
    """

    def __init__(
        self,
        scale_factor: float = 1.3,
        min_neighbors: int = 5,
        min_size: int = 24,
        min_relative_size: float = 0.04,
        downscale: float = 1.0,
        cascade: str | None = None,
    ):
        if not scale_factor > 1.0:
            raise ConfigError(f"haar: scale_factor must be > 1, got {scale_factor}")
        if min_neighbors < 0 or min_size < 1:
            raise ConfigError(
                f"haar: need min_neighbors >= 0 and min_size >= 1, "
                f"got {min_neighbors} and {min_size}"
            )
        if not 0.0 <= min_relative_size < 1.0:
            raise ConfigError(f"haar: min_relative_size must be in [0, 1), got {min_relative_size}")
        if not downscale >= 1.0:
            raise ConfigError(f"haar: downscale must be >= 1, got {downscale}")
        path = cascade or default_cascade_path()
        if not os.path.isfile(path):
            raise ModelError(f"{path}: cascade file not found")
        try:
            self._cascade = cv2.CascadeClassifier(path)
            loaded = not self._cascade.empty()
        except (cv2.error, SystemError) as exc:  # a malformed XML raises from the constructor
            raise ModelError(
                f"{path}: OpenCV could not load it as a cascade classifier ({exc})"
            ) from exc
        if not loaded:
            raise ModelError(f"{path}: OpenCV could not load it as a cascade classifier")
        self.scale_factor, self.min_neighbors = float(scale_factor), int(min_neighbors)
        self.min_size, self.min_relative_size = int(min_size), float(min_relative_size)
        self.downscale = float(downscale)

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        gray = to_gray(check_image(image))
        min_face = max(self.min_size, self.min_relative_size * min(gray.shape))
        scale = self.downscale
        if scale > 1.0:
            gray = cv2.resize(
                gray, None, fx=1.0 / scale, fy=1.0 / scale, interpolation=cv2.INTER_AREA
            )
        min_px = max(1, round(min_face / scale))
        rects = self._cascade.detectMultiScale(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(min_px, min_px),
        )
        # OpenCV's parallel search returns faces in a varying order; sort left to right so
        # that runs (and new track ids) are reproducible. Haar has no calibrated confidence:
        # score 1.0, as the detection message documents.
        return [
            FaceBox(x * scale, y * scale, (x + w) * scale, (y + h) * scale, 1.0)
            for x, y, w, h in sorted(np.asarray(rects).reshape(-1, 4).tolist())
        ]


class BlazeFaceDetector:
    """MediaPipe BlazeFace. model: "full" (full-range, faces up to ~5 m, the better one for
    robots) or "short" (short-range, faces within ~2 m, faster).

    BlazeFace sees the whole image at 192x192 (full) or 128x128 (short), so the faces of a
    group photo shrink to a few pixels. tile_size > 0 runs it on overlapping square tiles of
    that many pixels instead and merges the results (for photos, not for real-time video).
    """

    MODELS = {"short": 0, "full": 1}
    TILE_OVERLAP = 0.25  # of the tile size: a face cut by one tile's edge is whole in the next

    def __init__(self, model: str = "full", min_confidence: float = 0.5, tile_size: int = 0):
        if model not in self.MODELS:
            raise ConfigError(
                f"blazeface: model must be one of {sorted(self.MODELS)}, got {model!r}"
            )
        if not 0.0 <= min_confidence <= 1.0:
            raise ConfigError(f"blazeface: min_confidence must be in [0, 1], got {min_confidence}")
        if tile_size < 0 or 0 < tile_size < 64:
            raise ConfigError(f"blazeface: tile_size must be 0 (off) or >= 64, got {tile_size}")
        try:
            from mediapipe.python.solutions import face_detection
        except ImportError as exc:
            raise DetectorUnavailableError(
                "detector 'blazeface' needs the optional package mediapipe "
                f"(pip install 'mediapipe==0.10.14'; see docs/detectors.md): {exc}"
            ) from exc
        # The legacy "solutions" API runs the .tflite models bundled in the wheel; the newer
        # Tasks API would need a model file downloaded at run time.
        self._mp = face_detection.FaceDetection(
            model_selection=self.MODELS[model], min_detection_confidence=min_confidence
        )
        self.tile_size = int(tile_size)

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        image = check_image(image)
        if image.ndim == 2 or image.shape[2] == 1:
            rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        else:
            rgb = cv2.cvtColor(
                image, cv2.COLOR_BGR2RGB if image.shape[2] == 3 else cv2.COLOR_BGRA2RGB
            )
        if not self.tile_size:
            return self._detect_rgb(rgb)
        height, width = rgb.shape[:2]
        boxes = []
        for y in tile_origins(height, self.tile_size, self.TILE_OVERLAP):
            for x in tile_origins(width, self.tile_size, self.TILE_OVERLAP):
                tile = np.ascontiguousarray(rgb[y : y + self.tile_size, x : x + self.tile_size])
                boxes += [
                    FaceBox(b.x_min + x, b.y_min + y, b.x_max + x, b.y_max + y, b.score)
                    for b in self._detect_rgb(tile)
                ]
        return suppress_overlaps(boxes)

    def _detect_rgb(self, rgb: np.ndarray) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        boxes = []
        for det in self._mp.process(rgb).detections or []:
            rel = det.location_data.relative_bounding_box
            x0, y0 = rel.xmin * width, rel.ymin * height
            raw = (x0, y0, x0 + rel.width * width, y0 + rel.height * height, det.score[0])
            try:
                boxes.append(clip_box(raw, rgb.shape))
            except PreprocessError:
                continue  # a face entirely off the frame edge: nothing to classify
        return boxes

    def close(self) -> None:
        self._mp.close()


HAAR_SETTINGS = keyword_settings(
    HaarDetector,
    Setting("scale_factor", "Image pyramid step.", range=(1.01, 2.0)),
    Setting("min_neighbors", "Overlapping hits needed to accept a face.", range=(0, 50)),
    Setting("min_size", "Smallest face, pixels of the input image.", unit="px", range=(1, 2000)),
    Setting(
        "min_relative_size",
        "Smallest face as a fraction of the image's shorter side (the larger of the two "
        "minimums wins).",
        range=(0.0, 0.99),
    ),
    Setting(
        "downscale",
        "Shrink the image by this factor before detecting (speed); boxes are mapped back.",
        range=(1.0, 8.0),
    ),
    Setting(
        "cascade",
        f"The cascade XML file; none given: OpenCV's {HAAR_CASCADE}, the paper's, as installed.",
    ),
)
BLAZEFACE_SETTINGS = keyword_settings(
    BlazeFaceDetector,
    Setting(
        "model",
        "'full' range (faces up to ~5 m) or 'short' range (~2 m, faster).",
        choices=tuple(BlazeFaceDetector.MODELS),
    ),
    Setting("min_confidence", "Least detector confidence.", range=(0.0, 1.0)),
    Setting(
        "tile_size",
        "> 0 also runs on overlapping tiles of this size to find small faces (group photos, far "
        "people) at a few times the cost; 0 = whole image only.",
        unit="px",
        range=(0, 4096),
    ),
)

DETECTORS: dict[str, Callable[..., Detector]] = {
    "haar": HaarDetector,
    "blazeface": BlazeFaceDetector,
    "yunet": YuNetDetector,
}
# The settings a detector is given by name (make_detector's keywords), each described once.
DETECTOR_SETTINGS: dict[str, tuple[Setting, ...]] = {
    "haar": HAAR_SETTINGS,
    "blazeface": BLAZEFACE_SETTINGS,
    "yunet": YUNET_SETTINGS,
}


def make_detector(name: str, **settings) -> Detector:
    """A detector by name, with its keyword settings (e.g. make_detector("haar", downscale=2))."""
    if name not in DETECTORS:
        raise ConfigError(f"unknown detector {name!r}; choose from {sorted(DETECTORS)}")
    factory = DETECTORS[name]
    try:
        inspect.signature(factory).bind(**settings)
    except TypeError as exc:
        accepted = list(inspect.signature(factory).parameters)
        raise ConfigError(f"detector {name!r}: {exc}; accepted settings: {accepted}") from exc
    return factory(**settings)
