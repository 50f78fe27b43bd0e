"""The emotion head's soft training targets (`tasks.Emotion.train_targets`): first the labels' own
target, then a distillation teacher mixed into it.

- FER-2013 labels (7 classes): the one-hot label, mixed with the FER+ vote distribution by
  `--ferplus-alpha` (`data.soft_targets`).
- FER+ labels (8 classes, `--label-source ferplus`): the vote distribution or the one-hot majority
  (`--ferplus-target`); `--ferplus-alpha` is refused, as it mixes votes into FER-2013 labels.
- `--teacher-probs`: `(1 - a) * that target + a * teacher ** (1 / T)` renormalised
  (`teacher.distill_targets`), the teacher made of heads of the run's label set
  (`teacher.load` refuses one of the other set or of other images).
"""

from __future__ import annotations

import numpy as np

from training import data as D
from training import teacher


def label_targets(args, train: D.FaceArrays, labels: tuple[str, ...]) -> np.ndarray | None:
    """The target the labels give each training image, or None for the one-hot label."""
    if labels == D.FERPLUS_LABELS:
        if args.ferplus_alpha > 0:
            raise SystemExit(
                "--label-source ferplus: --ferplus-alpha mixes FER+ votes into FER-2013 labels; "
                "use --ferplus-target instead"
            )
        return train.extras["ferplus_dist"] if args.ferplus_target == "distribution" else None
    if args.ferplus_alpha <= 0:
        return None
    return D.soft_targets(train.labels, train.extras.get("ferplus_votes"), args.ferplus_alpha)


def train_targets(args, train: D.FaceArrays, labels: tuple[str, ...]) -> np.ndarray | None:
    """Soft targets over `labels` per training image, or None to train towards the labels."""
    targets = label_targets(args, train, labels)
    if not args.teacher_probs:
        return targets
    if targets is None:
        targets = np.eye(len(labels), dtype=np.float32)[train.labels]
    probs = teacher.load(args.teacher_probs, train.images, labels)
    return teacher.distill_targets(targets, probs, args.teacher_alpha, args.teacher_temperature)
