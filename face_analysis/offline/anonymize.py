"""An anonymised copy of a rosbag2 recording: every face blurred in every image topic (raw Image
and CompressedImage), each topic with its own tracker (core/anonymize.FrameAnonymizer); every
other message copied byte for byte, and every message, image or not, at its original log time
with its header unchanged. Its command line: face_analysis.commands.anonymize.

An image message that cannot be decoded cannot be blurred, so it is left out of the copy and
counted, rather than copied with its faces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import ReaderError
from tqdm import tqdm

from ..core.anonymize import FrameAnonymizer
from ..core.errors import FaceAnalysisError
from ..core.image_codec import decode_compressed, decode_image, encode_compressed, encode_image
from .bag_reader import BagError, open_reader
from .bag_writer import open_writer
from .typestore import COMPRESSED_IMAGE, IMAGE_TYPES, typestore

# Raw encodings written back as they came; 8UC1/8UC3 are mono8/bgr8 under another name. Other
# encodings (bgra8, yuv422, mono16, ...) come out as bgr8 or mono8, and are counted.
KEPT_ENCODINGS = {"bgr8": "bgr8", "rgb8": "rgb8", "mono8": "mono8", "8UC3": "bgr8", "8UC1": "mono8"}


def storage_of(path: Path) -> str:
    """The rosbag2 storage of a bag folder or file: mcap when it holds .mcap files."""
    if path.suffix == ".mcap" or (path.is_dir() and any(path.glob("*.mcap"))):
        return "mcap"
    return "sqlite3"


def blurred_message(msg, msgtype: str, anonymize: Callable[[np.ndarray], np.ndarray]):
    """`msg` with its pixels replaced by anonymize(its pixels); header and other fields kept.
    Returns (message, the raw encoding it had to change from, or None)."""
    if msgtype == COMPRESSED_IMAGE:
        codec = "png" if "png" in str(msg.format).lower() else "jpeg"
        fmt = msg.format
        encode_compressed(anonymize(decode_compressed(msg)), msg, codec)
        msg.format = fmt  # the source encoding it names is still true
        return msg, None
    original = str(msg.encoding)
    image = anonymize(decode_image(msg))
    target = KEPT_ENCODINGS.get(original, "bgr8" if image.ndim == 3 else "mono8")
    encode_image(image, msg, target)
    msg.data = np.frombuffer(msg.data, dtype=np.uint8)  # rosbags serialises numpy arrays
    if original in KEPT_ENCODINGS:
        msg.encoding = original
        return msg, None
    return msg, original


def anonymize_bag(
    source: str | Path,
    target: str | Path,
    make_anonymizer: Callable[[], FrameAnonymizer],
    progress: bool = False,
) -> dict:
    """Write the anonymised copy of `source` to the new bag `target` (same storage).
    make_anonymizer: a fresh FrameAnonymizer, one per image topic. Returns counts: messages
    copied, images blurred and faces (boxes) blurred per topic, images left out undecodable,
    raw images re-encoded (topic -> {old encoding: count})."""
    source = Path(source)
    reader = open_reader(source)
    store = typestore()
    stats = {
        "copied": 0,
        "images": Counter(),
        "faces": Counter(),
        "dropped": Counter(),
        "reencoded": {},
    }
    try:
        writer = open_writer(target, storage_of(source))
        try:
            outputs, anonymizers = {}, {}
            for connection in reader.connections:
                outputs[connection.id] = writer.add_connection(
                    connection.topic,
                    connection.msgtype,
                    msgdef=connection.msgdef.data,
                    rihs01=connection.digest,
                    serialization_format=connection.ext.serialization_format,
                    offered_qos_profiles=connection.ext.offered_qos_profiles,
                )
                if connection.msgtype in IMAGE_TYPES:
                    anonymizers[connection.id] = make_anonymizer()
            with tqdm(
                total=reader.message_count, unit="msg", desc="anonymising", disable=not progress
            ) as bar:
                for connection, timestamp, data in reader.messages():
                    anonymizer = anonymizers.get(connection.id)
                    if anonymizer is not None:
                        data = _blurred(store, connection, data, anonymizer, stats)
                    if data is not None:
                        writer.write(outputs[connection.id], timestamp, data)
                        stats["copied"] += 1
                    bar.update()
        finally:
            writer.close()
    except ReaderError as exc:
        raise BagError(f"{source}: reading stopped, the bag is corrupt ({exc})") from exc
    finally:
        reader.close()
    return stats


def _blurred(store, connection, data: bytes, anonymizer: FrameAnonymizer, stats) -> bytes | None:
    """One image message blurred and serialised again; None (counted) if it cannot be read."""
    topic, msgtype = connection.topic, connection.msgtype
    faces = []

    def anonymize(image: np.ndarray) -> np.ndarray:
        blurred, boxes = anonymizer(image)
        faces.extend(boxes)
        return blurred

    try:
        msg = store.deserialize_cdr(data, msgtype)
    except Exception:  # rosbags raises assorted errors on malformed CDR
        stats["dropped"][topic] += 1
        return None
    try:
        msg, changed = blurred_message(msg, msgtype, anonymize)
    except FaceAnalysisError:  # pixels that do not decode (ImageEncodingError, PreprocessError)
        stats["dropped"][topic] += 1
        return None
    if changed:
        encodings = stats["reencoded"].setdefault(topic, Counter())
        encodings[changed] += 1
    stats["images"][topic] += 1
    stats["faces"][topic] += len(faces)
    return store.serialize_cdr(msg, msgtype)
