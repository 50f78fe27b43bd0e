"""Writing rosbag2 bags with `rosbags`: camera frames as sensor_msgs/Image and/or
CompressedImage (jpeg), stamped as a camera driver would stamp them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer, WriterError

from ..core.errors import FaceAnalysisError
from ..core.image_codec import encode_compressed, encode_image
from .typestore import COMPRESSED_IMAGE, IMAGE, typestore

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
IMAGE_MODES = ("raw", "compressed", "both")


def open_writer(path: str | Path, storage: str = "mcap") -> Writer:
    """An opened rosbags Writer; the caller closes it."""
    if storage not in STORAGES:
        raise FaceAnalysisError(f"unknown bag storage {storage!r}; choose from {sorted(STORAGES)}")
    try:
        writer = Writer(Path(path), version=Writer.VERSION_LATEST, storage_plugin=STORAGES[storage])
        writer.open()
    except WriterError as exc:
        raise FaceAnalysisError(f"cannot create the bag: {exc}") from exc
    return writer


def header(stamp_ns: int, frame_id: str):
    types = typestore().types
    stamp = types["builtin_interfaces/msg/Time"](sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
    return types["std_msgs/msg/Header"](stamp=stamp, frame_id=frame_id)


def compressed_topic(topic: str) -> str:
    """image_transport's naming: the compressed stream of `image` is `image/compressed`."""
    return topic.rstrip("/") + "/compressed"


class ImageBagWriter:
    """Frames of one camera into a new bag. images: "raw" (Image on `topic`), "compressed"
    (jpeg CompressedImage on `topic`/compressed), or "both". Each message is logged at its
    header stamp, as if recorded live with no delay."""

    def __init__(
        self,
        path: str | Path,
        storage: str = "mcap",
        topic: str = "/camera/image_raw",
        images: str = "raw",
        jpeg_quality: int = 90,
        encoding: str = "bgr8",
    ):
        if images not in IMAGE_MODES:
            raise FaceAnalysisError(f"images must be one of {IMAGE_MODES}, got {images!r}")
        if not 1 <= jpeg_quality <= 100:
            raise FaceAnalysisError(f"jpeg quality must be in 1..100, got {jpeg_quality}")
        self.path, self.encoding, self.jpeg_quality = Path(path), encoding, jpeg_quality
        self.count = 0
        self._writer = open_writer(path, storage)
        store = typestore()
        self._raw = (
            self._writer.add_connection(topic, IMAGE, typestore=store)
            if images in ("raw", "both")
            else None
        )
        self._compressed = (
            self._writer.add_connection(compressed_topic(topic), COMPRESSED_IMAGE, typestore=store)
            if images in ("compressed", "both")
            else None
        )

    def write(self, image: np.ndarray, stamp_ns: int, frame_id: str) -> None:
        store, head = typestore(), header(stamp_ns, frame_id)
        if self._raw is not None:
            fields = encode_image(image, SimpleNamespace(), self.encoding)
            msg = store.types[IMAGE](
                header=head,
                height=fields.height,
                width=fields.width,
                encoding=fields.encoding,
                is_bigendian=fields.is_bigendian,
                step=fields.step,
                data=np.frombuffer(fields.data, dtype=np.uint8),
            )
            self._writer.write(self._raw, stamp_ns, store.serialize_cdr(msg, IMAGE))
        if self._compressed is not None:
            msg = encode_compressed(
                image,
                store.types[COMPRESSED_IMAGE](header=head, format="", data=np.empty(0, np.uint8)),
                jpeg_quality=self.jpeg_quality,
            )
            self._writer.write(
                self._compressed, stamp_ns, store.serialize_cdr(msg, COMPRESSED_IMAGE)
            )
        self.count += 1

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ImageBagWriter:
        return self

    def __exit__(self, *exc_info: object | None) -> None:
        self.close()
