"""Every ROS parameter of the face_analysis nodes, declared once with its descriptor and range,
and how their values map onto the core's AnalyzerConfig.

The nodes declare from this table (nodes/node_params.py); `config/face_analysis.yaml` is generated
from it (`python -m face_analysis.ros.params > config/face_analysis.yaml`) and so is the
parameter table of docs/ros-api.md (api_docs.py); test/ros/test_api_docs.py fails when either has drifted.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from ..core.analyzer import AnalyzerConfig, with_heads
from ..core.detect import DETECTORS
from ..core.track import HEADS

DETECTOR, CLASSIFIER, OVERLAY, PIPELINE, HRI_CLASSIFIER = (
    "face_detector",
    "face_classifier",
    "face_overlay",
    "face_analysis_pipeline",
    "hri_face_classifier",
)
CAMERA_NODES = (DETECTOR, CLASSIFIER, OVERLAY, PIPELINE)
ALL_NODES = CAMERA_NODES + (HRI_CLASSIFIER,)
DETECTING = (DETECTOR, PIPELINE)
CLASSIFYING = (CLASSIFIER, PIPELINE, HRI_CLASSIFIER)
HRI_PUBLISHING = (CLASSIFIER, PIPELINE)
# The nodes that track and crop the faces they are given; hri_face_classifier gets another
# detector's crops, already tracked, without landmarks.
TRACKING = (CLASSIFIER, PIPELINE)
DRAWING = (OVERLAY, PIPELINE)
PAIRING = (CLASSIFIER, OVERLAY)


def _core(owner: str, name: str):
    """The core's own default, so a node and the library can never disagree: `owner` is
    'config' (AnalyzerConfig) or a detector name (its constructor's keyword default)."""
    if owner == "config":
        value = next(f for f in fields(AnalyzerConfig) if f.name == name)
        return value.default if not callable(value.default_factory) else value.default_factory()
    return inspect.signature(DETECTORS[owner]).parameters[name].default


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    nodes: Sequence[str]
    range: tuple | None = None  # inclusive (min, max) of an int or float
    choices: tuple | None = None  # allowed values of a string
    at_configure: bool = False  # a change takes effect at the next configure

    @property
    def type_name(self) -> str:
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, (list, tuple)):
            return "string[]"
        return type(self.default).__name__.replace("str", "string").replace("float", "double")

    def check(self, value) -> str | None:
        """None if `value` is acceptable, else the reason."""
        if self.range is not None and not self.range[0] <= value <= self.range[1]:
            return f"{self.name}={value} is outside [{self.range[0]}, {self.range[1]}]"
        if self.choices is not None and isinstance(value, (list, tuple)):
            unknown = [v for v in value if v not in self.choices]
            if unknown:
                return f"{self.name}: {unknown} not among {list(self.choices)}"
        elif self.choices is not None and value not in self.choices:
            return f"{self.name}={value!r} is not one of {list(self.choices)}"
        return None


PARAMS: tuple[Param, ...] = (
    # --- lifecycle
    Param(
        "autostart",
        False,
        "Configure and activate at start, without a lifecycle manager; robot.launch.py sets it "
        "(autostart:=true), so a respawned process comes back active on its own.",
        ALL_NODES,
    ),
    # --- camera input
    Param(
        "image_transport",
        "raw",
        "Camera input: 'raw' subscribes sensor_msgs/Image on `image`, 'compressed' "
        "sensor_msgs/CompressedImage (jpeg/png) on `image/compressed`.",
        CAMERA_NODES,
        choices=("raw", "compressed"),
        at_configure=True,
    ),
    Param(
        "image_qos",
        "auto",
        "Reliability of the camera subscription: 'auto' matches the camera's publisher "
        "(re-subscribing if it changes), or force 'reliable'/'best_effort'.",
        CAMERA_NODES,
        choices=("auto", "reliable", "best_effort"),
        at_configure=True,
    ),
    Param(
        "max_rate",
        0.0,
        "Most frames per second to process; 0 processes every frame that arrives while idle "
        "(the newest one; older waiting frames are dropped and counted).",
        DETECTING,
        range=(0.0, 1000.0),
    ),
    Param(
        "no_image_timeout",
        5.0,
        "Seconds after activation (or after the last frame) without an image before the node "
        "logs what it subscribes to and which image topics exist; also the diagnostics WARN "
        "level for silence (ERROR at 3x). hri_face_classifier: how long a tracked face may go "
        "without a cropped image before it is reported.",
        ALL_NODES,
        range=(0.5, 600.0),
        at_configure=True,
    ),
    Param(
        "latency_warn_ms",
        50.0,
        "Processing latency (frame arrival to publish) above which /diagnostics reports WARN.",
        ALL_NODES,
        range=(1.0, 60000.0),
    ),
    Param(
        "latency_error_ms",
        200.0,
        "Processing latency above which /diagnostics reports ERROR.",
        ALL_NODES,
        range=(1.0, 60000.0),
    ),
    Param(
        "pairing_cache_size",
        10,
        "Images (or results) kept while waiting for the message with the same stamp on the "
        "other input; unpaired ones are dropped and counted.",
        PAIRING,
        range=(1, 200),
        at_configure=True,
    ),
    # --- detection
    # The core's default, YuNet: it sees the small, far faces a robot meets, which BlazeFace
    # misses, at about BlazeFace's cost (face_analysis/core/DETECTORS.md).
    Param(
        "detector",
        _core("config", "detector"),
        "Face detector: 'yunet' (YuNet by onnxruntime, boxes with five landmarks; weights in "
        "share/face_analysis/models/yunet/, checked by sha256), 'blazeface' (MediaPipe, needs "
        "mediapipe==0.10.14) or 'haar' (OpenCV cascade, the paper's; slower).",
        DETECTING,
        choices=("yunet", "blazeface", "haar"),
        at_configure=True,
    ),
    Param(
        "yunet.score_threshold",
        _core("yunet", "score_threshold"),
        "YuNet: least face score (the square root of its class and objectness outputs); "
        "weaker faces are not reported.",
        DETECTING,
        range=(0.0, 1.0),
        at_configure=True,
    ),
    Param(
        "yunet.nms_threshold",
        _core("yunet", "nms_threshold"),
        "YuNet: box overlap (IoU) above which the lower-scoring of two boxes is dropped "
        "(non-maximum suppression).",
        DETECTING,
        range=(0.01, 1.0),
        at_configure=True,
    ),
    Param(
        "yunet.min_size",
        _core("yunet", "min_size"),
        "YuNet: smallest face reported, pixels of the input image (box width and height); 0 = all.",
        DETECTING,
        range=(0.0, 2000.0),
        at_configure=True,
    ),
    Param(
        "yunet.downscale",
        _core("yunet", "downscale"),
        "YuNet: shrink the image by this factor before the network (bilinear below 2, area "
        "averaging from 2); at 640x480 1.5 costs ~0.8x BlazeFace's time and finds 0.97 of the "
        "recording's faces, 1.25 ~1.0x and 0.99, 1.0 ~1.5x and 0.998. Boxes and landmarks are "
        "mapped back.",
        DETECTING,
        range=(1.0, 8.0),
        at_configure=True,
    ),
    Param(
        "yunet.refine_below",
        _core("yunet", "refine_below"),
        "YuNet: faces narrower than this many pixels are found again on an enlarged patch of the "
        "full-resolution image, for a finer box and landmarks (the crop's); all patches in one "
        "network call. Costs 1.2-3x the detector's time on the bundled recording (20-32 px; "
        "benchmarks/README.md, face sizes); 0 = off.",
        DETECTING,
        range=(0.0, 2000.0),
        at_configure=True,
    ),
    Param(
        "yunet.derotate_above",
        _core("yunet", "derotate_above"),
        "YuNet: faces whose eye line is tilted by this many degrees or more get their landmarks "
        "found again on patches turned upright (up to 3 passes), since the network's landmarks "
        "follow only about half of an in-plane head tilt: the head roll, the face_<id> frame and "
        "the eyes-level crop of a tilted head then follow it. Costs 1.6-2.3x the detector's time "
        "on the bundled recording at 6-4 degrees (docs/head-pose.md); 0 = off.",
        DETECTING,
        range=(0.0, 45.0),
        at_configure=True,
    ),
    Param(
        "yunet.threads",
        _core("yunet", "threads"),
        "YuNet: onnxruntime threads of the network; 0 lets onnxruntime choose (all cores).",
        DETECTING,
        range=(0, 64),
        at_configure=True,
    ),
    Param(
        "yunet.model",
        "",
        "YuNet: the .onnx weights; empty: the installed "
        "share/face_analysis/models/yunet/yunet_s_dynamic.onnx. A file listed in the nearest "
        "models/MANIFEST.json must match its sha256, else configure fails naming the file and "
        "where to get it.",
        DETECTING,
        at_configure=True,
    ),
    Param(
        "haar.scale_factor",
        _core("haar", "scale_factor"),
        "Haar: image pyramid step.",
        DETECTING,
        range=(1.01, 2.0),
        at_configure=True,
    ),
    Param(
        "haar.min_neighbors",
        _core("haar", "min_neighbors"),
        "Haar: overlapping hits needed to accept a face.",
        DETECTING,
        range=(0, 50),
        at_configure=True,
    ),
    Param(
        "haar.min_size",
        _core("haar", "min_size"),
        "Haar: smallest face, pixels of the input image.",
        DETECTING,
        range=(1, 2000),
        at_configure=True,
    ),
    Param(
        "haar.min_relative_size",
        _core("haar", "min_relative_size"),
        "Haar: smallest face as a fraction of the image's shorter side (the larger of the two "
        "minimums wins).",
        DETECTING,
        range=(0.0, 0.99),
        at_configure=True,
    ),
    Param(
        "haar.downscale",
        _core("haar", "downscale"),
        "Haar: shrink the image by this factor before detecting (speed); boxes are mapped back.",
        DETECTING,
        range=(1.0, 8.0),
        at_configure=True,
    ),
    Param(
        "blazeface.model",
        _core("blazeface", "model"),
        "BlazeFace: 'full' range (faces up to ~5 m) or 'short' range (~2 m, faster).",
        DETECTING,
        choices=("full", "short"),
        at_configure=True,
    ),
    Param(
        "blazeface.min_confidence",
        _core("blazeface", "min_confidence"),
        "BlazeFace: least detector confidence.",
        DETECTING,
        range=(0.0, 1.0),
        at_configure=True,
    ),
    Param(
        "blazeface.tile_size",
        _core("blazeface", "tile_size"),
        "BlazeFace: > 0 also runs on overlapping tiles of this size, pixels, to find small "
        "faces (group photos, far people) at a few times the cost; 0 = whole image only.",
        DETECTING,
        range=(0, 4096),
        at_configure=True,
    ),
    Param(
        "min_detection_score",
        _core("config", "min_detection_score"),
        "Faces scoring below this are not published.",
        DETECTING,
        range=(0.0, 1.0),
    ),
    Param(
        "max_faces",
        _core("config", "max_faces"),
        "Classify at most this many faces per image, the largest first; 0 = all.",
        DETECTING,
        range=(0, 200),
    ),
    Param(
        "detect_every",
        _core("config", "detect_every"),
        "Run the detector on every k-th frame only (the first, then every k-th); on the frames "
        "in between, the tracker carries the faces: Kalman-predicted boxes moved with the "
        "camera's motion, keeping the labels of their last detection frame (the heads do not "
        "run). faces/detections then carries the predicted boxes. 1 = detect on every frame.",
        (PIPELINE,),
        range=(1, 30),
        at_configure=True,
    ),
    Param(
        "attribute_every",
        _core("config", "attribute_every"),
        "Run the attribute heads (gender, age: every head but emotion) on a tracked face only "
        "every k-th frame it is classified, staggered over the faces; in between the face "
        "keeps its track's smoothed value. A new track runs them at once; emotion runs every "
        "frame. 1 = every head on every frame.",
        TRACKING,
        range=(1, 300),
        at_configure=True,
    ),
    Param(
        "pipeline_overlap",
        False,
        "Two threads: detect frame n+1 while frame n is classified, tracked and published "
        "(onnxruntime releases the GIL while it runs). Raises throughput on a machine with a "
        "spare core, not the latency of a frame; order and stamps are kept, and only the "
        "camera input drops frames (the newest waits). false: one thread does all.",
        (PIPELINE,),
        at_configure=True,
    ),
    # --- classification, tracking, smoothing
    Param(
        "heads",
        list(HEADS),
        "The classification heads to load and run, any of emotion, gender, age; [] runs none "
        "(detection, tracking and REP-155 ids only). A head not listed is not loaded: its "
        "faces/analysis fields stay empty (msg/FaceAnalysis.msg) and its REP-155 topic "
        "(expression; softbiometrics for gender and age) is not advertised.",
        CLASSIFYING,
        choices=HEADS,
        at_configure=True,
    ),
    Param(
        "emotion_model",
        "",
        "Emotion ONNX model; empty: the shipped models/emotion_ferplus.onnx (8 FER+ classes); "
        "models/emotion.onnx is the paper's FER-2013 head.",
        CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "gender_model",
        "",
        "Gender ONNX model; empty: the shipped models/gender.onnx.",
        CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "age_model",
        "",
        "Age ONNX model (expected age and its standard deviation, years); empty: the shipped "
        "models/age.onnx.",
        CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "onnx_intra_op_threads",
        _core("config", "intra_op_threads"),
        "onnxruntime threads inside one operator.",
        CLASSIFYING,
        range=(1, 64),
        at_configure=True,
    ),
    Param(
        "onnx_inter_op_threads",
        _core("config", "inter_op_threads"),
        "onnxruntime threads across operators.",
        CLASSIFYING,
        range=(1, 64),
        at_configure=True,
    ),
    Param(
        "execution_providers",
        list(_core("config", "providers")),
        "onnxruntime execution providers in order of preference, e.g. "
        "['CUDAExecutionProvider', 'CPUExecutionProvider'].",
        CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "iou_threshold",
        _core("config", "iou_threshold"),
        "Tracking: least box overlap (IoU) to continue a track.",
        CLASSIFYING,
        range=(0.01, 1.0),
        at_configure=True,
    ),
    Param(
        "smoothing_alpha",
        _core("config", "smoothing_alpha"),
        "Weight of the newest frame in each track's moving average of probabilities "
        "(1 = no smoothing).",
        CLASSIFYING,
        range=(0.01, 1.0),
        at_configure=True,
    ),
    Param(
        "max_missed_frames",
        _core("config", "max_missed"),
        "A track expires after this many frames without its face.",
        CLASSIFYING,
        range=(0, 1000),
        at_configure=True,
    ),
    Param(
        "track_high_score",
        _core("config", "track_high_score"),
        "Tracking: detections scoring at least this may start a track; weaker ones (down to "
        "min_detection_score) only continue an existing track and are dropped otherwise "
        "(ByteTrack's two stages). YuNet reports nothing below yunet.score_threshold.",
        TRACKING,
        range=(0.0, 1.0),
        at_configure=True,
    ),
    Param(
        "camera_motion",
        _core("config", "camera_motion"),
        "Tracking: measure the camera's own motion between frames (optical flow on a 160 px "
        "wide copy, ~1.5 ms) and move every track with it, so identities hold while the robot "
        "turns its head.",
        TRACKING,
        at_configure=True,
    ),
    Param(
        "max_away",
        _core("config", "max_away"),
        "Tracking: frames a track waits, once its face has left the image (the camera turned "
        "away), for the face to come back and take its id again; 0 = expire at once.",
        TRACKING,
        range=(0, 10000),
        at_configure=True,
    ),
    Param(
        "align_faces",
        _core("config", "align_faces"),
        "Crop faces that have landmarks (YuNet) with the eyes level before the emotion and "
        "gender networks; faces without landmarks (Haar, BlazeFace) are cut axis-aligned "
        "either way. face_classifier gets the landmarks with faces/detections.",
        TRACKING,
        at_configure=True,
    ),
    Param(
        "min_attribute_face_size",
        _core("config", "min_attribute_face_size"),
        "Pixels: faces whose box is narrower are detected and tracked, but no head runs on them "
        "and their labels are published as unknown (FaceAnalysis.attributes_unknown; REP-155 "
        "expression and softbiometrics with confidence 0); the overlay marks them. Below 24 px "
        "the pipeline's gender accuracy falls to ~77 % and its age error doubles "
        "(benchmarks/README.md, face sizes). 0 = classify every face.",
        TRACKING,
        range=(0.0, 4096.0),
        at_configure=True,
    ),
    # --- head pose
    Param(
        "head_pose",
        _core("config", "head_pose"),
        "Estimate each face's head pose from its five landmarks (YuNet; docs/head-pose.md): yaw, "
        "pitch, roll, distance and looking_at_camera in faces/analysis, face_<id> and "
        "gaze_<id> on /tf with hri_publish. Subscribes `camera_info` beside `image` (remap it "
        "with the image; same QoS rule, image_qos) for the calibration.",
        TRACKING,
        at_configure=True,
    ),
    Param(
        "camera_fov",
        _core("config", "camera_fov"),
        "Horizontal field of view, degrees, of the approximate pinhole camera (square pixels, "
        "centred principal point) the head pose uses while no CameraInfo has arrived; the node "
        "logs once that it does.",
        TRACKING,
        range=(1.0, 179.0),
        at_configure=True,
    ),
    # --- ROS4HRI (REP-155)
    Param(
        "hri_publish",
        False,
        "Also publish REP-155 topics: /humans/faces/tracked, /humans/faces/<id>/{roi, "
        "cropped, aligned, landmarks, expression, softbiometrics} and the face_<id> and "
        "gaze_<id> frames on /tf (faces with landmarks).",
        HRI_PUBLISHING,
        at_configure=True,
    ),
    Param(
        "hri_face_width",
        128,
        "Width of REP-155 cropped face images (/humans/faces/width), pixels.",
        CLASSIFYING,
        range=(16, 1024),
        at_configure=True,
    ),
    Param(
        "hri_face_height",
        128,
        "Height of REP-155 cropped face images (/humans/faces/height), pixels.",
        CLASSIFYING,
        range=(16, 1024),
        at_configure=True,
    ),
    # --- privacy
    Param(
        "privacy",
        False,
        "No image of a face leaves the node: faces/overlay shows every face blurred (its box "
        "grown by 35 % per side, pixelated to 2x2 blocks, no landmarks drawn), REP-155 face "
        "images (cropped, aligned) are not advertised; boxes, ids and labels are published as "
        "usual.",
        (CLASSIFIER, OVERLAY, PIPELINE),
        at_configure=True,
    ),
    # --- overlay
    Param(
        "publish_markers",
        False,
        "Also publish a visualization_msgs/MarkerArray of text labels on faces/markers.",
        DRAWING,
    ),
)

BY_NAME = {p.name: p for p in PARAMS}


def params_for(node: str) -> list[Param]:
    return [p for p in PARAMS if node in p.nodes]


def markdown_table() -> str:
    """The parameter table of docs/ros-api.md (api_docs.py puts it there)."""
    short = {
        DETECTOR: "det",
        CLASSIFIER: "cls",
        OVERLAY: "ovl",
        PIPELINE: "pipe",
        HRI_CLASSIFIER: "hri",
    }
    rows = [
        "| parameter | type | default | range / values | nodes | description |",
        "|---|---|---|---|---|---|",
    ]
    for p in PARAMS:
        allowed = (
            f"[{p.range[0]}, {p.range[1]}]"
            if p.range
            else ", ".join(p.choices)
            if p.choices
            else ""
        )
        default = repr(p.default) if isinstance(p.default, str) else str(p.default)
        nodes = ", ".join(short[n] for n in p.nodes)
        note = " (at configure)" if p.at_configure else ""
        rows.append(
            f"| `{p.name}` | {p.type_name} | `{default}` | {allowed} | {nodes} | "
            f"{p.description}{note} |"
        )
    return "\n".join(rows)


def parameters_yaml() -> str:
    """config/face_analysis.yaml: every parameter at its default, for all nodes (`/**`); each
    node reads the ones it declares."""
    lines = [
        "# Parameters of the face_analysis nodes, at their defaults. Generated by",
        "#   python -m face_analysis.ros.params > config/face_analysis.yaml",
        "# Ranges and descriptions: docs/ros-api.md, section Parameters.",
        "/**:",
        "  ros__parameters:",
    ]
    for p in PARAMS:
        value = (
            f'"{p.default}"'
            if isinstance(p.default, str)
            else str(p.default).lower()
            if isinstance(p.default, bool)
            else "[" + ", ".join(f'"{v}"' for v in p.default) + "]"
            if isinstance(p.default, list)
            else str(p.default)
        )
        lines.append(f"    {p.name}: {value}")
    return "\n".join(lines) + "\n"


# --- parameter values -> core AnalyzerConfig (the one mapping, shared by every node)

DETECTOR_SETTINGS = {
    "haar": ("scale_factor", "min_neighbors", "min_size", "min_relative_size", "downscale"),
    "blazeface": ("model", "min_confidence", "tile_size"),
    "yunet": (
        "score_threshold",
        "nms_threshold",
        "min_size",
        "downscale",
        "refine_below",
        "derotate_above",
        "threads",
        "model",
    ),
}


def analyzer_config(values: dict, *, detect: bool, classify: bool) -> AnalyzerConfig:
    """The AnalyzerConfig of a node's parameter values: the detection part, the classification
    (and tracking) part, or both."""
    defaults = AnalyzerConfig()
    config = AnalyzerConfig(detector=None, emotion_model=None, gender_model=None, age_model=None)
    if detect:
        name = values["detector"]
        config.detector = name
        # An empty string (yunet.model) leaves the detector its own default.
        settings = {key: values[f"{name}.{key}"] for key in DETECTOR_SETTINGS[name]}
        config.detector_settings = {key: value for key, value in settings.items() if value != ""}
        config.min_detection_score = values["min_detection_score"]
        config.max_faces = values["max_faces"]
    if classify:
        config.emotion_model = values["emotion_model"] or defaults.emotion_model
        config.gender_model = values["gender_model"] or defaults.gender_model
        config.age_model = values["age_model"] or defaults.age_model
        config = with_heads(config, values["heads"])
        config.intra_op_threads = values["onnx_intra_op_threads"]
        config.inter_op_threads = values["onnx_inter_op_threads"]
        config.providers = list(values["execution_providers"])
        config.iou_threshold = values["iou_threshold"]
        config.smoothing_alpha = values["smoothing_alpha"]
        config.max_missed = values["max_missed_frames"]
        for key in (
            "track_high_score",
            "camera_motion",
            "max_away",
            "align_faces",
            "min_attribute_face_size",
            "head_pose",
            "camera_fov",
            "attribute_every",
            "detect_every",
        ):
            if key in values:  # TRACKING nodes only (detect_every: the pipeline)
                setattr(config, key, values[key])
    return config


if __name__ == "__main__":
    print(parameters_yaml(), end="")
