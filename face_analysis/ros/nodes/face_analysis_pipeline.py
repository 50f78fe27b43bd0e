"""face_analysis_pipeline: detector, classifier and overlay in one node and one process, so the
image is neither copied between processes nor paired by stamp. Publishes the same topics as the
three separate nodes."""

from __future__ import annotations

from dataclasses import replace

from face_analysis.msg import FaceAnalysisArray

from ..outputs.conversions import results_to_msg
from ..outputs.detection_output import DetectionOutput
from ..outputs.hri_option import alive_tracks, hri_publisher
from ..outputs.overlay_output import OverlayOutput
from ..params import PIPELINE, analyzer_config
from ..runtime.base_node import OUTPUT_QOS, FaceAnalysisNode, run_nodes
from ..runtime.latest_worker import TwoStageWorker, WorkItem


class FaceAnalysisPipelineNode(FaceAnalysisNode):
    KIND = PIPELINE
    USES_CAMERA_INFO = True
    IDENTIFIES = True

    def setup(self, values):
        config = analyzer_config(values, detect=True, classify=True)
        self.analyzer = self.identity.make_analyzer(config)
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
        self.identity.teardown()
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
        detected = self.detect_stage(item)
        if detected is not None:
            self.publish_stage(detected)

    def detect_stage(self, item: WorkItem) -> WorkItem | None:
        """Decode and detect (None for a frame that is skipped); with detect_every > 1, boxes
        is None on the frames in between."""
        frame = self.camera.decode(item.msg)
        if frame is None:
            return None
        return replace(item, frame=frame, boxes=self.analyzer.detect_step(frame))

    def publish_stage(self, item: WorkItem) -> None:
        """Track, classify (or carry the tracks on a frame without detections) and publish."""
        header, frame, boxes = item.msg.header, item.frame, item.boxes
        results = self.analyzer.track_step(
            frame, boxes, self.camera_model(header), self.stamp_seconds(header)
        )
        if boxes is not None:  # a detection frame: its faces have fresh landmarks
            self.identity.remember(frame, results)
        if boxes is None:  # the tracker's predicted boxes stand in for the detections
            boxes = [result.box for result in results]
        self.detections.publish(
            header, boxes, frame.shape, {result.box: result.track_id for result in results}
        )
        self.analysis_pub.publish(results_to_msg(header, results, self.analyzer.labels))
        if self.hri is not None:
            self.hri.publish(header, frame, results, alive_tracks(self.analyzer))
        self.frame_done(item)
        markers = self.values["publish_markers"]
        if self.output.wanted(markers):
            self.output.publish(header, frame, results, markers)


def main(args=None):
    run_nodes(FaceAnalysisPipelineNode, args=args)


if __name__ == "__main__":
    main()
