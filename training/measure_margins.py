"""Measure the crop margins that make a face-detector box reproduce the training framing.

    PYTHONPATH=. python -m training.measure_margins --task emotion --n 600
    PYTHONPATH=. python -m training.measure_margins --task gender --n 600
    PYTHONPATH=. python -m training.measure_margins --task emotion --detector yunet

Haar (the default, the classic detector of the paper's demo, which the shipped margins come
from): OpenCV's frontal-face cascade on training images upscaled 4x, keeping images with exactly
one detection. YuNet (the nodes' default detector): each training image enlarged to each of
`--sizes` pixels and placed in the middle of a canvas three times as wide, either mid-gray or
its own border pixels repeated (`--context`), keeping the face YuNet finds near the middle.

Reports the median margins m_x = ((W - w) / 2) / w and m_y = ((H - h) / 2) / h, i.e. how much a
detector box must be grown on each side to cover the whole training crop, and the box centre's
offset from the crop's centre (per image side for Haar, per box width for YuNet). The numbers are
a basis for the exported crop_margin_x/y (pass them to training.export --crop-margin-x/-y). A
training crop shows no surroundings, so what the detector makes of its edge depends on what lies
around it; the YuNet figures per size and context show how much.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from face_analysis.core.detect import make_detector
from face_analysis.core.preprocess import resize_face
from training import data as D

QUANTITIES = ["margin_x", "margin_y", "centre_dx", "centre_dy"]


def measure(images: np.ndarray, scale: int = 4):
    """Haar's box on each image upscaled `scale` times: rows of QUANTITIES (offsets per side)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    rows = []
    for img in images:
        big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        H, W = big.shape
        faces = cascade.detectMultiScale(
            big, scaleFactor=1.1, minNeighbors=5, minSize=(W // 4, H // 4)
        )
        if len(faces) != 1:
            continue
        x, y, w, h = faces[0]
        rows.append(
            ((W - w) / 2 / w, (H - h) / 2 / h, (x + w / 2) / W - 0.5, (y + h / 2) / H - 0.5)
        )
    return np.array(rows)


def measure_yunet(images: np.ndarray, side: int, context: str) -> np.ndarray:
    """YuNet's box on each image at side x side in a 3-side canvas: rows of QUANTITIES (offsets
    per box width)."""
    detector = make_detector("yunet")
    rows = []
    for img in images:
        face = resize_face(img, side)
        if context == "gray":
            canvas = np.full((3 * side, 3 * side), 128, np.uint8)
            canvas[side : 2 * side, side : 2 * side] = face
        else:
            canvas = cv2.copyMakeBorder(face, side, side, side, side, cv2.BORDER_REPLICATE)
        middle = 1.5 * side
        for box in detector.detect(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)):
            cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
            if max(abs(cx - middle), abs(cy - middle)) < side / 3:
                w, h = box.width, box.height
                rows.append(
                    ((side - w) / 2 / w, (side - h) / 2 / h, (cx - middle) / w, (cy - middle) / w)
                )
                break
    return np.array(rows)


def summary(rows: np.ndarray) -> str:
    q = np.percentile(rows, [25, 50, 75], axis=0)
    return "\n".join(
        f"  {name:9s} median {q[1, j]:+.3f}  (IQR {q[0, j]:+.3f} .. {q[2, j]:+.3f})"
        for j, name in enumerate(QUANTITIES)
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=["emotion", "gender"], required=True)
    p.add_argument("--data-path", default=None)
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--detector", choices=["haar", "yunet"], default="haar")
    p.add_argument(
        "--sizes",
        type=lambda t: [int(v) for v in t.split(",")],
        default=[64, 96, 128],
        help="yunet: the crop's side on the canvas, pixels",
    )
    p.add_argument(
        "--context",
        choices=["gray", "replicate", "both"],
        default="both",
        help="yunet: what surrounds the crop on the canvas",
    )
    args = p.parse_args()
    path = args.data_path or D.default_data_path(args.task, D.default_repo_data_dir())
    a = D.load_task(args.task, path)
    a = a.subset(a.split == 0)
    idx = np.random.default_rng(args.seed).choice(len(a), size=min(args.n, len(a)), replace=False)
    if args.detector == "haar":
        r = measure(a.images[idx])
        print(f"{args.task}: Haar found exactly one face in {len(r)}/{len(idx)} training images")
        if len(r):
            print(summary(r))
        return
    contexts = ["gray", "replicate"] if args.context == "both" else [args.context]
    for context in contexts:
        for side in args.sizes:
            r = measure_yunet(a.images[idx], side, context)
            print(
                f"{args.task}: YuNet, {side} px crop on {context}: a face near the middle in "
                f"{len(r)}/{len(idx)} training images"
            )
            if len(r):
                print(summary(r))


if __name__ == "__main__":
    main()
