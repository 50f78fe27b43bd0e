"""Stops under load: face_detector (autostart) against a 30 Hz 640x480 camera is stopped with
SIGINT after a random 1.5-3.5 s, --stops times, while busy loops keep every CPU loaded; prints
the exit codes and the end of the output of any stop that was not clean. Not a speed benchmark:
it counts how often a stop races with a message being taken (exit code 1 from inside rclpy's
take_message with rclpy's own signal handlers, before ros/spin.py took the signals itself).

    python benchmarks/stress_stop.py [--stops 120]
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time

from timing import DEMO, REPO


def busy():
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stops", type=int, default=120)
    args = parser.parse_args()
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    )
    python = [sys.executable, "-m"]
    camera = subprocess.Popen(
        python + ["face_analysis.ros.tools.image_publisher", str(DEMO / "oarriaga_test_image.jpg")]
        + ["--topic", "/stress/image_raw", "--size", "640x480", "--rate", "30"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    load = [multiprocessing.Process(target=busy, daemon=True) for _ in range(os.cpu_count() or 1)]
    for process in load:
        process.start()
    codes: collections.Counter = collections.Counter()
    random.seed(0)
    try:
        for _ in range(args.stops):
            node = subprocess.Popen(
                python + ["face_analysis.ros.nodes.face_detector", "--ros-args"]
                + ["-p", "autostart:=true", "-r", "image:=/stress/image_raw"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            time.sleep(random.uniform(1.5, 3.5))
            node.send_signal(signal.SIGINT)
            try:
                output, _ = node.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
                output, _ = node.communicate()
            codes[node.returncode] += 1
            if node.returncode != 0:
                print(f"exit code {node.returncode}:\n{output.decode(errors='replace')[-1500:]}")
    finally:
        for process in load:
            process.terminate()
        camera.send_signal(signal.SIGINT)
        camera.wait()
    print(f"{args.stops} stops under load, exit codes: {dict(sorted(codes.items()))}")


if __name__ == "__main__":
    main()
