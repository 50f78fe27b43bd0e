"""Small value types passed along the pipeline: image -> detect -> classify -> track -> output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .head_pose import HeadPose

# The subject's right eye is on the image's left (as OpenCV's FaceDetectorYN orders them).
LANDMARKS = ("right_eye", "left_eye", "nose_tip", "right_mouth_corner", "left_mouth_corner")


@dataclass(frozen=True)
class FaceBox:
    """A face in image pixels: (x_min, y_min) inclusive top-left, (x_max, y_max) exclusive.

    landmarks: five (x, y) points in image pixels from detectors that find them (YuNet), in the
    order of LANDMARKS; None otherwise. Tuples, not an array, keep the box hashable;
    `np.asarray(box.landmarks)` gives the 5x2 array. Boxes compare (and hash) by geometry and
    score alone, so a box that crossed a message without its landmarks still equals its original.
    """

    x_min: float
    y_min: float
    x_max: float
    y_max: float
    score: float = 1.0
    landmarks: tuple[tuple[float, float], ...] | None = field(default=None, compare=False)

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x_min, self.y_min, self.x_max, self.y_max)


@dataclass(frozen=True)
class ClassScores:
    """One head's probabilities for one face, in the label order of the model's metadata."""

    labels: tuple[str, ...]
    probs: np.ndarray

    @property
    def index(self) -> int:
        return int(np.argmax(self.probs))

    @property
    def label(self) -> str:
        return self.labels[self.index]

    @property
    def confidence(self) -> float:
        return float(self.probs[self.index])


@dataclass(frozen=True)
class Estimate:
    """A regression head's value for one face with its uncertainty (one standard deviation), in
    the unit its model's metadata names (the age head: years)."""

    value: float
    std: float

    @staticmethod
    def from_fields(value: float, std: float) -> Estimate | None:
        """The Estimate a message's (value, std) pair describes; None for 0 (no head ran)."""
        return Estimate(float(value), float(std)) if value > 0 else None


def estimate_fields(estimate: Estimate | None) -> tuple[float, float]:
    """(value, std) as the messages carry an estimate; 0 for both where the head did not run."""
    return (estimate.value, estimate.std) if estimate is not None else (0.0, 0.0)


@dataclass
class FaceResult:
    """Everything known about one face in one frame."""

    box: FaceBox
    track_id: int = -1
    emotion: ClassScores | None = None
    gender: ClassScores | None = None
    age: Estimate | None = None
    pose: HeadPose | None = None  # from the landmarks (head_pose.py); None without them
    # Narrower than AnalyzerConfig.min_attribute_face_size: detected and tracked, heads None.
    attributes_unknown: bool = False
    # identity (docs/identity.md): None when it is off; the gallery's name of an enrolled person,
    # "" for anyone else; how sure the match to an earlier sighting or the gallery is (0: a
    # person first seen on this track)
    person_id: str | None = None
    name: str = ""
    identity_confidence: float = 0.0
    extra: dict = field(default_factory=dict)


def landmark_array(box: FaceBox) -> np.ndarray:
    """The box's landmarks as the flat float32 [x0, y0, x1, y1, ...] of the messages (empty
    when the detector gives none)."""
    return np.asarray(box.landmarks or (), dtype=np.float32).reshape(-1)
