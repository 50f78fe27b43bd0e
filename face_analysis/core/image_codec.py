"""sensor_msgs/Image and CompressedImage fields <-> numpy, without cv_bridge (not installable
from PyPI) and without ROS imports: it reads fields by name, so rclpy messages and the `rosbags`
message classes of recorded bags decode alike.

Decoded frames are uint8 BGR (H, W, 3) for colour encodings and uint8 gray (H, W) for mono ones.
"""

from __future__ import annotations

import cv2
import numpy as np

from .errors import FaceAnalysisError


class ImageEncodingError(FaceAnalysisError, ValueError):
    """An image message that cannot be decoded; `kind` names the problem for counters:
    'unsupported encoding', 'zero size', 'bad step', 'truncated data' or 'corrupt compressed'."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


# encoding -> (channels, bytes per channel, OpenCV conversion to BGR or None)
_RAW = {
    "bgr8": (3, 1, None),
    "rgb8": (3, 1, cv2.COLOR_RGB2BGR),
    "bgra8": (4, 1, cv2.COLOR_BGRA2BGR),
    "rgba8": (4, 1, cv2.COLOR_RGBA2BGR),
    "mono8": (1, 1, None),
    "8UC1": (1, 1, None),
    "8UC3": (3, 1, None),
    "mono16": (1, 2, None),
    "16UC1": (1, 2, None),
    "yuv422": (2, 1, cv2.COLOR_YUV2BGR_UYVY),  # ROS "yuv422" is UYVY byte order
    "uyvy": (2, 1, cv2.COLOR_YUV2BGR_UYVY),
    "yuv422_yuy2": (2, 1, cv2.COLOR_YUV2BGR_YUY2),
    "yuyv": (2, 1, cv2.COLOR_YUV2BGR_YUY2),
}
SUPPORTED_ENCODINGS = tuple(_RAW)


def _byte_array(data) -> np.ndarray:
    """rclpy gives array.array or bytes, rosbags numpy arrays; lists only from hand-made messages."""
    if isinstance(data, (list, tuple)):
        return np.array(data, dtype=np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


def decode_image(msg) -> np.ndarray:
    """A sensor_msgs/Image (anything with its fields) as a uint8 BGR or gray array."""
    encoding = str(msg.encoding)
    if encoding not in _RAW:
        raise ImageEncodingError(
            f"unsupported encoding '{encoding}' (supported: {', '.join(SUPPORTED_ENCODINGS)})",
            "unsupported encoding",
        )
    channels, depth, conversion = _RAW[encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageEncodingError(f"image has zero size ({width}x{height})", "zero size")
    row_bytes = width * channels * depth
    if channels == 2 and width % 2:
        raise ImageEncodingError(f"{encoding} needs an even width, got {width}", "bad step")
    if step < row_bytes:
        raise ImageEncodingError(
            f"step {step} is smaller than width x pixel size = {row_bytes}", "bad step"
        )
    buffer = _byte_array(msg.data)
    if buffer.size < step * (height - 1) + row_bytes:
        raise ImageEncodingError(
            f"data has {buffer.size} bytes, {height} rows of step {step} need {step * height}",
            "truncated data",
        )
    rows = np.lib.stride_tricks.as_strided(buffer, shape=(height, row_bytes), strides=(step, 1))
    if depth == 2:
        big_endian = bool(msg.is_bigendian)
        pixels = rows.copy().view(">u2" if big_endian else "<u2").reshape(height, width)
        return (pixels >> 8).astype(np.uint8)  # keep the high byte, as cv_bridge's mono16->mono8
    pixels = rows.reshape(height, width, channels) if channels > 1 else rows.reshape(height, width)
    if conversion is None:
        return np.ascontiguousarray(pixels)
    return cv2.cvtColor(np.ascontiguousarray(pixels), conversion)


def decode_compressed(msg) -> np.ndarray:
    """A sensor_msgs/CompressedImage (jpeg or png) as a uint8 BGR or gray array."""
    data = _byte_array(msg.data)
    if data.size == 0:
        raise ImageEncodingError(
            f"compressed image ({msg.format or 'no format'}) has no data", "corrupt compressed"
        )
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageEncodingError(
            f"compressed image ({msg.format or 'no format'}, {data.size} "
            "bytes) could not be decoded: corrupt or not jpeg/png",
            "corrupt compressed",
        )
    if image.dtype != np.uint8:
        image = (image >> 8).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def encode_compressed(image: np.ndarray, msg, codec: str = "jpeg", jpeg_quality: int = 90):
    """Fill `msg` (a sensor_msgs/CompressedImage or rosbags equivalent) from a uint8 BGR or gray
    array: its data, and its format in compressed_image_transport's words (source encoding;
    codec and result), e.g. "bgr8; jpeg compressed bgr8"."""
    if codec not in ("jpeg", "png"):
        raise ImageEncodingError(f"codec must be jpeg or png, got {codec!r}", "unsupported codec")
    options = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if codec == "jpeg" else []
    ok, data = cv2.imencode(".jpg" if codec == "jpeg" else ".png", image, options)
    if not ok:
        raise ImageEncodingError(f"OpenCV could not {codec}-encode the image", "encode failed")
    kind = "bgr8" if image.ndim == 3 else "mono8"
    msg.format = f"{kind}; {codec} compressed {kind}"
    msg.data = data.reshape(-1)
    return msg


def encode_image(image: np.ndarray, msg, encoding: str = "bgr8"):
    """Fill `msg` (a sensor_msgs/Image or rosbags equivalent) from a uint8 BGR or gray array."""
    if encoding == "bgr8":
        pixels = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif encoding == "rgb8":
        pixels = cv2.cvtColor(
            image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), cv2.COLOR_BGR2RGB
        )
    elif encoding == "mono8":
        pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    else:
        raise ImageEncodingError(
            f"encoding to '{encoding}' is not supported (bgr8, rgb8, mono8)", "unsupported encoding"
        )
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    msg.height, msg.width = pixels.shape[:2]
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = pixels.strides[0]
    msg.data = pixels.tobytes()
    return msg
