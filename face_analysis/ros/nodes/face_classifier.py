"""face_classifier: camera image + faces/detections -> emotion, gender, track ids on
faces/analysis (FaceAnalysisArray)."""

from __future__ import annotations

from face_analysis.msg import FaceAnalysisArray, FaceDetectionArray

from ...core.analyzer import FaceAnalyzer
from ..params import CLASSIFIER, analyzer_config
from .base_node import OUTPUT_QOS, run_nodes
from .conversions import msg_to_box, results_to_msg
from .hri_option import alive_tracks, hri_publisher
from .paired_node import PairedInputNode


class FaceClassifierNode(PairedInputNode):
    KIND = CLASSIFIER
    USES_CAMERA_INFO = True
    SECOND_TYPE = FaceDetectionArray
    SECOND_TOPIC = "faces/detections"

    def setup(self, values):
        super().setup(values)
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=False, classify=True))
        self.publisher = self.create_lifecycle_publisher(
            FaceAnalysisArray, "faces/analysis", OUTPUT_QOS
        )
        self.hri = hri_publisher(self, values)

    def teardown(self):
        if getattr(self, "hri", None) is not None:
            self.hri.destroy()
        self.hri = None
        if getattr(self, "publisher", None) is not None:
            self.destroy_lifecycle_publisher(self.publisher)
        self.publisher = self.analyzer = None

    def process(self, item):
        image_msg, receipt, detections = item
        frame = self.camera.decode(image_msg)
        if frame is None:
            return
        boxes = [msg_to_box(d) for d in detections.detections]
        results = self.analyzer.classify(frame, boxes, self.camera_model(image_msg.header))
        self.publisher.publish(results_to_msg(image_msg.header, results, self.analyzer.labels))
        if self.hri is not None:
            self.hri.publish(image_msg.header, frame, results, alive_tracks(self.analyzer))
        self.frame_done(receipt)


def main(args=None):
    run_nodes(FaceClassifierNode, args=args)


if __name__ == "__main__":
    main()
