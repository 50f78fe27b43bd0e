"""The README's first command: `face-analysis demo` runs the ROS 2 graph (player -> nodes ->
recorder) on the bundled recording and leaves the overlay video, the results and the summary."""

import json
import subprocess

import cv2
from paths import write_params


def test_demo_on_the_bundled_recording(tmp_path):
    params = write_params(tmp_path / "params.yaml")
    out = tmp_path / "demo"
    run = subprocess.run(
        ["face-analysis", "demo", "-o", str(out), "--launch-arg", f"params_file:={params}"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    summary = json.loads((out / "summary.json").read_text())
    records = (out / "frames.jsonl").read_text().splitlines()
    assert summary["played"] == 102  # the bundled recording's frames
    assert len(records) == summary["analysed"] >= 90
    unanalysed = summary["played"] - summary["analysed"]
    assert (f"{unanalysed} of 102 played frames have no result" in run.stdout) == (unanalysed > 0)
    assert summary["faces_per_frame"]["max"] >= 3
    video = cv2.VideoCapture(str(out / "overlay.mp4"))
    assert video.isOpened() and int(video.get(cv2.CAP_PROP_FRAME_COUNT)) >= 90
    ok, frame = video.read()
    assert ok and frame.shape == (480, 640, 3)
