"""Several cameras on one computer: robot.launch.py cameras:=[...] with 1, 2 and 4 cameras at
30 Hz, one single-process pipeline per camera, each camera a process publishing 640x480 frames
with 1 to 5 faces; per camera the latency (camera stamp -> its faces/analysis) p50/p99 and the
frames dropped. The machinery is bench_ros_latency.py's; the anchor is the in-process time per
frame of the same frames, measured in the same run.

    python benchmarks/bench_multi_camera.py [--frames 150] [--rate 30] [--cameras 1,2,4]
        [--overlap]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench_ros_latency import DETECTOR, in_process_ms, isolate_ros, run_case, write_frames
from timing import machine_note


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="frames per camera")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--cameras", default="1,2,4")
    parser.add_argument("--overlap", action="store_true", help="pipeline_overlap: true")
    args = parser.parse_args()
    args.detector, args.emotion_model, args.gender_model = DETECTOR.default, "", ""
    isolate_ros()
    folder = Path(tempfile.mkdtemp(prefix="bench_cameras_"))
    frames = write_frames(folder)
    overrides = {"pipeline_overlap": True} if args.overlap else {}
    print(
        f"cameras -> <camera>/faces/analysis, one pipeline each, 640x480, 1-5 faces, "
        f"{args.rate:g} Hz, {args.frames} frames per camera, overrides {overrides or 'none'}; "
        f"{machine_note()}"
    )
    median = statistics.median(in_process_ms(frames, args, overrides))
    print(f"in-process median {median:.1f} ms per frame (one camera's frames, same run)")
    print(
        f"{'cameras':>7s} {'camera':>7s} {'sent':>5s} {'recv':>5s} {'dropped':>8s} "
        f"{'p50 ms':>7s} {'p99 ms':>7s}"
    )
    for count in map(int, args.cameras.split(",")):
        results = run_case(True, frames, args, folder, overrides, cameras=count)
        for k, r in enumerate(results):
            print(
                f"{count:7d} {f'bench{k}':>7s} {r['sent']:5d} {r['received']:5d} "
                f"{r['dropped']:8d} {r['p50']:7.1f} {r['p99']:7.1f}"
            )
    print(f"load after the run: {machine_note()}")


if __name__ == "__main__":
    main()
