"""face_detector: camera image -> face boxes on faces/detections (FaceDetectionArray, with the
landmarks and image size face_classifier needs) and faces/detections_2d (vision_msgs)."""

from __future__ import annotations

from ...core.analyzer import FaceAnalyzer
from ..outputs.detection_output import DetectionOutput
from ..params import DETECTOR, analyzer_config
from ..runtime.base_node import FaceAnalysisNode, run_nodes


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
        frame = self.camera.decode(item.msg)
        if frame is None:
            return
        boxes = self.analyzer.detect_and_track(frame)
        self.detections.publish(item.msg.header, boxes, frame.shape)
        self.frame_done(item)


def main(args=None):
    run_nodes(FaceDetectorNode, args=args)


if __name__ == "__main__":
    main()
