"""face_analysis on a robot: face detection, emotion and gender on a camera topic.

    ros2 launch face_analysis robot.launch.py camera_topic:=/head_camera/rgb/image_raw
    ros2 launch face_analysis robot.launch.py --show-args

single_process:=true (default) runs face_analysis_pipeline, all stages in one node and process;
single_process:=false runs face_detector, face_classifier and face_overlay as separate processes.
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


def managed_node(executable: str, condition) -> LifecycleNode:
    """A lifecycle node, its process respawned if it dies.

    With autostart the node configures and activates itself (its `autostart` parameter) rather
    than being driven by ChangeState events from here: launch_ros does emit ProcessStarted again
    for a respawned process, but a change_state request sent then goes to the killed process's
    service, which discovery still lists for seconds, and is never answered; the new node would
    stay unconfigured."""
    camera = LaunchConfiguration("camera_topic")
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
            GroupAction(
                [
                    PushRosNamespace(LaunchConfiguration("namespace")),
                    managed_node("face_analysis_pipeline", pipeline),
                    managed_node("face_detector", separate),
                    managed_node("face_classifier", separate),
                    managed_node("face_overlay", separate_overlay),
                    managed_node("hri_face_classifier", consumer),
                ]
            ),
        ]
    )
