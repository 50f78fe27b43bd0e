"""The camera_info subscription beside `image`: the calibration the head pose is computed with.
Its QoS follows the camera_info publisher as the image's follows the camera (image_qos). A frame
takes the CameraInfo with its own stamp when one came, else the newest; without any, the core's
field-of-view model (camera_fov), which the node says once."""

from __future__ import annotations

import threading
from collections import OrderedDict

from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo

from ...core.head_pose import CameraModel
from .camera_input import QOS_CHECK_PERIOD_S, wanted_reliability
from .pairing import stamp_key

KEPT = 30  # CameraInfo messages kept for pairing by stamp (about a second of a camera)
DISTORTION_MODELS = {"plumb_bob", "rational_polynomial"}  # OpenCV's coefficient order


def camera_model(msg: CameraInfo) -> CameraModel | None:
    """The pinhole model of a CameraInfo; None for an uncalibrated one (K all zero)."""
    fx, _, cx, _, fy, cy = (float(v) for v in msg.k[:6])
    if fx <= 0 or fy <= 0 or msg.width == 0 or msg.height == 0:
        return None
    distortion = tuple(float(v) for v in msg.d) if msg.distortion_model in DISTORTION_MODELS else ()
    return CameraModel(fx, fy, cx, cy, msg.width, msg.height, distortion)


class CameraInfoInput:
    """Subscribes `camera_info` while started; model(header) is for the processing thread."""

    def __init__(self, node, qos_mode: str, camera_fov: float):
        self.node, self.qos_mode, self.camera_fov = node, qos_mode, camera_fov
        self.topic = node.resolve_topic_name("camera_info")
        self.subscription = self.timer = None
        self.reliability: ReliabilityPolicy | None = None
        self._models: OrderedDict = OrderedDict()  # stamp key -> CameraModel
        self._lock = threading.Lock()  # the executor thread adds, the worker thread reads
        self._said_fallback = self._said_uncalibrated = False

    def start(self):
        self._subscribe(
            wanted_reliability(self.node, self.topic, self.qos_mode) or ReliabilityPolicy.RELIABLE
        )
        if self.qos_mode == "auto":
            self.timer = self.node.create_timer(QOS_CHECK_PERIOD_S, self._follow_qos)

    def stop(self):
        if self.timer is not None:
            self.node.destroy_timer(self.timer)
            self.timer = None
        if self.subscription is not None:
            self.node.destroy_subscription(self.subscription)
            self.subscription = None
        with self._lock:
            self._models.clear()

    def _subscribe(self, reliability: ReliabilityPolicy):
        if self.subscription is not None:
            self.node.destroy_subscription(self.subscription)
        self.reliability = reliability
        self.subscription = self.node.create_subscription(
            CameraInfo, self.topic, self._callback, QoSProfile(depth=5, reliability=reliability)
        )

    def _follow_qos(self):
        wanted = wanted_reliability(self.node, self.topic, self.qos_mode)
        if wanted is not None and wanted != self.reliability:
            self._subscribe(wanted)

    def _callback(self, msg: CameraInfo):
        model = camera_model(msg)
        if model is None:
            if not self._said_uncalibrated:
                self._said_uncalibrated = True
                self.node.get_logger().warning(
                    f"{self.topic} carries no calibration (K is zero); the head pose uses "
                    f"a {self.camera_fov:g} degree field of view instead (camera_fov)"
                )
            return
        with self._lock:
            self._models[stamp_key(msg.header)] = model
            while len(self._models) > KEPT:
                self._models.popitem(last=False)

    def model(self, header) -> CameraModel | None:
        """The calibration of the frame with this header: the one with its stamp, else the
        newest; None (the analyzer's camera_fov model) before any arrived."""
        with self._lock:
            model = self._models.get(stamp_key(header))
            if model is None and self._models:
                model = next(reversed(self._models.values()))
        if model is None and not self._said_fallback:
            self._said_fallback = True
            self.node.get_logger().info(
                f"no CameraInfo on {self.topic} yet: the head pose uses an approximate pinhole "
                f"model with a {self.camera_fov:g} degree horizontal field of view (camera_fov) "
                "until one arrives"
            )
        return model
