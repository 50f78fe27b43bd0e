"""Fixtures for tests against the real ROS 2 stack: separate processes talking over DDS. Used by
test/ros and test/offline through their conftest.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from paths import REPO, TEST_PHOTO, model_path
from ros_probe import RosProbe

TEST_DIR = Path(__file__).resolve().parent
PROCESS_DIR = TEST_DIR / "ros" / "processes"
PIPELINE = "face_analysis_pipeline"


def child_environment() -> dict:
    """This environment with the checkout and test/ first on PYTHONPATH, as pytest's `pythonpath`
    has them: processes run this checkout's modules (new ones too, before the colcon install links
    them) and import the test helpers."""
    paths = [str(REPO), str(TEST_DIR)] + [
        p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p
    ]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths))


def stop_process_group(
    proc: subprocess.Popen, timeout: float, signal_group: bool = True, sig=signal.SIGINT
) -> int:
    """SIGINT (or `sig`) to a process started with start_new_session (to its whole group, as a
    terminal's Ctrl-C, when signal_group), wait, SIGKILL the group if it does not end in time;
    then kill whatever of the group outlived it, so that no node is left to answer the next
    test's calls. The exit code, or -9 if it had to be killed."""
    if proc.poll() is None:
        if signal_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return -9
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return proc.returncode


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
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def start_detector(self, topic: str, *parameters: str) -> subprocess.Popen:
        """face_detector (process "detector") on the camera `topic`, with `name:=value`
        parameters."""
        settings = [arg for parameter in parameters for arg in ("-p", parameter)]
        module = "face_analysis.ros.nodes.face_detector"
        return self.start(
            "detector", "-m", module, "--ros-args", "-r", f"image:={topic}", *settings
        )

    def start_camera(self, topic: str, rate: float, name: str = "camera") -> subprocess.Popen:
        """The image_publisher tool sending the test photo at 320x240 on `topic`."""
        return self.start(
            name,
            "-m",
            "face_analysis.ros.tools.image_publisher",
            str(TEST_PHOTO),
            "--topic",
            topic,
            "--size",
            "320x240",
            "--rate",
            str(rate),
        )

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, timeout: float = 15.0, sig=signal.SIGINT) -> int:
        """SIGINT (or `sig`) and wait; the exit code (or -9 if it had to be killed)."""
        return stop_process_group(self.procs[name], timeout, signal_group=False, sig=sig)

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


@pytest.fixture
def start_pipeline(ros_processes, ros_probe):
    """start_pipeline(*ros_args): face_analysis_pipeline as its own process (named "pipeline"),
    with the shipped models and the given `-p`/`-r` arguments, configured and active."""

    def start(*ros_args: str) -> subprocess.Popen:
        proc = ros_processes.start(
            "pipeline",
            "-m",
            f"face_analysis.ros.nodes.{PIPELINE}",
            "--ros-args",
            "-p",
            f"emotion_model:={model_path('emotion')}",
            "-p",
            f"gender_model:={model_path('gender')}",
            *ros_args,
        )
        ros_probe.spin_until(
            lambda: PIPELINE in ros_probe.node.get_node_names(), 30, "the pipeline node"
        )
        ros_probe.configure_and_activate(PIPELINE)
        return proc

    return start
