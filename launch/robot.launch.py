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
(respawn:=true: after a failure only, not after a clean exit). heads:="[gender, age]" runs only
those heads ('[]' none); privacy:=true lets no image of a face out (docs/privacy.md);
identity:=session|gallery (with identity_gallery:=FILE) gives each face a person id and the
names of consented, enrolled people (docs/identity.md).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import (
    DeclareLaunchArgument,
    GroupAction,
    OpaqueFunction,
    RegisterEventHandler,
    SetLaunchConfiguration,
    TimerAction,
)
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.logging import get_logger
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import LifecycleNode, PushRosNamespace

from face_analysis.ros.launch_support import (
    camera_info_topic,
    camera_list,
    fastdds_profile,
    list_items,
)
from face_analysis.ros.params import NODES
from launch import LaunchDescription

SHARE = get_package_share_directory("face_analysis")
RESPAWN_DELAY_S = 1.0  # after a crash; keeps a node that fails at start from spinning hot
IDENTITY_ARGUMENTS = ("identity", "identity_gallery")  # node parameters of the same names

ARGUMENTS = [
    (
        "camera_topic",
        "/camera/image_raw",
        "Camera sensor_msgs/Image topic (its /compressed sibling with image_transport:=compressed); "
        "its calibration is read from the camera_info beside it (/camera/camera_info)",
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
        "Parameters of the nodes (see docs/ros-api.md)",
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
        "ROS4HRI (REP-155): off; publish (also /humans/faces/tracked, per-face roi, cropped, "
        "aligned, landmarks, expression, softbiometrics, and face_<id>/gaze_<id> on /tf); "
        "consume (only hri_face_classifier, reading an "
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
        f"Restart a node process that dies by a signal or exits non-zero (after "
        f"{RESPAWN_DELAY_S:g} s), never one that exited cleanly; with autostart its nodes come "
        "back active",
    ),
    (
        "heads",
        "[emotion, gender, age]",
        "The classification heads to run, any of emotion, gender, age: '[gender, age]', "
        "'gender,age'; '[]' for none (detection, tracking and REP-155 ids only)",
    ),
    (
        "privacy",
        "false",
        "true: no image of a face leaves the nodes (faces/overlay blurred, no REP-155 "
        "cropped or aligned)",
    ),
    (
        "identity",
        "",
        "Who is in front of the robot: off, session (a person id that survives the track) or "
        "gallery (also the consented people of identity_gallery; docs/identity.md); empty: the "
        "params_file's value (off as shipped)",
    ),
    (
        "identity_gallery",
        "",
        "The gallery file of identity:=gallery, on private persistent storage (not /tmp); "
        "empty: the params_file's value",
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
    # launch_ros cannot pass an empty list; the nodes read [''] as none (ros/runtime/node_params.py).
    heads = list_items(LaunchConfiguration("heads").perform(context)) or [""]
    # Set, they override the parameters file, on the nodes that identify.
    identity = {
        name: value
        for name in IDENTITY_ARGUMENTS
        if (value := LaunchConfiguration(name).perform(context))
    }
    groups = []
    for name, topic in cameras:
        namespaces = [LaunchConfiguration("namespace")] + ([name] if name is not None else [])
        groups += [
            restarted_on_failure(
                namespaces,
                lambda executable=executable, condition=condition, topic=topic: managed_node(
                    executable,
                    condition,
                    topic,
                    heads,
                    identity if executable in NODES["identity"] else {},
                ),
            )
            for executable, condition in nodes
        ]
    return groups


def restarted_on_failure(namespaces: list, make_node) -> GroupAction:
    """make_node() under `namespaces`, started anew RESPAWN_DELAY_S after its process dies by a
    signal or exits non-zero (with respawn:=true), never after a clean exit: systemd's
    Restart=on-failure. launch's own `respawn` restarts a process however it ended, so a launch
    that ignores SIGINT (a script's background job) restarted the nodes that SIGINT on its
    process group had stopped cleanly, and never ended; now it ends once every node has
    exited cleanly."""
    node = make_node()

    def on_exit(event, context):
        if (
            event.returncode == 0
            or context.is_shutdown
            or LaunchConfiguration("respawn").perform(context).lower() != "true"
        ):
            return None
        return [
            TimerAction(
                period=RESPAWN_DELAY_S, actions=[restarted_on_failure(namespaces, make_node)]
            )
        ]

    return GroupAction(
        [
            *[PushRosNamespace(namespace) for namespace in namespaces],
            node,
            RegisterEventHandler(OnProcessExit(target_action=node, on_exit=on_exit)),
        ]
    )


def managed_node(
    executable: str, condition, camera: str, heads: list[str], overrides: dict
) -> LifecycleNode:
    """A lifecycle node (restarted_on_failure restarts its process if it fails).

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
                "heads": heads,
                "privacy": is_true("privacy"),
                **overrides,
            },
        ],
        remappings=[
            ("image", camera),
            ("image/compressed", [camera, "/compressed"]),
            ("camera_info", camera_info_topic(camera)),
        ],
        arguments=["--ros-args", "--log-level", LaunchConfiguration("log_level")],
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
            OpaqueFunction(function=fastdds_profile),
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
