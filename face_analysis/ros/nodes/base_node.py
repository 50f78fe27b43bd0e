"""The lifecycle shell shared by every face_analysis node: parameters, camera input, newest-frame
worker and diagnostics. Subclasses only build their core objects and process one frame.

configure validates parameters (node_params.py, from the table in ../params.py) and loads models;
activate subscribes to the camera; deactivate unsubscribes (an idle robot spends no CPU on
faces); cleanup frees the models.

The path of one frame (face_analysis_pipeline; the separate nodes split it at the messages):

1. camera callback, executor thread (camera_input.CameraInput._callback): counts the frame and
   hands the message to `on_frame`, which only stores it: no decoding here.
2. newest-frame worker (latest_worker.LatestWorker): one thread takes the newest stored frame;
   frames replaced before it got to them are counted as dropped. With pipeline_overlap the
   pipeline's worker is a TwoStageWorker: one thread decodes and detects frame n+1 while a
   second tracks, classifies and publishes frame n, in order. face_classifier and face_overlay
   first pair the image with its detections or analysis by exact stamp (paired_node.py).
3. decode (CameraInput.decode -> core.image_codec): Image/CompressedImage -> numpy; a bad frame
   is counted, logged once per kind, and skipped.
4. analyzer (core.analyzer.FaceAnalyzer): detect(), then classify() (track the boxes, crop and
   normalise, run the ONNX heads - emotion, gender, age -, smooth per track); together
   analyze(), the call the command line and the benchmarks make. The pipeline calls its halves
   detect_step() and track_step(), which with detect_every > 1 skip the detector on the frames
   in between and let the tracker carry the faces (carry()). The head pose of each face with
   landmarks (core.head_pose) uses the frame's camera_info (camera_info_input.py).
5. messages (conversions.py): faces/detections (with landmarks) and faces/detections_2d
   (vision_msgs; both through detection_output.DetectionOutput) and faces/analysis with the
   image's header, plus the REP-155 topics with hri_publish (hri_faces.py).
6. overlay (overlay_output.OverlayOutput): faces/overlay and faces/markers, drawn only while
   someone subscribes.

The worker's latency (arrival to publish) and the counters go to /diagnostics (diagnostics.py).
"""

from __future__ import annotations

import rclpy
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy

from ...core.errors import FaceAnalysisError
from ..compat import add_post_set_parameters_callback
from ..spin import spin_until_interrupted
from .camera_info_input import CameraInfoInput
from .camera_input import CameraInput
from .diagnostics import DiagnosticsReporter, StageStats
from .latest_worker import LatestWorker
from .node_params import NodeParameters

# Our outputs: reliable (matches reliable and best-effort subscribers, e.g. RViz), shallow.
OUTPUT_QOS = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)


class FaceAnalysisNode(LifecycleNode):
    KIND = ""  # the node's name and its column in params.PARAMS
    USES_CAMERA = True  # False: no camera subscription, no newest-frame worker
    USES_CAMERA_INFO = False  # True: also camera_info, for the head pose (camera_model())

    def __init__(self, **kwargs):
        super().__init__(self.KIND, **kwargs)
        self.values: dict = {}
        # Before NodeParameters adds its validator: Humble needs that order (compat).
        add_post_set_parameters_callback(self, self._apply_live)
        self.parameters = NodeParameters(self, self.KIND)
        self.stats = StageStats()
        self.camera = self.worker = self.diagnostics = self.camera_info = None

    # --- subclass hooks
    def setup(self, values: dict) -> None:
        """Build core objects and lifecycle publishers; raise FaceAnalysisError if impossible."""

    def teardown(self) -> None:
        """Destroy what setup built."""

    def process(self, item) -> None:
        """Handle one (newest) item in the worker thread."""

    def make_worker(self, values: dict) -> LatestWorker:
        """The newest-frame worker that calls process() (the pipeline may split it in two)."""
        return LatestWorker(
            self.process,
            self.stats,
            self.get_logger(),
            values.get("max_rate", 0.0),
            alive=self.context.ok,
        )

    def on_frame(self, msg, receipt_time: float) -> None:
        """Executor thread: a camera frame arrived. Default: queue it for process()."""
        self.worker.put((msg, receipt_time))

    def apply_live(self, values: dict) -> None:
        """Take parameter changes that need no reconfigure: the detection thresholds."""
        analyzer = getattr(self, "analyzer", None)
        if analyzer is not None and analyzer.detector is not None:
            analyzer.config.min_detection_score = values["min_detection_score"]
            analyzer.config.max_faces = values["max_faces"]

    # --- lifecycle transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        problems = self.parameters.problems()
        if problems:
            self.get_logger().error("configure failed, invalid parameters: " + "; ".join(problems))
            return TransitionCallbackReturn.FAILURE
        self.values = values = self.parameters.values()
        try:
            self.setup(values)
        except FaceAnalysisError as exc:
            self.get_logger().error(f"configure failed: {exc}")
            self.teardown()
            return TransitionCallbackReturn.FAILURE
        self.stats = StageStats()
        if self.USES_CAMERA:
            self.camera = CameraInput(
                self,
                self.stats,
                self.on_frame,
                transport=values["image_transport"],
                qos_mode=values["image_qos"],
                no_image_timeout=values["no_image_timeout"],
            )
            self.worker = self.make_worker(values)
        if self.USES_CAMERA_INFO and values["head_pose"]:
            self.camera_info = CameraInfoInput(self, values["image_qos"], values["camera_fov"])
        self.get_logger().info("configured")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.USES_CAMERA:
            self.camera.qos_mode = self.get_parameter("image_qos").value
            self.worker.start()
            self.camera.start()
        if self.camera_info is not None:
            self.camera_info.start()
        self.diagnostics = DiagnosticsReporter(
            self,
            self.stats,
            latency_warn_ms=self.values["latency_warn_ms"],
            latency_error_ms=self.values["latency_error_ms"],
            silence_warn_s=self.values["no_image_timeout"],
        )
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_processing()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.teardown()
        self.camera = self.worker = self.camera_info = None
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_processing()
        self.teardown()
        return TransitionCallbackReturn.SUCCESS

    def _stop_processing(self):
        if self.camera is not None:
            self.camera.stop()
        if self.camera_info is not None:
            self.camera_info.stop()
        if self.worker is not None:
            self.worker.stop()
        if self.diagnostics is not None:
            self.diagnostics.destroy()
            self.diagnostics = None

    def camera_model(self, header):
        """The calibration of the frame with this header (camera_info_input.py); None: the
        analyzer's camera_fov model."""
        return self.camera_info.model(header) if self.camera_info is not None else None

    def start_if_autostart(self) -> None:
        """With the autostart parameter, configure and activate now (a failed configure is
        logged and leaves the node unconfigured, as a manager's configure would)."""
        if (
            self.get_parameter("autostart").value
            and self.trigger_configure() == TransitionCallbackReturn.SUCCESS
        ):
            self.trigger_activate()

    def _apply_live(self, parameters) -> None:
        if not self.values:
            return  # not configured: configure reads everything
        self.values.update({p.name: p.value for p in parameters if p.name in self.values})
        if self.worker is not None and "max_rate" in self.values:
            rate = self.values["max_rate"]
            self.worker.min_period = 1.0 / rate if rate > 0 else 0.0
        if self.diagnostics is not None:
            self.diagnostics.latency_warn_ms = self.values["latency_warn_ms"]
            self.diagnostics.latency_error_ms = self.values["latency_error_ms"]
        self.apply_live(self.values)


def run_nodes(*node_classes, args=None) -> None:
    """main() of a node executable: spin until SIGINT/SIGTERM, then stop cleanly (exit code 0,
    no traceback), as `ros2 launch` expects."""
    rclpy.init(args=args)
    nodes = [cls() for cls in node_classes]
    for node in nodes:
        node.start_if_autostart()

    def stop():
        for node in nodes:
            node._stop_processing()
            node.teardown()

    spin_until_interrupted(nodes, stop)
