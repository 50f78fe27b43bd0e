"""Spinning until `ros2 launch` (or Ctrl-C) stops the process: SIGINT/SIGTERM end it with exit
code 0 and no traceback, which launch reports as a clean finish."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor


def spin_until_interrupted(nodes: Sequence, before_destroy: Callable | None = None) -> None:
    """Spin `nodes` in one executor; on the way out call before_destroy(), destroy the nodes and
    shut rclpy down."""
    executor = SingleThreadedExecutor()
    try:
        for node in nodes:
            executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if before_destroy is not None:
            before_destroy()
        for node in nodes:
            node.destroy_node()
        executor.shutdown()
        rclpy.try_shutdown()
