"""image_publisher: publishes still images as a camera would, to try the nodes without a camera
and to drive the launch tests and benchmarks.

    ros2 run face_analysis image_publisher PHOTO.jpg [PHOTO2.jpg ...] --rate 30 --size 640x480

Frames cycle through the images (each one --repeat times in a row), each with a fresh stamp and
--frame-id; --best-effort publishes like many camera drivers do; --stamps-file appends each
published stamp ("sec nanosec") so a test can tell which frames were sent; --camera-info-fov
also publishes a sensor_msgs/CameraInfo with each frame (same stamp and frame id) on the
camera_info beside the image topic, as a calibrated camera driver does.
"""

from __future__ import annotations

import argparse
import sys

import cv2
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, Image

from ...core.head_pose import CameraModel
from ...core.image_codec import encode_image
from ..spin import spin_until_interrupted


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", help="image files (jpg/png)")
    parser.add_argument("--topic", default="/camera/image_raw")
    parser.add_argument("--rate", type=float, default=10.0, help="frames per second")
    parser.add_argument("--size", default="", help="resize to WxH, e.g. 640x480")
    parser.add_argument("--encoding", default="bgr8", choices=("bgr8", "rgb8", "mono8"))
    parser.add_argument("--frame-id", default="camera_optical_frame")
    parser.add_argument("--best-effort", action="store_true", help="best-effort QoS")
    parser.add_argument("--repeat", type=int, default=1, help="frames per image before the next")
    parser.add_argument("--count", type=int, default=0, help="stop publishing after N frames")
    parser.add_argument(
        "--wait-for-subscriber",
        action="store_true",
        help="start publishing once the topic has a subscriber",
    )
    parser.add_argument("--stamps-file", default="", help="append each published stamp here")
    parser.add_argument(
        "--camera-info-fov",
        type=float,
        default=0.0,
        help="also publish CameraInfo of a pinhole camera with this horizontal field of view "
        "(degrees) on <topic's namespace>/camera_info; 0: none",
    )
    return parser.parse_args(argv)


def load_frames(paths, size: str):
    frames = []
    for path in paths:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            sys.exit(f"image_publisher: cannot read image {path}")
        if size:
            width, height = (int(v) for v in size.lower().split("x"))
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        frames.append(image)
    return frames


def camera_info(width: int, height: int, fov_deg: float) -> CameraInfo:
    model = CameraModel.from_fov(width, height, fov_deg)
    return CameraInfo(
        width=width,
        height=height,
        distortion_model="plumb_bob",
        d=[0.0] * 5,
        k=model.matrix.reshape(-1).tolist(),
        r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        p=[model.fx, 0.0, model.cx, 0.0, 0.0, model.fy, model.cy, 0.0, 0.0, 0.0, 1.0, 0.0],
    )


def main(argv=None):
    args = parse_args(rclpy.utilities.remove_ros_args(argv if argv is not None else sys.argv)[1:])
    rclpy.init(args=argv)
    node = rclpy.create_node("image_publisher")
    reliability = ReliabilityPolicy.BEST_EFFORT if args.best_effort else ReliabilityPolicy.RELIABLE
    publisher = node.create_publisher(
        Image, args.topic, QoSProfile(depth=5, reliability=reliability)
    )
    messages = [
        encode_image(frame, Image(), args.encoding) for frame in load_frames(args.images, args.size)
    ]
    stamps = open(args.stamps_file, "a") if args.stamps_file else None
    info_publisher = None
    if args.camera_info_fov > 0:
        info_topic = args.topic.rpartition("/")[0] + "/camera_info"
        info_publisher = node.create_publisher(
            CameraInfo, info_topic, QoSProfile(depth=5, reliability=reliability)
        )
    sent = 0

    def tick():
        nonlocal sent
        if (args.count and sent >= args.count) or (
            args.wait_for_subscriber and publisher.get_subscription_count() == 0
        ):
            return
        msg = messages[(sent // args.repeat) % len(messages)]
        msg.header.stamp = node.get_clock().now().to_msg()
        msg.header.frame_id = args.frame_id
        if info_publisher is not None:  # first, so the frame's calibration is there with it
            info = camera_info(msg.width, msg.height, args.camera_info_fov)
            info.header = msg.header
            info_publisher.publish(info)
        publisher.publish(msg)
        sent += 1
        if stamps:
            stamps.write(f"{msg.header.stamp.sec} {msg.header.stamp.nanosec}\n")
            stamps.flush()

    node.create_timer(1.0 / args.rate, tick)
    spin_until_interrupted([node])


if __name__ == "__main__":
    main()
