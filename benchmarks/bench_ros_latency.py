"""Camera -> faces/analysis latency and dropped frames through the real ROS 2 graph, composed
(one process) against separate processes, both timed in the same run (the ratio is the figure to
read on a busy machine).

A camera process publishes 640x480 frames with 1 to 5 real faces (cut from the demo photo) at
30 Hz; this process receives faces/analysis and takes latency = arrival time - image stamp (one
machine, one clock). Dropped = frames published while the graph ran that got no analysis.

    python benchmarks/bench_ros_latency.py [--frames 300] [--rate 30] [--detector yunet]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import rclpy
from bench_pipeline import synthetic_frames
from rclpy.executors import SingleThreadedExecutor
from timing import DEMO, REPO, machine_note

from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.params import BY_NAME

DETECTOR = BY_NAME["detector"]

CAMERA_TOPIC = "/bench/image_raw"
GOAL_P99_MS = 20.0


def write_frames(folder: Path) -> list[str]:
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    paths = []
    for n in range(1, 6):
        path = folder / f"faces_{n}.png"
        cv2.imwrite(str(path), synthetic_frames(photo, n, 1)[0])
        paths.append(str(path))
    return paths


def params_file(folder: Path, args) -> Path:
    text = (REPO / "config" / "face_analysis.yaml").read_text()
    text = text.replace(f'detector: "{DETECTOR.default}"', f'detector: "{args.detector}"')
    text = text.replace('emotion_model: ""', f'emotion_model: "{args.emotion_model}"')
    text = text.replace('gender_model: ""', f'gender_model: "{args.gender_model}"')
    path = folder / "params.yaml"
    path.write_text(text)
    return path


def run_case(composed: bool, frames: list[str], args, folder: Path) -> dict:
    share = REPO / "config"
    stamps = folder / f"stamps_{composed}.txt"
    stamps.unlink(missing_ok=True)
    launch = subprocess.Popen(
        [
            "ros2",
            "launch",
            "face_analysis",
            "robot.launch.py",
            f"single_process:={str(composed).lower()}",
            f"camera_topic:={CAMERA_TOPIC}",
            f"params_file:={params_file(folder, args)}",
            "overlay:=false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("bench_latency", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    arrivals = {}

    def on_analysis(msg):
        arrivals[(msg.header.stamp.sec, msg.header.stamp.nanosec)] = time.time_ns()

    node.create_subscription(FaceAnalysisArray, "/faces/analysis", on_analysis, 100)
    camera = None
    try:
        deadline = time.monotonic() + 60
        while node.count_publishers("/faces/analysis") == 0 and time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.1)
        env = dict(os.environ, FASTDDS_DEFAULT_PROFILES_FILE=str(share / "fastdds_large_data.xml"))
        camera = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "face_analysis.ros.tools.image_publisher",
                *frames,
                "--topic",
                CAMERA_TOPIC,
                "--rate",
                str(args.rate),
                "--count",
                str(args.frames),
                "--stamps-file",
                str(stamps),
                "--wait-for-subscriber",
            ],
            env=env,
        )
        end = time.monotonic() + args.frames / args.rate + 60
        while time.monotonic() < end:
            executor.spin_once(timeout_sec=0.05)
            sent = stamps.read_text().splitlines() if stamps.exists() else []
            if len(sent) >= args.frames:
                settle = time.monotonic() + 2.0
                while time.monotonic() < settle:
                    executor.spin_once(timeout_sec=0.05)
                break
    finally:
        if camera is not None:
            camera.send_signal(signal.SIGINT)
            camera.wait(10)
        os.killpg(launch.pid, signal.SIGINT)
        launch.wait(30)
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
    sent = [tuple(int(v) for v in line.split()) for line in stamps.read_text().splitlines()]
    latencies = np.array(
        [(arrivals[s] - (s[0] * 10**9 + s[1])) / 1e6 for s in sent if s in arrivals]
    )
    return {
        "sent": len(sent),
        "received": len(latencies),
        "dropped": len(sent) - len(latencies),
        "p50": float(np.median(latencies)) if len(latencies) else float("nan"),
        "p99": float(np.percentile(latencies, 99)) if len(latencies) else float("nan"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--detector", default=DETECTOR.default, choices=DETECTOR.choices)
    parser.add_argument("--emotion-model", default="", help="default: the shipped model")
    parser.add_argument("--gender-model", default="", help="default: the shipped model")
    args = parser.parse_args()
    os.environ.setdefault("ROS_DOMAIN_ID", str(1 + os.getpid() % 100))
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    folder = Path(tempfile.mkdtemp(prefix="bench_ros_"))
    frames = write_frames(folder)
    print(
        f"camera -> faces/analysis, 640x480, 1-5 faces, {args.rate:g} Hz, {args.frames} frames, "
        f"detector {args.detector}; {machine_note()}"
    )
    results = {
        name: run_case(composed, frames, args, folder)
        for name, composed in (("composed (1 process)", True), ("separate (3 processes)", False))
    }
    print(f"{'graph':24s} {'sent':>5s} {'recv':>5s} {'dropped':>8s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for name, r in results.items():
        print(
            f"{name:24s} {r['sent']:5d} {r['received']:5d} {r['dropped']:8d} "
            f"{r['p50']:8.1f} {r['p99']:8.1f}"
        )
    composed, separate = results.values()
    goal_met = composed["p99"] <= GOAL_P99_MS and not composed["dropped"]
    print(
        f"separate / composed: p50 x{separate['p50'] / composed['p50']:.2f}, "
        f"p99 x{separate['p99'] / composed['p99']:.2f}; goal p99 <= {GOAL_P99_MS:g} ms and "
        f"0 dropped at 30 Hz: composed {'met' if goal_met else 'not met'}"
    )


if __name__ == "__main__":
    main()
