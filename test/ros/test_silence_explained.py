""" "Nothing is published" explains itself: with no image on the subscribed topic, the node logs
once which topic it subscribes to and which image topics exist, and /diagnostics turns WARN.
Frames with a zero stamp are processed, with one warning."""

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from paths import TEST_PHOTO

from face_analysis.msg import FaceAnalysisArray

SILENCE = ("-p", "no_image_timeout:=1.0")  # report a silent camera after 1 s


def test_wrong_topic_is_explained_in_the_log_and_diagnostics(
    ros_processes, ros_probe, start_pipeline
):
    diagnostics = ros_probe.collect(DiagnosticArray, "/diagnostics")
    ros_processes.start_camera("/real_camera/image_raw", rate=2)
    start_pipeline(*SILENCE, "-r", "image:=/wrong_camera/image_raw")
    ros_probe.spin_until(
        lambda: "no image received" in ros_processes.log("pipeline"), 20, "the no-image log line"
    )
    log = ros_processes.log("pipeline")
    assert "/wrong_camera/image_raw" in log
    assert "/real_camera/image_raw [Image, reliable]" in log

    def warned():
        return any(
            s.level == DiagnosticStatus.WARN and "no image" in s.message
            for a in diagnostics
            for s in a.status
        )

    ros_probe.spin_until(warned, 10, "a WARN diagnostic about the silence")
    ros_probe.spin_for(2.5)
    assert ros_processes.log("pipeline").count("no image received") == 1  # once, not every second
    assert ros_processes.stop("pipeline") == 0
    assert ros_processes.stop("camera") == 0


def test_zero_stamp_frames_are_processed_with_one_warning(ros_processes, ros_probe, start_pipeline):
    analyses = ros_probe.collect(FaceAnalysisArray, "/faces/analysis")
    ros_processes.start("camera", "zero_stamp_camera.py", str(TEST_PHOTO), "/zero/image_raw")
    start_pipeline(*SILENCE, "-r", "image:=/zero/image_raw")
    ros_probe.spin_until(lambda: len(analyses) >= 3, 30, "analyses of zero-stamped frames")
    assert all(m.header.stamp.sec == 0 and m.header.stamp.nanosec == 0 for m in analyses)
    assert ros_processes.log("pipeline").count("zero header stamp") == 1
    assert ros_processes.stop("pipeline") == 0
