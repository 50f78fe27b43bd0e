"""Every declared ROS parameter is checked at a value other than its default.

The analyzer's settings and the detectors' are checked here: each node, built in this process with
every one of its parameters at a non-default value and configured, must hold exactly those values
in the AnalyzerConfig it built (a parameter the mapping forgot would keep the core's default). The
parameters that are not analyzer settings act on the node itself (rates, QoS, outputs); each is
listed with the test that runs a node at a non-default value of it and checks the effect. A new
parameter that is in neither list fails test_every_parameter_has_a_non_default_check."""

from __future__ import annotations

import ast
from contextlib import contextmanager
from pathlib import Path

import cv2
import pytest
import rclpy
from paths import REPO, model_path
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter

from face_analysis.core.config import HEAD_MODELS, SETTINGS
from face_analysis.core.detect import DETECTOR_SETTINGS, HAAR_CASCADE
from face_analysis.ros import params
from face_analysis.ros.nodes.face_analysis_pipeline import FaceAnalysisPipelineNode
from face_analysis.ros.nodes.face_classifier import FaceClassifierNode
from face_analysis.ros.nodes.face_detector import FaceDetectorNode
from face_analysis.ros.nodes.face_overlay import FaceOverlayNode
from face_analysis.ros.nodes.hri_face_classifier import HriFaceClassifierNode

NODE_CLASSES = {
    params.DETECTOR: FaceDetectorNode,
    params.CLASSIFIER: FaceClassifierNode,
    params.OVERLAY: FaceOverlayNode,
    params.PIPELINE: FaceAnalysisPipelineNode,
    params.HRI_CLASSIFIER: HriFaceClassifierNode,
}
ANALYZER = {s.name for s in SETTINGS}
DETECTOR_PARAMS = {
    f"{name}.{s.name}" for name, settings in DETECTOR_SETTINGS.items() for s in settings
}
# Non-default values that must also be usable files or providers; the rest are generated.
USABLE = {
    "emotion_model": model_path("emotion"),  # the default is emotion_ferplus.onnx
    "gender_model": model_path("gender"),  # the default is "" (the shipped file)
    "age_model": model_path("age"),
    "heads": ["gender", "age"],
    "providers": ["AzureExecutionProvider", "CPUExecutionProvider"],
    "yunet.model": str(REPO / "models" / "yunet" / "yunet_s_dynamic.onnx"),
    "haar.cascade": str(Path(cv2.data.haarcascades) / HAAR_CASCADE),
    "blazeface.tile_size": 256,  # 0 (off) or at least 64
    # identity: session (the first value other than off) leaves this gallery file unopened
    "identity_gallery": str(REPO / "build" / "every_parameter_people.db"),
}
# The parameters that act on the node rather than the analyzer: the test that runs a node at a
# non-default value of each and checks what it does.
EFFECT_TESTS = {
    (
        "launch/test_launch_arguments.py",
        "test_deprecated_composed_selects_separate_processes_with_a_warning",
    ): ("autostart",),
    ("ros/test_bad_input.py", "test_bad_frames_are_counted_and_the_next_good_frame_is_processed"): (
        "image_transport",
        "image_qos",
    ),
    ("ros/test_live_parameters.py", "test_max_rate_throttles_the_running_node"): ("max_rate",),
    ("ros/test_silence_explained.py", "test_wrong_topic_is_explained_in_the_log_and_diagnostics"): (
        "no_image_timeout",
    ),
    ("ros/test_live_parameters.py", "test_latency_thresholds_set_the_diagnostics_level"): (
        "latency_warn_ms",
        "latency_error_ms",
    ),
    ("ros/test_overlay_idle.py", "test_idle_overlay_counts_no_unpaired_analyses"): (
        "pairing_cache_size",
    ),
    ("launch/test_robot_launch.py", "TestRobotLaunch"): ("pipeline_overlap",),
    ("launch/test_hri_outputs_launch.py", "test_roi_cropped_and_markers_describe_the_faces"): (
        "hri_publish",
        "hri_face_width",
        "hri_face_height",
        "publish_markers",
    ),
    ("launch/test_heads_privacy_launch.py", "TestHeadsAndPrivacy"): ("privacy",),
    ("ros/test_node_parameters.py", "test_renamed_parameters_warn_and_set_the_new_ones"): tuple(
        params.RENAMED
    ),
}
CHECKED_BY_EFFECT = {name for names in EFFECT_TESTS.values() for name in names}


def non_default(param: params.Param):
    """A value other than `param`'s default, inside its range or choices."""
    if param.name in USABLE:
        return USABLE[param.name]
    default = param.default
    if isinstance(default, bool):
        return not default
    if param.choices:
        return next(choice for choice in param.choices if choice != default)
    low, high = param.range
    if isinstance(default, int):
        return default + 1 if default < high else default - 1
    return (default + high) / 2 if default < high else (low + default) / 2


@contextmanager
def configured(kind: str, values: dict):
    """The node of `kind` built in this process with `values`, after configure."""
    context = rclpy.Context()
    rclpy.init(context=context)
    overrides = [Parameter(name, value=value) for name, value in values.items()]
    # Its own namespace: the other tests' processes talk to nodes of the same names.
    node = NODE_CLASSES[kind](
        context=context, namespace="every_parameter", parameter_overrides=overrides
    )
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        yield node
    finally:
        node.trigger_cleanup()
        node.destroy_node()
        rclpy.shutdown(context=context)


def expected_config(values: dict) -> dict:
    """The AnalyzerConfig fields `values` must produce."""
    expected = {name: value for name, value in values.items() if name in ANALYZER}
    if "heads" in values:
        for head, field in HEAD_MODELS.items():
            if head not in values["heads"]:
                expected[field] = None
    return expected


CASES = [
    (kind, detector)
    for kind in NODE_CLASSES
    for detector in (DETECTOR_SETTINGS if kind in params.DETECTING else (None,))
]


@pytest.mark.parametrize(("kind", "detector"), CASES)
def test_every_parameter_reaches_the_node(kind, detector):
    values = {p.name: non_default(p) for p in params.params_for(kind)}
    if detector is not None:
        values["detector"] = detector
    with configured(kind, values) as node:
        read = {name: node.values[name] for name in values}
        analyzer = getattr(node, "analyzer", None)
        config = None if analyzer is None else analyzer.config
    assert read == values
    if config is None:
        assert not expected_config(values), f"{kind} builds no analyzer"
        return
    for name, value in expected_config(values).items():
        assert getattr(config, name) == value, name
    if detector is not None:
        prefix = f"{detector}."
        settings = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
        assert config.detector_settings == settings
        assert type(analyzer.detector).__name__.lower().startswith(detector)


def test_every_parameter_has_a_non_default_check():
    declared = {p.name for p in params.PARAMS} | set(params.RENAMED)
    unchecked = declared - ANALYZER - DETECTOR_PARAMS - {"heads"} - CHECKED_BY_EFFECT
    assert not unchecked, f"parameters with no non-default check: {sorted(unchecked)}"
    assert not CHECKED_BY_EFFECT - declared, "EFFECT_TESTS names parameters that do not exist"
    for path, name in EFFECT_TESTS:
        tree = ast.parse((REPO / "test" / path).read_text())
        names = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert name in names, f"test/{path}::{name} does not exist"
