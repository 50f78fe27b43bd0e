"""Publishes a recording's camera frames with rclpy, in order, at the recorded rate (or `rate`
times it), with the recorded header stamps and frame_ids, the way a camera driver would.
Optionally decodes jpeg CompressedImage frames and publishes raw bgr8 Images, like an
image_transport republisher, for nodes that subscribe to raw images only.

Its command line is `face-analysis play` (face_analysis.commands.play), also installed as
`ros2 run face_analysis bag_player`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import rclpy
from rclpy.duration import Duration
from rclpy.exceptions import InvalidTopicNameException
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from tqdm import tqdm

from ...core.errors import FaceAnalysisError
from ...core.image_codec import encode_image
from ...offline.bag_reader import BagFrame, ImageBag
from ...offline.typestore import COMPRESSED_IMAGE
from ..compat import (
    FASTDDS_PROFILE_VARIABLES,
    FASTRTPS_PROFILE_VARIABLE,
    fastdds_profile_env,
    fastdds_profile_variables,
)

POLL_S = 0.05  # granularity of waits, so SIGINT is noticed promptly
PROFILE_FILE = "fastdds_large_data.xml"
# Discovery is asymmetric: the publisher may count a subscription before that subscriber has
# matched the publisher, and a (volatile) reader drops the samples that arrive in between.
DISCOVERY_SETTLE_S = 1.0


def to_ros(frame: BagFrame, decode: bool):
    """The rclpy message for a recorded frame (FaceAnalysisError if it cannot be made)."""
    if frame.error:
        raise FaceAnalysisError(frame.error)
    src = frame.msg
    if frame.msgtype == COMPRESSED_IMAGE and decode:
        msg = encode_image(frame.image(), Image(), "bgr8")
    elif frame.msgtype == COMPRESSED_IMAGE:
        msg = CompressedImage(format=str(src.format), data=src.data.tobytes())
    else:
        msg = Image(
            height=int(src.height),
            width=int(src.width),
            encoding=str(src.encoding),
            is_bigendian=int(src.is_bigendian),
            step=int(src.step),
            data=src.data.tobytes(),
        )
    msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(frame.stamp_ns, 10**9)
    msg.header.frame_id = frame.frame_id
    return msg


def use_large_data_profile() -> str | None:
    """Point Fast DDS at the package's large-data profile, unless a profile is already set.

    Replayed frames are large; with the default shared-memory segment (512 kB) a burst of them
    overflows it, best-effort frames are lost outright and reliable ones wait for the writer's
    next heartbeat to be repaired (seconds), by which time a short history has dropped them.
    It must be set before rclpy creates the DDS participant. Returns the profile now in use."""
    current = next(filter(None, map(os.environ.get, FASTDDS_PROFILE_VARIABLES)), None)
    if current:  # the user's profile; Fast DDS 3 reads either name, Fast DDS 2 only the old one
        if FASTRTPS_PROFILE_VARIABLE in fastdds_profile_variables():
            os.environ.setdefault(FASTRTPS_PROFILE_VARIABLE, current)
        return current
    try:
        from ament_index_python.packages import get_package_share_directory

        profile = Path(get_package_share_directory("face_analysis"), "config", PROFILE_FILE)
    except (ImportError, LookupError):  # not installed as a ROS package
        return None
    if not profile.is_file():
        return None
    os.environ.update(fastdds_profile_env(str(profile)))
    return str(profile)


def output_topic(recorded: str, requested: str | None, decode: bool) -> str:
    """--topic if given; when decoding, image_transport's raw name (strip /compressed)."""
    if requested:
        return requested
    if decode and recorded.endswith("/compressed"):
        return recorded[: -len("/compressed")] or "/image_raw"
    return recorded


class Player:
    """Publishes the bag's frames on one topic; counts what it published and what it skipped."""

    def __init__(
        self, node, bag: ImageBag, topic: str, decode: bool, best_effort: bool, depth: int = 10
    ):
        self.node, self.bag = node, bag
        self.decode = decode and bag.topic.msgtype == COMPRESSED_IMAGE
        compressed_out = bag.topic.msgtype == COMPRESSED_IMAGE and not self.decode
        reliability = ReliabilityPolicy.BEST_EFFORT if best_effort else ReliabilityPolicy.RELIABLE
        qos = QoSProfile(
            history=HistoryPolicy.KEEP_LAST,
            depth=depth,
            durability=DurabilityPolicy.VOLATILE,
            reliability=reliability,
        )
        msg_type = CompressedImage if compressed_out else Image
        self.publisher = node.create_publisher(msg_type, topic, qos)
        self.published, self.skipped = 0, {}

    def ok(self) -> bool:
        return self.node.context.ok()

    def sleep_until(self, deadline: float) -> bool:
        while self.ok():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            time.sleep(min(left, POLL_S))
        return False

    def wait_for_subscriber(self, timeout_s: float) -> bool:
        """True once a subscriber has had time to match; False on timeout or shutdown."""
        deadline = time.monotonic() + timeout_s
        while self.ok() and self.publisher.get_subscription_count() == 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)
        return self.sleep_until(time.monotonic() + DISCOVERY_SETTLE_S)

    def play_once(self, rate: float, progress) -> bool:
        """One pass over the bag, paced by the recorded log times; False if interrupted."""
        start_wall, first_log = time.monotonic(), None
        for frame in self.bag.frames():
            first_log = frame.log_time_ns if first_log is None else first_log
            if not self.sleep_until(start_wall + (frame.log_time_ns - first_log) / 1e9 / rate):
                return False
            try:
                msg = to_ros(frame, self.decode)
            except FaceAnalysisError as exc:
                reason = str(exc)
                if reason not in self.skipped:
                    self.node.get_logger().warning(f"skipping frame {frame.index}: {reason}")
                self.skipped[reason] = self.skipped.get(reason, 0) + 1
                continue
            self.publisher.publish(msg)
            self.published += 1
            progress.update()
        return True


def play(
    bag_path,
    *,
    source_topic: str | None = None,
    topic: str | None = None,
    decode: bool = False,
    rate: float = 1.0,
    best_effort: bool = False,
    queue_size: int = 10,
    loop: bool = False,
    wait_for_subscriber: float = 10.0,
    progress: bool = True,
) -> int:
    """Play the bag's image topic (`source_topic`, default: its image topic) on `topic`
    (default: the recorded name); waits up to `wait_for_subscriber` seconds for a subscriber
    first (0: no wait); `loop` plays it again and again until SIGINT. Returns the exit code."""
    if rate <= 0:
        raise FaceAnalysisError(f"rate must be > 0, got {rate}")
    if queue_size < 1:
        raise FaceAnalysisError(f"queue size must be >= 1, got {queue_size}")
    with ImageBag(bag_path, source_topic) as bag:
        topic = output_topic(bag.topic.name, topic, decode)
        profile = use_large_data_profile()
        rclpy.init()
        node = rclpy.create_node("bag_player")
        log, player = node.get_logger(), None
        try:
            try:
                player = Player(node, bag, topic, decode, best_effort, queue_size)
            except InvalidTopicNameException as exc:
                raise FaceAnalysisError(f"invalid topic name {topic!r}: {exc}") from exc
            log.info(
                f"{bag.topic.name} [{bag.topic.msgtype}, {bag.topic.count} msgs] -> "
                f"{topic} ({'best-effort' if best_effort else 'reliable'})"
            )
            if profile:
                log.info(f"Fast DDS profile: {profile}")
            elif best_effort:
                log.warning(
                    "best-effort images of 640x480 and more are lost between processes "
                    "unless the publisher runs with a large-data profile: set "
                    f"{' and '.join(fastdds_profile_variables())} to "
                    f"<share/face_analysis>/config/{PROFILE_FILE} "
                    "(docs/deployment.md: 'Best-effort cameras')"
                )
            if wait_for_subscriber > 0 and not player.wait_for_subscriber(wait_for_subscriber):
                if player.ok():
                    log.warning(
                        f"no subscriber on {topic} after {wait_for_subscriber:g} s; playing anyway"
                    )
            with tqdm(
                total=bag.topic.count, unit="frame", desc="playing", disable=not progress
            ) as bar:
                while player.play_once(rate, bar) and loop:
                    bar.reset()
            if player.ok() and not best_effort:
                # Reliable delivery of the last frames needs the publisher alive until acked.
                player.publisher.wait_for_all_acked(Duration(seconds=5.0))
        except KeyboardInterrupt:
            pass  # SIGINT is the normal way to stop a --loop; exit 0
        finally:
            node.destroy_node()
            rclpy.try_shutdown()
    for problem in bag.problems:  # e.g. a truncated bag, played up to the damage
        print(f"warning: {problem}", file=sys.stderr)
    if player is not None:
        skipped = sum(player.skipped.values())
        print(
            f"published {player.published} frames on {topic}"
            + (f"; skipped {skipped}: {player.skipped}" if skipped else ""),
            file=sys.stderr,
        )
    return 0
