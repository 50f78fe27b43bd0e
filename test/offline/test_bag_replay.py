"""Replay over real DDS: the player runs as its own process (as `face-analysis play` would), an
rclpy probe in the test process subscribes reliably, and every frame arrives in order with its
recorded stamp and frame_id, spaced as recorded over --rate."""

import time

import cv2
import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed")
from rclpy.qos import QoSProfile, ReliabilityPolicy  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402

from face_analysis.core.image_codec import decode_image  # noqa: E402
from face_analysis.offline.bag_reader import ImageBag  # noqa: E402
from face_analysis.offline.bag_writer import ImageBagWriter  # noqa: E402

START_NS = 1_700_000_000_000_000_000
RELIABLE = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
N = 12
# Not the usual /camera/image_raw: other test runs' publishers must not land in the probe.
TOPIC = "/replay_test/image_raw"
# The pacing test's recorded gaps, seconds: uneven, and long enough that at PACED_RATE a stall
# of this shared machine stays well within the tolerance of each gap. A first frame leads in
# LEAD_IN_S before them: the first sample on a new DDS connection can arrive a heartbeat late
# (0.08-0.13 s measured here), which is transport, not pacing, so its gap is not judged.
LEAD_IN_S = 1.0
PACED_GAPS_S = (0.5, 1.0, 0.5, 1.5, 0.5, 1.0)
PACED_RATE = 2.0
GAP_TOLERANCE = 0.5  # of each gap's length at the rate
DURATION_TOLERANCE = 0.2  # of the replay's length at the rate


def write_bag(path, images="raw"):
    rng = np.random.default_rng(11)
    frames = [rng.integers(0, 256, size=(240, 320, 3), dtype=np.uint8) for _ in range(N)]
    # Uneven spacing, as a real camera's stamps have.
    stamps = [START_NS + k * 50_000_000 + (k % 3) * 1_234_567 for k in range(N)]
    with ImageBagWriter(path, "mcap", TOPIC, images=images) as writer:
        for k, (frame, stamp) in enumerate(zip(frames, stamps)):
            writer.write(frame, stamp, f"camera_{k % 2}")
    return frames, stamps


def player(ros_processes, *args):
    # A history as long as the test's frames: reliable delivery then holds even when this
    # shared machine stalls the probe (with the default 10, a probe 10 frames behind loses some).
    return ros_processes.start(
        "player",
        "-m",
        "face_analysis.commands.play",
        *args,
        "--no-progress",
        "--wait-for-subscriber",
        "60",
        "--queue-size",
        str(2 * N),
    )


def test_replay_keeps_stamps_frame_ids_order_and_pixels(tmp_path, ros_processes, ros_probe):
    frames, stamps = write_bag(tmp_path / "bag")
    received = ros_probe.collect(Image, "/replay_test/remapped", RELIABLE)
    proc = player(
        ros_processes, str(tmp_path / "bag"), "--topic", "/replay_test/remapped", "--rate", "4"
    )
    ros_probe.spin_until(lambda: len(received) >= N, timeout=60, what=f"{N} replayed frames")
    assert proc.wait(timeout=30) == 0, ros_processes.log("player")

    assert [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in received] == stamps
    assert [m.header.frame_id for m in received] == [f"camera_{k % 2}" for k in range(N)]
    for msg, frame in zip(received, frames):
        np.testing.assert_array_equal(decode_image(msg), frame)
    assert f"published {N} frames on /replay_test/remapped" in ros_processes.log("player")


def stamp_ns(msg) -> int:
    return msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec


def test_rate_scales_the_recorded_spacing(tmp_path, ros_processes, ros_probe):
    """At --rate 2 the frames arrive in the recorded order, each gap between arrivals after the
    lead-in the recorded gap over the rate (within 50 %), all of them together the recording's
    length over the rate (within 20 %): the pace relative to the stamps, not the machine's
    speed."""
    stamps = [START_NS + int(s * 1e9) for s in np.cumsum((0.0, LEAD_IN_S, *PACED_GAPS_S))]
    image = np.zeros((48, 64, 3), np.uint8)
    with ImageBagWriter(tmp_path / "bag", "mcap", TOPIC) as writer:
        for stamp in stamps:
            writer.write(image, stamp, "camera")
    arrivals = []
    ros_probe.node.create_subscription(
        Image,
        "/replay_test/paced",
        lambda msg: arrivals.append((time.monotonic(), stamp_ns(msg))),
        RELIABLE,
    )
    proc = player(
        ros_processes,
        str(tmp_path / "bag"),
        "--topic",
        "/replay_test/paced",
        "--rate",
        str(PACED_RATE),
    )
    ros_probe.spin_until(lambda: len(arrivals) >= len(stamps), 60, "every paced frame")
    assert proc.wait(timeout=30) == 0, ros_processes.log("player")

    assert [stamp for _, stamp in arrivals] == stamps
    gaps = np.diff([t for t, _ in arrivals[1:]])
    expected = np.array(PACED_GAPS_S) / PACED_RATE
    pairs = [f"{g:.2f} s for {e:.2f} s" for g, e in zip(gaps, expected)]
    assert (np.abs(gaps - expected) <= GAP_TOLERANCE * expected).all(), pairs
    total, recorded = gaps.sum(), sum(PACED_GAPS_S) / PACED_RATE
    assert abs(total - recorded) <= DURATION_TOLERANCE * recorded, (total, recorded)


def test_decoded_loop_republishes_raw_frames_and_stops_cleanly_on_sigint(
    tmp_path, ros_processes, ros_probe
):
    _, stamps = write_bag(tmp_path / "bag", images="compressed")
    with ImageBag(tmp_path / "bag") as bag:
        expected = [cv2.imdecode(np.asarray(f.msg.data), cv2.IMREAD_COLOR) for f in bag.frames()]
    # --decode publishes on image_transport's raw name: the recorded topic minus /compressed.
    received = ros_probe.collect(Image, TOPIC, RELIABLE)
    player(ros_processes, str(tmp_path / "bag"), "--decode", "--loop", "--rate", "8")
    ros_probe.spin_until(lambda: len(received) >= N + 3, timeout=60, what="a second loop")
    assert ros_processes.stop("player") == 0, ros_processes.log("player")

    got = [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in received]
    assert got[: N + 3] == stamps + stamps[:3]  # in order, then from the start again
    assert {m.encoding for m in received} == {"bgr8"}
    for msg, frame in zip(received, expected):
        np.testing.assert_array_equal(decode_image(msg), frame)


def test_play_names_the_problem_of_an_unusable_bag(tmp_path, capsys):
    from face_analysis.commands.play import main

    assert main([str(tmp_path / "missing"), "--no-progress"]) == 2
    assert f"bag_player: error: bag not found: {tmp_path / 'missing'}" in capsys.readouterr().err
