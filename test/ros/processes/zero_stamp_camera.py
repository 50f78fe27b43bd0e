"""Test process: publishes PHOTO on TOPIC at 5 Hz with a zero header stamp until SIGINT."""

import sys

import cv2
import rclpy
from sensor_msgs.msg import Image

from face_analysis.core.image_codec import encode_image
from face_analysis.ros.spin import spin_until_interrupted


def main():
    photo, topic = sys.argv[1], sys.argv[2]
    rclpy.init()
    node = rclpy.create_node("zero_stamp_camera")
    publisher = node.create_publisher(Image, topic, 10)
    msg = encode_image(cv2.resize(cv2.imread(photo), (640, 480)), Image(), "bgr8")
    msg.header.frame_id = "camera"
    node.create_timer(0.2, lambda: publisher.publish(msg))
    spin_until_interrupted([node])


if __name__ == "__main__":
    main()
