"""An ensemble teacher for knowledge distillation of the emotion head.

The teacher is the mean flip-averaged probability of several exported emotion heads on the
FER-2013 training images, computed once and saved; `train.py --teacher-probs FILE` then trains
towards `(1 - a) * label target + a * teacher` (offline distillation: the teacher saw the image
unaugmented, as the FER+ votes do). The file records the models' sha256 and a fingerprint of each
training image, so a teacher made for other images is refused instead of silently misaligned.

    python -m training.teacher --model models/emotion.onnx --model runs/x.onnx \\
        --output runs/teacher.npz

It prints each model's and the ensemble's PublicTest (validation) accuracy; the test split is
never read, so choosing the teacher's members by these figures is selection on validation only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from face_analysis.core.model_files import file_sha256
from training import data as D
from training import onnx_head


class TeacherError(ValueError):
    """A teacher file that does not fit the training data it is used with."""


def fingerprints(images: np.ndarray) -> np.ndarray:
    """(N, 2) int64 per image: its pixel sum and a position-weighted sum (cheap, order-aware)."""
    flat = images.reshape(len(images), -1).astype(np.int64)
    weights = np.arange(1, flat.shape[1] + 1, dtype=np.int64)
    return np.stack([flat.sum(1), flat @ weights], axis=1)


def flip_averaged(model_path, *image_sets: np.ndarray) -> list[np.ndarray]:
    """0.5 * (p(x) + p(flip x)) of one exported head for each set of images, through the
    inference preprocessing."""
    head = onnx_head.load(model_path)
    if head.spec.task != "emotion":
        raise TeacherError(
            f"{model_path}: an emotion head is needed, this one is {head.spec.task!r}"
        )

    def probs(images):
        flipped = np.ascontiguousarray(images[:, :, ::-1])
        return 0.5 * (onnx_head.predict(head, images) + onnx_head.predict(head, flipped))

    return [probs(images) for images in image_sets]


def build(models: list, data_path=None) -> tuple[dict, dict]:
    """(arrays to save, report): the ensemble's probabilities on the training split and each
    member's and the ensemble's validation accuracy."""
    fer = D.load_fer(data_path or D.default_data_path("emotion", D.default_repo_data_dir()))
    train, val = fer.subset(fer.split == 0), fer.subset(fer.split == 1)
    train_p, val_p, report = [], [], {"models": [], "split": "PublicTest"}
    for path in models:
        on_train, on_val = flip_averaged(path, train.images, val.images)
        train_p.append(on_train)
        val_p.append(on_val)
        acc = float((val_p[-1].argmax(1) == val.labels).mean())
        report["models"].append({"model": str(path), "sha256": file_sha256(path), "val_acc": acc})
    ensemble = np.mean(val_p, axis=0)
    report["ensemble_val_acc"] = float((ensemble.argmax(1) == val.labels).mean())
    probs = np.mean(train_p, axis=0).astype(np.float32)
    report["train_agreement"] = float((probs.argmax(1) == train.labels).mean())
    arrays = {
        "probs": probs,
        "fingerprints": fingerprints(train.images),
        "report": np.array(json.dumps(report)),
    }
    return arrays, report


def load(path, train_images: np.ndarray) -> np.ndarray:
    """The teacher's (N, 7) probabilities for these training images (the first N of the file's
    training split, as `--limit` takes them); raises TeacherError when they belong to other
    images."""
    with np.load(path) as f:
        probs, expected = f["probs"], f["fingerprints"]
    n = len(train_images)
    if n > len(probs) or not np.array_equal(fingerprints(train_images), expected[:n]):
        raise TeacherError(
            f"{path}: made for another training split ({len(probs)} images), not these {n}; "
            "rebuild it with python -m training.teacher"
        )
    return probs[:n]


def distill_targets(
    base: np.ndarray, teacher: np.ndarray, alpha: float, temperature: float = 1.0
) -> np.ndarray:
    """(1 - alpha) * base + alpha * teacher ** (1 / T), renormalised: T > 1 softens the teacher."""
    if not 0 <= alpha <= 1 or temperature <= 0:
        raise ValueError(f"need 0 <= alpha <= 1 and temperature > 0, got {alpha}, {temperature}")
    t = np.power(np.clip(teacher, 1e-12, None), 1.0 / temperature)
    t /= t.sum(1, keepdims=True)
    return ((1 - alpha) * base + alpha * t).astype(np.float32)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", required=True, help="an emotion .onnx (repeat)")
    p.add_argument("--output", required=True, help="the .npz to write")
    p.add_argument("--data-path", default=None, help="fer2013.npz (default ../shared/data)")
    args = p.parse_args(argv)
    arrays, report = build(args.model, args.data_path)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
