"""The lifecycle shell shared by every face_analysis node (the executables in ../nodes/):
parameters, camera input, newest-frame worker and diagnostics. Subclasses only build their core
objects and process one frame. This folder holds the nodes' machinery and intake; ../outputs/
turns results into messages.

configure validates parameters (node_params.py, from the table in ../params.py) and loads models;
activate subscribes to the camera; deactivate unsubscribes (an idle robot spends no CPU on
faces); cleanup frees the models.

The path of one frame (../nodes/face_analysis_pipeline.py; the separate nodes split it at the
messages):

1. camera callback, executor thread (camera_input.CameraInput._callback): counts the frame and
   hands the message to `on_frame`, which only wraps it in a WorkItem (latest_worker.py) with
   its arrival time: no decoding here.
2. newest-frame worker (latest_worker.LatestWorker): one thread takes the newest stored item;
   items replaced before it got to them are counted as dropped. With pipeline_overlap the
   pipeline's worker is a TwoStageWorker: one thread decodes and detects frame n+1 while a
   second tracks, classifies and publishes frame n, in order. face_classifier and face_overlay
   first pair the image with its detections or analysis by exact stamp (paired_node.py), which
   the WorkItem carries as `paired`.
3. decode (CameraInput.decode -> core.image_codec): Image/CompressedImage -> numpy; a bad frame
   is counted, logged once per kind, and skipped.
4. analyzer (core.analyzer.FaceAnalyzer): detect(), then classify() (track the boxes, crop and
   normalise, run the ONNX heads - emotion, gender, age -, smooth per track); together
   analyze(), the call the command line and the benchmarks make. The pipeline calls its halves
   detect_step() and track_step(), which with detect_every > 1 skip the detector on the frames
   in between and let the tracker carry the faces (carry()). The head pose of each face with
   landmarks (core.head_pose) uses the frame's camera_info (camera_info_input.py). With identity
   on (node_identity.py), the faces get their person ids at once, and those due for an embedding
   go to the identity worker, whose network runs in a child process: the frame never waits.
5. messages (../outputs/conversions.py): faces/detections (with landmarks) and
   faces/detections_2d (vision_msgs; both through ../outputs/detection_output.py) and
   faces/analysis with the image's header, plus the REP-155 topics with hri_publish
   (../outputs/hri_faces.py, built by ../outputs/hri_option.py).
6. overlay (../outputs/overlay_output.py): faces/overlay and faces/markers, drawn only while
   someone subscribes.

The worker's latency (arrival to publish: frame_done) and the counters go to /diagnostics
(diagnostics.py).
"""

from __future__ import annotations

import time

import rclpy
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import QoSProfile, ReliabilityPolicy

from ...core.errors import FaceAnalysisError
from ..compat import add_post_set_parameters_callback
from ..spin import spin_until_interrupted
from .camera_info_input import CameraInfoInput
from .camera_input import CameraInput
from .diagnostics import DiagnosticsReporter, StageStats
from .latest_worker import LatestWorker, WorkItem
from .node_identity import NodeIdentity
from .node_params import NodeParameters

# Our outputs: reliable (matches reliable and best-effort subscribers, e.g. RViz), shallow.
OUTPUT_QOS = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)


class FaceAnalysisNode(LifecycleNode):
    KIND = ""  # the node's name and its column in params.PARAMS
    USES_CAMERA = True  # False: no camera subscription, no newest-frame worker
    USES_CAMERA_INFO = False  # True: also camera_info, for the head pose (camera_model())
    IDENTIFIES = False  # True: identity (node_identity.py: ~/enrol, ~/forget, ~/forget_all)

    def __init__(self, **kwargs):
        super().__init__(self.KIND, **kwargs)
        self.values: dict = {}
        # Before NodeParameters adds its validator: Humble needs that order (compat).
        add_post_set_parameters_callback(self, self._apply_live)
        self.parameters = NodeParameters(self, self.KIND)
        self.stats = StageStats()
        self.camera = self.worker = self.diagnostics = self.camera_info = None
        self.identity = NodeIdentity(self) if self.IDENTIFIES else None

    # --- subclass hooks
    def setup(self, values: dict) -> None:
        """Build core objects and lifecycle publishers; raise FaceAnalysisError if impossible."""

    def teardown(self) -> None:
        """Destroy what setup built."""

    def process(self, item: WorkItem) -> None:
        """Handle the newest frame in the worker thread."""

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
        self.worker.put(WorkItem(msg, receipt_time))

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
            extra=self.identity.diagnostic_values if self.identity is not None else None,
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

    def frame_done(self, item: WorkItem) -> None:
        """Count a frame processed and its latency (from its arrival until now)."""
        self.stats.frame_done(time.monotonic() - item.receipt)

    @staticmethod
    def stamp_seconds(header) -> float | None:
        """The frame's time for identity's memory (identity_memory_s): its stamp, or None (the
        analyzer's clock) for a camera that leaves the stamp at zero."""
        seconds = header.stamp.sec + header.stamp.nanosec * 1e-9
        return seconds if seconds > 0 else None

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
