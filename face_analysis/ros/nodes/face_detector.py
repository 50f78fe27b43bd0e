"""face_detector: camera image -> face boxes on faces/detections (FaceDetectionArray, with the
landmarks and image size face_classifier needs) and faces/detections_2d (vision_msgs)."""

from __future__ import annotations

import time

from vision_msgs.msg import Detection2DArray

from face_analysis.msg import FaceDetectionArray

from ...core.analyzer import FaceAnalyzer
from ..params import DETECTOR, analyzer_config
from .base_node import OUTPUT_QOS, FaceAnalysisNode, run_nodes
from .conversions import detections_2d_to_msg, detections_to_msg


class FaceDetectorNode(FaceAnalysisNode):
    KIND = DETECTOR

    def setup(self, values):
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=True, classify=False))
        self.publisher = self.create_lifecycle_publisher(
            FaceDetectionArray, "faces/detections", OUTPUT_QOS
        )
        self.detections_2d_pub = self.create_lifecycle_publisher(
            Detection2DArray, "faces/detections_2d", OUTPUT_QOS
        )

    def teardown(self):
        if getattr(self, "publisher", None) is not None:
            self.destroy_lifecycle_publisher(self.publisher)
            self.destroy_lifecycle_publisher(self.detections_2d_pub)
        self.publisher = self.detections_2d_pub = self.analyzer = None

    def process(self, item):
        msg, receipt = item
        frame = self.camera.decode(msg)
        if frame is None:
            return
        boxes = self.analyzer.detect(frame)
        self.publisher.publish(detections_to_msg(msg.header, boxes, frame.shape))
        self.detections_2d_pub.publish(detections_2d_to_msg(msg.header, boxes))
        self.stats.frame_done(time.monotonic() - receipt)


def main(args=None):
    run_nodes(FaceDetectorNode, args=args)


if __name__ == "__main__":
    main()
