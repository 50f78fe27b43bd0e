"""What a training run writes to its --output-dir every epoch (checkpoint.pth, best.pth, log.csv,
log.json, curves.png) and reads back from a checkpoint: the stages of training it records.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from face_analysis.core.preprocess import PreprocessSpec
from training import checkpoint
from training.tasks import TASKS, get_task

# the checkpoint's best validation figure, one key per selection metric ("best_acc", "best_mae")
BEST_KEYS = tuple(dict.fromkeys(f"best_{task.metric}" for task in TASKS.values()))


def plot_curves(history, path, title, task):
    """Loss (left) and the task's metric (right) per epoch, train and validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    metric = task.metric
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(ep, [h["train_loss"] for h in history], label="train")
    ax[0].plot(ep, [h["val_loss"] for h in history], label="val")
    ax[0].set_xlabel("epoch"), ax[0].set_ylabel("loss"), ax[0].legend(), ax[0].grid(alpha=0.3)
    ax[1].plot(ep, [h[f"train_{metric}"] for h in history], label="train")
    ax[1].plot(ep, [h[f"val_{metric}"] for h in history], label="val")
    ax[1].set_xlabel("epoch"), ax[1].set_ylabel(task.metric_label)
    ax[1].legend(), ax[1].grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_logs(history, out: Path):
    with open(out / "log.json", "w") as f:
        json.dump(history, f, indent=1)
    if history:
        keys = list(history[0].keys())
        with open(out / "log.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(history)


def write_epoch_outputs(ckpt: dict, improved: bool, args, out: Path):
    checkpoint.save(ckpt, out / "checkpoint.pth")
    if improved:
        checkpoint.save(ckpt, out / "best.pth")
    write_logs(ckpt["history"], out)
    if not args.no_plot:
        plot_curves(
            ckpt["history"], out / "curves.png", f"{args.task} {args.arch}", get_task(args.task)
        )


def load_stage(path):
    """(stages, spec, weights) of a checkpoint: the stages it continues plus itself as the last."""
    ck = checkpoint.load(path)
    own = {
        "checkpoint": str(path),
        "epoch": ck["epoch"],
        "args": ck["args"],
        "history": ck["history"],
        "train_time_s": ck["train_time_s"],
        **{key: ck.get(key) for key in BEST_KEYS},
        "best_epoch": ck["best_epoch"],
    }
    return ck.get("stages", []) + [own], PreprocessSpec.from_metadata(ck["spec"]), ck["model"]
