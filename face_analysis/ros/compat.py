"""What differs between the ROS 2 distributions the package runs on (Kilted and Jazzy, tested;
Humble, not tested here), in one place, so that nodes, tools and the launch file carry no version
branches (docs/distributions.md)."""

import os

from rcl_interfaces.msg import SetParametersResult

# Fast DDS 3 (Kilted on) reads its XML profile from FASTDDS_DEFAULT_PROFILES_FILE; Fast DDS 2
# (Humble's 2.6, Jazzy's 2.14) only from FASTRTPS_DEFAULT_PROFILES_FILE and silently ignores the
# new name. Fast DDS 3's rmw still reads the old name too, warns that it is deprecated and loads a
# file given under both names twice (XML parser errors in every process's log), so a process gets
# the one name of its distribution's Fast DDS, and both only where ROS_DISTRO does not say which.
FASTDDS_PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
FASTRTPS_PROFILE_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"
FASTDDS_PROFILE_VARIABLES = (FASTDDS_PROFILE_VARIABLE, FASTRTPS_PROFILE_VARIABLE)
FAST_DDS_2_DISTRIBUTIONS = ("humble", "iron", "jazzy")


def fastdds_profile_variables(distribution: str | None = None) -> tuple[str, ...]:
    """The names to give a Fast DDS profile under for `distribution` (default: $ROS_DISTRO):
    the old one for Fast DDS 2's distributions, the new one for any other (Kilted, Rolling),
    both where ROS_DISTRO is unset."""
    distribution = (distribution or os.environ.get("ROS_DISTRO", "")).strip().lower()
    if not distribution:
        return FASTDDS_PROFILE_VARIABLES
    if distribution in FAST_DDS_2_DISTRIBUTIONS:
        return (FASTRTPS_PROFILE_VARIABLE,)
    return (FASTDDS_PROFILE_VARIABLE,)


def fastdds_profile_env(profile: str, distribution: str | None = None) -> dict[str, str]:
    """The environment that makes a process's Fast DDS load the XML profile `profile`."""
    return dict.fromkeys(fastdds_profile_variables(distribution), profile)


def add_post_set_parameters_callback(node, callback) -> None:
    """node.add_post_set_parameters_callback(callback): `callback(parameters)` after parameters
    were set (rclpy from Iron on). Humble's rclpy has only on-set callbacks, which validate before
    the values are stored, newest first, until one rejects: there `callback` becomes an on-set
    callback that accepts, so register it before any validating one, to run after them and only
    when they all accepted."""
    post_set = getattr(node, "add_post_set_parameters_callback", None)
    if post_set is not None:
        post_set(callback)
        return

    def accept_after(parameters):
        callback(parameters)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(accept_after)
