"""A bag written by the record tool reads back identically, for both storages."""

import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.bag_writer import ImageBagWriter
from face_analysis.offline.record import RecordOptions, record
from face_analysis.offline.typestore import COMPRESSED_IMAGE, IMAGE, typestore

START_NS = 1_700_000_000_123_456_789


def frames(n=5, size=(64, 48)):
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_raw_and_compressed_frames_read_back_identically(tmp_path, storage):
    images = frames()
    stamps = [START_NS + k * 66_666_667 for k in range(len(images))]
    with ImageBagWriter(
        tmp_path / "bag", storage, "/cam/image_raw", images="both", jpeg_quality=80
    ) as writer:
        for k, (image, stamp) in enumerate(zip(images, stamps)):
            writer.write(image, stamp, f"cam_{k}")

    with ImageBag(tmp_path / "bag") as bag:  # raw Image preferred when both exist
        assert {(t.name, t.msgtype, t.count) for t in bag.topics} == {
            ("/cam/image_raw", IMAGE, 5),
            ("/cam/image_raw/compressed", COMPRESSED_IMAGE, 5),
        }
        assert bag.topic.name == "/cam/image_raw"
        got = list(bag.frames())
    assert [f.stamp_ns for f in got] == stamps
    assert [f.log_time_ns for f in got] == stamps
    assert [f.frame_id for f in got] == [f"cam_{k}" for k in range(5)]
    assert [f.msg.encoding for f in got] == ["bgr8"] * 5
    for frame, image in zip(got, images):
        np.testing.assert_array_equal(frame.image(), image)

    with ImageBag(tmp_path / "bag", "/cam/image_raw/compressed") as bag:
        got = list(bag.frames())
    assert [f.stamp_ns for f in got] == stamps
    assert [f.frame_id for f in got] == [f"cam_{k}" for k in range(5)]
    for frame, image in zip(got, images):
        # jpeg is lossy: the pixels are those of the jpeg the writer made, byte for byte.
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        assert bytes(frame.msg.data) == jpeg.tobytes()
        np.testing.assert_array_equal(frame.image(), cv2.imdecode(jpeg, cv2.IMREAD_COLOR))


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_record_stamps_follow_the_frame_rate_from_the_start_time(tmp_path, storage):
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), frames(1, (320, 240))[0])
    options = RecordOptions(
        fps=30.0,
        start_ns=START_NS,
        frame_id="head_camera",
        frame_size=(160, 120),
        motion="pan-zoom",
        seconds=0.5,
    )
    stats = record([photo], tmp_path / "bag", {"storage": storage}, options)
    assert stats["frames"] == 15

    suffix = {"mcap": ".mcap", "sqlite3": ".db3"}[storage]
    assert [p.suffix for p in (tmp_path / "bag").iterdir() if p.suffix != ".yaml"] == [suffix]
    with Reader(tmp_path / "bag") as reader:  # plain rosbags, as any other tool would read it
        messages = [
            typestore().deserialize_cdr(data, conn.msgtype) for conn, _, data in reader.messages()
        ]
    stamps = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in messages]
    assert stamps == [START_NS + round(k * 1e9 / 30) for k in range(15)]
    assert {m.header.frame_id for m in messages} == {"head_camera"}
    assert {(m.width, m.height, m.encoding) for m in messages} == {(160, 120, "bgr8")}
