"""Parameters that take effect without a reconfigure (those not marked 'at configure' in
docs/ros-api.md) change what the running node publishes: `ros2 param set` on an active
face_detector fed the test photo, and the next detections follow the new value."""

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from ros_probe import RosProbe

from face_analysis.msg import FaceDetectionArray

CAMERA_TOPIC = "/live/image_raw"
CAMERA_RATE = 10.0  # Hz: well above the throttled rate below, well below what the node can do


@pytest.fixture
def detector(ros_processes, ros_probe: RosProbe) -> list:
    """An active face_detector on a 10 Hz camera; the list fills with its detections."""
    ros_processes.start_camera(CAMERA_TOPIC, CAMERA_RATE)
    ros_processes.start_detector(CAMERA_TOPIC)
    ros_probe.spin_until(
        lambda: "face_detector" in ros_probe.node.get_node_names(), 30, "face_detector"
    )
    ros_probe.configure_and_activate("face_detector")
    received = ros_probe.collect(FaceDetectionArray, "faces/detections")
    ros_probe.spin_until(lambda: len(received) >= 5, 30, "detections of the camera frames")
    return received


def frames_in(probe: RosProbe, received: list, seconds: float) -> list:
    """The detections published during the next `seconds`."""
    start = len(received)
    probe.spin_for(seconds)
    return received[start:]


def set_live(probe: RosProbe, **values) -> None:
    for result in probe.set_parameters("face_detector", **values):
        assert result.successful, result.reason
    probe.spin_for(0.5)  # a frame in flight was detected with the old value


def frames_once_changed(probe: RosProbe, received: list, changed, seconds: float) -> list:
    """The detections of the `seconds` after the first one that shows the change (`changed`):
    under load a frame detected before the change can be published well after it. A node that
    never takes the change fails here."""
    start = len(received)
    probe.spin_until(
        lambda: any(changed(frame) for frame in received[start:]), 10, "the change to show"
    )
    return frames_in(probe, received, seconds)


def test_max_rate_throttles_the_running_node(detector, ros_probe):
    unthrottled = frames_in(ros_probe, detector, 4.0)
    # A 10 Hz camera: most frames are processed (a slow machine may drop a few).
    assert len(unthrottled) >= 16, len(unthrottled)

    set_live(ros_probe, max_rate=1.0)
    throttled = frames_in(ros_probe, detector, 4.0)
    # At most one frame a second, one more for where the window starts; and not zero.
    assert 2 <= len(throttled) <= 5, len(throttled)

    set_live(ros_probe, max_rate=0.0)
    assert len(frames_in(ros_probe, detector, 4.0)) >= 16


def test_detection_thresholds_apply_to_the_next_frames(detector, ros_probe):
    before = frames_in(ros_probe, detector, 1.5)
    scores = sorted(d.score for d in before[-1].detections)
    assert len(scores) >= 2, "the test photo has several faces"

    # Between the weaker and the stronger face: the weaker ones are no longer published. (The
    # count is not fixed: on the detector's full-resolution search frames the small faces score
    # higher.)
    threshold = (scores[0] + scores[-1]) / 2
    set_live(ros_probe, min_detection_score=threshold)
    after = frames_once_changed(
        ros_probe, detector, lambda frame: len(frame.detections) < len(scores), 1.5
    )
    assert after
    for frame in after:
        assert all(d.score >= threshold for d in frame.detections)

    set_live(ros_probe, min_detection_score=0.0, max_faces=1)
    largest = max(before[-1].detections, key=lambda d: (d.x_max - d.x_min) * (d.y_max - d.y_min))
    for frame in frames_once_changed(
        ros_probe, detector, lambda frame: len(frame.detections) == 1, 1.5
    ):
        (only,) = frame.detections
        assert only.x_min == pytest.approx(largest.x_min, abs=2.0)


def test_latency_thresholds_set_the_diagnostics_level(detector, ros_probe):
    reports = ros_probe.collect(DiagnosticArray, "/diagnostics")

    def levels_after(**values) -> set:
        set_live(ros_probe, **values)
        start = len(reports)
        ros_probe.spin_for(2.5)  # two 1 Hz reports
        return {
            (status.level, status.message.split(" p99")[0])
            for array in reports[start:]
            for status in array.status
            if status.hardware_id == "face_detector"
        }

    # Any detection takes more than a millisecond.
    assert (DiagnosticStatus.WARN, "latency") in levels_after(latency_warn_ms=1.0)
    assert (DiagnosticStatus.ERROR, "latency") in levels_after(latency_error_ms=1.0)
