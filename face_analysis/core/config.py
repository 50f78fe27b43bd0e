"""The analyzer's settings, each described once (meaning, unit, range) beside its default.

AnalyzerConfig's fields carry their descriptions (`described`), SETTINGS lists them, and
AnalyzerConfig.validate() checks every value against its range. The ROS parameters
(ros/params.py) and the command-line options (commands/options.py) are generated from SETTINGS,
the detector settings from detect.DETECTOR_SETTINGS."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from ..resources import resource_dir
from .classify import ALIGN, DEFAULT_PROVIDERS
from .detect import DETECTORS
from .errors import ConfigError
from .identity.embedder import DEFAULT_THRESHOLD
from .setting import Setting
from .track import HEADS

# in the order a frame meets them
GROUPS = ("detection", "models", "tracking", "head pose", "identity")
IDENTITY_MODES = ("off", "session", "gallery")
# Not a field: with_heads() sets the model of every head not listed to None.
HEADS_SETTING = Setting(
    "heads",
    "The classification heads to load and run, any of emotion, gender, age; none: detection and "
    "tracking only. A head not listed is not loaded and its results stay empty.",
    list(HEADS),
    choices=HEADS,
    group="models",
)
# The AnalyzerConfig field holding each head's model.
HEAD_MODELS = {head: f"{head}_model" for head in HEADS}


def default_model_dir() -> Path:
    """The shipped models/ of the checkout or the install."""
    return resource_dir("models")


def check_heads(heads: Collection[str]) -> None:
    """ConfigError naming the names in `heads` that are not heads (HEADS)."""
    reason = HEADS_SETTING.check(list(heads))
    if reason:
        raise ConfigError(reason)


def with_heads(config: AnalyzerConfig, heads: Collection[str]) -> AnalyzerConfig:
    """`config` running only `heads` (any of HEADS; none: detection and tracking only): the
    other heads' models are neither loaded nor run. Unknown names are refused."""
    check_heads(heads)
    unused = {field: None for head, field in HEAD_MODELS.items() if head not in heads}
    return dataclasses.replace(config, **unused)


def described(default, description: str, group: str, *, factory=None, **limits):
    """A field with its description; `limits`: unit, range, choices (Setting's)."""
    metadata = {"description": description, "group": group, **limits}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class AnalyzerConfig:
    """Plain settings of a FaceAnalyzer; the ROS parameters and the command-line options carry
    the same names (SETTINGS).

    A model path or the detector may be None: a detection-only node loads no model, a
    classification-only node builds no detector.
    """

    emotion_model: str | None = described(
        str(default_model_dir() / "emotion_ferplus.onnx"),
        "Emotion ONNX model; the shipped one is models/emotion_ferplus.onnx (8 FER+ classes, the "
        "labels people agree with most), models/emotion.onnx is the paper's FER-2013 head.",
        "models",
    )
    gender_model: str | None = described(
        str(default_model_dir() / "gender.onnx"),
        "Gender ONNX model; the shipped one is models/gender.onnx.",
        "models",
    )
    age_model: str | None = described(
        str(default_model_dir() / "age.onnx"),
        "Age ONNX model (expected age and its standard deviation, years); the shipped one is "
        "models/age.onnx.",
        "models",
    )
    detector: str | None = described(
        "yunet",
        "Face detector: 'yunet' (YuNet by onnxruntime, boxes with five landmarks; weights in "
        "models/yunet/, checked by sha256), 'blazeface' (MediaPipe, needs mediapipe==0.10.14) or "
        "'haar' (OpenCV cascade, the paper's; slower). docs/detectors.md compares "
        "them.",
        "detection",
        choices=tuple(DETECTORS),
    )
    detector_settings: dict = described(
        None,
        "The detector's own settings by name (detect.DETECTOR_SETTINGS describes them); a "
        "setting not given keeps the detector's default.",
        "detection",
        factory=dict,
    )
    min_detection_score: float = described(
        0.0, "Detections scoring below this are dropped.", "detection", range=(0.0, 1.0)
    )
    max_faces: int = described(
        0,
        "Analyse at most this many faces per image, the largest first, to bound the time per "
        "frame; 0 = all.",
        "detection",
        unit="faces",
        range=(0, 200),
    )
    track_high_score: float = described(
        0.6,
        "Tracking: detections scoring at least this may start a track; weaker ones (down to "
        "min_detection_score) only continue an existing track and are dropped otherwise "
        "(ByteTrack's two stages). YuNet reports nothing below its score_threshold.",
        "tracking",
        range=(0.0, 1.0),
    )
    iou_threshold: float = described(
        0.3,
        "Tracking: least box overlap (IoU) to continue a track.",
        "tracking",
        range=(0.01, 1.0),
    )
    camera_motion: bool = described(
        True,
        "Tracking: measure the camera's own motion between frames (optical flow on a small copy "
        "of the frame) and move every track with it, so identities hold while the robot turns "
        "its head.",
        "tracking",
    )
    smoothing_alpha: float = described(
        0.5,
        "Weight of the newest frame in each track's moving average of probabilities "
        "(1 = no smoothing).",
        "tracking",
        range=(0.01, 1.0),
    )
    max_missed: int = described(
        5,
        "A track expires after this many frames in view without its face.",
        "tracking",
        unit="frames",
        range=(0, 1000),
    )
    max_away: int = described(
        30,
        "Tracking: frames a track waits, once its face has left the image (the camera turned "
        "away), for the face to come back and take its id again; 0 = expire at once.",
        "tracking",
        unit="frames",
        range=(0, 10000),
    )
    detect_every: int = described(
        1,
        "Run the detector on every k-th frame only (the first, then every k-th); on the frames "
        "in between, the tracker carries the faces: Kalman-predicted boxes moved with the "
        "camera's motion, keeping the labels of their last detection frame (the heads do not "
        "run). 1 = detect on every frame.",
        "detection",
        unit="frames",
        range=(1, 30),
    )
    # The attributes do not change within a track, and their heads cost most of the heads' time
    # (age runs twice: its flip average; benchmarks/README.md).
    attribute_every: int = described(
        5,
        "Run the attribute heads (gender, age: every head but emotion) on a tracked face only "
        "every k-th frame it is classified, staggered over the faces; in between the face keeps "
        "its track's smoothed value. A new track runs them at once; emotion runs every frame. "
        "1 = every head on every frame.",
        "tracking",
        unit="frames",
        range=(1, 300),
    )
    align_faces: bool = described(
        ALIGN,
        "Crop faces that have landmarks (YuNet) with the eyes level before the emotion and "
        "gender networks; faces without landmarks (Haar, BlazeFace) are cut axis-aligned either "
        "way.",
        "tracking",
    )
    min_attribute_face_size: float = described(
        16.0,
        "Faces whose box is narrower are detected and tracked, but no head runs on them and "
        "their labels are unknown (attributes_unknown). The default is the smallest width "
        "measured where, through the pipeline, gender is right for 85 % of faces and the age "
        "error is at most 1.5x that at 64 px (benchmarks/README.md, face sizes). 0 = classify "
        "every face.",
        "tracking",
        unit="px",
        range=(0.0, 4096.0),
    )
    head_pose: bool = described(
        True,
        "Estimate each face's head pose from its five landmarks (YuNet; docs/head-pose.md): "
        "yaw, pitch, roll, distance and looking_at_camera.",
        "head pose",
    )
    camera_fov: float = described(
        60.0,
        "Horizontal field of view of the approximate pinhole camera (square pixels, centred "
        "principal point) the head pose uses without a calibration.",
        "head pose",
        unit="degrees",
        range=(1.0, 179.0),
    )
    intra_op_threads: int = described(
        1,
        "onnxruntime threads inside one operator of each head; 0 lets onnxruntime choose (all "
        "cores).",
        "models",
        unit="threads",
        range=(0, 64),
    )
    inter_op_threads: int = described(
        1,
        "onnxruntime threads across the operators of each head; 0 lets onnxruntime choose.",
        "models",
        unit="threads",
        range=(0, 64),
    )
    providers: Sequence[str] = described(
        DEFAULT_PROVIDERS,
        "onnxruntime execution providers of the heads in order of preference, e.g. "
        "CUDAExecutionProvider, CPUExecutionProvider.",
        "models",
    )

    identity: str = described(
        "off",
        "Who is this (docs/identity.md): 'off' computes and keeps nothing; 'session' gives each "
        "face a person id that outlives its track: a face that comes back within "
        "identity_memory_s is the same person again, recognised by a face embedding held in "
        "memory only; 'gallery' also recognises, by name, the people enrolled with their "
        "consent in identity_gallery. Needs landmarks (YuNet): without them a person id is a "
        "track's.",
        "identity",
        choices=IDENTITY_MODES,
    )
    identity_memory_s: float = described(
        120.0,
        "How long the embedding of a person not enrolled is kept after they were last seen, to "
        "recognise them when they come back; then it is dropped. Never written anywhere.",
        "identity",
        unit="s",
        range=(0.0, 86400.0),
    )
    identity_gallery: str = described(
        "",
        "The gallery of enrolled people (SQLite file, embeddings and consent records, no image), "
        "for identity=gallery; created owner-only (0600) when missing. Keep it on the robot's "
        "private, persistent storage (not /tmp). Empty: none.",
        "identity",
    )
    identity_threshold: float = described(
        DEFAULT_THRESHOLD,
        "Two faces are one person when their embeddings are nearer than this (Euclidean "
        "distance; LFW's fitted value, docs/identity.md). Lower: fewer false matches, more "
        "people not recognised.",
        "identity",
        range=(0.1, 1.5),
    )
    identity_max_per_frame: int = described(
        2,
        "Most faces embedded per frame (the dlib network costs tens of ms per face on a CPU): "
        "new tracks first, then better views of the open ones.",
        "identity",
        unit="faces",
        range=(1, 100),
    )

    def validate(self) -> None:
        """ConfigError naming the first setting outside its range or choices, or an
        inconsistent pair of them."""
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            reason = setting.check(value) if value is not None else None
            if reason:
                raise ConfigError(reason)
        if self.identity == "gallery" and not self.identity_gallery:
            raise ConfigError("identity=gallery needs the gallery file: set identity_gallery")


def _setting(config_field) -> Setting:
    factory = config_field.default_factory
    default = factory() if factory is not MISSING else config_field.default
    return Setting(config_field.name, default=default, **config_field.metadata)


SETTINGS: tuple[Setting, ...] = tuple(_setting(f) for f in fields(AnalyzerConfig))
BY_NAME = {setting.name: setting for setting in SETTINGS}
