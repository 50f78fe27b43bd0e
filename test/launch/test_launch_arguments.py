"""The old launch argument `composed:=` still works, with a deprecation warning: composed:=false
starts the separate processes as single_process:=false does."""

import subprocess
import time

from ros_fixtures import stop_process_group


def test_deprecated_composed_selects_separate_processes_with_a_warning(tmp_path):
    log = tmp_path / "launch.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                "ros2",
                "launch",
                "face_analysis",
                "robot.launch.py",
                "composed:=false",
                "autostart:=false",
                "overlay:=false",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wanted = (
        "composed:=false is deprecated",
        "use single_process:=false",
        "[face_detector-1]: process started",
        "[face_classifier-2]: process started",
    )
    try:
        deadline = time.monotonic() + 60
        while not all(text in log.read_text() for text in wanted):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert "face_analysis_pipeline" not in log.read_text()
    finally:
        code = stop_process_group(proc, 30)
    assert code == 0, log.read_text()
