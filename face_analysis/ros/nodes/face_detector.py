"""face_detector: camera image -> face boxes on faces/detections (FaceDetectionArray)."""
from __future__ import annotations

import time

from face_analysis.msg import FaceDetectionArray

from ...core.analyzer import FaceAnalyzer
from ..params import DETECTOR, analyzer_config
from .base_node import FaceAnalysisNode, OUTPUT_QOS, run_nodes
from .conversions import detections_to_msg


class FaceDetectorNode(FaceAnalysisNode):
    KIND = DETECTOR

    def setup(self, values):
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=True, classify=False))
        self.publisher = self.create_lifecycle_publisher(FaceDetectionArray, "faces/detections",
                                                         OUTPUT_QOS)

    def teardown(self):
        if getattr(self, "publisher", None) is not None:
            self.destroy_lifecycle_publisher(self.publisher)
        self.publisher = self.analyzer = None

    def process(self, item):
        msg, receipt = item
        frame = self.camera.decode(msg)
        if frame is None:
            return
        boxes = self.analyzer.detect(frame)
        self.publisher.publish(detections_to_msg(msg.header, boxes, frame.shape))
        self.stats.frame_done(time.monotonic() - receipt)


def main(args=None):
    run_nodes(FaceDetectorNode, args=args)


if __name__ == "__main__":
    main()
