"""What launch/robot.launch.py computes from its arguments, here so that tests import it as any
module: the camera list of `cameras:=`, each camera's CameraInfo topic, and the Fast DDS profile's
environment. Plain Python except fastdds_profile, which builds launch actions."""

from __future__ import annotations

from .compat import fastdds_profile_env


def list_items(text: str) -> list[str]:
    """The items of a list argument: YAML-style '[a, b]' or a comma list 'a,b'."""
    items = [item.strip().strip("'\"") for item in text.strip().strip("[]").split(",")]
    return [item for item in items if item]


def camera_list(text: str) -> list[tuple[str, str]]:
    """(name, topic) of each camera of the `cameras` argument: a YAML-style list or a comma
    list of topics, each optionally `name=topic`. Without a name, the topic's segments but the
    last joined by '_' (/head/image_raw -> head, /cam/left/image_raw -> cam_left; a one-segment
    topic keeps its own name). Names must come out unique."""
    cameras = []
    for item in list_items(text):
        name, sep, topic = item.rpartition("=")
        if not sep:
            segments = [part for part in topic.split("/") if part]
            name = "_".join(segments[:-1] or segments)
        if not name or not topic:
            raise ValueError(f"cameras: cannot read a camera from {item!r}")
        cameras.append((name, topic))
    names = [name for name, _ in cameras]
    if len(set(names)) != len(names):
        raise ValueError(f"cameras: the names {names} are not unique; name them (name=topic)")
    return cameras


def camera_info_topic(camera: str) -> str:
    """The CameraInfo beside an image topic, as camera drivers publish it (image_transport's
    convention): /head/image_raw -> /head/camera_info."""
    namespace, slash, _ = camera.rpartition("/")
    return f"{namespace}/camera_info" if slash else "camera_info"


def fastdds_profile(context) -> list:
    """OpaqueFunction: our processes' Fast DDS profile (the fastdds_profile argument; empty: none)
    under the variable name of this distribution's Fast DDS (compat.fastdds_profile_variables);
    a function rather than NotEqualsSubstitution, which Humble's launch lacks."""
    # Imported here so that the rest of the module needs no launch package.
    from launch.actions import SetEnvironmentVariable
    from launch.substitutions import LaunchConfiguration

    profile = LaunchConfiguration("fastdds_profile").perform(context)
    if not profile:
        return []
    return [
        SetEnvironmentVariable(name, value) for name, value in fastdds_profile_env(profile).items()
    ]
