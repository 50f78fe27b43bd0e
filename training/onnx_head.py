"""Exported heads as the package runs them: `face_analysis.core.classify.OnnxHead` loads the file
(the sha256 check against models/MANIFEST.json, the PreprocessSpec and the output names from its
metadata), and training's images reach it through the inference preprocessing (`resize_face`,
`normalize`), so every figure training/ reports is of the file that ships.
"""

from __future__ import annotations

import numpy as np

from face_analysis.core.classify import OnnxHead, session_options
from face_analysis.core.preprocess import normalize
from training import data as D


def load(path, threads: int = 1) -> OnnxHead:
    """The head in ONNX file `path`, run on `threads` threads."""
    return OnnxHead(str(path), session_options(threads, 1))


def predict(head: OnnxHead, gray_images: np.ndarray, batch: int = 1024) -> np.ndarray:
    """(N, C) float32 for uint8 (N, H, W) face crops: a classifier's probabilities, else one
    column per output in the order of `head.outputs` (an age head's `age`, `age_std`)."""
    width = len(head.spec.labels) if head.is_classifier else len(head.outputs)
    out = [np.zeros((0, width), np.float32)]
    for i in range(0, len(gray_images), batch):
        pixels = D.to_model_pixels(gray_images[i : i + batch], head.spec.input_size)
        out.append(head.predict(normalize(pixels, head.spec)[:, None]))
    return np.concatenate(out)
