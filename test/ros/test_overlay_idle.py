"""face_overlay while nobody watches faces/overlay keeps no images, so the analyses that keep
arriving have no image to wait for: its /diagnostics must not count them as "faces/analysis
without its image". Once someone subscribes, an analysis whose image never comes is counted.
SIGTERM ends the node with exit code 0."""

import signal

from diagnostic_msgs.msg import DiagnosticArray
from ros_probe import latest_reports
from sensor_msgs.msg import Image

from face_analysis.ros.params import OVERLAY

UNPAIRED = "skipped: faces/analysis without its image"


def test_idle_overlay_counts_no_unpaired_analyses(ros_processes, ros_probe):
    diagnostics = ros_probe.collect(DiagnosticArray, "/diagnostics")
    ros_processes.start_camera("/idle_camera/image_raw", rate=5)
    # Sample analyses at 5 Hz whose stamps match no camera frame.
    ros_processes.start("analyses", "publish_sample_analysis.py", "--stamp-now")
    ros_processes.start(
        "overlay",
        "-m",
        f"face_analysis.ros.nodes.{OVERLAY}",
        "--ros-args",
        "-r",
        "image:=/idle_camera/image_raw",
        "-p",
        "pairing_cache_size:=2",
    )
    ros_probe.spin_until(lambda: OVERLAY in ros_probe.node.get_node_names(), 30, "the overlay")
    ros_probe.configure_and_activate(OVERLAY)

    def report(after: int) -> dict:
        """The overlay's newest /diagnostics values among the reports from index `after` on."""
        return latest_reports(diagnostics, after).get(f"/{OVERLAY}", {})

    # Idle: frames arrive (received grows), analyses arrive (more than the cache holds).
    ros_probe.spin_until(
        lambda: int(report(0).get("frames received", 0)) >= 15, 30, "15 frames at the overlay"
    )
    assert ros_probe.node.count_publishers("/faces/analysis") == 1
    idle = report(0)
    assert idle["frames processed"] == "0", idle
    assert UNPAIRED not in idle, idle

    # Watched: now the unmatched analyses are counted.
    ros_probe.collect(Image, "/faces/overlay")
    start = len(diagnostics)
    ros_probe.spin_until(lambda: UNPAIRED in report(start), 15, "the unpaired analyses counted")
    # SIGTERM (what `ros2 launch` escalates to) ends a node as cleanly as SIGINT.
    assert ros_processes.stop("overlay", sig=signal.SIGTERM) == 0, ros_processes.log("overlay")
    for name in ("analyses", "camera"):
        assert ros_processes.stop(name) == 0, ros_processes.log(name)
