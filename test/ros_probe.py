"""An rclpy node inside the test process, to subscribe, call services and wait with timeouts;
used by the tests of test/ros (fixture `ros_probe`) and test/launch. Also: the newest
/diagnostics values of each node among the DiagnosticArrays a probe collected."""

from __future__ import annotations

import time

import rclpy
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from rcl_interfaces.srv import SetParameters
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter


class RosProbe:
    """An rclpy node inside the test process, to subscribe and wait with timeouts."""

    def __init__(self, name: str = "test_probe"):
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
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
        self.spin_until(
            lambda: self.node.count_publishers(topic) > 0, timeout, f"a publisher on {topic}"
        )

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
        reply = self.call(
            ChangeState,
            f"/{node_name}/change_state",
            ChangeState.Request(transition=Transition(id=transition_id)),
        )
        return reply.success

    def configure_and_activate(self, node_name: str) -> None:
        assert self.change_state(node_name, Transition.TRANSITION_CONFIGURE), "configure failed"
        assert self.change_state(node_name, Transition.TRANSITION_ACTIVATE), "activate failed"

    def set_parameters(self, node_name: str, **values):
        """`ros2 param set`: the SetParametersResult of each value."""
        request = SetParameters.Request(
            parameters=[
                Parameter(name, value=value).to_parameter_msg() for name, value in values.items()
            ]
        )
        return self.call(SetParameters, f"/{node_name}/set_parameters", request).results

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def latest_reports(diagnostics: list, after: int = 0) -> dict[str, dict[str, str]]:
    """Fully qualified node name -> its newest /diagnostics values (key -> value) among the
    collected DiagnosticArrays from index `after` on."""
    latest = {}
    for array in diagnostics[after:]:
        for status in array.status:
            node = status.name.removeprefix("face_analysis: ")
            latest[node] = {kv.key: kv.value for kv in status.values}
    return latest
