"""Fixtures of the offline tests. The replay tests use the real-ROS fixtures `ros_processes` and
`ros_probe` of test/ros_fixtures.py when rclpy exists."""

import importlib.util

if importlib.util.find_spec("rclpy") is not None:
    from ros_fixtures import ros_probe, ros_processes  # noqa: F401
