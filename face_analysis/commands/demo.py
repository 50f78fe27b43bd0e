"""`face-analysis demo`: the real ROS 2 graph on a recording, end to end. It starts
robot.launch.py, a result recorder (faces/analysis -> frames.jsonl + summary.json, faces/overlay
-> overlay.mp4) and the bag player (with a progress bar), then stops them all once the recording
has been played. Importable without ROS; the processes need the built package."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..core.errors import FaceAnalysisError
from ..offline.bag_reader import ImageBag
from ..resources import resource_dir
from .options import parse_heads

CAMERA_TOPIC = "/camera/image_raw"
SETTLE_S = 3.0  # after the last frame, for the last results to arrive


def default_recording() -> Path:
    """samples/faces_demo of the checkout, else of the installed package's share folder."""
    return resource_dir("samples") / "faces_demo"


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the ROS 2 graph on a recording; overlay video, results, summary",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "bag", nargs="?", help="rosbag2 recording (default: the bundled samples/faces_demo)"
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        default="output/demo",
        metavar="OUTDIR",
        help="where overlay.mp4, frames.jsonl, summary.json and the logs go (default: %(default)s)",
    )
    parser.add_argument(
        "--heads",
        type=parse_heads,
        metavar="NAME[,NAME...]",
        help="the heads to run (robot.launch.py heads:=), any of emotion, gender, age; '' for "
        "none (default: all)",
    )
    parser.add_argument(
        "--privacy",
        action="store_true",
        help="privacy mode (robot.launch.py privacy:=true): the overlay video shows every face "
        "blurred",
    )
    parser.add_argument(
        "--launch-arg",
        action="append",
        default=[],
        metavar="NAME:=VALUE",
        help="extra robot.launch.py argument, repeatable (e.g. single_process:=false)",
    )
    parser.set_defaults(func=run)


def _stop(proc: subprocess.Popen, timeout: float = 30.0) -> int:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def _wait_until_subscribed(topics: list[str], timeout: float) -> bool:
    """True once every topic has a subscriber: the pipeline on the camera topic, the recorder on
    faces/analysis, so that no played frame or result is missed while they start up."""
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("face_analysis_demo", context=context)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(node.count_subscribers(topic) > 0 for topic in topics):
                return True
            time.sleep(0.2)
        return False
    finally:
        node.destroy_node()
        rclpy.shutdown(context=context)


def run(args: argparse.Namespace) -> int:
    bag = Path(args.bag) if args.bag else default_recording()
    if not bag.exists():
        raise FaceAnalysisError(f"recording {bag} not found")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    python = sys.executable

    def start(name, cmd, **kwargs):
        log = open(out / f"{name}.log", "w")
        return subprocess.Popen(
            cmd,
            stdout=kwargs.pop("stdout", log),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )

    print(f"face-analysis demo: {bag} -> {out}/ (logs: {out}/*.log)")
    launch = start(
        "launch",
        [
            "ros2",
            "launch",
            "face_analysis",
            "robot.launch.py",
            f"camera_topic:={CAMERA_TOPIC}",
            *([f"heads:=[{', '.join(args.heads)}]"] if args.heads is not None else []),
            *(["privacy:=true"] if args.privacy else []),
            *args.launch_arg,
        ],
    )
    recorder = start(
        "recorder",
        [
            python,
            "-m",
            "face_analysis.ros.tools.result_recorder",
            "-o",
            str(out),
            "--idle-timeout",
            "120",
        ],
    )
    try:
        if not _wait_until_subscribed([CAMERA_TOPIC, "/faces/analysis"], timeout=90):
            print(
                f"face-analysis demo: the nodes or the recorder did not start; see "
                f"{out}/launch.log and {out}/recorder.log",
                file=sys.stderr,
            )
            return 1
        player = subprocess.run(
            [
                python,
                "-m",
                "face_analysis.commands.play",
                str(bag),
                "--decode",
                "--topic",
                CAMERA_TOPIC,
                "--wait-for-subscriber",
                "60",
            ]
        )
        if player.returncode != 0:
            print(f"face-analysis demo: the player failed; see {out}/launch.log", file=sys.stderr)
            return player.returncode
        time.sleep(SETTLE_S)
    finally:
        recorder_code = _stop(recorder)
        launch_code = _stop(launch)
    print((out / "recorder.log").read_text(), end="")
    if recorder_code != 0 or launch_code != 0:
        print(
            f"face-analysis demo: recorder exit {recorder_code}, launch exit {launch_code}; "
            f"see {out}/*.log",
            file=sys.stderr,
        )
        return 1
    report_unanalysed(bag, out / "summary.json")
    print(f"face-analysis demo: overlay video, results and summary in {out}/")
    return 0


def report_unanalysed(bag: Path, summary_path: Path) -> None:
    """Say how many played frames have no result: a pipeline slower than the camera drops the
    older of two waiting frames (its newest-frame policy, counted in /diagnostics); the demo
    makes that visible instead of leaving it to the logs."""
    with ImageBag(bag) as recording:
        played = recording.topic.count
    summary = json.loads(summary_path.read_text())
    summary["played"] = played
    summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    missing = played - summary["analysed"]
    if missing:
        print(
            f"face-analysis demo: {missing} of {played} played frames have no result (dropped "
            "by the pipeline's newest-frame policy while it was busy; see /diagnostics)"
        )
