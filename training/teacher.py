"""An ensemble teacher for knowledge distillation of the emotion head.

The teacher is the mean flip-averaged probability of several exported emotion heads on the
training images of their label set, computed once and saved; `train.py --teacher-probs FILE` then
trains towards `(1 - a) * label target + a * teacher` (offline distillation: the teacher saw the
image unaugmented, as the FER+ votes do). The label set is the members' own: FER-2013 heads (7
classes) are averaged on FER-2013's training images and scored against its labels, FER+ heads (8)
on the images with a FER+ majority and scored against that majority (`data.load_ferplus`), as
train.py trains and validates each. The file records the label set, the models' sha256 and a
fingerprint of each training image, so a teacher made for other classes or images is refused
instead of silently misaligned.

    python -m training.teacher --model models/emotion.onnx --model runs/x.onnx \\
        --output runs/teacher.npz

It prints each model's and the ensemble's PublicTest (validation) accuracy; the test split is
never scored, so choosing the teacher's members by these figures is selection on validation only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from face_analysis.core.classify import OnnxHead
from face_analysis.core.model_files import file_sha256
from training import data as D
from training import onnx_head


class TeacherError(ValueError):
    """A teacher file that does not fit the training data it is used with."""


# Each label set a teacher can have: its name and the loader of its images and labels (train.py's
# for the same classes: `--label-source fer2013` and `ferplus`).
LABEL_SETS = {
    D.EMOTION_LABELS: ("FER-2013", D.load_fer),
    D.FERPLUS_LABELS: ("FER+", D.load_ferplus),
}


def label_set_name(labels: tuple[str, ...]) -> str:
    name = LABEL_SETS[labels][0] if labels in LABEL_SETS else str(list(labels))
    return f"{name} ({len(labels)} classes)"


def fingerprints(images: np.ndarray) -> np.ndarray:
    """(N, 2) int64 per image: its pixel sum and a position-weighted sum (cheap, order-aware)."""
    flat = images.reshape(len(images), -1).astype(np.int64)
    weights = np.arange(1, flat.shape[1] + 1, dtype=np.int64)
    return np.stack([flat.sum(1), flat @ weights], axis=1)


def load_members(models: list) -> tuple[list[OnnxHead], tuple[str, ...]]:
    """The exported heads and their common label set; raises TeacherError for a head of another
    task or of an unknown label set, or for heads of different label sets."""
    heads = [onnx_head.load(path) for path in models]
    for path, head in zip(models, heads):
        if head.spec.task != "emotion":
            raise TeacherError(f"{path}: an emotion head is needed, this one is {head.spec.task!r}")
    label_sets = {head.spec.labels for head in heads}
    if len(label_sets) > 1:
        raise TeacherError(
            "the members' label sets differ, so their probabilities cannot be averaged: "
            + "; ".join(f"{p}: {label_set_name(h.spec.labels)}" for p, h in zip(models, heads))
        )
    labels = label_sets.pop()
    if labels not in LABEL_SETS:
        raise TeacherError(
            f"{models[0]}: labels {list(labels)}; a teacher averages heads of one of "
            + ", ".join(label_set_name(known) for known in LABEL_SETS)
        )
    return heads, labels


def flip_averaged(head: OnnxHead, *image_sets: np.ndarray) -> list[np.ndarray]:
    """0.5 * (p(x) + p(flip x)) of one exported head for each set of images, through the
    inference preprocessing."""

    def probs(images):
        flipped = np.ascontiguousarray(images[:, :, ::-1])
        return 0.5 * (onnx_head.predict(head, images) + onnx_head.predict(head, flipped))

    return [probs(images) for images in image_sets]


def build(models: list, data_path=None) -> tuple[dict, dict]:
    """(arrays to save, report): the ensemble's probabilities on the training split of the
    members' label set and each member's and the ensemble's validation accuracy."""
    heads, labels = load_members(models)
    faces = LABEL_SETS[labels][1](
        data_path or D.default_data_path("emotion", D.default_repo_data_dir())
    )
    train, val = faces.subset(faces.split == 0), faces.subset(faces.split == 1)
    train_p, val_p = [], []
    report = {"label_set": label_set_name(labels), "models": [], "split": "PublicTest"}
    for path, head in zip(models, heads):
        on_train, on_val = flip_averaged(head, train.images, val.images)
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
        "labels": np.array(labels),
        "fingerprints": fingerprints(train.images),
        "report": np.array(json.dumps(report)),
    }
    return arrays, report


def load(path, train_images: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """The teacher's (N, C) probabilities for these training images (the first N of the file's
    training split, as `--limit` takes them) of a run that trains `labels`; raises TeacherError
    when the teacher's heads have other labels or it belongs to other images."""
    with np.load(path) as f:
        probs, expected = f["probs"], f["fingerprints"]
        # files written before the label set was recorded were made of FER-2013 heads only
        made_for = tuple(map(str, f["labels"])) if "labels" in f.files else D.EMOTION_LABELS
    if made_for != tuple(labels):
        raise TeacherError(
            f"{path}: a teacher of {label_set_name(made_for)} heads, but this run trains "
            f"{label_set_name(tuple(labels))}; build one from such heads with python -m "
            "training.teacher"
        )
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
    p.add_argument(
        "--model",
        action="append",
        required=True,
        help="an emotion .onnx (repeat; all of one label set)",
    )
    p.add_argument("--output", required=True, help="the .npz to write")
    p.add_argument(
        "--data-path",
        default=None,
        help="fer2013.npz, with FER+ votes for FER+ heads (default ../shared/data)",
    )
    args = p.parse_args(argv)
    arrays, report = build(args.model, args.data_path)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
