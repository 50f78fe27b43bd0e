"""Aligned crops (eyes level, core/align.py) against the axis-aligned crop, both from YuNet's boxes.

1. The bundled recording: gender accuracy of the detected faces matched to the ground truth
   (IoU >= 0.5, as `face-analysis evaluate` matches).
2. FER-2013 PrivateTest (emotion) and the UTKFace test split (gender), each image turned by a
   seeded angle of +-10..20 degrees (and, as a control, not turned): the face is upscaled onto a
   gray canvas, turned, found by YuNet, and classified from the canvas through both crops. Images
   where YuNet finds no face near the centre count in neither arm (their number is printed).

    python benchmarks/bench_alignment.py [--limit N]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from timing import DATA, REPO

from face_analysis.core.classify import FaceClassifier
from face_analysis.core.detect import make_detector
from face_analysis.offline.bag_reader import ImageBag
from face_analysis.offline.ground_truth import read_ground_truth
from face_analysis.offline.metrics import match_faces

CANVAS, FACE = 256, 144  # pixels: the test face is upscaled to FACE and centred on CANVAS
SEED = 0


def classifiers(task: str) -> dict[str, FaceClassifier]:
    model = str(REPO / "models" / f"{task}.onnx")
    models = (
        {"emotion_model": model, "gender_model": None}
        if task == "emotion"
        else {"emotion_model": None, "gender_model": model}
    )
    return {
        "axis-aligned": FaceClassifier(**models, align=False),
        "aligned": FaceClassifier(**models, align=True),
    }


def recording(detector) -> None:
    truth = read_ground_truth(REPO / "samples" / "faces_demo_ground_truth.jsonl")
    heads = classifiers("gender")
    correct, total = dict.fromkeys(heads, 0), 0
    with ImageBag(REPO / "samples" / "faces_demo") as bag:
        for frame in bag.frames():
            if frame.stamp_ns not in truth:
                continue
            image, faces = frame.image(), truth[frame.stamp_ns].faces
            found = detector.detect(image)
            pairs = [
                (t, d)
                for t, d in match_faces([f.box for f in faces], found)
                if "gender" in faces[t].labels
            ]
            total += len(pairs)
            for name, head in heads.items():
                results = head.classify(image, [found[d] for _, d in pairs])
                correct[name] += sum(
                    r.gender.label == faces[t].labels["gender"] for r, (t, _) in zip(results, pairs)
                )
    print(
        f"recording, gender of {total} matched faces: "
        + ", ".join(f"{name} {correct[name] / total:.4f}" for name in heads)
    )


def turned_canvas(face: np.ndarray, degrees: float) -> np.ndarray:
    big = cv2.resize(face, (FACE, FACE), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((CANVAS, CANVAS), 128, np.uint8)
    offset = (CANVAS - FACE) // 2
    canvas[offset : offset + FACE, offset : offset + FACE] = big
    turn = cv2.getRotationMatrix2D(((CANVAS - 1) / 2, (CANVAS - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(canvas, turn, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR, borderValue=128)


def central_face(detector, canvas: np.ndarray):
    """The best-scoring face whose centre is near the canvas centre, or None."""
    near = [
        b
        for b in detector.detect(canvas)
        if abs((b.x_min + b.x_max) / 2 - CANVAS / 2) < FACE / 4
        and abs((b.y_min + b.y_max) / 2 - CANVAS / 2) < FACE / 4
    ]
    return max(near, key=lambda b: b.score, default=None)


def dataset(detector, task: str, images: np.ndarray, labels: np.ndarray) -> None:
    heads = classifiers(task)
    rng = np.random.default_rng(SEED)
    angles = rng.uniform(10, 20, len(images)) * rng.choice([-1, 1], len(images))
    for turned in (False, True):
        correct, missed = dict.fromkeys(heads, 0), 0
        for face, label, degrees in zip(images, labels, angles):
            canvas = turned_canvas(face, degrees if turned else 0.0)
            box = central_face(detector, canvas)
            if box is None:
                missed += 1
                continue
            for name, head in heads.items():
                scores = getattr(head.classify(canvas, [box])[0], task)
                correct[name] += scores.index == label
        n = len(images) - missed
        print(
            f"{task} test set, {'turned +-10..20 deg' if turned else 'upright'}: "
            f"{n} of {len(images)} faces found; accuracy "
            + ", ".join(f"{name} {correct[name] / n:.4f}" for name in heads)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="test images per set (0: all)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    recording(make_detector("yunet"))
    detector = make_detector("yunet", downscale=1.0)  # the canvas is small already
    fer = np.load(DATA / "fer2013.npz")
    private = fer["usage"] == 2
    utk = np.load(DATA / "utkface_gray64.npz")
    test = utk["split"] == 2
    for task, images, labels in (
        ("emotion", fer["images"][private], fer["labels"][private]),
        ("gender", utk["images"][test], utk["gender"][test]),
    ):
        limit = args.limit or len(images)
        dataset(detector, task, images[:limit], labels[:limit])


if __name__ == "__main__":
    main()
