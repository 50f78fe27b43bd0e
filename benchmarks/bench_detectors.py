"""Detector quality and cost, all in one run.

Quality: precision and recall on the bundled recording samples/faces_demo against
samples/faces_demo_ground_truth.jsonl (matching as `face-analysis evaluate` does:
face_analysis/offline/metrics.py, IoU >= 0.5), overall and on its Solvay 1927 frames.
Cost: milliseconds per 640x480 frame of the recording, with the process pinned to one CPU and
OpenCV and onnxruntime on one thread, detectors interleaved over the same frames; the ratio is to
BlazeFace full-range timed in the same run (the machine is shared: absolute times drift, the
ratios hold).

    python benchmarks/bench_detectors.py [--no-int8]

YuNet variants beside the default: other input scales, the resize it used before (area
averaging), and an int8 copy of the weights (onnxruntime static QDQ quantization, calibrated on
images that are not in the recording: the astronaut photo, the emotion demo photo and the demo
clip outside the 3.5-6.9 s the recording uses, each at three scales). The int8 file is built
here in a temporary folder from the installed weights and is not shipped: on this CPU it is
slower than the float model (onnxruntime's int8 convolutions pay only with VNNI).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from timing import DEMO, REPO, machine_note

from face_analysis.core.detect import make_detector
from face_analysis.core.errors import DetectorUnavailableError
from face_analysis.core.types import FaceBox
from face_analysis.core.yunet import YuNetDetector, default_model_path, fixed_shape_model
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


def calibration_images() -> list[np.ndarray]:
    """Images with faces that the recording does not contain, at three scales."""
    images = [
        cv2.imread(str(DEMO / name))
        for name in (
            "astronaut_eileen_collins.png",
            "oarriaga_emotion_classification_annotated.jpg",
        )
    ]
    clip = cv2.VideoCapture(str(DEMO / "tears_of_steel_10s_640x360.mp4"))
    fps, index = clip.get(cv2.CAP_PROP_FPS) or 24.0, 0
    while True:
        ok, frame = clip.read()
        if not ok:
            break
        if index % 12 == 0 and not 3.5 <= index / fps <= 6.9:
            images.append(frame)
        index += 1
    scaled = []
    for image in images:
        for width in (320, 427, 640):
            height = round(image.shape[0] * width / image.shape[1])
            scaled.append(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    return scaled


def int8_yunet(folder: Path) -> Path:
    """The installed YuNet weights quantized to int8 (training.quantize's QDQ settings, its
    convolutions only), written to `folder`; needs the onnx package."""
    import onnx
    from onnx import version_converter

    from training.quantize import quantize_qdq

    float_model = YuNetDetector(downscale=1.0)
    blobs = [float_model._blob(image).copy() for image in calibration_images()]
    # Per-channel quantization needs opset 13's DequantizeLinear(axis); the file is opset 11.
    opset13 = folder / "op13.onnx"
    onnx.save(version_converter.convert_version(onnx.load(float_model.path), 13), opset13)
    return quantize_qdq(opset13, folder / "int8.onnx", blobs, op_types=["Conv"])


def area_resize_yunet() -> YuNetDetector:
    """The default detector with the resize it used before 2026-11-30 (area averaging)."""
    detector = make_detector("yunet")
    detector.interpolation = cv2.INTER_AREA
    return detector


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
    ("yunet downscale 1.5, area resize (before)", area_resize_yunet, "as yunet"),
    ("yunet downscale 2", lambda: make_detector("yunet", downscale=2.0), "as yunet"),
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-int8", action="store_true", help="skip the int8 YuNet row")
    args = parser.parse_args()
    candidates = list(CANDIDATES)
    if not args.no_int8:
        path = int8_yunet(Path(tempfile.mkdtemp(prefix="bench_yunet_int8_")))
        candidates.append(
            (
                "yunet int8 (static QDQ), downscale 1.5",
                lambda: make_detector("yunet", model=str(path)),
                "as yunet (derived file, not shipped)",
            )
        )
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)
    frames, truth = recording_frames(), read_ground_truth(TRUTH)
    timed = [image for _, image in frames[::4]]
    assert all(image.shape[:2] == (480, 640) for image in timed)
    detectors, rows = {}, {}
    for label, factory, licence in candidates:
        try:
            detectors[label] = factory()
        except DetectorUnavailableError as exc:
            print(f"{label}: skipped ({exc})")
            continue
        rows[label] = (quality(detectors[label], frames, truth), licence)
    # Interleaved frame by frame: each detector takes its turn on a frame before the next frame,
    # so a burst of load from other jobs touches all of them alike; per pass the sum over the
    # frames, and the median over the passes.
    times = {label: [] for label in detectors}
    for _ in range(REPEATS):
        spent = dict.fromkeys(detectors, 0.0)
        for image in timed:
            for label, detector in detectors.items():
                start = time.perf_counter()
                detector.detect(image)
                spent[label] += time.perf_counter() - start
        for label in detectors:
            times[label].append(spent[label] / len(timed))
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
    print(
        f"cost: median of {REPEATS} passes over {len(timed)} frames of the recording, the "
        "detectors interleaved frame by frame"
    )


if __name__ == "__main__":
    main()
