"""Whole-pipeline frames per second (detect + classify both heads + track), against the detector
alone timed in the same run (the anchor: what classification and tracking add on top).

Inputs: the 10 s demo clip (640x360, decoded into memory first so decoding is not counted), and
synthetic 640x480 frames with 1 to 5 faces cut from the demo photo, drifting 2 px per frame.

A second table: the default pipeline (YuNet) with its speed options, on the same frames, timed
in alternation: detect_every k (the detector on every k-th frame, the tracker carrying the faces
in between), the two-thread overlap of face_analysis_pipeline (pipeline_overlap: detection of
frame n+1 while frame n is classified; throughput, not the latency of one frame), and
attribute_every 1 (every head on every frame; the default, 5, runs gender and age on a tracked
face every 5th frame).

    python benchmarks/bench_pipeline.py [--frames N] [--only-speed]
"""

from __future__ import annotations

import argparse
import dataclasses
import queue
import statistics
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from head_models import model_paths
from timing import DEMO, machine_note

from face_analysis.core.analyzer import AnalyzerConfig, FaceAnalyzer
from face_analysis.core.errors import DetectorUnavailableError

DETECTORS = [
    ("yunet (default)", "yunet", {}),
    ("haar (paper)", "haar", {}),
    ("haar downscale 2", "haar", {"downscale": 2.0}),
    ("blazeface full", "blazeface", {}),
]
# Faces of oarriaga_test_image.jpg (2048x1536) as (x0, y0, x1, y1), with hair and chin.
PHOTO_FACES = [
    (270, 290, 460, 520),
    (540, 370, 720, 590),
    (810, 320, 990, 540),
    (1150, 350, 1330, 570),
    (1500, 330, 1670, 540),
]
GOAL_FPS = 60.0


def synthetic_frames(photo: np.ndarray, n_faces: int, count: int) -> list[np.ndarray]:
    """640x480 frames: a faceless backdrop (the photo's sky and hills) with n_faces faces
    (~100 px) drifting to the right."""
    backdrop = cv2.GaussianBlur(cv2.resize(photo[:280], (640, 480)), (0, 0), 3)
    faces = [cv2.resize(photo[y0:y1, x0:x1], (100, 120)) for x0, y0, x1, y1 in PHOTO_FACES]
    frames = []
    for t in range(count):
        frame = backdrop.copy()
        for i in range(n_faces):
            x, y = 20 + 120 * i + (2 * t) % 40, 60 + 150 * (i % 2)
            frame[y : y + 120, x : x + 100] = faces[i]
        frames.append(frame)
    return frames


def seconds(fn, frames) -> float:
    start = time.perf_counter()
    for frame in frames:
        fn(frame)
    return time.perf_counter() - start


def detector_and_pipeline_fps(analyzer: FaceAnalyzer, frames, rounds: int = 3):
    """Median fps of the detector alone and of the whole pipeline, timed in alternation so that
    a burst of load from other jobs hits both alike."""
    analyzer.analyze(frames[0])  # warm-up: the first onnxruntime run allocates
    detect, whole = [], []
    for _ in range(rounds):
        detect.append(seconds(analyzer.detect, frames))
        analyzer.reset()
        whole.append(seconds(analyzer.analyze, frames))
    return len(frames) / statistics.median(detect), len(frames) / statistics.median(whole)


def overlapped_seconds(analyzer: FaceAnalyzer, frames) -> float:
    """The frames through two threads, as face_analysis_pipeline runs them with pipeline_overlap:
    detect_step of frame n+1 in this thread while a second thread runs track_step (track,
    classify) of frame n; one frame waits between them."""
    handoff: queue.Queue = queue.Queue(maxsize=1)

    def second():
        while (item := handoff.get()) is not None:
            analyzer.track_step(*item)

    start = time.perf_counter()
    worker = threading.Thread(target=second)
    worker.start()
    for frame in frames:
        handoff.put((frame, analyzer.detect_step(frame)))
    handoff.put(None)
    worker.join()
    return time.perf_counter() - start


def sequential_seconds(analyzer: FaceAnalyzer, frames) -> float:
    return seconds(analyzer.analyze, frames)


# label -> (AnalyzerConfig settings, overlapped)
SPEED_VARIANTS = {
    "1 thread, detect every frame": ({}, False),
    "overlap (2 threads)": ({}, True),
    "1 thread, detect_every 2": ({"detect_every": 2}, False),
    "1 thread, detect_every 3": ({"detect_every": 3}, False),
    "overlap + detect_every 2": ({"detect_every": 2}, True),
    "1 thread, attribute_every 1": ({"attribute_every": 1}, False),
}


def speed_variant_analyzers(config: AnalyzerConfig, variants: dict) -> dict[str, FaceAnalyzer]:
    """One analyzer per variant (label -> (settings, overlapped)) on top of `config`."""
    return {
        label: FaceAnalyzer(dataclasses.replace(config, **settings))
        for label, (settings, _) in variants.items()
    }


def variant_seconds(analyzer: FaceAnalyzer, frames, overlapped: bool) -> float:
    """Seconds for the frames from a fresh start (no tracks), one thread or overlapped."""
    analyzer.reset()
    return (overlapped_seconds if overlapped else sequential_seconds)(analyzer, frames)


def speed_options_fps(config: AnalyzerConfig, frames, rounds: int = 3) -> dict[str, float]:
    """fps of each SPEED_VARIANTS entry, median of `rounds`, the variants in alternation."""
    analyzers = speed_variant_analyzers(config, SPEED_VARIANTS)
    for analyzer in analyzers.values():
        analyzer.analyze(frames[0])
    runs: dict[str, list[float]] = {label: [] for label in SPEED_VARIANTS}
    for _ in range(rounds):
        for label, (_, overlapped) in SPEED_VARIANTS.items():
            runs[label].append(variant_seconds(analyzers[label], frames, overlapped))
    return {label: len(frames) / statistics.median(times) for label, times in runs.items()}


def print_speed_options(models: dict, cases) -> None:
    config = AnalyzerConfig(emotion_model=models["emotion"], gender_model=models["gender"])
    labels = list(SPEED_VARIANTS)
    print(f"yunet pipeline, speed options: fps (x the first column); {machine_note()}")
    print(f"{'input':24s} " + " ".join(f"{label:>30s}" for label in labels))
    for case, frames, _ in cases:
        fps = speed_options_fps(config, frames)
        base = fps[labels[0]]
        print(
            f"{case:24s} "
            + " ".join(f"{fps[label]:>22.1f} (x{fps[label] / base:4.2f})" for label in labels)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames per synthetic case")
    parser.add_argument(
        "--only-speed", action="store_true", help="only the YuNet speed-options table"
    )
    args = parser.parse_args()
    models, note = model_paths(Path(tempfile.mkdtemp(prefix="bench_pipeline_")))
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    capture = cv2.VideoCapture(str(DEMO / "tears_of_steel_10s_640x360.mp4"))
    clip = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        clip.append(frame)
    cases = [("tears_of_steel 640x360", clip, 0)] + [
        (f"640x480, {n} face{'s' if n > 1 else ''}", synthetic_frames(photo, n, args.frames), n)
        for n in range(1, 6)
    ]
    if args.only_speed:
        print(f"heads: {note}")
        print_speed_options(models, cases)
        return
    print(f"pipeline, onnxruntime 1 thread per head, {note}; {machine_note()}")
    print(
        f"{'detector':18s} {'input':24s} {'faces/frame':>11s} {'detector fps':>12s} "
        f"{'pipeline fps':>12s} {'ratio':>6s}  goal"
    )
    for label, name, settings in DETECTORS:
        config = AnalyzerConfig(
            emotion_model=models["emotion"],
            gender_model=models["gender"],
            detector=name,
            detector_settings=settings,
        )
        try:
            analyzer = FaceAnalyzer(config)
        except DetectorUnavailableError as exc:
            print(f"{label:18s} skipped: {exc}")
            continue
        for case, frames, n_faces in cases:
            faces = np.mean([len(analyzer.detect(f)) for f in frames[::8]])
            detector_fps, pipeline_fps = detector_and_pipeline_fps(analyzer, frames)
            goal = ""
            if n_faces:  # the goal only counts when the faces are actually found
                goal = (
                    "misses faces"
                    if faces < 0.8 * n_faces
                    else "ok"
                    if pipeline_fps >= GOAL_FPS
                    else "too slow"
                )
            print(
                f"{label:18s} {case:24s} {faces:11.1f} {detector_fps:12.1f} {pipeline_fps:12.1f} "
                f"{pipeline_fps / detector_fps:6.2f}  {goal}"
            )
    print(
        f"ratio: pipeline fps / detector-alone fps in this run; goal: >= {GOAL_FPS:.0f} fps "
        "at 640x480 with 1-5 faces, all found"
    )
    print_speed_options(models, cases)


if __name__ == "__main__":
    main()
