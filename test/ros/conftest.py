"""Fixtures for tests against the real ROS 2 stack: separate processes talking over DDS."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

rclpy = pytest.importorskip("rclpy", reason="ROS 2 (rclpy) is not installed: run scripts/setup_env.sh")
from lifecycle_msgs.msg import Transition  # noqa: E402
from lifecycle_msgs.srv import ChangeState  # noqa: E402
from rcl_interfaces.srv import SetParameters  # noqa: E402
from rclpy.executors import SingleThreadedExecutor  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402

PROCESS_DIR = Path(__file__).parent / "processes"


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


class RosProbe:
    """An rclpy node inside the test process, to subscribe and wait with timeouts."""

    def __init__(self):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node("test_probe", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def collect(self, msg_type, topic: str, qos=10) -> list:
        """Subscribe; the returned list fills while spin_until runs."""
        received: list = []
        self.node.create_subscription(msg_type, topic, received.append, qos)
        return received

    def spin_until(self, predicate, timeout: float, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
            self.executor.spin_once(timeout_sec=0.05)

    def spin_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.05)

    def wait_for_publisher(self, topic: str, timeout: float = 20.0) -> None:
        self.spin_until(lambda: self.node.count_publishers(topic) > 0, timeout,
                        f"a publisher on {topic}")

    def call(self, srv_type, name: str, request, timeout: float = 20.0):
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise TimeoutError(f"service {name} did not appear within {timeout:.0f} s")
            future = client.call_async(request)
            self.spin_until(future.done, timeout, f"a reply from {name}")
            return future.result()
        finally:
            self.node.destroy_client(client)

    def change_state(self, node_name: str, transition_id: int) -> bool:
        reply = self.call(ChangeState, f"/{node_name}/change_state",
                          ChangeState.Request(transition=Transition(id=transition_id)))
        return reply.success

    def configure_and_activate(self, node_name: str) -> None:
        assert self.change_state(node_name, Transition.TRANSITION_CONFIGURE), "configure failed"
        assert self.change_state(node_name, Transition.TRANSITION_ACTIVATE), "activate failed"

    def set_parameters(self, node_name: str, **values):
        """`ros2 param set`: the SetParametersResult of each value."""
        request = SetParameters.Request(parameters=[
            Parameter(name, value=value).to_parameter_msg() for name, value in values.items()])
        return self.call(SetParameters, f"/{node_name}/set_parameters", request).results

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture
def ros_probe():
    probe = RosProbe()
    try:
        yield probe
    finally:
        probe.close()
