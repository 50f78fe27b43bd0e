"""The camera subscription of a node: QoS matched to the camera, decode errors counted and
explained, and a clear log line when no image arrives ("nothing is published" explains itself)."""

from __future__ import annotations

import time
from collections.abc import Callable

from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image

from ...core.image_codec import ImageEncodingError, decode_compressed, decode_image
from .diagnostics import KeyedThrottle, StageStats

IMAGE_TYPES = {"sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage"}
QOS_CHECK_PERIOD_S = 1.0


def publisher_reliability(node, topic: str) -> ReliabilityPolicy | None:
    """BEST_EFFORT if any publisher of `topic` is best-effort (a reliable subscription would not
    match it), RELIABLE if all are reliable, None while there is no publisher."""
    infos = node.get_publishers_info_by_topic(topic)
    if not infos:
        return None
    if any(i.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT for i in infos):
        return ReliabilityPolicy.BEST_EFFORT
    return ReliabilityPolicy.RELIABLE


def wanted_reliability(node, topic: str, qos_mode: str) -> ReliabilityPolicy | None:
    """The reliability to subscribe `topic` with under image_qos `qos_mode`: forced, or ('auto')
    that of its publishers (None while there is none)."""
    if qos_mode == "reliable":
        return ReliabilityPolicy.RELIABLE
    if qos_mode == "best_effort":
        return ReliabilityPolicy.BEST_EFFORT
    return publisher_reliability(node, topic)


def describe_image_topics(node) -> str:
    """'topic [type, reliability of its publishers]' for every image topic in the graph."""
    found = []
    for name, types in node.get_topic_names_and_types():
        for type_name in IMAGE_TYPES.intersection(types):
            policies = sorted(
                {
                    i.qos_profile.reliability.name.lower()
                    for i in node.get_publishers_info_by_topic(name)
                }
            )
            found.append(
                f"{name} [{type_name.split('/')[-1]}, {'/'.join(policies) or 'no publisher'}]"
            )
    return ", ".join(found) or "none"


class CameraInput:
    """Subscribes `image` (or `image/compressed`) while started. `on_frame(msg, receipt_time)`
    runs in the executor thread and must be cheap; `decode(msg)` is for the processing thread."""

    def __init__(
        self,
        node,
        stats: StageStats,
        on_frame: Callable,
        *,
        transport: str,
        qos_mode: str,
        no_image_timeout: float,
    ):
        self.node, self.stats, self.on_frame = node, stats, on_frame
        self.compressed = transport == "compressed"
        self.msg_type = CompressedImage if self.compressed else Image
        self.topic = node.resolve_topic_name("image/compressed" if self.compressed else "image")
        self.qos_mode, self.no_image_timeout = qos_mode, no_image_timeout
        self.subscription = None
        self.reliability: ReliabilityPolicy | None = None
        self._timers = []
        self._warned_zero_stamp = False
        self._warnings = KeyedThrottle()  # one warning per kind of bad frame every 5 s
        self._silence_reported = False
        self._started = 0.0

    # --- lifecycle
    def start(self):
        self._started = time.monotonic()
        self._silence_reported = False
        self._subscribe(self._wanted_reliability() or ReliabilityPolicy.RELIABLE)
        if self.qos_mode == "auto":
            self._timers.append(self.node.create_timer(QOS_CHECK_PERIOD_S, self._follow_camera_qos))
        self._timers.append(
            self.node.create_timer(min(1.0, self.no_image_timeout), self._check_silence)
        )

    def stop(self):
        for timer in self._timers:
            self.node.destroy_timer(timer)
        self._timers = []
        if self.subscription is not None:
            self.node.destroy_subscription(self.subscription)
            self.subscription = None

    # --- QoS
    def _wanted_reliability(self) -> ReliabilityPolicy | None:
        return wanted_reliability(self.node, self.topic, self.qos_mode)

    def _subscribe(self, reliability: ReliabilityPolicy):
        if self.subscription is not None:
            self.node.destroy_subscription(self.subscription)
        self.reliability = reliability
        # Depth 2: the callback only hands the newest frame on, so a deeper queue only adds delay.
        qos = QoSProfile(depth=2, reliability=reliability)
        self.subscription = self.node.create_subscription(
            self.msg_type, self.topic, self._callback, qos
        )
        self.node.get_logger().info(
            f"subscribed to {self.topic} ({self.msg_type.__name__}, {reliability.name.lower()})"
        )

    def _follow_camera_qos(self):
        wanted = self._wanted_reliability()
        if wanted is not None and wanted != self.reliability:
            self.node.get_logger().info(
                f"the camera on {self.topic} publishes "
                f"{wanted.name.lower()}: re-subscribing to match"
            )
            self._subscribe(wanted)

    # --- frames
    def _callback(self, msg):
        receipt = time.monotonic()
        self.stats.frame_in()
        self._silence_reported = False
        stamp = msg.header.stamp
        if stamp.sec == 0 and stamp.nanosec == 0 and not self._warned_zero_stamp:
            self._warned_zero_stamp = True
            self.node.get_logger().warning(
                f"images on {self.topic} have a zero header stamp; they are processed, but "
                "outputs cannot be matched to them by time (is the camera driver's clock set?)"
            )
        self.on_frame(msg, receipt)

    def decode(self, msg):
        """The frame as a uint8 BGR or gray array, or None (counted and logged) if it is bad."""
        try:
            return decode_compressed(msg) if self.compressed else decode_image(msg)
        except ImageEncodingError as exc:
            self.stats.problem(exc.kind)
            if self._warnings.ready(exc.kind):
                self.node.get_logger().warning(
                    f"skipping a frame on {self.topic}: {exc} (counted in /diagnostics)"
                )
            return None

    def _check_silence(self):
        last = self.stats.last_input
        since = time.monotonic() - (last if last and last > self._started else self._started)
        if since < self.no_image_timeout or self._silence_reported:
            return
        self._silence_reported = True
        publishers = self.node.get_publishers_info_by_topic(self.topic)
        if publishers:
            hint = (
                f"{len(publishers)} publisher(s) exist on it with reliability "
                f"{sorted({p.qos_profile.reliability.name.lower() for p in publishers})} "
                f"(we subscribe {self.reliability.name.lower()}); large best-effort images "
                "between processes need the publisher to use a large-data Fast DDS profile "
                "(see docs/deployment.md, 'Best-effort cameras')"
            )
        else:
            hint = "nothing publishes on it; remap 'image' to your camera topic"
        self.node.get_logger().warning(
            f"no image received on {self.topic} for {since:.0f} s: {hint}. Image topics in the "
            f"graph: {describe_image_topics(self.node)}"
        )
