"""Test process: publishes sample_analysis_array() on `faces/analysis` at 5 Hz until SIGINT;
with --stamp-now, each message stamped with the current time instead of the sample's stamp."""

import sys

import rclpy
from sample_messages import sample_analysis_array

from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.spin import spin_until_interrupted


def main():
    rclpy.init()
    node = rclpy.create_node("sample_analysis_publisher")
    pub = node.create_publisher(FaceAnalysisArray, "faces/analysis", 10)
    msg = sample_analysis_array()
    stamp_now = "--stamp-now" in sys.argv[1:]

    def publish():
        if stamp_now:
            msg.header.stamp = node.get_clock().now().to_msg()
        pub.publish(msg)

    node.create_timer(0.2, publish)
    spin_until_interrupted([node])


if __name__ == "__main__":
    main()
