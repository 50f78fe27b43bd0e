"""What crosses the network when only results leave the robot's computer: the serialized size of
faces/analysis (FaceAnalysisArray) with 1, 5 and 20 real faces, and its bytes per second at the
camera's rate, against the 640x480 bgr8 sensor_msgs/Image it was computed from (the anchor).

The faces are the pipeline's own results (FaceAnalyzer with the shipped models, every head) on
the 5 x 4 mosaic of real faces of head_frames.py; the message is built by the nodes' converter.

    python benchmarks/bench_message_size.py [--rate 30]
"""

from __future__ import annotations

import argparse

from head_frames import frame_and_faces
from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.ros.outputs.conversions import results_to_msg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=30.0, help="camera frames per second")
    args = parser.parse_args()
    frame, faces = frame_and_faces()
    analyzer = FaceAnalyzer()
    results = analyzer.classify(frame, faces)
    header = Header(frame_id="camera")
    height, width = frame.shape[:2]
    image = Image(
        header=header, height=height, width=width, encoding="bgr8", step=3 * width,
        data=frame.tobytes(),
    )  # fmt: skip
    anchor = len(serialize_message(image))
    print(f"serialized sizes; anchor: the {width}x{height} bgr8 Image, {anchor} bytes")
    print(f"faces  bytes  KB/s at {args.rate:g} Hz  x image")
    for count in (1, 5, 20):
        if count > len(results):
            print(f"{count:5d}  (the mosaic gave only {len(results)} faces)")
            continue
        size = len(serialize_message(results_to_msg(header, results[:count], analyzer.labels)))
        print(f"{count:5d}  {size:5d}  {size * args.rate / 1000:13.1f}  {size / anchor:.5f}")
    print(f"image  {anchor}  {anchor * args.rate / 1000:13.1f}  1")


if __name__ == "__main__":
    main()
