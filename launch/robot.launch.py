"""face_analysis on a robot: face detection, emotion and gender on a camera topic.

    ros2 launch face_analysis robot.launch.py camera_topic:=/head_camera/rgb/image_raw
    ros2 launch face_analysis robot.launch.py --show-args

composed:=true (default) runs face_analysis_pipeline, all stages in one process; composed:=false
runs face_detector, face_classifier and face_overlay as separate processes. hri:=publish adds the
ROS4HRI (REP-155) /humans/faces/... topics; hri:=consume runs only hri_face_classifier, which adds
expression and softbiometrics to the faces of an existing REP-155 face detector. The nodes are
managed (lifecycle) nodes; autostart:=true configures and activates them.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (DeclareLaunchArgument, EmitEvent, GroupAction, RegisterEventHandler,
                            SetEnvironmentVariable)
from launch.conditions import IfCondition
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration, NotEqualsSubstitution, PythonExpression
from launch_ros.actions import LifecycleNode, PushRosNamespace
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from lifecycle_msgs.msg import Transition

SHARE = get_package_share_directory("face_analysis")

ARGUMENTS = [
    ("camera_topic", "/camera/image_raw",
     "Camera sensor_msgs/Image topic (its /compressed sibling with image_transport:=compressed)"),
    ("namespace", "", "Namespace of the nodes and of their faces/* topics"),
    ("params_file", os.path.join(SHARE, "config", "face_analysis.yaml"),
     "Parameters of the nodes (see the README's ROS API section)"),
    ("composed", "true", "true: one process (face_analysis_pipeline); false: separate "
     "face_detector, face_classifier and face_overlay processes"),
    ("overlay", "true", "Start face_overlay (separate mode); the composed pipeline draws the "
     "overlay only while faces/overlay has a subscriber either way"),
    ("hri", "off", "ROS4HRI (REP-155): off; publish (also /humans/faces/tracked and per-face roi, "
     "cropped, expression, softbiometrics); consume (only hri_face_classifier, reading an "
     "existing REP-155 face detector's /humans/faces/<id>/cropped)"),
    ("image_transport", "raw", "raw (sensor_msgs/Image) or compressed (CompressedImage)"),
    ("use_sim_time", "false", "Use /clock (e.g. when replaying a bag with --clock)"),
    ("log_level", "info", "Log level of the nodes: debug, info, warn, error"),
    ("autostart", "true", "Configure and activate the lifecycle nodes at start"),
    ("fastdds_profile", os.path.join(SHARE, "config", "fastdds_large_data.xml"),
     "Fast DDS profile for our processes (large images between processes); empty: none"),
]


def is_true(argument: str) -> PythonExpression:
    return PythonExpression(["'", LaunchConfiguration(argument), "'.lower() == 'true'"])


def when(*terms) -> IfCondition:
    """A condition from Python expression terms mixing text and launch arguments."""
    return IfCondition(PythonExpression(list(terms)))


def managed_node(executable: str, condition) -> list:
    """A lifecycle node and, with autostart, the events that configure and then activate it."""
    camera = LaunchConfiguration("camera_topic")
    node = LifecycleNode(
        package="face_analysis", executable=executable, name=executable, namespace="",
        output="screen", emulate_tty=True, condition=condition,
        parameters=[LaunchConfiguration("params_file"),
                    {"use_sim_time": is_true("use_sim_time"),
                     "image_transport": LaunchConfiguration("image_transport"),
                     "hri_publish": PythonExpression(["'", LaunchConfiguration("hri"),
                                                      "' == 'publish'"])}],
        remappings=[("image", camera), ("image/compressed", [camera, "/compressed"])],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")])
    configure = EmitEvent(
        event=ChangeState(lifecycle_node_matcher=matches_action(node),
                          transition_id=Transition.TRANSITION_CONFIGURE),
        condition=IfCondition(LaunchConfiguration("autostart")))
    activate = RegisterEventHandler(OnStateTransition(
        target_lifecycle_node=node, start_state="configuring", goal_state="inactive",
        entities=[EmitEvent(event=ChangeState(lifecycle_node_matcher=matches_action(node),
                                              transition_id=Transition.TRANSITION_ACTIVATE))]),
        condition=IfCondition(LaunchConfiguration("autostart")))
    return [node, activate, configure]


def generate_launch_description():
    composed, overlay = LaunchConfiguration("composed"), LaunchConfiguration("overlay")
    hri = LaunchConfiguration("hri")
    graph = ["'", hri, "' != 'consume' and "]
    pipeline = when(*graph, "'", composed, "'.lower() == 'true'")
    separate = when(*graph, "'", composed, "'.lower() != 'true'")
    separate_overlay = when(*graph, "'", composed, "'.lower() != 'true' and '", overlay,
                            "'.lower() == 'true'")
    consumer = when("'", hri, "' == 'consume'")
    return LaunchDescription([
        *[DeclareLaunchArgument(name, default_value=default, description=text)
          for name, default, text in ARGUMENTS],
        SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE",
                               LaunchConfiguration("fastdds_profile"),
                               condition=IfCondition(NotEqualsSubstitution(
                                   LaunchConfiguration("fastdds_profile"), ""))),
        GroupAction([
            PushRosNamespace(LaunchConfiguration("namespace")),
            *managed_node("face_analysis_pipeline", pipeline),
            *managed_node("face_detector", separate),
            *managed_node("face_classifier", separate),
            *managed_node("face_overlay", separate_overlay),
            *managed_node("hri_face_classifier", consumer),
        ]),
    ])
