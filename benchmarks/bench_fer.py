"""The `fer` PyPI package's whole pipeline (Haar cascade + the Keras mini-Xception emotion model
run by TensorFlow Lite, its default) against ours (YuNet + the emotion, gender and age heads +
tracking), on the same 640x480 frames, in one run: frames per second of each, the ratio, and the
faces each finds (and how many of fer's faces ours finds too).

Ours is timed as the command line and a one-thread ROS pipeline run it (FaceAnalyzer.analyze),
as face_analysis_pipeline runs it with pipeline_overlap (detection of frame n+1 in a second
thread while frame n is classified), with detect_every 2, with both, and with attribute_every 1
(every head on every frame; the default, 5, runs gender and age on a tracked face every 5th
frame). fer and ours alternate over the frames, a few rounds, median per frame. fer's OpenCV and
TFLite choose their own thread counts; ours uses one onnxruntime thread per network.

fer needs TensorFlow, numpy < 2 and its own OpenCV, so it cannot share the ROS environment;
run this script in a throwaway venv (it says so and exits when fer is missing):

    python3 -m venv /tmp/fervenv && /tmp/fervenv/bin/pip install fer onnxruntime tqdm
    PYTHONPATH=. /tmp/fervenv/bin/python benchmarks/bench_fer.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
from bench_pipeline import speed_variant_analyzers, synthetic_frames, variant_seconds
from timing import DEMO, machine_note

from face_analysis.core.config import AnalyzerConfig

GOAL_RATIO = 8.0
# label -> (AnalyzerConfig settings, overlapped), as bench_pipeline.SPEED_VARIANTS
OURS = {
    "ours, 1 thread": ({}, False),
    "ours, overlap (2 threads)": ({}, True),
    "ours, 1 thread, detect_every 2": ({"detect_every": 2}, False),
    "ours, overlap + detect_every 2": ({"detect_every": 2}, True),
    "ours, 1 thread, attribute_every 1": ({"attribute_every": 1}, False),
}


def letterbox(frame: np.ndarray, size=(640, 480)) -> np.ndarray:
    height, width = frame.shape[:2]
    scale = min(size[0] / width, size[1] / height)
    resized = cv2.resize(frame, (round(width * scale), round(height * scale)))
    canvas = np.zeros((size[1], size[0], 3), np.uint8)
    y, x = (size[1] - resized.shape[0]) // 2, (size[0] - resized.shape[1]) // 2
    canvas[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return canvas


def cases() -> list[tuple[str, list[np.ndarray]]]:
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    clip, capture = [], cv2.VideoCapture(str(DEMO / "tears_of_steel_10s_640x360.mp4"))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        clip.append(letterbox(frame))
    still = cv2.resize(photo, (640, 480), interpolation=cv2.INTER_AREA)
    return [
        ("640x480, 5 faces drifting", synthetic_frames(photo, 5, 60)),
        ("test photo at 640x480", [still] * 30),
        ("demo clip letterboxed", clip[::4]),
    ]


def centre_inside(box, x, y) -> bool:
    return box.x_min <= x <= box.x_max and box.y_min <= y <= box.y_max


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        from fer.fer import FER
    except ImportError as exc:
        print(f"fer is not installed in this environment ({exc}); see this script's docstring")
        return
    fer = FER()  # its defaults: Haar 1.1 / 5, min face 50 px, TFLite
    ours = speed_variant_analyzers(AnalyzerConfig(), OURS)
    print(
        f"fer {getattr(__import__('fer'), '__version__', '?')} vs face_analysis; {machine_note()}"
    )
    rows = []
    for case, frames in cases():
        fer.detect_emotions(frames[0])
        fer_faces = [[tuple(f["box"]) for f in fer.detect_emotions(frame)] for frame in frames]
        found = [ours["ours, 1 thread"].analyze(frame) for frame in frames]
        ours["ours, 1 thread"].reset()
        common = sum(
            any(centre_inside(r.box, x + w / 2, y + h / 2) for r in results)
            for boxes, results in zip(fer_faces, found)
            for x, y, w, h in boxes
        )
        times = {"fer": [], **{label: [] for label in OURS}}
        fer_cpu = 0.0  # this process's CPU seconds while fer ran: > wall time = several cores
        for _ in range(args.rounds):
            start, cpu = time.perf_counter(), time.process_time()
            for frame in frames:
                fer.detect_emotions(frame)
            times["fer"].append(time.perf_counter() - start)
            fer_cpu += time.process_time() - cpu
            for label, (_, overlapped) in OURS.items():
                times[label].append(variant_seconds(ours[label], frames, overlapped))
        fps = {label: len(frames) / statistics.median(t) for label, t in times.items()}
        rows.append(
            (
                case,
                len(frames),
                sum(map(len, fer_faces)) / len(frames),
                sum(map(len, found)) / len(frames),
                common,
                sum(map(len, fer_faces)),
                fps,
                fer_cpu / sum(times["fer"]),
            )
        )
    print(
        "| frames | n | fer faces/frame | our faces/frame | fer's faces ours finds | fer fps | "
        "fer CPU s per s | " + " | ".join(f"{label} fps (x fer)" for label in OURS) + " |"
    )
    print("|---|---|---|---|---|---|---|" + "---|" * len(OURS))
    for case, n, fer_n, our_n, common, fer_total, fps, fer_cores in rows:
        print(
            f"| {case} | {n} | {fer_n:.2f} | {our_n:.2f} | {common}/{fer_total} | "
            f"{fps['fer']:.1f} | {fer_cores:.2f} | "
            + " | ".join(f"{fps[label]:.1f} (x{fps[label] / fps['fer']:.1f})" for label in OURS)
            + " |"
        )
    print(
        "fer's faces ours finds: fer's boxes whose centre lies in one of our boxes on the same "
        "frame. Those it does not on the clip were looked at on 2026-11-30 (frames 0-5, 17-21, "
        "36-38, 51-55 of these 60): robot parts, background, and boxes beside the one real face; "
        "none is a face."
    )
    print(
        f"goal: >= {GOAL_RATIO:g}x fer's fps on the same 640x480 frames, finding at least the "
        f"faces fer finds; fer classifies emotion only, ours emotion, gender and age and tracks; "
        f"{machine_note()}"
    )


if __name__ == "__main__":
    main()
