"""FaceAnalysisArray published by one process arrives unchanged in another, over real DDS."""

from sample_messages import sample_analysis_array

from face_analysis.msg import FaceAnalysisArray


def test_face_analysis_array_crosses_processes_unchanged(ros_processes, ros_probe):
    received = ros_probe.collect(FaceAnalysisArray, "faces/analysis")
    ros_processes.start("publisher", "publish_sample_analysis.py")
    ros_probe.wait_for_publisher("faces/analysis", timeout=30)
    ros_probe.spin_until(lambda: received, timeout=30, what="a FaceAnalysisArray")

    expected = sample_analysis_array()
    got = received[0]
    assert got.header.stamp == expected.header.stamp
    assert got.header.frame_id == expected.header.frame_id
    assert list(got.emotion_labels) == list(expected.emotion_labels)
    assert list(got.gender_labels) == list(expected.gender_labels)
    assert len(got.faces) == 3
    for got_face, want_face in zip(got.faces, expected.faces):
        assert got_face == want_face, (got_face, want_face)
    assert got == expected  # every field, nested ones included

    # A SIGINT (what `ros2 launch` sends) ends the process cleanly.
    assert ros_processes.stop("publisher") == 0, ros_processes.log("publisher")
