"""Timing helpers shared by the benchmarks. The machine is shared and noisy: every figure is the
median of several runs, and every benchmark prints ratios against an anchor timed in the same
run, which stay meaningful when the absolute numbers drift."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FACE_ANALYSIS_DATA", REPO.parent / "shared" / "data"))
DEMO = DATA / "demo"
sys.path.insert(0, str(REPO))  # run as `python benchmarks/x.py` from anywhere


def median_seconds(
    fn: Callable[[], object], repeat: int = 7, number: int = 1, warmup: int = 1
) -> float:
    """Median over `repeat` runs of the mean time of `number` calls of fn."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - start) / number)
    return statistics.median(runs)


def machine_note() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs, load average {load:.1f} (other jobs make absolute times noisy)"


def recording_cost(settings: dict, rounds: int) -> str:
    """Detector time on every frame of the bundled recording with `settings` against the
    default detector (the anchor), timed in alternating rounds of the same run."""
    # Imported here, after this module has put the checkout on sys.path.
    from face_analysis.core.detect import make_detector
    from face_analysis.offline.bag_reader import ImageBag

    with ImageBag(REPO / "samples" / "faces_demo") as bag:
        images = [frame.image() for frame in bag.frames()]
    detectors = {"default": make_detector("yunet"), "changed": make_detector("yunet", **settings)}
    times = {name: [] for name in detectors}
    for _ in range(rounds):
        for name, detector in detectors.items():
            times[name].append(median_seconds(lambda: [detector.detect(i) for i in images], 1))
    ratios = [c / d for c, d in zip(times["changed"], times["default"])]
    default_ms = 1000 * statistics.median(times["default"]) / len(images)
    return (
        f"detector time on samples/faces_demo ({len(images)} frames), yunet {settings} against "
        f"the default yunet: {statistics.median(ratios):.3f}x (median of {rounds} alternating rounds; "
        f"default {default_ms:.2f} ms per frame)"
    )
