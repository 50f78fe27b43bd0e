"""A node whose teardown hangs (before_destroy sleeps far longer than spin.TEARDOWN_S), for
test_teardown_watchdog's check that the watchdog ends it with its stacks."""

import time

import rclpy

from face_analysis.ros.spin import spin_until_interrupted


def main():
    rclpy.init()
    node = rclpy.create_node("hanging_teardown")
    node.get_logger().info("spinning")
    spin_until_interrupted([node], before_destroy=lambda: time.sleep(60))


if __name__ == "__main__":
    main()
