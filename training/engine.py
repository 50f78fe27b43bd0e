"""One training epoch and the scoring of a split, for any head: the task object (training.tasks)
hands in the loss (`criterion`) and the scores, so nothing here asks which head it trains.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from training import data as D


def native_bf16(device: str) -> bool:
    """Whether `device` computes bfloat16 in hardware, where autocast pays: on a CPU without
    avx512_bf16/amx_bf16 it is emulated and slower than fp32."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:  # not Linux: no cheap way to ask, stay with fp32
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: str) -> str:
    """--precision auto -> bf16 or fp32 for this device; an explicit choice is kept."""
    if precision != "auto":
        return precision
    return "bf16" if native_bf16(device) else "fp32"


class Split:
    """One split as uint8 pixel tensor (N,1,S,S) + targets, kept in memory."""

    def __init__(self, arrays: D.FaceArrays, size: int, targets: np.ndarray | None = None):
        self.pixels = torch.from_numpy(D.to_model_pixels(arrays.images, size)).unsqueeze(1)
        self.labels = torch.from_numpy(arrays.labels.astype(np.int64))
        self.targets = torch.from_numpy(targets) if targets is not None else None
        self.arrays = arrays

    def __len__(self):
        return len(self.labels)


def train_one_epoch(
    model,
    criterion,
    optimizer,
    split: Split,
    spec,
    args,
    epoch,
    augment,
    generator,
    scheduler_step=None,
    progress=True,
    ema=None,
):
    """One pass over the training split in batches drawn with `generator`; `criterion(logits,
    labels, targets)` gives the loss and the batch's summed `criterion.metric`; `ema` (an
    AveragedModel) is updated after each step. Returns the mean loss and metric."""
    model.train()
    n = len(split)
    perm = torch.randperm(n, generator=generator)
    device = next(model.parameters()).device
    metric = criterion.metric
    tot_loss, tot_metric, seen = 0.0, 0.0, 0
    nb = (n + args.batch_size - 1) // args.batch_size
    bar = tqdm(range(nb), desc=f"epoch {epoch}", disable=not progress, leave=False, file=sys.stdout)
    for b in bar:
        idx = perm[b * args.batch_size : (b + 1) * args.batch_size]
        if len(idx) < 2:  # BatchNorm needs more than one sample
            continue
        if augment is not None:
            x = augment(split.pixels[idx], generator, device)
        else:
            x = split.pixels[idx].to(device, torch.float32)
        x = D.normalize_tensor(x, spec)
        y = split.labels[idx].to(device)
        targets = split.targets[idx].to(device) if split.targets is not None else None
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss, batch_metric = criterion(model(x), y, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if ema is not None:
            ema.update_parameters(model)
        if scheduler_step is not None:
            scheduler_step()
        tot_loss += loss.item() * len(idx)
        tot_metric += batch_metric.item()
        seen += len(idx)
        if b % 20 == 0:
            bar.set_postfix(loss=f"{tot_loss / seen:.4f}", **{metric: f"{tot_metric / seen:.4f}"})
    return {"loss": tot_loss / max(seen, 1), metric: tot_metric / max(seen, 1)}


@torch.no_grad()
def predict_probs(model, pixels: torch.Tensor, spec, batch_size=512, flip=False) -> torch.Tensor:
    """Softmax outputs (on the CPU) of the model (on its device) for uint8 pixels (N,1,S,S)."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(pixels), batch_size):
        x = D.normalize_tensor(pixels[i : i + batch_size].to(device), spec)
        p = F.softmax(model(x), 1)
        if flip:
            p = (p + F.softmax(model(torch.flip(x, dims=[3])), 1)) / 2
        out.append(p.cpu())
    return torch.cat(out) if out else torch.zeros(0, len(spec.labels))


def score_split(model, split: Split, spec, task, args, flip=False) -> dict:
    """The task's scores of the model on one split (the per-epoch validation; --test-only)."""
    probs = predict_probs(model, split.pixels, spec, flip=flip)
    return task.score(probs, split.labels, spec, args)


def pooled(a: Split, b: Split, size: int) -> Split:
    """Both splits as one (the paper's emotion figure is on PublicTest+PrivateTest)."""
    x, y = a.arrays, b.arrays
    images, labels = np.concatenate([x.images, y.images]), np.concatenate([x.labels, y.labels])
    return Split(D.FaceArrays(images, labels, np.zeros(len(x) + len(y))), size)


def score_val_and_test(model, splits, spec, task, args, flip: bool) -> dict:
    """--test-only: the task's scores on each of its `test_only_splits`."""
    res = {}
    for name in task.test_only_splits:
        split = (
            pooled(splits["val"], splits["test"], spec.input_size)
            if name == "val+test"
            else splits[name]
        )
        res[name] = score_split(model, split, spec, task, args, flip=flip)
        print(task.describe(name, res[name]), flush=True)
    return res
