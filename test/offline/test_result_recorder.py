"""The result recorder as its own process: the test publishes analysis and overlay messages,
the recorder writes them as JSON lines, an mp4 and the shared summary, and exits 0 both after
--max-frames and on SIGINT."""

import json
import time

import cv2
import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed")
from sensor_msgs.msg import Image  # noqa: E402

from face_analysis.core.image_codec import encode_image  # noqa: E402
from face_analysis.msg import FaceAnalysis, FaceAnalysisArray, FaceDetection  # noqa: E402

START_NS = 1_700_000_000_000_000_000


def analysis(k: int) -> FaceAnalysisArray:
    msg = FaceAnalysisArray(emotion_labels=["happy", "sad"], gender_labels=["male", "female"])
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(START_NS + k * 10**8, 10**9)
    msg.header.frame_id = "camera"
    msg.faces = [
        FaceAnalysis(
            detection=FaceDetection(x_min=8.0, y_min=8.0, x_max=40.0, y_max=40.0, score=1.0),
            track_id=3,
            gender="female",
            gender_confidence=0.75,
            gender_probabilities=[0.25, 0.75],
            emotion="happy",
            emotion_confidence=0.5,
            emotion_probabilities=[0.5, 0.5],
        )
    ]
    return msg


def overlay(k: int) -> Image:
    return encode_image(np.full((96, 128, 3), 20 * k, np.uint8), Image(), "bgr8")


def start_recorder(ros_processes, ros_probe, out, *args):
    # Remapped (as a launch file would) to names no other test run's pipeline publishes on.
    proc = ros_processes.start(
        "recorder",
        "-m",
        "face_analysis.ros.tools.result_recorder",
        "-o",
        str(out),
        *args,
        "--ros-args",
        "-r",
        "faces/analysis:=/recorder_test/analysis",
        "-r",
        "faces/overlay:=/recorder_test/overlay",
    )
    pubs = (
        ros_probe.node.create_publisher(Image, "/recorder_test/overlay", 10),
        ros_probe.node.create_publisher(FaceAnalysisArray, "/recorder_test/analysis", 10),
    )
    ros_probe.spin_until(
        lambda: all(p.get_subscription_count() for p in pubs),
        timeout=60,
        what="the recorder's subscriptions",
    )
    return proc, pubs


def test_recorder_stops_after_max_frames_with_results_video_and_summary(
    tmp_path, ros_processes, ros_probe
):
    out = tmp_path / "rec"
    proc, (overlay_pub, analysis_pub) = start_recorder(
        ros_processes, ros_probe, out, "--max-frames", "4", "--idle-timeout", "60"
    )
    for k in range(4):
        overlay_pub.publish(overlay(k))
    time.sleep(0.5)  # overlays first: the recorder stops at the 4th analysis message
    for k in range(6):  # the two extra ones are beyond --max-frames
        analysis_pub.publish(analysis(k))
    ros_probe.spin_until(lambda: proc.poll() is not None, timeout=60, what="the recorder to stop")
    assert proc.returncode == 0, ros_processes.log("recorder")

    records = [json.loads(line) for line in (out / "frames.jsonl").read_text().splitlines()]
    assert [r["stamp_ns"] for r in records] == [START_NS + k * 10**8 for k in range(4)]
    assert records[0]["faces"] == [
        {
            "box": [8.0, 8.0, 40.0, 40.0],
            "score": 1.0,
            "track_id": 3,
            "gender": {
                "label": "female",
                "confidence": 0.75,
                "probs": {"male": 0.25, "female": 0.75},
            },
            "emotion": {"label": "happy", "confidence": 0.5, "probs": {"happy": 0.5, "sad": 0.5}},
            "age": None,  # the message's age fields left at 0: no age head
        }
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["frames"], summary["faces"]) == (4, 4)
    assert summary["tracks"]["3"]["gender"] == {"female": 4}
    assert summary["overlay"]["frames"] == 4
    video = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (128, 96)
    assert "frames        4 (4 analysed, 0 skipped)" in ros_processes.log("recorder")


def test_recorder_exits_0_on_sigint_and_still_writes_the_summary(
    tmp_path, ros_processes, ros_probe
):
    out = tmp_path / "rec"
    proc, (_, analysis_pub) = start_recorder(ros_processes, ros_probe, out, "--idle-timeout", "0")
    for k in range(2):
        analysis_pub.publish(analysis(k))
    ros_probe.spin_until(
        lambda: len((out / "frames.jsonl").read_text().splitlines()) == 2,
        timeout=30,
        what="two recorded frames",
    )
    assert ros_processes.stop("recorder") == 0, ros_processes.log("recorder")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames"] == 2 and summary["overlay"]["video"] is None
