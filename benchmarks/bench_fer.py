"""The `fer` PyPI package (Keras mini-Xception emotion model run by TensorFlow, TFLite by default)
against our emotion head, on the same frames and the same face boxes; our head is the anchor.

fer needs TensorFlow, numpy < 2 and its own OpenCV, so it cannot share the ROS environment;
run this script in a throwaway venv (it says so and exits when fer is missing):

    python3 -m venv /tmp/fervenv && /tmp/fervenv/bin/pip install fer onnxruntime
    PYTHONPATH=. /tmp/fervenv/bin/python benchmarks/bench_fer.py --emotion-model models/emotion.onnx
"""

from __future__ import annotations

import argparse

import cv2
from bench_pipeline import synthetic_frames
from timing import DEMO, machine_note, median_seconds

from face_analysis.core.analyzer import AnalyzerConfig, FaceAnalyzer, default_model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emotion-model", default=str(default_model_dir() / "emotion.onnx"))
    args = parser.parse_args()
    try:
        from fer.fer import FER
    except ImportError as exc:
        print(f"fer is not installed in this environment ({exc}); see this script's docstring")
        return
    photo = cv2.imread(str(DEMO / "oarriaga_test_image.jpg"))
    ours = FaceAnalyzer(AnalyzerConfig(emotion_model=args.emotion_model, gender_model=None))
    print(f"fer vs face_analysis emotion head; {machine_note()}")
    print(
        f"{'frames':24s} {'faces':>5s} {'fer tflite ms':>13s} {'fer keras ms':>13s} "
        f"{'ours ms':>8s} {'fer tflite / ours':>17s}"
    )
    cases = [
        ("640x480, 5 faces", synthetic_frames(photo, 5, 1)[0]),
        ("test photo 2048x1536", photo),
    ]
    runners = {"tflite": FER(use_tflite=True), "keras": FER(use_tflite=False)}
    for label, frame in cases:
        boxes = ours.detect(frame)
        # fer takes (x, y, w, h) rectangles; give both the same faces, so only cropping,
        # preprocessing and classification are compared.
        rects = [[int(b.x_min), int(b.y_min), int(b.width), int(b.height)] for b in boxes]
        times = {
            name: median_seconds(lambda f=fer: f.detect_emotions(frame, rects), 7, 3)
            for name, fer in runners.items()
        }
        mine = median_seconds(lambda: ours.classify(frame, boxes), 7, 3)
        print(
            f"{label:24s} {len(boxes):5d} {1000 * times['tflite']:13.2f} "
            f"{1000 * times['keras']:13.2f} {1000 * mine:8.2f} {times['tflite'] / mine:16.1f}x"
        )
    print(
        "times per frame for classifying the given faces (fer: crop, normalise, classify; "
        "ours: the same plus tracking)"
    )


if __name__ == "__main__":
    main()
