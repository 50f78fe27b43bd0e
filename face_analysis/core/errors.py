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


class GalleryError(FaceAnalysisError):
    """The gallery of known people cannot do what was asked; nothing was changed."""


class GalleryCorruptError(GalleryError):
    """A gallery file that is not a face_analysis gallery, is damaged, or is of another version."""


class GalleryLockedError(GalleryError):
    """Another process kept the gallery locked for writing longer than we waited."""


class UnknownPersonError(GalleryError):
    """A name or person id that the gallery does not hold."""


class EnrolmentError(FaceAnalysisError):
    """No single face to enrol: none found, several without a choice, or one without landmarks."""
