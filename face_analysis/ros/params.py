"""Every ROS parameter of the face_analysis nodes, with its descriptor and range, which nodes take
it, and how the values map onto the core's AnalyzerConfig.

The analyzer's settings are described once, in the core (core/config.py SETTINGS, the detectors'
DETECTOR_SETTINGS): their parameters carry the same names, descriptions and ranges, with a ROS
note where a node adds something. Only the ROS-only parameters are written out here. The nodes
declare from PARAMS (runtime/node_params.py); `config/face_analysis.yaml` is generated from it
(`python -m face_analysis.ros.params > config/face_analysis.yaml`) and so is the parameter table
of docs/ros-api.md (api_docs.py); test/ros/test_api_docs.py fails when either has drifted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ..core.config import BY_NAME as CORE
from ..core.config import GROUPS, HEAD_MODELS, HEADS_SETTING, SETTINGS, AnalyzerConfig, with_heads
from ..core.detect import DETECTOR_SETTINGS, DETECTORS
from ..core.setting import Setting

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


@dataclass(frozen=True)
class Param(Setting):
    nodes: Sequence[str] = ()
    at_configure: bool = False  # a change takes effect at the next configure

    @property
    def type_name(self) -> str:
        if isinstance(self.default, bool):
            return "bool"
        if isinstance(self.default, (list, tuple)):
            return "string[]"
        return type(self.default).__name__.replace("str", "string").replace("float", "double")


# --- which nodes take each analyzer setting (heads: core.config.HEADS_SETTING; detector_settings:
# the rows <detector>.<setting>); all but LIVE take effect at the next configure
TAKEN_BY = {
    DETECTING: ("detector", "detector_settings", "min_detection_score", "max_faces"),
    (PIPELINE,): ("detect_every",),
    CLASSIFYING: (
        "heads",
        "emotion_model",
        "gender_model",
        "age_model",
        "intra_op_threads",
        "inter_op_threads",
        "providers",
        "smoothing_alpha",
    ),
    # hri_face_classifier only smooths the faces another node tracks
    TRACKING: (
        "iou_threshold",
        "max_missed",
        "attribute_every",
        "track_high_score",
        "camera_motion",
        "max_away",
        "align_faces",
        "min_attribute_face_size",
        "head_pose",
        "camera_fov",
        "identity",
        "identity_memory_s",
        "identity_gallery",
        "identity_threshold",
        "identity_max_per_frame",
    ),
}
NODES = {name: nodes for nodes, names in TAKEN_BY.items() for name in names}
LIVE = ("min_detection_score", "max_faces")
# The analyzer settings that are not one parameter of the same name, and why.
NOT_ONE_PARAMETER = {
    "detector_settings": "a dict: one parameter per detector setting, <detector>.<setting> "
    "(yunet.downscale, haar.min_size, ...)",
}
# Model paths: an empty parameter means the shipped model (the core's default path depends on
# where the package is installed, which a parameters file should not have to know).
EMPTY_IS_SHIPPED = tuple(HEAD_MODELS.values())
# What a node adds to a setting's core description.
ROS_NOTES = {
    "heads": "[] for none. The REP-155 topic of a head not listed (expression; softbiometrics "
    "for gender and age) is not advertised, its faces/analysis fields (msg/FaceAnalysis.msg) "
    "are empty.",
    **dict.fromkeys(EMPTY_IS_SHIPPED, "Empty: the shipped model."),
    "detect_every": "faces/detections then carries the predicted boxes.",
    "align_faces": "face_classifier gets the landmarks with faces/detections.",
    "min_attribute_face_size": "In the messages: FaceAnalysis.attributes_unknown, REP-155 "
    "expression and softbiometrics with confidence 0; the overlay marks them.",
    "head_pose": "Published in faces/analysis, and as face_<id> and gaze_<id> on /tf with "
    "hri_publish. Subscribes `camera_info` beside `image` (remap it with the image; same QoS "
    "rule, image_qos) for the calibration; without one, camera_fov's camera, which the node logs "
    "once.",
}
# Renamed parameters (old -> new), still declared and read for one release (node_params.py).
RENAMED = {
    "max_missed_frames": "max_missed",
    "onnx_intra_op_threads": "intra_op_threads",
    "onnx_inter_op_threads": "inter_op_threads",
    "execution_providers": "providers",
}


def _param(setting: Setting, name: str, nodes: Sequence[str]) -> Param:
    """Parameter `name` of a core setting: its description (with the ROS note), unit, range and
    choices; lists as string lists, and "" where the core's default is a path or None."""
    default = setting.default
    if name in EMPTY_IS_SHIPPED or default is None:
        default = ""
    elif isinstance(default, (list, tuple)):
        default = list(default)
    note = ROS_NOTES.get(name, "Empty: none given." if setting.default is None else None)
    described = {
        **dataclasses.asdict(setting),
        "name": name,
        "default": default,
        "description": f"{setting.description} {note}" if note else setting.description,
    }
    return Param(**described, nodes=nodes, at_configure=name not in LIVE)


def _detector_params() -> list[Param]:
    """<detector>.<setting> for every detector, the default detector's first."""
    default_first = sorted(DETECTOR_SETTINGS, key=lambda name: name != CORE["detector"].default)
    rows = []
    for detector in default_first:
        label = DETECTORS[detector].__name__.removesuffix("Detector")
        for setting in DETECTOR_SETTINGS[detector]:
            text = setting.description
            labelled = dataclasses.replace(
                setting, description=f"{label}: {text[0].lower()}{text[1:]}"
            )
            rows.append(_param(labelled, f"{detector}.{setting.name}", NODES["detector_settings"]))
    return rows


def _analyzer_params() -> list[Param]:
    """The parameters of the analyzer's settings, by group, in the core's order."""
    rows = []
    for group in GROUPS:
        for setting in (HEADS_SETTING, *SETTINGS):
            if setting.group != group:
                continue
            if setting.name in NOT_ONE_PARAMETER:
                rows += _detector_params()
            else:
                rows.append(_param(setting, setting.name, NODES[setting.name]))
    return rows


PARAMS: tuple[Param, ...] = (
    # --- lifecycle, camera input, diagnostics
    Param(
        "autostart",
        "Configure and activate at start, without a lifecycle manager; robot.launch.py sets it "
        "(autostart:=true), so a respawned process comes back active on its own.",
        False,
        nodes=ALL_NODES,
    ),
    Param(
        "image_transport",
        "Camera input: 'raw' subscribes sensor_msgs/Image on `image`, 'compressed' "
        "sensor_msgs/CompressedImage (jpeg/png) on `image/compressed`.",
        "raw",
        choices=("raw", "compressed"),
        nodes=CAMERA_NODES,
        at_configure=True,
    ),
    Param(
        "image_qos",
        "Reliability of the camera subscription: 'auto' matches the camera's publisher "
        "(re-subscribing if it changes), or force 'reliable'/'best_effort'.",
        "auto",
        choices=("auto", "reliable", "best_effort"),
        nodes=CAMERA_NODES,
        at_configure=True,
    ),
    Param(
        "max_rate",
        "Most frames per second to process; 0 processes every frame that arrives while idle "
        "(the newest one; older waiting frames are dropped and counted).",
        0.0,
        unit="Hz",
        range=(0.0, 1000.0),
        nodes=DETECTING,
    ),
    Param(
        "no_image_timeout",
        "Seconds after activation (or after the last frame) without an image before the node "
        "logs what it subscribes to and which image topics exist; also the diagnostics WARN "
        "level for silence (ERROR at 3x). hri_face_classifier: how long a tracked face may go "
        "without a cropped image before it is reported.",
        5.0,
        unit="s",
        range=(0.5, 600.0),
        nodes=ALL_NODES,
        at_configure=True,
    ),
    Param(
        "latency_warn_ms",
        "Processing latency (frame arrival to publish) above which /diagnostics reports WARN.",
        50.0,
        unit="ms",
        range=(1.0, 60000.0),
        nodes=ALL_NODES,
    ),
    Param(
        "latency_error_ms",
        "Processing latency above which /diagnostics reports ERROR.",
        200.0,
        unit="ms",
        range=(1.0, 60000.0),
        nodes=ALL_NODES,
    ),
    Param(
        "pairing_cache_size",
        "Images (or results) kept while waiting for the message with the same stamp on the "
        "other input; unpaired ones are dropped and counted.",
        10,
        unit="messages",
        range=(1, 200),
        nodes=PAIRING,
        at_configure=True,
    ),
    # --- the analyzer's settings (core/config.py, core/detect.py)
    *_analyzer_params(),
    # --- how the pipeline runs, and what the nodes publish
    Param(
        "pipeline_overlap",
        "Two threads: detect frame n+1 while frame n is classified, tracked and published "
        "(onnxruntime releases the GIL while it runs). Raises throughput on a machine with a "
        "spare core, not the latency of a frame; order and stamps are kept, and only the "
        "camera input drops frames (the newest waits). false: one thread does all.",
        False,
        nodes=(PIPELINE,),
        at_configure=True,
    ),
    Param(
        "hri_publish",
        "Also publish REP-155 topics: /humans/faces/tracked, /humans/faces/<id>/{roi, "
        "cropped, aligned, landmarks, expression, softbiometrics} and the face_<id> and "
        "gaze_<id> frames on /tf (faces with landmarks).",
        False,
        nodes=HRI_PUBLISHING,
        at_configure=True,
    ),
    Param(
        "hri_face_width",
        "Width of REP-155 cropped face images (/humans/faces/width).",
        128,
        unit="px",
        range=(16, 1024),
        nodes=CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "hri_face_height",
        "Height of REP-155 cropped face images (/humans/faces/height).",
        128,
        unit="px",
        range=(16, 1024),
        nodes=CLASSIFYING,
        at_configure=True,
    ),
    Param(
        "privacy",
        "No image of a face leaves the node: faces/overlay shows every face blurred (its box "
        "grown by 35 % per side, pixelated to 2x2 blocks, no landmarks drawn), REP-155 face "
        "images (cropped, aligned) are not advertised; boxes, ids and labels are published as "
        "usual.",
        False,
        nodes=(CLASSIFIER, OVERLAY, PIPELINE),
        at_configure=True,
    ),
    Param(
        "publish_markers",
        "Also publish a visualization_msgs/MarkerArray of text labels on faces/markers.",
        False,
        nodes=DRAWING,
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
        "| parameter | type | default | range / values | unit | nodes | description |",
        "|---|---|---|---|---|---|---|",
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
            f"| `{p.name}` | {p.type_name} | `{default}` | {allowed} | {p.unit} | {nodes} | "
            f"{p.description}{note} |"
        )
    return "\n".join(rows)


def renamed_table() -> str:
    """The renamed parameters of docs/ros-api.md."""
    rows = ["| old name (deprecated) | new name |", "|---|---|"]
    rows += [f"| `{old}` | `{new}` |" for old, new in RENAMED.items()]
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

DETECTION = tuple(name for name in TAKEN_BY[DETECTING] if name not in NOT_ONE_PARAMETER)
CLASSIFICATION = tuple(name for name in NODES if name not in TAKEN_BY[DETECTING] + ("heads",))


def analyzer_config(values: dict, *, detect: bool, classify: bool) -> AnalyzerConfig:
    """The AnalyzerConfig of a node's parameter values: the detection part, the classification
    (and tracking) part, or both."""
    changes = {"detector": None, **dict.fromkeys(EMPTY_IS_SHIPPED)}
    if detect:
        name = values["detector"]
        settings = {s.name: values[f"{name}.{s.name}"] for s in DETECTOR_SETTINGS[name]}
        # An empty string (yunet.model) leaves the detector its own default.
        changes["detector_settings"] = {
            key: value for key, value in settings.items() if value != ""
        }
        changes.update({key: values[key] for key in DETECTION})
    if classify:
        # TRACKING settings: in the values of the nodes that track only (detect_every: pipeline)
        changes.update({key: values[key] for key in CLASSIFICATION if key in values})
        changes.update({key: values[key] or CORE[key].default for key in EMPTY_IS_SHIPPED})
        changes["providers"] = list(values["providers"])
    config = AnalyzerConfig(**changes)
    return with_heads(config, values["heads"]) if classify else config


if __name__ == "__main__":
    print(parameters_yaml(), end="")
