"""Typed errors of the inference core, so callers (CLI, ROS nodes) can report bad input clearly
instead of crashing inside OpenCV or onnxruntime."""


class FaceAnalysisError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigError(FaceAnalysisError, ValueError):
    """A setting that is unknown, out of range or inconsistent."""


class ModelError(FaceAnalysisError):
    """A model file that is missing, unreadable, or not shaped like a face_analysis head."""


class DetectorUnavailableError(ConfigError):
    """A detector whose optional dependency is not installed."""
