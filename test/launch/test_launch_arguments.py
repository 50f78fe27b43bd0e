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


def test_identity_arguments_reach_the_identifying_node(tmp_path):
    """identity:= and identity_gallery:= override the parameters file's values on the node that
    identifies (face_classifier here): it opens that gallery, private to its user."""
    gallery = tmp_path / "people.db"
    log = tmp_path / "launch.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                "ros2",
                "launch",
                "face_analysis",
                "robot.launch.py",
                "single_process:=false",
                "overlay:=false",
                "identity:=gallery",
                f"identity_gallery:={gallery}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wanted = f"identity: gallery, gallery {gallery}: 0 people enrolled"
    try:
        deadline = time.monotonic() + 90
        while wanted not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert gallery.stat().st_mode & 0o777 == 0o600
        lines = log.read_text().splitlines()
        assert [line for line in lines if "identity:" in line][0].startswith("[face_classifier")
    finally:
        code = stop_process_group(proc, 30)
    assert code == 0, log.read_text()
