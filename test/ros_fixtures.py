"""Fixtures for tests against the real ROS 2 stack: separate processes talking over DDS. Used by
test/ros and test/offline through their conftest.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ros_probe import RosProbe

PROCESS_DIR = Path(__file__).parent / "ros" / "processes"


class RosProcesses:
    """Starts test processes (each its own rclpy context and DDS participant) and always stops
    them: SIGINT first, as `ros2 launch` does, SIGKILL if one does not end in time."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """args: a script in processes/ and its arguments, or e.g. "-m", "module", ..."""
        first = str(PROCESS_DIR / args[0]) if args[0].endswith(".py") else args[0]
        cmd = [sys.executable, "-u", first, *args[1:]]
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy(),
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, timeout: float = 15.0) -> int:
        """SIGINT and wait; the exit code (or -9 if it had to be killed)."""
        proc = self.procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return -9
        return proc.returncode

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


@pytest.fixture
def ros_processes(tmp_path):
    procs = RosProcesses(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def ros_probe():
    probe = RosProbe()
    try:
        yield probe
    finally:
        probe.close()
