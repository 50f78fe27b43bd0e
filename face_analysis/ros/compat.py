"""What differs between the ROS 2 distributions the package runs on (Kilted and Jazzy, tested;
Humble, not tested here), in one place, so that nodes, tools and the launch file carry no version
branches (docs/distributions.md)."""

from rcl_interfaces.msg import SetParametersResult

# Fast DDS 3 (Kilted on) reads its XML profile from FASTDDS_DEFAULT_PROFILES_FILE; Fast DDS 2
# (Jazzy's 2.14, Humble's 2.6) only from FASTRTPS_DEFAULT_PROFILES_FILE and silently ignores the
# new name. Each ignores the other's variable, so a process is given both.
FASTDDS_PROFILE_VARIABLES = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTRTPS_DEFAULT_PROFILES_FILE")


def fastdds_profile_env(profile: str) -> dict[str, str]:
    """The environment that makes a process's Fast DDS load the XML profile `profile`."""
    return dict.fromkeys(FASTDDS_PROFILE_VARIABLES, profile)


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
