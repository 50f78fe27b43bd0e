"""A stop never hangs for good: spin.py bounds the teardown after a stop request."""

import time


def test_a_hanging_teardown_ends_with_its_stacks(ros_processes, ros_probe):
    """A stop request whose teardown hangs: spin.py's watchdog exits (1) after TEARDOWN_S with
    every thread's stack, the hanging call on it, before launch would escalate to SIGTERM."""
    ros_processes.start("hanging", "hanging_teardown.py")
    ros_probe.spin_until(lambda: "spinning" in ros_processes.log("hanging"), 20, "the node")
    start = time.monotonic()
    assert ros_processes.stop("hanging", timeout=15.0) == 1
    assert time.monotonic() - start < 5.0 + 1.0  # TEARDOWN_S plus the time to exit
    log = ros_processes.log("hanging")
    assert "Timeout (0:00:04)!" in log and "<lambda>" in log and "spin_until_interrupted" in log
