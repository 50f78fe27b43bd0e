"""test/ros runs against the real ROS 2 stack (fixtures in test/ros_fixtures.py)."""

import pytest

pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed: run scripts/setup_env.sh")
from ros_fixtures import ros_probe, ros_processes, start_pipeline  # noqa: E402,F401
