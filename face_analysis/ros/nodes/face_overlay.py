"""face_overlay: camera image + faces/analysis -> annotated image on faces/overlay for RViz (and
text markers on faces/markers when publish_markers is set). Idle while nobody subscribes."""

from __future__ import annotations

from face_analysis.msg import FaceAnalysisArray

from ..outputs.conversions import msg_to_results
from ..outputs.overlay_output import OverlayOutput
from ..params import OVERLAY
from ..runtime.base_node import run_nodes
from ..runtime.paired_node import PairedInputNode


class FaceOverlayNode(PairedInputNode):
    KIND = OVERLAY
    SECOND_TYPE = FaceAnalysisArray
    SECOND_TOPIC = "faces/analysis"

    def setup(self, values):
        super().setup(values)
        self.output = OverlayOutput(self, values["privacy"])

    def teardown(self):
        if getattr(self, "output", None) is not None:
            self.output.destroy()
        self.output = None

    def wants_frames(self):
        return self.output.wanted(self.values["publish_markers"])

    def process(self, item):
        frame = self.camera.decode(item.msg)
        if frame is None:
            return
        self.output.publish(
            item.msg.header, frame, msg_to_results(item.paired), self.values["publish_markers"]
        )
        self.frame_done(item)


def main(args=None):
    run_nodes(FaceOverlayNode, args=args)


if __name__ == "__main__":
    main()
