"""Unusable input gives a message naming the problem; a bag mixing good and bad frames is
evaluated completely, the bad frames counted as skipped with their reasons."""

import numpy as np
import pytest
from offline_helpers import MALE_GRAY, fake_analyzer, square_photo

from face_analysis.offline.bag_reader import BagError, ImageBag
from face_analysis.offline.bag_writer import ImageBagWriter, header, open_writer
from face_analysis.offline.evaluate import evaluate_bag
from face_analysis.offline.typestore import COMPRESSED_IMAGE, IMAGE, typestore

START_NS = 1_750_000_000_000_000_000


def good_frame():
    return square_photo((160, 120), [(40, 30, 80, 70, MALE_GRAY)])


def image_msg(stamp_ns, pixels, encoding="bgr8", data=None):
    height, width = pixels.shape[:2]
    return typestore().types[IMAGE](
        header=header(stamp_ns, "camera"),
        height=height,
        width=width,
        encoding=encoding,
        is_bigendian=0,
        step=pixels.strides[0],
        data=np.frombuffer(pixels.tobytes() if data is None else data, np.uint8),
    )


def write_raw(path, entries, topic="/camera/image_raw", msgtype=IMAGE, storage="mcap"):
    """entries: messages (serialized here) or bytes (written as they are)."""
    store, writer = typestore(), open_writer(path, storage)
    connection = writer.add_connection(topic, msgtype, typestore=store)
    for k, entry in enumerate(entries):
        data = entry if isinstance(entry, bytes) else store.serialize_cdr(entry, msgtype)
        writer.write(connection, START_NS + k * 10**8, data)
    writer.close()
    return path


def good_bag(path, n=10, storage="mcap"):
    with ImageBagWriter(path, storage) as writer:
        for k in range(n):
            writer.write(good_frame(), START_NS + k * 10**8, "camera")
    return path


def test_missing_bag(tmp_path):
    with pytest.raises(BagError, match=r"bag not found: .*nowhere"):
        evaluate_bag(tmp_path / "nowhere", fake_analyzer(), tmp_path / "out")


def test_folder_that_is_not_a_bag(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(BagError, match="is not a rosbag2 bag: it has no metadata.yaml"):
        ImageBag(tmp_path / "photos")


def test_bag_without_image_topics_lists_what_it_has(tmp_path):
    string = typestore().types["std_msgs/msg/String"]
    bag = write_raw(tmp_path / "chatter", [string(data="hello")], "/chatter", "std_msgs/msg/String")
    with pytest.raises(
        BagError,
        match=r"no image topic \(sensor_msgs/msg/Image or "
        r"sensor_msgs/msg/CompressedImage\) in the bag "
        r"\(topics: /chatter \[std_msgs/msg/String\]\)",
    ):
        evaluate_bag(bag, fake_analyzer(), tmp_path / "out")


def test_wrong_topic_names_the_topics_there_are(tmp_path):
    bag = good_bag(tmp_path / "bag", n=1)
    with pytest.raises(
        BagError,
        match=r"no topic '/front/image' \(topics: /camera/image_raw "
        r"\[sensor_msgs/msg/Image\]\)",
    ):
        ImageBag(bag, "/front/image")


def test_truncated_mcap_is_evaluated_up_to_the_damage(tmp_path):
    bag = good_bag(tmp_path / "bag")
    mcap = next(bag.glob("*.mcap"))
    data = mcap.read_bytes()
    mcap.write_bytes(data[: int(len(data) * 0.6)])  # a recorder killed mid-write
    summary = evaluate_bag(bag, fake_analyzer(), tmp_path / "out")
    assert 1 <= summary["analysed"] < 10
    assert summary["analysed"] == summary["frames"]
    [problem] = summary["problems"]
    assert "corrupt or truncated" in problem and "complete messages before the damage" in problem


def test_mcap_cut_before_its_first_message(tmp_path):
    bag = good_bag(tmp_path / "bag")
    mcap = next(bag.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[:2000])
    with pytest.raises(
        BagError, match="corrupt or truncated .*no complete message before the damage"
    ):
        ImageBag(bag)


def test_corrupt_sqlite3_bag(tmp_path):
    bag = good_bag(tmp_path / "bag", storage="sqlite3")
    db3 = next(bag.glob("*.db3"))
    db3.write_bytes(db3.read_bytes()[: db3.stat().st_size // 2])
    with pytest.raises(
        BagError,
        match=r"cannot read the bag, it is corrupt or truncated "
        r"\(.*malformed",
    ):
        ImageBag(bag)


def test_unsupported_encoding_is_named_and_counted(tmp_path):
    bayer = np.zeros((120, 160), np.uint8)
    bag = write_raw(
        tmp_path / "bag", [image_msg(START_NS + k, bayer, "bayer_rggb8") for k in range(4)]
    )
    summary = evaluate_bag(bag, fake_analyzer(), tmp_path / "out")
    assert summary["analysed"] == 0
    [(reason, count)] = summary["skipped"]["reasons"].items()
    assert count == 4 and reason.startswith("unsupported encoding 'bayer_rggb8' (supported: bgr8")


def test_evaluate_command_fails_when_no_frame_could_be_analysed(tmp_path, monkeypatch, capsys):
    from face_analysis.cli import main
    from face_analysis.commands import evaluate

    monkeypatch.setattr(evaluate, "FaceAnalyzer", lambda config: fake_analyzer())
    bag = write_raw(tmp_path / "bag", [image_msg(START_NS, np.zeros((8, 8), np.uint8), "32FC1")])
    assert main(["evaluate", str(bag), "-o", str(tmp_path / "out"), "--no-progress"]) == 1
    printed = capsys.readouterr().out
    assert "skipped    1  unsupported encoding '32FC1'" in printed
    assert "no frame of the bag could be analysed" in printed


def test_mixed_bag_completes_with_bad_frames_skipped(tmp_path):
    good = good_frame()
    entries = [image_msg(START_NS + k, good) for k in range(6)]
    entries[1] = image_msg(START_NS + 1, good, "bayer_rggb8")
    entries[3] = image_msg(START_NS + 3, good, data=good.tobytes()[:1000])  # short data
    entries[4] = b"\x00\x01\x00\x00 not a CDR image"
    bag = write_raw(tmp_path / "bag", entries)
    summary = evaluate_bag(bag, fake_analyzer(), tmp_path / "out")
    assert (summary["frames"], summary["analysed"], summary["faces"]) == (6, 3, 3)
    reasons = summary["skipped"]["reasons"]
    assert summary["skipped"]["count"] == 3 and len(reasons) == 3
    assert any(r.startswith("unsupported encoding 'bayer_rggb8'") for r in reasons)
    assert any(r.startswith("data has 1000 bytes") for r in reasons)
    assert any(r.startswith("undecodable sensor_msgs/msg/Image message") for r in reasons)
    skipped_frames = [
        line
        for line in (tmp_path / "out" / "frames.jsonl").read_text().splitlines()
        if '"skipped"' in line
    ]
    assert len(skipped_frames) == 3


def test_corrupt_jpeg_frames_are_skipped(tmp_path):
    compressed = typestore().types[COMPRESSED_IMAGE]
    with ImageBagWriter(tmp_path / "good", images="compressed") as writer:
        writer.write(good_frame(), START_NS, "camera")
    jpeg = next(ImageBag(tmp_path / "good").frames()).msg.data
    entries = [
        compressed(
            header=header(START_NS + k, "camera"),
            format="jpeg",
            data=jpeg if k != 1 else jpeg[: len(jpeg) // 3],
        )
        for k in range(3)
    ]
    bag = write_raw(tmp_path / "bag", entries, "/camera/image_raw/compressed", COMPRESSED_IMAGE)
    summary = evaluate_bag(bag, fake_analyzer(), tmp_path / "out")
    assert summary["analysed"] == 2
    [reason] = summary["skipped"]["reasons"]
    assert "could not be decoded: corrupt or not jpeg/png" in reason


def test_record_checks_its_inputs_before_creating_the_bag(tmp_path):
    from face_analysis.core.errors import FaceAnalysisError
    from face_analysis.offline.record import RecordOptions, record

    with pytest.raises(FaceAnalysisError, match=r"input not found: .*missing\.mp4"):
        record([tmp_path / "missing.mp4"], tmp_path / "bag", {}, RecordOptions(fps=10))
    assert not (tmp_path / "bag").exists()
