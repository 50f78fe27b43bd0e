"""Measure the crop margins that make a face-detector box reproduce the training framing.

    PYTHONPATH=. python -m training.measure_margins --task emotion --n 600
    PYTHONPATH=. python -m training.measure_margins --task gender --n 600

Runs OpenCV's Haar frontal-face detector (the classic detector of the paper's demo) on training
images, upscaled 4x, keeps images with exactly one detection, and reports the median margins
m_x = ((W - w) / 2) / w and m_y = ((H - h) / 2) / h, i.e. how much a detector box must be grown on
each side to cover the whole training crop. Also prints the box centre offset. The numbers are a
basis for the exported crop_margin_x/y (pass them to training.export --crop-margin-x/-y).
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from training import data as D


def measure(images: np.ndarray, scale: int = 4):
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


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=["emotion", "gender"], required=True)
    p.add_argument("--data-path", default=None)
    p.add_argument("--n", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    path = args.data_path or D.default_data_path(args.task, D.default_repo_data_dir())
    a = D.load_task(args.task, path)
    a = a.subset(a.split == 0)
    idx = np.random.default_rng(args.seed).choice(len(a), size=min(args.n, len(a)), replace=False)
    r = measure(a.images[idx])
    print(f"{args.task}: Haar found exactly one face in {len(r)}/{len(idx)} training images")
    if len(r):
        q = np.percentile(r, [25, 50, 75], axis=0)
        for j, name in enumerate(["margin_x", "margin_y", "centre_dx", "centre_dy"]):
            print(f"  {name:9s} median {q[1, j]:+.3f}  (IQR {q[0, j]:+.3f} .. {q[2, j]:+.3f})")


if __name__ == "__main__":
    main()
