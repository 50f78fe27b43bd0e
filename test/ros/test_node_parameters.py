"""Parameters outside their range are rejected with the reason: from the parameters file at
configure (the node stays up, unconfigured, and configures once fixed) and by `ros2 param set`.
A missing model file fails configure with a message naming the file. Renamed parameters still
work for one release, with a deprecation warning."""

from lifecycle_msgs.msg import Transition
from paths import model_path
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.srv import GetParameters
from rclpy.parameter import Parameter


def wait_for_node(probe, name):
    probe.spin_until(lambda: name in probe.node.get_node_names(), 30, f"node {name}")


def start_classifier(ros_processes, ros_probe, *params: str) -> None:
    """face_classifier as process "classifier" with `-p` params (NAME:=VALUE), unconfigured."""
    args = [arg for param in params for arg in ("-p", param)]
    ros_processes.start(
        "classifier", "-m", "face_analysis.ros.nodes.face_classifier", "--ros-args", *args
    )
    wait_for_node(ros_probe, "face_classifier")


def test_out_of_range_file_value_fails_configure_then_fixed_value_works(ros_processes, ros_probe):
    ros_processes.start(
        "detector",
        "-m",
        "face_analysis.ros.nodes.face_detector",
        "--ros-args",
        "-p",
        "haar.scale_factor:=5.0",
    )
    wait_for_node(ros_probe, "face_detector")
    assert not ros_probe.change_state("face_detector", Transition.TRANSITION_CONFIGURE)
    assert "haar.scale_factor" in ros_processes.log("detector")
    assert "configure failed" in ros_processes.log("detector")

    (result,) = ros_probe.set_parameters("face_detector", **{"haar.scale_factor": 1.2})
    assert result.successful, result.reason
    assert ros_probe.change_state("face_detector", Transition.TRANSITION_CONFIGURE)
    assert ros_processes.stop("detector") == 0


def test_param_set_rejects_values_outside_range_or_choices(ros_processes, ros_probe):
    ros_processes.start("detector", "-m", "face_analysis.ros.nodes.face_detector")
    wait_for_node(ros_probe, "face_detector")
    ros_probe.configure_and_activate("face_detector")

    (too_big,) = ros_probe.set_parameters("face_detector", min_detection_score=1.5)
    assert not too_big.successful
    (unknown,) = ros_probe.set_parameters("face_detector", image_qos="sometimes")
    assert not unknown.successful and "image_qos" in unknown.reason
    (inverted,) = ros_probe.set_parameters("face_detector", latency_warn_ms=500.0)
    assert not inverted.successful and "latency_error_ms" in inverted.reason
    (fine,) = ros_probe.set_parameters("face_detector", min_detection_score=0.25)
    assert fine.successful
    assert ros_processes.stop("detector") == 0


def test_missing_model_fails_configure_naming_the_file(ros_processes, ros_probe):
    missing = "/nonexistent/dir/emotion_missing.onnx"
    start_classifier(
        ros_processes,
        ros_probe,
        f"emotion_model:={missing}",
        f"gender_model:={model_path('gender')}",
    )
    assert not ros_probe.change_state("face_classifier", Transition.TRANSITION_CONFIGURE)
    assert missing in ros_processes.log("classifier")
    assert ros_processes.stop("classifier") == 0


def test_unknown_head_fails_configure_and_unlisted_heads_are_not_loaded(ros_processes, ros_probe):
    start_classifier(
        ros_processes,
        ros_probe,
        "heads:=[gender, mood]",
        "emotion_model:=/nonexistent/dir/emotion_missing.onnx",
        f"gender_model:={model_path('gender')}",
    )
    assert not ros_probe.change_state("face_classifier", Transition.TRANSITION_CONFIGURE)
    assert "heads: ['mood'] not among" in ros_processes.log("classifier")
    (fixed,) = ros_probe.set_parameters("face_classifier", heads=["gender"])
    assert fixed.successful, fixed.reason
    # The emotion model is a missing file: configure succeeds because emotion is not loaded.
    assert ros_probe.change_state("face_classifier", Transition.TRANSITION_CONFIGURE)
    assert ros_processes.stop("classifier") == 0


def test_empty_heads_from_the_command_line_run_no_head(ros_processes, ros_probe):
    start_classifier(
        ros_processes,
        ros_probe,
        "heads:=[]",
        "emotion_model:=/nonexistent/dir/emotion_missing.onnx",
        "gender_model:=/nonexistent/dir/gender_missing.onnx",
    )
    assert ros_probe.change_state("face_classifier", Transition.TRANSITION_CONFIGURE)
    assert ros_processes.stop("classifier") == 0


def parameter_values(ros_probe, node: str, *names: str) -> list:
    reply = ros_probe.call(
        GetParameters, f"/{node}/get_parameters", GetParameters.Request(names=names)
    )
    return [
        Parameter.from_parameter_msg(ParameterMsg(name=n, value=v)).value
        for n, v in zip(names, reply.values)
    ]


def test_renamed_parameters_warn_and_set_the_new_ones(ros_processes, ros_probe):
    """An old name from the command line (or a parameters file) wins over the new name's value
    from the same start, as a user who set it means; `ros2 param set` of an old name sets the new
    one; both log a deprecation warning naming the new parameter."""
    start_classifier(ros_processes, ros_probe, "max_missed_frames:=0", "max_missed:=7")
    assert parameter_values(ros_probe, "face_classifier", "max_missed") == [0]
    log = ros_processes.log("classifier")
    assert "parameter max_missed_frames is deprecated and will be removed: use max_missed" in log

    (moved,) = ros_probe.set_parameters("face_classifier", onnx_inter_op_threads=3)
    assert moved.successful, moved.reason
    assert parameter_values(ros_probe, "face_classifier", "inter_op_threads") == [3]
    ros_probe.spin_until(
        lambda: "onnx_inter_op_threads is deprecated" in ros_processes.log("classifier"),
        10,
        "the deprecation warning",
    )
    (too_big,) = ros_probe.set_parameters("face_classifier", onnx_intra_op_threads=100)
    assert not too_big.successful
    assert parameter_values(ros_probe, "face_classifier", "intra_op_threads") == [1]
    assert ros_probe.change_state("face_classifier", Transition.TRANSITION_CONFIGURE)
    assert ros_processes.stop("classifier") == 0
