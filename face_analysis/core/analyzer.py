"""The whole pipeline, frame -> list[FaceResult], used by the CLI, the ROS nodes and the
benchmarks alike. Its two halves are also callable on their own, because the ROS graph runs
detection and classification in separate nodes.

One frame: detect() finds the candidate boxes (score >= min_detection_score); classify() hands
them to the tracker, which keeps those scoring >= track_high_score and the lower ones that
continue a track (ByteTrack's two stages, see track.py), classifies only the kept faces, and
smooths each head's probabilities per track.

With detect_every = k > 1 the detector runs on every k-th frame only (the first, then k, 2k, ...);
on the frames in between, the tracker carries the faces: each track's Kalman prediction, moved
with the camera's own motion, is the face's box, and the face keeps the labels (the smoothed
probabilities) of its last detection frame. The heads are not run on predicted boxes: a predicted
box has no fresh landmarks to align the crop with, and the labels are smoothed over several frames
anyway (smoothing_alpha), so a new crop every k frames changes them about as fast; skipping the
heads too is what makes the in-between frames nearly free (the optical flow, ~1.5 ms).
analyze() does this; the two halves are detect_step() and track_step(), which the ROS pipeline
runs in two threads."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..resources import resource_dir
from .classify import ALIGN, DEFAULT_PROVIDERS, FaceClassifier
from .detect import Detector, make_detector
from .errors import ConfigError
from .global_motion import GlobalMotion
from .head_pose import CameraModel, estimate_head_pose
from .image import BoxLike, check_image, clip_box
from .preprocess import PreprocessError
from .track import HEADS, FaceTracker
from .types import FaceBox, FaceResult


def default_model_dir() -> Path:
    """The shipped models/ of the checkout or the install."""
    return resource_dir("models")


# The AnalyzerConfig field holding each head's model.
HEAD_MODELS = {head: f"{head}_model" for head in HEADS}


def check_heads(heads: Collection[str]) -> None:
    """ConfigError naming the names in `heads` that are not heads (HEADS)."""
    unknown = sorted(set(heads) - set(HEADS))
    if unknown:
        raise ConfigError(f"unknown head(s) {unknown}: the heads are {list(HEADS)}")


def with_heads(config: AnalyzerConfig, heads: Collection[str]) -> AnalyzerConfig:
    """`config` running only `heads` (any of HEADS; none: detection and tracking only): the
    other heads' models are neither loaded nor run. Unknown names are refused."""
    check_heads(heads)
    unused = {field: None for head, field in HEAD_MODELS.items() if head not in heads}
    return dataclasses.replace(config, **unused)


@dataclass
class AnalyzerConfig:
    """Plain settings of a FaceAnalyzer (the ROS parameters map one-to-one onto these).

    A model path or the detector may be None: a detection-only node loads no model, a
    classification-only node builds no detector.
    """

    # the head people agree with most (FER+ majority, models/emotion_ferplus.md)
    emotion_model: str | None = str(default_model_dir() / "emotion_ferplus.onnx")
    gender_model: str | None = str(default_model_dir() / "gender.onnx")
    age_model: str | None = str(default_model_dir() / "age.onnx")
    detector: str | None = "yunet"
    detector_settings: dict = field(default_factory=dict)
    min_detection_score: float = 0.0  # boxes below it are dropped at once
    max_faces: int = 0  # 0: all; else the largest faces only, to bound the time per frame
    # Boxes scoring at least this are faces and may start a track; lower ones (down to
    # min_detection_score) are kept only when they continue a track.
    track_high_score: float = 0.6
    iou_threshold: float = 0.3
    camera_motion: bool = True  # measure the camera's own motion and move the tracks with it
    smoothing_alpha: float = 0.5
    max_missed: int = 5
    max_away: int = 30  # frames a face the camera turned away from keeps its track
    # Run the detector on every k-th frame; the tracker carries the faces in between.
    detect_every: int = 1
    # Run the attribute heads (every head but emotion: gender, age) on a tracked face every k-th
    # frame it is classified; in between it keeps its track's value. Emotion runs every time.
    # They do not change within a track, and they are about four fifths of the heads'
    # multiply-adds (age runs twice: its flip average; benchmarks/README.md).
    attribute_every: int = 5
    align_faces: bool = ALIGN  # eyes-level crops for faces with landmarks (classify.py)
    # Pixels: faces whose box is narrower are detected and tracked, but no head runs on them and
    # their labels are unknown. Below 24 px the default pipeline's gender accuracy falls from
    # ~90 % to ~77 %, its age error doubles and emotion nears chance (bench_face_size.py).
    min_attribute_face_size: float = 24.0
    head_pose: bool = True  # head pose from the landmarks of faces that have them (head_pose.py)
    # Horizontal field of view, degrees, of the approximate camera model used when classify()
    # is given none (no calibration, e.g. no camera_info).
    camera_fov: float = 60.0
    intra_op_threads: int = 1
    inter_op_threads: int = 1
    providers: Sequence[str] = DEFAULT_PROVIDERS

    def validate(self) -> None:
        if not 0.0 <= self.min_detection_score <= 1.0:
            raise ConfigError(
                f"min_detection_score must be in [0, 1], got {self.min_detection_score}"
            )
        if self.max_faces < 0:
            raise ConfigError(f"max_faces must be >= 0, got {self.max_faces}")
        if not 0.0 <= self.track_high_score <= 1.0:
            raise ConfigError(f"track_high_score must be in [0, 1], got {self.track_high_score}")
        if self.detect_every < 1:
            raise ConfigError(f"detect_every must be >= 1, got {self.detect_every}")
        if self.attribute_every < 1:
            raise ConfigError(f"attribute_every must be >= 1, got {self.attribute_every}")
        if self.min_attribute_face_size < 0:
            raise ConfigError(
                f"min_attribute_face_size must be >= 0, got {self.min_attribute_face_size}"
            )
        if not 1.0 <= self.camera_fov <= 179.0:
            raise ConfigError(f"camera_fov must be in [1, 179] degrees, got {self.camera_fov}")


class FaceAnalyzer:
    """Detector + classifier + tracker. `detector` / `classifier` may be passed in ready-made
    (tests, or sharing one detector); otherwise they are built from the config."""

    def __init__(
        self,
        config: AnalyzerConfig | None = None,
        *,
        detector: Detector | None = None,
        classifier: FaceClassifier | None = None,
    ):
        self.config = config = config or AnalyzerConfig()
        config.validate()
        self.tracker = FaceTracker(
            config.iou_threshold,
            config.smoothing_alpha,
            config.max_missed,
            config.track_high_score,
            config.max_away,
        )
        self.motion = GlobalMotion() if config.camera_motion else None
        if detector is None and config.detector:
            detector = make_detector(config.detector, **config.detector_settings)
        self.detector = detector
        if classifier is None and (config.emotion_model or config.gender_model or config.age_model):
            classifier = FaceClassifier(
                config.emotion_model,
                config.gender_model,
                config.intra_op_threads,
                config.inter_op_threads,
                config.providers,
                align=config.align_faces,
                models={"age": config.age_model},
            )
        self.classifier = classifier
        self._frames = 0  # frames seen by detect_step() since the last reset()

    @property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Label order of each loaded classifier head, e.g. {'emotion': ('angry', ...),
        'gender': (...)} (the age head gives a value, not labels)."""
        if self.classifier is None:
            return {}
        heads = self.classifier.heads.items()
        return {name: head.spec.labels for name, head in heads if head.is_classifier}

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Candidate faces in the frame, after min_detection_score and the max_faces limit;
        classify() decides which low-score ones are kept."""
        if self.detector is None:
            raise ConfigError("this analyzer was built without a detector (config.detector)")
        boxes = [
            b for b in self.detector.detect(frame) if b.score >= self.config.min_detection_score
        ]
        if self.config.max_faces:
            boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)[
                : self.config.max_faces
            ]
        return boxes

    def classify(
        self, frame: np.ndarray, boxes: Sequence[BoxLike], camera: CameraModel | None = None
    ) -> list[FaceResult]:
        """Track the given candidate boxes of the frame, then classify the kept faces and smooth
        their probabilities per track. Boxes may come from another process; they are clipped to
        the frame. `camera`: the model the head pose is computed in; None: the camera_fov one."""
        shape = check_image(frame).shape
        camera = self._camera(camera, shape)
        clipped = [clip_box(box, shape) for box in boxes]
        motion = self.motion.transform(frame) if self.motion is not None else None
        kept = self.tracker.track(clipped, motion, (shape[1], shape[0]))
        faces = [clipped[index] for index, _ in kept]
        if self.classifier is not None:
            skip = self._attributes_not_due([track_id for _, track_id in kept])
            skip = skip or [set() for _ in faces]
            every_head = set(self.classifier.heads)
            skip = [every_head if self._too_small(f.width) else s for f, s in zip(faces, skip)]
            results = self.classifier.classify(frame, faces, skip)
        else:
            results = [FaceResult(box=box) for box in faces]
        smoothed = self.tracker.smooth(
            [
                dataclasses.replace(result, track_id=track_id, pose=self._pose(result, camera))
                for result, (_, track_id) in zip(results, kept)
            ]
        )
        return [self._unknown_if_small(result, result.box.width) for result in smoothed]

    def _too_small(self, width: float) -> bool:
        return width < self.config.min_attribute_face_size

    def _unknown_if_small(self, result: FaceResult, width: float) -> FaceResult:
        """A face `width` pixels wide that is too small for the heads has unknown labels,
        whatever its track knew when it was larger (the track keeps them for when it grows)."""
        if not self._too_small(width):
            return result
        return dataclasses.replace(result, attributes_unknown=True, **dict.fromkeys(HEADS))

    def _camera(self, camera: CameraModel | None, shape) -> CameraModel:
        """The camera model of a frame of `shape`: `camera` scaled to the frame, or without one
        the camera_fov approximation."""
        height, width = shape[:2]
        if camera is None:
            return CameraModel.from_fov(width, height, self.config.camera_fov)
        return camera.scaled_to(width, height)

    def _pose(self, result: FaceResult, camera: CameraModel):
        if not self.config.head_pose or result.box.landmarks is None:
            return None
        return estimate_head_pose(result.box.landmarks, camera)

    def _attributes_not_due(self, track_ids: Sequence[int]) -> list[set[str]] | None:
        """Per face, the attribute heads to skip this frame (attribute_every): a track runs them
        when it has no value yet, then on every k-th classification, offset by its id so that
        faces that appeared together do not all run them on the same frame."""
        every = self.config.attribute_every
        if every == 1:
            return None
        tracks = {track.track_id: track for track in self.tracker.tracks}
        attributes = [name for name in self.classifier.heads if name != "emotion"]
        skip = []
        for track_id in track_ids:
            track = tracks[track_id]
            due = (track.classified + track_id) % every == 0
            track.classified += 1
            skip.append(set() if due else {name for name in attributes if name in track.scores})
        return skip

    def detect_step(self, frame: np.ndarray) -> list[FaceBox] | None:
        """The first half of analyze(): the candidate boxes on a detection frame (every
        detect_every-th frame, starting with the first), None on the frames in between."""
        due = self._frames % self.config.detect_every == 0
        self._frames += 1
        return self.detect(frame) if due else None

    def track_step(
        self,
        frame: np.ndarray,
        boxes: Sequence[BoxLike] | None,
        camera: CameraModel | None = None,
    ) -> list[FaceResult]:
        """The second half: classify() the boxes of a detection frame, or carry() the faces on
        a frame without detections (boxes None). Frames must come in order."""
        return self.carry(frame, camera) if boxes is None else self.classify(frame, boxes, camera)

    def carry(self, frame: np.ndarray, camera: CameraModel | None = None) -> list[FaceResult]:
        """A frame without detections: the faces of the last detection frame at their predicted
        boxes (Kalman filter and camera motion), with their tracks' smoothed labels (and the
        head pose of their moved landmarks)."""
        shape = check_image(frame).shape
        camera = self._camera(camera, shape)
        motion = self.motion.transform(frame) if self.motion is not None else None
        results = []
        for track, box in self.tracker.coast(motion, (shape[1], shape[0])):
            try:
                box = clip_box(box, shape)
            except PreprocessError:
                continue
            result = FaceResult(
                box=box, track_id=track.track_id, **{h: track.scores.get(h) for h in HEADS}
            )
            result.pose = self._pose(result, camera)
            # Sized as on its last detection frame, where the heads ran or did not: a predicted
            # box shrinks with a face leaving the image, the face does not.
            results.append(self._unknown_if_small(result, track.box.width))
        return results

    def analyze(self, frame: np.ndarray, camera: CameraModel | None = None) -> list[FaceResult]:
        return self.track_step(frame, self.detect_step(frame), camera)

    def reset(self) -> None:
        """Forget all tracks, e.g. when the video source changes."""
        self.tracker.reset()
        self._frames = 0
        if self.motion is not None:
            self.motion.reset()
