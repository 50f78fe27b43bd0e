"""faces/overlay (annotated image for RViz) and faces/markers (text labels), computed only while
someone subscribes. With privacy, the overlay shows every face blurred (core/anonymize.py)."""

from __future__ import annotations

from builtin_interfaces.msg import Duration
from sensor_msgs.msg import Image
from visualization_msgs.msg import Marker, MarkerArray

from ...core.anonymize import private_view
from ...core.draw import draw_results, face_caption
from ...core.image_codec import encode_image
from ..runtime.base_node import OUTPUT_QOS

MARKER_DEPTH_M = 1.0  # labels are placed on a nominal plane; no camera intrinsics are assumed


class OverlayOutput:
    def __init__(self, node, privacy: bool = False):
        self.node, self.privacy = node, privacy
        self.image_pub = node.create_lifecycle_publisher(Image, "faces/overlay", OUTPUT_QOS)
        self.marker_pub = node.create_lifecycle_publisher(MarkerArray, "faces/markers", OUTPUT_QOS)

    def wanted(self, markers: bool) -> bool:
        return self.image_pub.get_subscription_count() > 0 or (
            markers and self.marker_pub.get_subscription_count() > 0
        )

    def publish(self, header, frame, results, markers: bool):
        if self.image_pub.get_subscription_count() > 0:
            image, drawn = private_view(frame, results) if self.privacy else (frame, results)
            self.image_pub.publish(encode_image(draw_results(image, drawn), Image(header=header)))
        if markers and self.marker_pub.get_subscription_count() > 0:
            self.marker_pub.publish(self._markers(header, frame.shape, results))

    @staticmethod
    def _markers(header, shape, results) -> MarkerArray:
        """One text marker per face in the image's optical frame (x right, y down, z forward),
        at the face's direction on a plane MARKER_DEPTH_M ahead, assuming a 90 degree field of
        view: good enough to label faces in RViz, not a 3-D position."""
        height, width = shape[:2]
        array = MarkerArray(markers=[Marker(header=header, action=Marker.DELETEALL)])
        for result in results:
            u = (result.box.x_min + result.box.x_max) / 2
            marker = Marker(
                header=header,
                ns="face_analysis",
                id=max(result.track_id, 0),
                type=Marker.TEXT_VIEW_FACING,
                action=Marker.ADD,
                text="\n".join(face_caption(result)),
                lifetime=Duration(sec=0, nanosec=500_000_000),
            )
            marker.pose.position.x = (u - width / 2) / (width / 2) * MARKER_DEPTH_M
            marker.pose.position.y = (result.box.y_min - height / 2) / (width / 2) * MARKER_DEPTH_M
            marker.pose.position.z = MARKER_DEPTH_M
            marker.pose.orientation.w = 1.0
            marker.scale.z = 0.05
            marker.color.r = marker.color.g = marker.color.b = marker.color.a = 1.0
            array.markers.append(marker)
        return array

    def destroy(self):
        self.node.destroy_lifecycle_publisher(self.image_pub)
        self.node.destroy_lifecycle_publisher(self.marker_pub)
