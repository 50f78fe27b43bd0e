"""Fixtures of the offline tests. The replay tests use the real-ROS fixtures `ros_processes` and
`ros_probe` of test/ros_fixtures.py when rclpy exists."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

if importlib.util.find_spec("rclpy") is not None:
    from ros_fixtures import ros_probe, ros_processes  # noqa: F401


@pytest.fixture
def repo_on_pythonpath(monkeypatch):
    """Child processes import face_analysis from this checkout (new modules included) before
    the colcon install, whose file symlinks only cover the modules present at build time."""
    paths = [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
