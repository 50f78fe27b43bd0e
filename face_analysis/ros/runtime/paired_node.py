"""A node that needs the camera image together with a second message computed for that image
(detections, or the analysis), paired by exact header stamp."""

from __future__ import annotations

from dataclasses import replace

from .base_node import OUTPUT_QOS, FaceAnalysisNode
from .latest_worker import WorkItem
from .pairing import StampPairer, stamp_key


class PairedInputNode(FaceAnalysisNode):
    SECOND_TYPE = None  # message class of the second input
    SECOND_TOPIC = ""

    def setup(self, values):
        self.pairer = StampPairer(values["pairing_cache_size"], self._unpaired)
        self.second_subscription = None

    def _unpaired(self, side: str):
        if side == "left":
            self.stats.drop()  # an image the upstream stage skipped: stale, never processed
        else:
            self.stats.problem(f"{self.SECOND_TOPIC} without its image")

    def wants_frames(self) -> bool:
        """False while nobody needs this node's output (lazy work)."""
        return True

    def on_frame(self, msg, receipt_time):
        if self.wants_frames():
            self._offer(self.pairer.add_left(stamp_key(msg.header), WorkItem(msg, receipt_time)))

    def _on_second(self, msg):
        # While frames are not wanted their images are not kept, so the second message has no
        # partner to wait for: not "without its image".
        if self.wants_frames():
            self._offer(self.pairer.add_right(stamp_key(msg.header), msg))

    def _offer(self, pair):
        if pair is not None:
            item, paired = pair
            self.worker.put(replace(item, paired=paired))

    def on_activate(self, state):
        self.second_subscription = self.create_subscription(
            self.SECOND_TYPE, self.SECOND_TOPIC, self._on_second, OUTPUT_QOS
        )
        return super().on_activate(state)

    def on_deactivate(self, state):
        if self.second_subscription is not None:
            self.destroy_subscription(self.second_subscription)
            self.second_subscription = None
        self.pairer.clear()
        return super().on_deactivate(state)
