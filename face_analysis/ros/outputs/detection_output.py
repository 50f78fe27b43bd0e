"""faces/detections (FaceDetectionArray: boxes, landmarks, image size; what face_classifier
pairs with the image) and faces/detections_2d (the same faces as vision_msgs), published
together by face_detector and the single-process pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vision_msgs.msg import Detection2DArray

from face_analysis.msg import FaceDetectionArray

from ...core.types import FaceBox
from ..runtime.base_node import OUTPUT_QOS
from .conversions import detections_2d_to_msg, detections_to_msg


class DetectionOutput:
    def __init__(self, node):
        self.node = node
        self.detections_pub = node.create_lifecycle_publisher(
            FaceDetectionArray, "faces/detections", OUTPUT_QOS
        )
        self.detections_2d_pub = node.create_lifecycle_publisher(
            Detection2DArray, "faces/detections_2d", OUTPUT_QOS
        )

    def publish(
        self,
        header,
        boxes: Sequence[FaceBox],
        image_shape,
        track_ids: Mapping[FaceBox, int] | None = None,
    ) -> None:
        self.detections_pub.publish(detections_to_msg(header, boxes, image_shape))
        self.detections_2d_pub.publish(detections_2d_to_msg(header, boxes, track_ids))

    def destroy(self) -> None:
        self.node.destroy_lifecycle_publisher(self.detections_pub)
        self.node.destroy_lifecycle_publisher(self.detections_2d_pub)
