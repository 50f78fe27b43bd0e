"""Declares a node's parameters from params.PARAMS and rejects bad values with the reason, both
from the parameters file (at configure) and from `ros2 param set` (at once).

A renamed parameter (params.RENAMED) stays declared for one release, without a default: when it
is set (parameters file, launch, `ros2 param set`) the node logs a deprecation warning naming the
new one and gives the new one its value."""

from __future__ import annotations

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import InvalidParameterValueException, ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from ..compat import add_post_set_parameters_callback
from ..params import BY_NAME, RENAMED, Param, params_for


def _descriptor(param: Param, text: str | None = None) -> ParameterDescriptor:
    text = text or param.description
    if param.choices:
        text += f" One of: {', '.join(param.choices)}."
    descriptor = ParameterDescriptor(description=text)
    if param.unit:
        descriptor.additional_constraints = f"unit: {param.unit}"
    if param.range is not None and isinstance(param.default, float):
        descriptor.floating_point_range = [
            FloatingPointRange(
                from_value=float(param.range[0]), to_value=float(param.range[1]), step=0.0
            )
        ]
    elif param.range is not None:
        descriptor.integer_range = [
            IntegerRange(from_value=int(param.range[0]), to_value=int(param.range[1]), step=1)
        ]
    return descriptor


def _value(param: Param, value):
    """A string list as the node uses it: without empty strings, since launch_ros cannot pass an
    empty list and robot.launch.py passes [''] for one."""
    if isinstance(param.default, list) and isinstance(value, (list, tuple)):
        return [item for item in value if item != ""]
    return value


def _cross_check(values: dict) -> list[str]:
    if values.get("latency_warn_ms", 0) > values.get("latency_error_ms", float("inf")):
        return [
            f"latency_warn_ms={values['latency_warn_ms']} exceeds "
            f"latency_error_ms={values['latency_error_ms']}"
        ]
    return []


class NodeParameters:
    """The parameters of one node. A value from the parameters file that is out of range does not
    stop the process: it is kept aside and reported by `problems()` when configure runs."""

    def __init__(self, node: Node, node_kind: str):
        self.node = node
        self.params = params_for(node_kind)
        declared = {param.name for param in self.params}
        # old name -> the parameter it was renamed to
        self.renamed = {old: BY_NAME[new] for old, new in RENAMED.items() if new in declared}
        self._rejected: dict[str, str] = {}
        for param in self.params:
            descriptor = _descriptor(param)
            try:
                node.declare_parameter(param.name, param.default, descriptor)
            except InvalidParameterValueException as exc:
                self._rejected[param.name] = f"{param.name}: {exc}"
                node.declare_parameter(param.name, param.default, descriptor, ignore_override=True)
            else:
                self._type_empty_list(param)
                reason = param.check(_value(param, node.get_parameter(param.name).value))
                if reason:
                    self._rejected[param.name] = reason
                    node.set_parameters([Parameter(param.name, value=param.default)])
        for old, param in self.renamed.items():
            self._declare_renamed(old, param)
        # Before the validator: Humble needs that order (compat).
        add_post_set_parameters_callback(node, self._forward_renamed)
        node.add_on_set_parameters_callback(self._on_set)

    def _declare_renamed(self, old: str, param: Param) -> None:
        """Declare `old`, typed as `param` but unset; if the parameters file or the command line
        sets it, its value goes to `param` (or is rejected as `param`'s would be)."""
        descriptor = _descriptor(param, f"Deprecated, use {param.name}. {param.description}")
        kind = Parameter.Type.from_parameter_value(param.default)
        try:
            self.node.declare_parameter(old, kind, descriptor)
            value = _value(param, self.node.get_parameter(old).value)
        except InvalidParameterValueException as exc:
            self._rejected[old] = f"{old}: {exc}"
            self.node.declare_parameter(old, kind, descriptor, ignore_override=True)
            return
        except ParameterUninitializedException:
            return  # not set: the usual case
        reason = param.check(value)
        if reason:
            self._rejected[old] = f"{old}: {reason}"
            return
        self._rejected.pop(param.name, None)
        self._use_renamed(old, param, value)

    def _use_renamed(self, old: str, param: Param, value) -> None:
        self.node.get_logger().warning(
            f"parameter {old} is deprecated and will be removed: use {param.name} "
            f"(set to {value!r} from {old})"
        )
        self.node.set_parameters([Parameter(param.name, value=value)])

    def _forward_renamed(self, parameters) -> None:
        """After `ros2 param set` of an old name (the validator accepted it): set the new one."""
        for parameter in parameters:
            param = self.renamed.get(parameter.name)
            if param is not None and parameter.type_ != Parameter.Type.NOT_SET:
                self._use_renamed(parameter.name, param, _value(param, parameter.value))

    def _type_empty_list(self, param: Param) -> None:
        """An empty list override ([] in a parameters file or on the command line) has no type
        in ROS and leaves the parameter unset; it is meant as an empty string list."""
        if not isinstance(param.default, list):
            return
        try:
            self.node.get_parameter(param.name)
        except ParameterUninitializedException:
            self.node.set_parameters([Parameter(param.name, Parameter.Type.STRING_ARRAY, [])])

    def _on_set(self, parameters) -> SetParametersResult:
        values = self.values()
        reasons = []
        for parameter in parameters:
            param = self.renamed.get(parameter.name) or BY_NAME.get(parameter.name)
            if param is None:
                continue
            value = _value(param, parameter.value)
            reason = param.check(value)
            if reason:
                reasons.append(
                    reason if param.name == parameter.name else f"{parameter.name}: {reason}"
                )
            values[param.name] = value
        reasons += _cross_check(values)
        if reasons:
            self.node.get_logger().warning("rejected parameter change: " + "; ".join(reasons))
            return SetParametersResult(successful=False, reason="; ".join(reasons))
        for parameter in parameters:
            self._rejected.pop(parameter.name, None)
        return SetParametersResult(successful=True)

    def values(self) -> dict:
        return {p.name: _value(p, self.node.get_parameter(p.name).value) for p in self.params}

    def problems(self) -> list[str]:
        """Reasons the current set of parameters cannot be used (empty: all good)."""
        return list(self._rejected.values()) + _cross_check(self.values())
