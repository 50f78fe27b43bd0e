"""face_detector: camera image -> face boxes on faces/detections (FaceDetectionArray, with the
landmarks and image size face_classifier needs) and faces/detections_2d (vision_msgs)."""

from __future__ import annotations

import time

from ...core.analyzer import FaceAnalyzer
from ..params import DETECTOR, analyzer_config
from .base_node import FaceAnalysisNode, run_nodes
from .detection_output import DetectionOutput


class FaceDetectorNode(FaceAnalysisNode):
    KIND = DETECTOR

    def setup(self, values):
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=True, classify=False))
        self.detections = DetectionOutput(self)

    def teardown(self):
        if getattr(self, "detections", None) is not None:
            self.detections.destroy()
        self.detections = self.analyzer = None

    def process(self, item):
        msg, receipt = item
        frame = self.camera.decode(msg)
        if frame is None:
            return
        boxes = self.analyzer.detect(frame)
        self.detections.publish(msg.header, boxes, frame.shape)
        self.stats.frame_done(time.monotonic() - receipt)


def main(args=None):
    run_nodes(FaceDetectorNode, args=args)


if __name__ == "__main__":
    main()
