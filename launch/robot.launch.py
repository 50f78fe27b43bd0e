"""face_analysis on a robot: face detection, emotion and gender on a camera topic.

    ros2 launch face_analysis robot.launch.py camera_topic:=/head_camera/rgb/image_raw
    ros2 launch face_analysis robot.launch.py cameras:="[/head/image_raw, /torso/image_raw]"
    ros2 launch face_analysis robot.launch.py --show-args

cameras:= starts one pipeline per camera, each under <namespace>/<camera name> (/head/faces/...,
/torso/faces/...). single_process:=true (default) runs face_analysis_pipeline, all stages in one
node and process; single_process:=false runs face_detector, face_classifier and face_overlay as separate processes.
(`composed:=` is its old name, still accepted with a warning: this is not ROS 2 composition.)
hri:=publish adds the ROS4HRI (REP-155) /humans/faces/... topics; hri:=consume runs only
hri_face_classifier, which adds expression and softbiometrics to the faces of an existing REP-155
face detector. The nodes are managed (lifecycle) nodes; autostart:=true configures and activates
them (each node does so itself at start), also when a crashed process is respawned
(respawn:=true).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import (
    DeclareLaunchArgument,
    GroupAction,
    OpaqueFunction,
    SetEnvironmentVariable,
    SetLaunchConfiguration,
)
from launch.conditions import IfCondition
from launch.logging import get_logger
from launch.substitutions import LaunchConfiguration, NotEqualsSubstitution, PythonExpression
from launch_ros.actions import LifecycleNode, PushRosNamespace

from launch import LaunchDescription

SHARE = get_package_share_directory("face_analysis")
RESPAWN_DELAY_S = 1.0  # after a crash; keeps a node that fails at start from spinning hot

ARGUMENTS = [
    (
        "camera_topic",
        "/camera/image_raw",
        "Camera sensor_msgs/Image topic (its /compressed sibling with image_transport:=compressed)",
    ),
    (
        "cameras",
        "",
        "Several cameras, one pipeline each: a list of image topics, '[/head/image_raw, "
        "/torso/image_raw]' or '/head/image_raw,/torso/image_raw', optionally named "
        "('head=/head/image_raw'); each camera's nodes and faces/* topics go under "
        "<namespace>/<name>, the name being the topic without its last segment (head). "
        "Empty: the one camera of camera_topic, directly under <namespace>",
    ),
    ("namespace", "", "Namespace of the nodes and of their faces/* topics"),
    (
        "params_file",
        os.path.join(SHARE, "config", "face_analysis.yaml"),
        "Parameters of the nodes (see the README's ROS API section)",
    ),
    (
        "single_process",
        "true",
        "true: one process (face_analysis_pipeline); false: separate "
        "face_detector, face_classifier and face_overlay processes",
    ),
    ("composed", "", "Deprecated name of single_process (logs a warning); set, it wins"),
    (
        "overlay",
        "true",
        "Start face_overlay (separate processes); the single-process pipeline "
        "draws the overlay only while faces/overlay has a subscriber either way",
    ),
    (
        "hri",
        "off",
        "ROS4HRI (REP-155): off; publish (also /humans/faces/tracked and per-face roi, "
        "cropped, expression, softbiometrics); consume (only hri_face_classifier, reading an "
        "existing REP-155 face detector's /humans/faces/<id>/cropped)",
    ),
    ("image_transport", "raw", "raw (sensor_msgs/Image) or compressed (CompressedImage)"),
    ("use_sim_time", "false", "Use /clock (e.g. when replaying a bag with --clock)"),
    ("log_level", "info", "Log level of the nodes: debug, info, warn, error"),
    (
        "autostart",
        "true",
        "Configure and activate the lifecycle nodes at start (and after a respawn)",
    ),
    (
        "respawn",
        "true",
        f"Restart a node process that dies (after {RESPAWN_DELAY_S:g} s), and "
        "with autostart bring its nodes back to active",
    ),
    (
        "fastdds_profile",
        os.path.join(SHARE, "config", "fastdds_large_data.xml"),
        "Fast DDS profile for our processes (large images between processes); empty: none",
    ),
]


def is_true(argument: str) -> PythonExpression:
    return PythonExpression(["'", LaunchConfiguration(argument), "'.lower() == 'true'"])


def when(*terms) -> IfCondition:
    """A condition from Python expression terms mixing text and launch arguments."""
    return IfCondition(PythonExpression(list(terms)))


def deprecated_composed(context):
    """composed:=X, the old name, still works: it sets single_process, with a warning."""
    value = LaunchConfiguration("composed").perform(context)
    if not value:
        return []
    get_logger("robot.launch.py").warning(
        f"composed:={value} is deprecated (it never meant ROS 2 composition): use "
        f"single_process:={value}"
    )
    return [SetLaunchConfiguration("single_process", value)]


def camera_list(text: str) -> list[tuple[str, str]]:
    """(name, topic) of each camera of the `cameras` argument: a YAML-style list or a comma
    list of topics, each optionally `name=topic`. Without a name, the topic's segments but the
    last joined by '_' (/head/image_raw -> head, /cam/left/image_raw -> cam_left; a one-segment
    topic keeps its own name). Names must come out unique."""
    items = [item.strip().strip("'\"") for item in text.strip().strip("[]").split(",")]
    cameras = []
    for item in filter(None, items):
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


def camera_groups(context, nodes):
    """One group of `nodes` per camera: under <namespace>/<camera name> with several cameras,
    under <namespace> for the one camera_topic."""
    text = LaunchConfiguration("cameras").perform(context)
    if not text.strip():
        topic = LaunchConfiguration("camera_topic").perform(context)
        cameras = [(None, topic)]
    else:
        cameras = camera_list(text)
        if LaunchConfiguration("hri").perform(context) != "off" and len(cameras) > 1:
            get_logger("robot.launch.py").warning(
                "hri with several cameras: every pipeline publishes its own /humans/faces/tracked"
            )
    groups = []
    for name, topic in cameras:
        scope = [PushRosNamespace(LaunchConfiguration("namespace"))]
        if name is not None:
            scope.append(PushRosNamespace(name))
        groups.append(
            GroupAction(
                scope
                + [managed_node(executable, condition, topic) for executable, condition in nodes]
            )
        )
    return groups


def managed_node(executable: str, condition, camera: str) -> LifecycleNode:
    """A lifecycle node, its process respawned if it dies.

    With autostart the node configures and activates itself (its `autostart` parameter) rather
    than being driven by ChangeState events from here: launch_ros does emit ProcessStarted again
    for a respawned process, but a change_state request sent then goes to the killed process's
    service, which discovery still lists for seconds, and is never answered; the new node would
    stay unconfigured."""
    return LifecycleNode(
        package="face_analysis",
        executable=executable,
        name=executable,
        namespace="",
        output="screen",
        emulate_tty=True,
        condition=condition,
        parameters=[
            LaunchConfiguration("params_file"),
            {
                "use_sim_time": is_true("use_sim_time"),
                "autostart": is_true("autostart"),
                "image_transport": LaunchConfiguration("image_transport"),
                "hri_publish": PythonExpression(
                    ["'", LaunchConfiguration("hri"), "' == 'publish'"]
                ),
            },
        ],
        remappings=[("image", camera), ("image/compressed", [camera, "/compressed"])],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
        respawn=is_true("respawn"),
        respawn_delay=RESPAWN_DELAY_S,
    )


def generate_launch_description():
    single, overlay = LaunchConfiguration("single_process"), LaunchConfiguration("overlay")
    hri = LaunchConfiguration("hri")
    graph = ["'", hri, "' != 'consume' and "]
    pipeline = when(*graph, "'", single, "'.lower() == 'true'")
    separate = when(*graph, "'", single, "'.lower() != 'true'")
    separate_overlay = when(
        *graph, "'", single, "'.lower() != 'true' and '", overlay, "'.lower() == 'true'"
    )
    consumer = when("'", hri, "' == 'consume'")
    return LaunchDescription(
        [
            *[
                DeclareLaunchArgument(name, default_value=default, description=text)
                for name, default, text in ARGUMENTS
            ],
            OpaqueFunction(function=deprecated_composed),
            SetEnvironmentVariable(
                "FASTDDS_DEFAULT_PROFILES_FILE",
                LaunchConfiguration("fastdds_profile"),
                condition=IfCondition(
                    NotEqualsSubstitution(LaunchConfiguration("fastdds_profile"), "")
                ),
            ),
            OpaqueFunction(
                function=camera_groups,
                args=[
                    [
                        ("face_analysis_pipeline", pipeline),
                        ("face_detector", separate),
                        ("face_classifier", separate),
                        ("face_overlay", separate_overlay),
                        ("hri_face_classifier", consumer),
                    ]
                ],
            ),
        ]
    )
