"""Reading camera frames back from a rosbag2 bag, with a clear message for each way a bag can
be unusable, and per-frame errors (undecodable message, unsupported encoding) handed to the
caller instead of raised, so one bad frame does not end a whole evaluation or replay."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader, ReaderError

from ..core.errors import FaceAnalysisError
from ..core.image_codec import decode_compressed, decode_image
from .mcap_salvage import SalvagedMcap
from .typestore import COMPRESSED_IMAGE, IMAGE, IMAGE_TYPES, typestore


class BagError(FaceAnalysisError):
    """A bag that cannot be used at all: missing, unreadable, or without the wanted images."""


@dataclass(frozen=True)
class TopicInfo:
    name: str
    msgtype: str
    count: int


@dataclass
class BagFrame:
    index: int  # position among the topic's messages, from 0
    topic: str
    msgtype: str
    log_time_ns: int
    msg: object | None  # the deserialized message; None when it could not be
    error: str | None = None

    @property
    def stamp_ns(self) -> int:
        """The header stamp; the bag's log time for a message that could not be read."""
        if self.msg is None:
            return self.log_time_ns
        stamp = self.msg.header.stamp
        return int(stamp.sec) * 10**9 + int(stamp.nanosec)

    @property
    def frame_id(self) -> str:
        return "" if self.msg is None else str(self.msg.header.frame_id)

    def image(self) -> np.ndarray:
        """The frame as uint8 BGR or gray; ImageEncodingError when it cannot be decoded."""
        if self.msgtype == COMPRESSED_IMAGE:
            return decode_compressed(self.msg)
        return decode_image(self.msg)


def open_reader(path: Path) -> Reader:
    if not path.exists():
        raise BagError(f"bag not found: {path}")
    try:
        reader = Reader(path)
        reader.open()
    except FileNotFoundError as exc:  # rosbags' words for a folder without metadata.yaml
        raise BagError(f"{path} is not a rosbag2 bag: it has no metadata.yaml") from exc
    except ReaderError as exc:
        raise BagError(f"{path}: cannot read the bag, it is corrupt or truncated ({exc})") from exc
    return reader


class ImageBag:
    """The frames of one image topic of a bag. topic: the wanted topic, or None for the bag's
    image topic (raw Image preferred over CompressedImage, then the one with most messages).

    A truncated mcap (a recorder that died before writing the file's index and end marker) is
    still read up to its last complete message; `problems` then says what was lost."""

    def __init__(self, path: str | Path, topic: str | None = None):
        self.path = Path(path)
        self.problems: list[str] = []
        self._reader: Reader | None = None
        self._salvage: SalvagedMcap | None = None
        try:
            self._reader = open_reader(self.path)
            self.topics = [
                TopicInfo(c.topic, c.msgtype, c.msgcount) for c in self._reader.connections
            ]
        except BagError as exc:
            self._salvage = self._try_salvage(exc)
            self.topics = [TopicInfo(*entry) for entry in self._salvage.topics()]
        try:
            self.topic = self._choose(topic)
        except BagError:
            self.close()
            raise

    def _try_salvage(self, error: BagError) -> SalvagedMcap:
        """The readable start of a damaged single-file mcap bag; `error` if there is none."""
        if self.path.is_file():
            files = [self.path] if self.path.suffix == ".mcap" else []
        else:
            files = sorted(self.path.glob("*.mcap")) if self.path.is_dir() else []
        if len(files) != 1:
            raise error
        try:
            salvage = SalvagedMcap(files[0])
        except (OSError, ReaderError):
            raise error from None
        count = len(salvage.complete_messages)
        if salvage.stopped is None:
            self.problems.append(f"{error}; read its {count} messages from {files[0].name} alone")
        elif count:
            self.problems.append(
                f"{error}; read the {count} complete messages before the damage ({salvage.stopped})"
            )
        else:
            raise BagError(
                f"{error}; no complete message before the damage ({salvage.stopped})"
            ) from None
        return salvage

    @property
    def image_topics(self) -> list[TopicInfo]:
        return [t for t in self.topics if t.msgtype in IMAGE_TYPES]

    def _choose(self, wanted: str | None) -> TopicInfo:
        listing = ", ".join(f"{t.name} [{t.msgtype}]" for t in self.topics) or "none"
        if wanted is not None:
            match = [t for t in self.topics if t.name == wanted]
            if not match:
                raise BagError(f"{self.path}: no topic {wanted!r} (topics: {listing})")
            if match[0].msgtype not in IMAGE_TYPES:
                raise BagError(
                    f"{self.path}: topic {wanted} has type {match[0].msgtype}, not "
                    f"{IMAGE} or {COMPRESSED_IMAGE}"
                )
            return match[0]
        candidates = self.image_topics
        if not candidates:
            raise BagError(
                f"{self.path}: no image topic ({IMAGE} or {COMPRESSED_IMAGE}) in the "
                f"bag (topics: {listing})"
            )
        return max(candidates, key=lambda t: (t.msgtype == IMAGE, t.count))

    def _raw_messages(self) -> Iterator[tuple[int, bytes]]:
        if self._salvage is not None:
            yield from self._salvage.messages(self.topic.name)
            return
        connections = [c for c in self._reader.connections if c.topic == self.topic.name]
        try:
            for _, timestamp, data in self._reader.messages(connections=connections):
                yield timestamp, data
        except (ReaderError, OSError, ValueError, sqlite3.DatabaseError) as exc:
            # A damaged sqlite page or chunk mid-file: keep what was read, say what was not.
            self.problems.append(
                f"{self.path}: reading stopped early, the bag is corrupt "
                f"({type(exc).__name__}: {exc})"
            )

    def frames(self) -> Iterator[BagFrame]:
        """The topic's messages in log-time order, deserialized; a message that does not
        deserialize comes as a frame with msg None and the reason in `error`."""
        store, msgtype = typestore(), self.topic.msgtype
        for index, (timestamp, data) in enumerate(self._raw_messages()):
            try:
                msg, error = store.deserialize_cdr(data, msgtype), None
            except Exception as exc:  # rosbags raises assorted errors on malformed CDR
                msg, error = None, f"undecodable {msgtype} message ({type(exc).__name__})"
            yield BagFrame(index, self.topic.name, msgtype, timestamp, msg, error)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def __enter__(self) -> ImageBag:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
