"""A node executable stopped while it still imports (before it takes the signals itself) exits
cleanly, also when it was started with SIGINT ignored, as a script's background job starts
`ros2 launch` and so its nodes: launch restarts a node that exits otherwise, and without the
entry point's own handler such a node would miss the signal and run on."""

import signal
import subprocess
import time
from pathlib import Path

from ament_index_python.packages import get_package_prefix
from ros_fixtures import child_environment


def test_a_node_stopped_while_importing_exits_cleanly():
    executable = (
        Path(get_package_prefix("face_analysis")) / "lib" / "face_analysis" / "face_detector"
    )
    node = subprocess.Popen(
        [str(executable)],
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    time.sleep(0.3)  # well inside its imports (rclpy, OpenCV, onnxruntime: seconds)
    node.send_signal(signal.SIGINT)
    try:
        code = node.wait(30)
    except subprocess.TimeoutExpired:
        node.kill()
        raise AssertionError("the node ignored SIGINT while importing and ran on") from None
    assert code == 0, node.stdout.read().decode(errors="replace")
