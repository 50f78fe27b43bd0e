"""The `rosbags` type store used for every bag we read or write: the ROS 2 Kilted standard
messages plus our own face_analysis/msg definitions, read from the .msg files themselves so
the bag's message definitions always match what rosidl builds."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore

from ..core.errors import FaceAnalysisError
from ..resources import resource_dir, resource_dirs

IMAGE = "sensor_msgs/msg/Image"
COMPRESSED_IMAGE = "sensor_msgs/msg/CompressedImage"
IMAGE_TYPES = (IMAGE, COMPRESSED_IMAGE)
FACE_ANALYSIS_ARRAY = "face_analysis/msg/FaceAnalysisArray"


def msg_dir() -> Path:
    """msg/ of the source checkout, else share/face_analysis/msg of an install."""
    folder = resource_dir("msg", marker="FaceAnalysisArray.msg")
    if not (folder / "FaceAnalysisArray.msg").is_file():
        raise FaceAnalysisError(
            f"face_analysis .msg files not found in {[str(c) for c in resource_dirs('msg')]}"
        )
    return folder


@lru_cache(maxsize=1)
def typestore():
    store = get_typestore(Stores.ROS2_KILTED)
    types = {}
    for path in sorted(msg_dir().glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"face_analysis/msg/{path.stem}"))
    store.register(types)
    return store
