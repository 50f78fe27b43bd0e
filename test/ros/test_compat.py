"""face_analysis/ros/compat.py's post-set parameter callback, on a real rclpy node: the rclpy of
this environment's own call, and the on-set emulation Humble's rclpy gets (exercised here on a
node without the method), which must see only changes that every validator accepted."""

import pytest
import rclpy
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter

from face_analysis.ros.compat import add_post_set_parameters_callback


class HumbleLikeNode(Node):
    add_post_set_parameters_callback = None  # Humble's rclpy has no such method


@pytest.fixture
def context():
    context = rclpy.Context()
    rclpy.init(context=context)
    yield context
    context.try_shutdown()


@pytest.mark.parametrize("node_class", [Node, HumbleLikeNode])
def test_callback_sees_accepted_changes_only(context, node_class):
    node = node_class("compat_probe", context=context)
    try:
        node.declare_parameter("rate", 1.0)
        seen = []
        add_post_set_parameters_callback(node, lambda params: seen.append(params[0].value))
        # A validator added afterwards, as NodeParameters is: rejects negative rates.
        node.add_on_set_parameters_callback(
            lambda params: SetParametersResult(successful=params[0].value >= 0)
        )
        assert node.set_parameters([Parameter("rate", value=2.0)])[0].successful
        assert not node.set_parameters([Parameter("rate", value=-1.0)])[0].successful
        assert seen == [2.0] and node.get_parameter("rate").value == 2.0
    finally:
        node.destroy_node()
