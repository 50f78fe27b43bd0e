"""ROS parameter values -> core AnalyzerConfig (the one mapping, shared by every node)."""
from __future__ import annotations

from ..core.analyzer import AnalyzerConfig

DETECTOR_SETTINGS = {"haar": ("scale_factor", "min_neighbors", "min_size", "min_relative_size",
                              "downscale"),
                     "blazeface": ("model", "min_confidence", "tile_size")}


def analyzer_config(values: dict, *, detect: bool, classify: bool) -> AnalyzerConfig:
    defaults = AnalyzerConfig()
    config = AnalyzerConfig(detector=None, emotion_model=None, gender_model=None)
    if detect:
        name = values["detector"]
        config.detector = name
        config.detector_settings = {key: values[f"{name}.{key}"] for key in DETECTOR_SETTINGS[name]}
        config.min_detection_score = values["min_detection_score"]
        config.max_faces = values["max_faces"]
    if classify:
        config.emotion_model = values["emotion_model"] or defaults.emotion_model
        config.gender_model = values["gender_model"] or defaults.gender_model
        config.intra_op_threads = values["onnx_intra_op_threads"]
        config.inter_op_threads = values["onnx_inter_op_threads"]
        config.providers = list(values["execution_providers"])
        config.iou_threshold = values["iou_threshold"]
        config.smoothing_alpha = values["smoothing_alpha"]
        config.max_missed = values["max_missed_frames"]
    return config
