"""face_classifier: camera image + faces/detections -> emotion, gender, track ids on
faces/analysis (FaceAnalysisArray)."""

from __future__ import annotations

from face_analysis.msg import FaceAnalysisArray, FaceDetectionArray

from ..outputs.conversions import msg_to_box, results_to_msg
from ..outputs.hri_option import alive_tracks, hri_publisher
from ..params import CLASSIFIER, analyzer_config
from ..runtime.base_node import OUTPUT_QOS, run_nodes
from ..runtime.paired_node import PairedInputNode


class FaceClassifierNode(PairedInputNode):
    KIND = CLASSIFIER
    USES_CAMERA_INFO = True
    SECOND_TYPE = FaceDetectionArray
    SECOND_TOPIC = "faces/detections"
    IDENTIFIES = True

    def setup(self, values):
        super().setup(values)
        config = analyzer_config(values, detect=False, classify=True)
        self.analyzer = self.identity.make_analyzer(config)
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
        self.identity.teardown()
        self.publisher = self.analyzer = None

    def process(self, item):
        frame = self.camera.decode(item.msg)
        if frame is None:
            return
        header = item.msg.header
        boxes = [msg_to_box(d) for d in item.paired.detections]
        results = self.analyzer.classify(
            frame, boxes, self.camera_model(header), self.stamp_seconds(header)
        )
        self.identity.remember(frame, results)
        self.publisher.publish(results_to_msg(header, results, self.analyzer.labels))
        if self.hri is not None:
            self.hri.publish(header, frame, results, alive_tracks(self.analyzer))
        self.frame_done(item)


def main(args=None):
    run_nodes(FaceClassifierNode, args=args)


if __name__ == "__main__":
    main()
