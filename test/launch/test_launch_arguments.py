"""Launch arguments that are not parameters of one node: the old `composed:=` still works, with a
deprecation warning (composed:=false starts the separate processes as single_process:=false
does), and identity:=/identity_gallery:= reach the node that identifies."""

import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from ros_fixtures import stop_process_group


@contextmanager
def launched(log: Path, *arguments: str):
    """`ros2 launch face_analysis robot.launch.py ARGUMENTS` with its output in `log`; a
    function waits for texts in it; the launch must end cleanly on SIGINT."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["ros2", "launch", "face_analysis", "robot.launch.py", *arguments],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # A test run started as a background job ignores SIGINT, and so would the launch and
            # a node that had not yet set its own handler: ours gets it as a terminal's would.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def wait_for(*texts: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while not all(text in log.read_text() for text in texts):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        return log.read_text()

    try:
        yield wait_for
    finally:
        code = stop_process_group(proc, 30)
    assert code == 0, log.read_text()


def test_deprecated_composed_selects_separate_processes_with_a_warning(tmp_path):
    arguments = ("composed:=false", "autostart:=false", "overlay:=false")
    with launched(tmp_path / "launch.log", *arguments) as wait_for:
        text = wait_for(
            "composed:=false is deprecated",
            "use single_process:=false",
            "[face_detector-1]: process started",
            "[face_classifier-2]: process started",
        )
        assert "face_analysis_pipeline" not in text


def test_identity_arguments_reach_the_identifying_node(tmp_path):
    """identity:= and identity_gallery:= override the parameters file's values on the node that
    identifies (face_classifier here): it opens that gallery, private to its user."""
    gallery = tmp_path / "people.db"
    arguments = (
        "single_process:=false",
        "overlay:=false",
        "identity:=gallery",
        f"identity_gallery:={gallery}",
    )
    with launched(tmp_path / "launch.log", *arguments) as wait_for:
        text = wait_for(
            f"identity: gallery, gallery {gallery}: 0 people enrolled",
            "[face_classifier]: subscribed to",  # active: not stopped in mid-transition
            timeout=90,
        )
        assert gallery.stat().st_mode & 0o777 == 0o600
        said = [line for line in text.splitlines() if "identity:" in line]
        assert said[0].startswith("[face_classifier")
