"""robot.launch.py restarts a node only when it fails (systemd's Restart=on-failure): started the
way a script's background job is, with SIGINT ignored, then sent SIGINT on its process group,
the launch ends with 0 within STOP_S: launch itself ignores the signal, the nodes exit cleanly
and are not restarted. (Before the fix, launch's `respawn` restarted them until SIGKILL.) The
restart after a crash is test_respawn_launch.py's."""

import signal
import subprocess

from ros_fixtures import child_environment, stop_process_group
from ros_probe import RosProbe

STOP_S = 30.0


def ignore_sigint() -> None:
    """In the child before exec: SIGINT ignored, as a shell's background job inherits it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_sigint_ignored_launch_ends_cleanly_once_its_nodes_have_exited(tmp_path):
    log = open(tmp_path / "launch.log", "wb")
    launch = subprocess.Popen(
        ["ros2", "launch", "face_analysis", "robot.launch.py", "camera_topic:=/restart/image"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=child_environment(),
        start_new_session=True,
        preexec_fn=ignore_sigint,
    )
    probe = RosProbe("restart_probe")
    try:
        probe.spin_until(
            lambda: probe.node.count_subscribers("/restart/image") > 0,
            60.0,
            "the pipeline's camera subscription (configured and active)",
        )
        launch.send_signal(signal.SIGINT)  # to the launch alone first: it must ignore it
        probe.spin_for(2.0)
        assert launch.poll() is None, "launch did not ignore SIGINT: the test proves nothing"
        code = stop_process_group(launch, STOP_S)  # SIGINT to the group; -9 if it hangs
    finally:
        probe.close()
        stop_process_group(launch, 5.0, sig=signal.SIGKILL)
    text = (tmp_path / "launch.log").read_text(errors="replace")
    assert code == 0, f"launch did not end with 0 within {STOP_S:.0f} s (code {code}):\n{text}"
    assert text.count("process started") == 1, f"a node was restarted:\n{text}"
