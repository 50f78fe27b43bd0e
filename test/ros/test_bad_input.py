"""Frames with an unsupported encoding, a wrong step, truncated data, zero size, or a corrupt JPEG
each produce a warning and a diagnostics counter, and the next good frame is processed normally."""

import time

import cv2
import pytest
from diagnostic_msgs.msg import DiagnosticArray
from paths import TEST_PHOTO
from ros_probe import latest_reports
from sensor_msgs.msg import CompressedImage, Image

from face_analysis.core.image_codec import encode_image
from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.params import PIPELINE

GOOD = cv2.resize(cv2.imread(str(TEST_PHOTO)), (640, 480), interpolation=cv2.INTER_AREA)


def raw_frame(kind: str) -> Image:
    msg = encode_image(GOOD, Image(), "bgr8")
    if kind == "unsupported encoding":
        msg.encoding = "bayer_rggb16"
    elif kind == "bad step":
        msg.step = 100
    elif kind == "truncated data":
        msg.data = bytes(msg.data)[: len(msg.data) // 2]
    elif kind == "zero size":
        msg.width = msg.height = msg.step = 0
        msg.data = b""
    return msg


def jpeg_frame(corrupt: bool) -> CompressedImage:
    data = cv2.imencode(".jpg", GOOD)[1].tobytes()
    return CompressedImage(format="jpeg", data=b"\x00garbage" + data[100:2000] if corrupt else data)


def feed(ros_probe, publisher, topic, frames):
    """Publish frames one by one, stamped 1, 2, ... seconds, each after the previous was handled."""
    ros_probe.spin_until(lambda: ros_probe.node.count_subscribers(topic) > 0, 20, "subscription")
    for sec, (msg, _) in enumerate(frames, start=1):
        msg.header.stamp.sec, msg.header.frame_id = sec, "cam"
        publisher.publish(msg)
        time.sleep(0.3)  # newest-frame-only: give each frame its turn
        ros_probe.executor.spin_once(timeout_sec=0.05)


def skipped_counts(ros_probe, diagnostics, kinds):
    def counts():
        values = latest_reports(diagnostics).get(f"/{PIPELINE}", {})
        return {key: int(value) for key, value in values.items() if key.startswith("skipped: ")}

    ros_probe.spin_until(
        lambda: all(f"skipped: {k}" in counts() for k in kinds), 15, f"diagnostics counting {kinds}"
    )
    return counts()


@pytest.mark.parametrize("transport", ["raw", "compressed"])
def test_bad_frames_are_counted_and_the_next_good_frame_is_processed(
    transport, ros_processes, ros_probe, start_pipeline
):
    analyses = ros_probe.collect(FaceAnalysisArray, "/faces/analysis")
    diagnostics = ros_probe.collect(DiagnosticArray, "/diagnostics")
    start_pipeline(
        "-p",
        f"image_transport:={transport}",
        "-p",
        "image_qos:=reliable",
        "-r",
        "image:=/cam/image",
        "-r",
        "image/compressed:=/cam/image/compressed",
    )
    if transport == "raw":
        kinds = ["unsupported encoding", "bad step", "truncated data", "zero size"]
        frames = [(raw_frame("good"), True)]
        for kind in kinds:
            frames += [(raw_frame(kind), False), (raw_frame("good"), True)]
        topic, msg_type = "/cam/image", Image
    else:
        kinds = ["corrupt compressed"]
        frames = [(jpeg_frame(False), True), (jpeg_frame(True), False), (jpeg_frame(False), True)]
        topic, msg_type = "/cam/image/compressed", CompressedImage
    publisher = ros_probe.node.create_publisher(msg_type, topic, 10)
    feed(ros_probe, publisher, topic, frames)

    good_stamps = {sec for sec, (_, good) in enumerate(frames, start=1) if good}
    ros_probe.spin_until(
        lambda: {m.header.stamp.sec for m in analyses} >= good_stamps,
        20,
        f"analyses of the good frames {sorted(good_stamps)}",
    )
    assert {m.header.stamp.sec for m in analyses} == good_stamps  # bad ones yield nothing
    counts = skipped_counts(ros_probe, diagnostics, kinds)
    assert all(counts[f"skipped: {k}"] == 1 for k in kinds), counts
    log = ros_processes.log("pipeline")
    assert log.count("skipping a frame") == len(kinds)  # one warning per kind of problem
    assert ros_processes.stop("pipeline") == 0
