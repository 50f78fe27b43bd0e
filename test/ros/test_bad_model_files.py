"""Model files are checked against models/MANIFEST.json at configure: an altered or missing file
fails configure with the manifest's message (the file, its expected sha256 and where to get it),
the node stays up, unconfigured, and configures once given good files. The files are copies in a
copied models folder, so the copy's manifest governs them as the installed one does."""

import json
import shutil

from lifecycle_msgs.msg import Transition
from paths import MODELS, model_path

from face_analysis.core.yunet import YUNET_FILE

CONFIGURE = Transition.TRANSITION_CONFIGURE


def copied_models(tmp_path):
    """models/ with MANIFEST.json and yunet/, under tmp_path."""
    return shutil.copytree(MODELS, tmp_path / "models", ignore=shutil.ignore_patterns("*.png"))


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def source_of(key: str) -> str:
    """Where the manifest says to get the file."""
    return json.loads((MODELS / "MANIFEST.json").read_text())[key]["source"]


def start_node(ros_processes, ros_probe, name, *ros_args):
    proc = ros_processes.start(
        name, "-m", f"face_analysis.ros.nodes.{name}", "--ros-args", *ros_args
    )
    ros_probe.spin_until(lambda: name in ros_probe.node.get_node_names(), 30, f"node {name}")
    return proc


def test_tampered_emotion_model_fails_configure_and_the_node_stays_up(
    tmp_path, ros_processes, ros_probe
):
    tampered = copied_models(tmp_path) / "emotion.onnx"
    flip_a_byte(tampered)
    node = "face_classifier"
    proc = start_node(
        ros_processes,
        ros_probe,
        node,
        "-p",
        f"emotion_model:={tampered}",
        "-p",
        f"gender_model:={model_path('gender')}",
    )

    assert not ros_probe.change_state(node, CONFIGURE)
    log = ros_processes.log(node)
    assert f"configure failed: {tampered}: sha256" in log, log
    assert "altered or corrupt" in log and source_of("emotion.onnx") in log, log
    assert proc.poll() is None

    (result,) = ros_probe.set_parameters(node, emotion_model=model_path("emotion"))
    assert result.successful, result.reason
    assert ros_probe.change_state(node, CONFIGURE)
    assert ros_processes.stop(node) == 0


def test_altered_or_missing_yunet_weights_fail_configure_and_the_node_stays_up(
    tmp_path, ros_processes, ros_probe
):
    weights = copied_models(tmp_path) / YUNET_FILE
    flip_a_byte(weights)
    node = "face_detector"
    proc = start_node(ros_processes, ros_probe, node, "-p", f"yunet.model:={weights}")

    assert not ros_probe.change_state(node, CONFIGURE)
    log = ros_processes.log(node)
    assert f"configure failed: {weights}: sha256" in log, log
    assert source_of(YUNET_FILE) in log, log

    weights.unlink()
    assert not ros_probe.change_state(node, CONFIGURE)
    log = ros_processes.log(node)
    assert f"configure failed: {weights}: model file not found" in log, log
    assert log.count(source_of(YUNET_FILE)) == 2, log
    assert proc.poll() is None

    # Empty: the installed weights.
    (result,) = ros_probe.set_parameters(node, **{"yunet.model": ""})
    assert result.successful, result.reason
    assert ros_probe.change_state(node, CONFIGURE)
    assert ros_processes.stop(node) == 0
