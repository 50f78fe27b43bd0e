"""face_analysis_pipeline: detector, classifier and overlay in one node and one process, so the
image is neither copied between processes nor paired by stamp. Publishes the same topics as the
three separate nodes."""

from __future__ import annotations

import time

from face_analysis.msg import FaceAnalysisArray

from ...core.analyzer import FaceAnalyzer
from ..params import PIPELINE, analyzer_config
from .base_node import OUTPUT_QOS, FaceAnalysisNode, run_nodes
from .conversions import results_to_msg
from .detection_output import DetectionOutput
from .hri_option import alive_tracks, hri_publisher
from .latest_worker import TwoStageWorker
from .overlay_output import OverlayOutput


class FaceAnalysisPipelineNode(FaceAnalysisNode):
    KIND = PIPELINE
    USES_CAMERA_INFO = True

    def setup(self, values):
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=True, classify=True))
        self.detections = DetectionOutput(self)
        self.analysis_pub = self.create_lifecycle_publisher(
            FaceAnalysisArray, "faces/analysis", OUTPUT_QOS
        )
        self.output = OverlayOutput(self, values["privacy"])
        self.hri = hri_publisher(self, values)

    def teardown(self):
        if getattr(self, "hri", None) is not None:
            self.hri.destroy()
        self.hri = None
        if getattr(self, "output", None) is not None:
            self.detections.destroy()
            self.destroy_lifecycle_publisher(self.analysis_pub)
            self.output.destroy()
        self.output = self.detections = self.analyzer = None

    def make_worker(self, values):
        """pipeline_overlap: detection of frame n+1 overlaps classification of frame n."""
        if not values["pipeline_overlap"]:
            return super().make_worker(values)
        return TwoStageWorker(
            self.detect_stage,
            self.publish_stage,
            self.stats,
            self.get_logger(),
            values["max_rate"],
            alive=self.context.ok,
        )

    def process(self, item):
        staged = self.detect_stage(item)
        if staged is not None:
            self.publish_stage(staged)

    def detect_stage(self, item):
        """Decode and detect (None for a frame that is skipped); with detect_every > 1, boxes
        is None on the frames in between."""
        msg, receipt = item
        frame = self.camera.decode(msg)
        if frame is None:
            return None
        return msg, receipt, frame, self.analyzer.detect_step(frame)

    def publish_stage(self, staged):
        """Track, classify (or carry the tracks on a frame without detections) and publish."""
        msg, receipt, frame, boxes = staged
        results = self.analyzer.track_step(frame, boxes, self.camera_model(msg.header))
        if boxes is None:  # the tracker's predicted boxes stand in for the detections
            boxes = [result.box for result in results]
        self.detections.publish(
            msg.header, boxes, frame.shape, {result.box: result.track_id for result in results}
        )
        self.analysis_pub.publish(results_to_msg(msg.header, results, self.analyzer.labels))
        if self.hri is not None:
            self.hri.publish(msg.header, frame, results, alive_tracks(self.analyzer))
        self.stats.frame_done(time.monotonic() - receipt)
        markers = self.values["publish_markers"]
        if self.output.wanted(markers):
            self.output.publish(msg.header, frame, results, markers)


def main(args=None):
    run_nodes(FaceAnalysisPipelineNode, args=args)


if __name__ == "__main__":
    main()
