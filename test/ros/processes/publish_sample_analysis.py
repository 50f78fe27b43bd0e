"""Test process: publishes sample_analysis_array() on `faces/analysis` at 5 Hz until SIGINT."""

import rclpy
from sample_messages import sample_analysis_array

from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.spin import spin_until_interrupted


def main():
    rclpy.init()
    node = rclpy.create_node("sample_analysis_publisher")
    pub = node.create_publisher(FaceAnalysisArray, "faces/analysis", 10)
    msg = sample_analysis_array()
    node.create_timer(0.2, lambda: pub.publish(msg))
    spin_until_interrupted([node])


if __name__ == "__main__":
    main()
