"""Detector quality and cost, all in one run.

Quality: precision and recall on the bundled recording samples/faces_demo against
samples/faces_demo_ground_truth.jsonl (matching as `face-analysis evaluate` does:
face_analysis/offline/metrics.py, IoU >= 0.5), overall and on its Solvay 1927 frames.
Cost: milliseconds per 640x480 frame of the recording, with the process pinned to one CPU and
OpenCV and onnxruntime on one thread, detectors interleaved over the same frames; the ratio is to
BlazeFace full-range timed in the same run (the machine is shared: absolute times drift, the
ratios hold).

    python benchmarks/bench_detectors.py
"""

from __future__ import annotations

import os
import statistics
import time

import cv2
import numpy as np
from timing import REPO, machine_note

from face_analysis.core.detect import make_detector
from face_analysis.core.errors import DetectorUnavailableError
from face_analysis.core.types import FaceBox
from face_analysis.core.yunet import default_model_path, fixed_shape_model
from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.ground_truth import read_ground_truth
from face_analysis.offline.metrics import match_faces

RECORDING = REPO / "samples" / "faces_demo"
TRUTH = REPO / "samples" / "faces_demo_ground_truth.jsonl"
SOLVAY = "solvay_conference_1927_1280.png"
ANCHOR = "blazeface full"
REPEATS = 7


class OpenCvYuNet:
    """cv2.FaceDetectorYN on the same weights file, score 0.6, NMS 0.3 (one detector per frame
    size: OpenCV fixes the input size at creation)."""

    def __init__(self):
        self.path, self._by_size = str(default_model_path()), {}

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        height, width = image.shape[:2]
        if (width, height) not in self._by_size:
            model = np.frombuffer(fixed_shape_model(self.path, width, height), np.uint8)
            self._by_size[(width, height)] = cv2.FaceDetectorYN.create(
                "onnx", model, np.zeros(0, np.uint8), (width, height), 0.6, 0.3
            )
        faces = self._by_size[(width, height)].detect(image)[1]
        return [
            FaceBox(x, y, x + w, y + h, s)
            for x, y, w, h, s in ([] if faces is None else faces[:, [0, 1, 2, 3, 14]].tolist())
        ]


# (label, factory, licence of the detector's model)
CANDIDATES = [
    (
        "haar (paper: 1.3/5)",
        lambda: make_detector("haar"),
        "Intel OSS licence (BSD-like; OpenCV data)",
    ),
    (ANCHOR, lambda: make_detector("blazeface"), "Apache-2.0 (MediaPipe)"),
    (
        "yunet (default: downscale 1.5)",
        lambda: make_detector("yunet"),
        "Apache-2.0 (libfacedetection.train; MIT via OpenCV Zoo)",
    ),
    ("yunet downscale 1.25", lambda: make_detector("yunet", downscale=1.25), "as yunet"),
    ("yunet full resolution", lambda: make_detector("yunet", downscale=1.0), "as yunet"),
    ("cv2.FaceDetectorYN, full resolution", OpenCvYuNet, "as yunet"),
]


def recording_frames() -> list[tuple[int, np.ndarray]]:
    with ImageBag(RECORDING) as bag:
        return [(frame.stamp_ns, frame.image()) for frame in bag.frames()]


def quality(detector, frames, truth) -> dict[str, tuple[float, float]]:
    """(recall, precision) overall and per source, counted as `face-analysis evaluate` does."""
    counts: dict[str, np.ndarray] = {}  # source -> [true positives, detections, true faces]
    for stamp, image in frames:
        if stamp not in truth:
            continue
        true_boxes, found = [f.box for f in truth[stamp].faces], detector.detect(image)
        matched = len(match_faces(true_boxes, found))
        for key in ("all", truth[stamp].source):
            counts.setdefault(key, np.zeros(3, int))
            counts[key] += (matched, len(found), len(true_boxes))
    return {
        key: (tp / max(n_true, 1), tp / max(n_found, 1))
        for key, (tp, n_found, n_true) in counts.items()
    }


def main() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    frames, truth = recording_frames(), read_ground_truth(TRUTH)
    timed = [image for _, image in frames[::4]]
    assert all(image.shape[:2] == (480, 640) for image in timed)
    detectors, rows = {}, {}
    for label, factory, licence in CANDIDATES:
        try:
            detectors[label] = factory()
        except DetectorUnavailableError as exc:
            print(f"{label}: skipped ({exc})")
            continue
        rows[label] = (quality(detectors[label], frames, truth), licence)
    # Interleaved: each repeat times every detector over the same frames, so load changes during
    # the run touch all of them alike.
    times = {label: [] for label in detectors}
    for _ in range(REPEATS):
        for label, detector in detectors.items():
            start = time.perf_counter()
            for image in timed:
                detector.detect(image)
            times[label].append((time.perf_counter() - start) / len(timed))
    cost = {label: statistics.median(runs) for label, runs in times.items()}
    print(
        f"detectors on {RECORDING.relative_to(REPO)} ({len(frames)} frames 640x480, "
        f"{sum(len(f.faces) for f in truth.values())} true faces); {machine_note()}; "
        "pinned to 1 CPU, 1 thread"
    )
    print(
        f"| detector | recall | recall Solvay | precision | ms/frame 640x480 | x {ANCHOR} "
        "| licence |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, (scores, licence) in rows.items():
        ratio = f"{cost[label] / cost[ANCHOR]:.2f}" if ANCHOR in cost else "n/a"
        (recall, precision), solvay_recall = scores["all"], scores[SOLVAY][0]
        print(
            f"| {label} | {recall:.3f} | {solvay_recall:.3f} | {precision:.3f} "
            f"| {1000 * cost[label]:.2f} | {ratio} | {licence} |"
        )
    print(f"cost: median of {REPEATS} interleaved passes over {len(timed)} frames of the recording")


if __name__ == "__main__":
    main()
