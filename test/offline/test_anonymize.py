"""face-analysis anonymize and record --anonymize: the default detector finds at most 2 % of the
original's faces in the anonymised copy of the bundled recording; raw and compressed topics are
both blurred, every other message is copied byte for byte, stamps and log times unchanged, and
an image that cannot be decoded is left out and counted. Every anonymised frame decodes, and it
differs from its original inside the blurred regions only."""

from types import SimpleNamespace

import cv2
import numpy as np
from paths import REPO, TEST_PHOTO
from rosbags.rosbag2 import Reader

from face_analysis.cli import main
from face_analysis.commands.options import anonymizer_factory
from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.anonymize import BLUR_MARGIN
from face_analysis.core.config import AnalyzerConfig, with_heads
from face_analysis.core.image_codec import ImageEncodingError, encode_compressed, encode_image
from face_analysis.offline.anonymize import anonymize_bag
from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.bag_writer import header, open_writer
from face_analysis.offline.typestore import COMPRESSED_IMAGE, IMAGE, typestore

SAMPLE = REPO / "samples" / "faces_demo"
MOST_LEFT = 0.02
# Mean absolute difference (grey levels) of an anonymised frame from its original: outside the
# blurred regions only a jpeg re-encoding's (measured 0.6 at most on the sample recording, 0 for
# raw images), inside them the face's detail is gone (measured 36 at least).
MOST_CHANGED_OUTSIDE = 2.0
LEAST_CHANGED_INSIDE = 15.0


def faces_found(bag, topic=None) -> int:
    """Faces the default detector finds over the decodable frames of the bag's image topic."""
    find, count = FaceAnalyzer(with_heads(AnalyzerConfig(), ())), 0
    with ImageBag(bag, topic) as images:
        for frame in images.frames():
            try:
                count += len(find.detect(frame.image()))
            except ImageEncodingError:
                pass
    return count


def frame_pairs(source, copy, topic=None):
    """(original, anonymised) images: every decodable frame of the source's image topic and its
    copy, in order (the tests compare stamps apart). Fails unless the copy has exactly one frame per
    decodable original and every one of them decodes."""
    with ImageBag(source, topic) as originals, ImageBag(copy, topic) as copies:
        kept = []
        for frame in originals.frames():
            try:
                kept.append(frame.image())
            except ImageEncodingError:
                pass
        made = list(copies.frames())
        assert len(made) == len(kept), f"{len(made)} anonymised frames of {len(kept)}"
        for original, frame in zip(kept, made):
            try:
                anonymised = frame.image()
            except ImageEncodingError as exc:
                raise AssertionError(
                    f"anonymised frame {frame.index} does not decode: {exc}"
                ) from exc
            assert anonymised.shape == original.shape, frame.index
            yield original, anonymised


def blurred_mask(shape, boxes) -> np.ndarray:
    """The pixels the blur covers: each box grown by BLUR_MARGIN of its size per side."""
    mask = np.zeros(shape[:2], bool)
    for box in boxes:
        grow_x, grow_y = BLUR_MARGIN * box.width, BLUR_MARGIN * box.height
        y0, x0 = max(int(box.y_min - grow_y), 0), max(int(box.x_min - grow_x), 0)
        mask[y0 : int(np.ceil(box.y_max + grow_y)), x0 : int(np.ceil(box.x_max + grow_x))] = True
    return mask


def changes(source, copy, topic=None) -> list[tuple[float, float | None]]:
    """Per frame pair (frame_pairs), the mean absolute difference outside and inside the regions
    blurred (None: no region), found again by a fresh anonymiser over the source frames, as the
    anonymiser sees them (one per topic, the same frames in the same order)."""
    regions = anonymizer_factory(AnalyzerConfig())()
    out = []
    for original, anonymised in frame_pairs(source, copy, topic):
        mask = blurred_mask(original.shape, regions.boxes(original))
        difference = np.abs(original.astype(float) - anonymised)
        outside = float(difference[~mask].mean())
        out.append((outside, float(difference[mask].mean()) if mask.any() else None))
    return out


def assert_only_faces_changed(source, copy, topic=None, most_outside=MOST_CHANGED_OUTSIDE):
    per_frame = changes(source, copy, topic)
    outside = max(o for o, _ in per_frame)
    inside = [i for _, i in per_frame if i is not None]
    print(
        f"{topic or 'image topic'}: {len(per_frame)} frames, outside the faces changed by "
        f"{outside:.2f} at most, inside by {min(inside):.1f} at least"
    )
    assert outside <= most_outside, outside
    assert len(inside) >= len(per_frame) // 2  # faces in most frames: the blur was measured
    assert min(inside) >= LEAST_CHANGED_INSIDE, min(inside)


def messages(bag) -> list[tuple[str, int, bytes]]:
    reader = Reader(bag)
    reader.open()
    try:
        return [(c.topic, t, bytes(data)) for c, t, data in reader.messages()]
    finally:
        reader.close()


def stamps(bag, topic) -> list[tuple[int, str]]:
    with ImageBag(bag, topic) as images:
        return [(f.stamp_ns, f.frame_id) for f in images.frames()]


def test_sample_recording_keeps_at_most_two_percent_of_its_faces(tmp_path, capsys):
    out = tmp_path / "anonymous"
    assert main(["anonymize", str(SAMPLE), str(out), "--no-progress"]) == 0
    assert "face regions blurred" in capsys.readouterr().out
    before, after = faces_found(SAMPLE), faces_found(out)
    print(f"faces found: {before} in the original, {after} in the anonymised copy")
    assert before >= 500  # 102 frames of several faces each: the count means something
    assert after <= MOST_LEFT * before, (after, before)
    original, copy = messages(SAMPLE), messages(out)
    assert [(topic, t) for topic, t, _ in copy] == [(topic, t) for topic, t, _ in original]
    topic = original[0][0]
    assert stamps(out, topic) == stamps(SAMPLE, topic)
    assert_only_faces_changed(SAMPLE, out)


def test_raw_compressed_and_other_topics(tmp_path):
    """A bag with rgb8 Image, jpeg CompressedImage, a String topic and one truncated Image."""
    store = typestore()
    photo = cv2.resize(cv2.imread(str(TEST_PHOTO)), (640, 480), interpolation=cv2.INTER_AREA)
    source = tmp_path / "camera"
    writer = open_writer(source, "sqlite3")
    raw = writer.add_connection("/cam/image_raw", IMAGE, typestore=store)
    compressed = writer.add_connection(
        "/cam/image_raw/compressed", COMPRESSED_IMAGE, typestore=store
    )
    text = writer.add_connection("/chatter", "std_msgs/msg/String", typestore=store)
    for i in range(4):
        stamp = 1_700_000_000_000_000_000 + i * 100_000_000
        fields = encode_image(photo, SimpleNamespace(), "rgb8")
        image = store.types[IMAGE](
            header=header(stamp, "cam"),
            height=fields.height,
            width=fields.width,
            encoding=fields.encoding,
            is_bigendian=0,
            step=fields.step,
            data=np.frombuffer(fields.data, np.uint8)[: None if i != 3 else 1000],
        )
        jpeg = encode_compressed(
            photo,
            store.types[COMPRESSED_IMAGE](
                header=header(stamp, "cam"), format="", data=np.empty(0, np.uint8)
            ),
        )
        chat = store.types["std_msgs/msg/String"](data=f"hello {i}")
        writer.write(raw, stamp, store.serialize_cdr(image, IMAGE))
        writer.write(compressed, stamp + 1, store.serialize_cdr(jpeg, COMPRESSED_IMAGE))
        writer.write(text, stamp + 2, store.serialize_cdr(chat, "std_msgs/msg/String"))
    writer.close()

    out = tmp_path / "anonymous"
    stats = anonymize_bag(source, out, anonymizer_factory(AnalyzerConfig()))
    assert stats["dropped"] == {"/cam/image_raw": 1}  # the truncated one: left out, counted
    assert stats["images"] == {"/cam/image_raw": 3, "/cam/image_raw/compressed": 4}
    original, copy = messages(source), messages(out)
    assert [m for m in copy if m[0] == "/chatter"] == [m for m in original if m[0] == "/chatter"]
    truncated = [(c, t) for c, t, data in original if c == "/cam/image_raw" and len(data) < 5000]
    assert len(truncated) == 1
    assert [(topic, t) for topic, t, _ in copy] == [
        (topic, t) for topic, t, _ in original if (topic, t) not in truncated
    ]
    for topic in ("/cam/image_raw", "/cam/image_raw/compressed"):
        assert faces_found(source, topic) >= 3 * 6  # six faces in each decodable frame
        assert faces_found(out, topic) == 0, topic
    assert stamps(out, "/cam/image_raw") == stamps(source, "/cam/image_raw")[:3]
    with ImageBag(out, "/cam/image_raw") as images:
        assert {f.msg.encoding for f in images.frames()} == {"rgb8"}
    assert_only_faces_changed(source, out, "/cam/image_raw", most_outside=0.0)  # lossless
    assert_only_faces_changed(source, out, "/cam/image_raw/compressed")


def test_record_anonymize(tmp_path):
    plain, anonymous = tmp_path / "plain", tmp_path / "anonymous"
    common = [str(TEST_PHOTO), "--seconds", "1", "--fps", "5", "--motion", "none"]
    assert main(["record", *common, "-o", str(plain), "--no-progress"]) == 0
    assert main(["record", *common, "-o", str(anonymous), "--anonymize", "--no-progress"]) == 0
    before, after = faces_found(plain), faces_found(anonymous)
    assert before >= 5 * 6 and after == 0, (before, after)
    assert_only_faces_changed(plain, anonymous)
