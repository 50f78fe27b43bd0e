"""Small value types passed along the pipeline: image -> detect -> classify -> track -> output."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class FaceBox:
    """A face in image pixels: (x_min, y_min) inclusive top-left, (x_max, y_max) exclusive."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float
    score: float = 1.0

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


@dataclass
class FaceResult:
    """Everything known about one face in one frame."""

    box: FaceBox
    track_id: int = -1
    emotion: Optional[ClassScores] = None
    gender: Optional[ClassScores] = None
    extra: dict = field(default_factory=dict)
