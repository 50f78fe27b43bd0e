"""Detector quality and speed.

Recall on the 1927 Solvay photo (29 faces, IoU >= 0.5 with the reference boxes; the csv's
detection_0 is a false positive and is skipped), faces found on the 6-person test photo, and
frames per second at 640x480 and 1280x720, with the paper's Haar settings as the anchor.

    python benchmarks/bench_detectors.py
"""
from __future__ import annotations

import csv

import cv2

from timing import DEMO, machine_note, median_seconds

from face_analysis.core.detect import make_detector
from face_analysis.core.errors import DetectorUnavailableError
from face_analysis.core.geometry import recall
from face_analysis.core.types import FaceBox

# (name, detector, settings); the first is the anchor for the speed ratios.
CANDIDATES = [
    ("haar (paper: 1.3/5)", "haar", {}),
    ("haar 1.1/5", "haar", {"scale_factor": 1.1}),
    ("haar 1.3/5 downscale 2", "haar", {"downscale": 2.0}),
    ("blazeface full", "blazeface", {}),
    ("blazeface short", "blazeface", {"model": "short"}),
    ("blazeface full, 256px tiles", "blazeface", {"tile_size": 256}),
]
TEST_PHOTO_FACES = [(364, 405), (630, 475), (898, 427), (1240, 455), (1580, 430), (1055, 1135)]


def solvay_truth() -> list[FaceBox]:
    with open(DEMO / "solvay_conference_1927_1280_faces.csv") as f:
        return [FaceBox(*(float(row[k]) for k in ("x_min", "y_min", "x_max", "y_max")))
                for row in csv.DictReader(f) if row["is_face"] == "1"]


def faces_hit(boxes, centres) -> int:
    return sum(any(b.x_min < x < b.x_max and b.y_min < y < b.y_max for b in boxes)
               for x, y in centres)


def main() -> None:
    solvay = cv2.imread(str(DEMO / "solvay_conference_1927_1280.png"))
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    frames = {size: cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
              for size in ((640, 480), (1280, 720))}
    truth = solvay_truth()
    print(f"detectors; {machine_note()}")
    print(f"{'detector':30s} {'Solvay recall':>14s} {'test photo':>11s} "
          f"{'640x480':>17s} {'1280x720':>17s}")
    anchor = {}
    for label, name, settings in CANDIDATES:
        try:
            detector = make_detector(name, **settings)
        except DetectorUnavailableError as exc:
            print(f"{label:30s} skipped: {exc}")
            continue
        found, total = recall(detector.detect(solvay), truth, 0.5)
        boxes = detector.detect(photo)
        hit = faces_hit(boxes, TEST_PHOTO_FACES)
        cells = []
        for size, frame in frames.items():
            seconds = median_seconds(lambda: detector.detect(frame), repeat=7, number=3)
            anchor.setdefault(size, seconds)
            cells.append(f"{1 / seconds:6.1f} fps x{anchor[size] / seconds:5.2f}")
        print(f"{label:30s} {found:>6d}/{total} {100 * found / total:4.0f}% "
              f"{hit:>3d}/6 +{len(boxes) - hit:<3d} {cells[0]:>17s} {cells[1]:>17s}")
    print("test photo: faces found / false or duplicate boxes; xN: speed relative to the "
          "first row in this run")


if __name__ == "__main__":
    main()
