"""Train the paper's mini-Xception (or the sequential baseline) for emotion, gender or age.

In the spirit of torchvision's classification reference script:

    PYTHONPATH=. python -m training.train --task emotion --epochs 60 --output-dir runs/emotion
    PYTHONPATH=. python -m training.train --task gender  --epochs 20 --output-dir runs/gender
    PYTHONPATH=. python -m training.train --task age --input-size 64 --epochs 20 --output-dir runs/age
    PYTHONPATH=. python -m training.train --task emotion --resume runs/emotion/checkpoint.pth
    PYTHONPATH=. python -m training.train --task emotion --resume runs/emotion/best.pth --test-only

Validation/early stopping: FER-2013 PublicTest (emotion), UTKFace val (gender, age). Test: FER-2013
PrivateTest (and PublicTest+PrivateTest, the split of the paper's 66 %), UTKFace test.
Age (training/age.py) is a softmax over age bins trained towards a Gaussian label distribution
plus an L1 term on its expected value; it is selected by the lowest validation MAE (years) where
the classifiers are selected by the highest validation accuracy.
Writes to --output-dir: checkpoint.pth (latest), best.pth (best validation accuracy / MAE),
log.csv, log.json, curves.png, spec.json.

Reading order: `main` -> `load_data` -> `fit` (per epoch: `train_one_epoch`, `score_split` on the
validation split, `write_epoch_outputs`); `--test-only` -> `score_val_and_test`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from face_analysis.core.preprocess import PreprocessSpec
from training import age as A
from training import checkpoint, teacher
from training import data as D
from training.models import build_task_model, count_parameters
from training.perturb import CameraAugment

# the spec's labels: class names, or for age the names of the model's outputs
TASK_LABELS = {"emotion": D.EMOTION_LABELS, "gender": D.GENDER_LABELS, "age": A.AGE_OUTPUTS}
# (train, val, test) split ids per task
TASK_SPLITS = {"emotion": (0, 1, 2), "gender": (0, 1, 2), "age": (0, 1, 2)}
# How much a tight detector box (Haar/BlazeFace) must grow per side to match the training crops;
# median over training images measured by `python -m training.measure_margins` (Haar, 4x upscale).
# Age uses the gender images (UTKFace chips), hence the gender margin.
DEFAULT_CROP_MARGIN = {"emotion": 0.10, "gender": 0.12, "age": 0.12}


def is_age(args_or_task) -> bool:
    task = args_or_task if isinstance(args_or_task, str) else args_or_task.task
    return task == "age"


def selection_metric(task: str) -> tuple[str, bool]:
    """(validation metric that selects the checkpoint, whether higher is better)."""
    return ("mae", False) if is_age(task) else ("acc", True)


def num_outputs(args, spec: PreprocessSpec) -> int:
    """Units of the network's last conv: classes, or age bins."""
    return len(A.bin_centres(args)) if is_age(spec.task) else len(spec.labels)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="face_analysis emotion/gender/age training", add_help=add_help
    )
    p.add_argument("--task", choices=["emotion", "gender", "age"], required=True)
    p.add_argument(
        "--data-path",
        default=None,
        help="dataset file or folder (fer2013.npz|fer2013.csv / utkface_gray64.npz|image "
        "folder); default ../shared/data/<file> relative to the repository root",
    )
    p.add_argument("--arch", default="mini_xception", choices=["mini_xception", "sequential_fcn"])
    p.add_argument("--input-size", type=int, default=48)
    p.add_argument("--pixel-scale", type=float, default=2.0 / 255.0)
    p.add_argument("--pixel-offset", type=float, default=-1.0)
    p.add_argument(
        "--crop-margin-x",
        type=float,
        default=None,
        help="detector-box margin stored in the model metadata (default: 0.10 emotion, 0.12 "
        "gender, measured with training.measure_margins); does not affect training",
    )
    p.add_argument("--crop-margin-y", type=float, default=None)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument(
        "--weight-decay", type=float, default=1e-4, help="AdamW-style decoupled decay (0: Adam)"
    )
    p.add_argument(
        "--lr-scheduler", default="cosine", choices=["cosine", "onecycle", "plateau", "none"]
    )
    p.add_argument("--lr-warmup-epochs", type=int, default=1)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument(
        "--label-source",
        default="fer2013",
        choices=["fer2013", "ferplus"],
        help="emotion only: FER-2013's one label per image (7 classes), or FER+'s ten votes "
        "(8 classes with contempt; images whose majority is unknown, not a face or a tie left "
        "out; validation and test against the FER+ majority)",
    )
    p.add_argument(
        "--ferplus-target",
        default="distribution",
        choices=["distribution", "majority"],
        help="with --label-source ferplus: train towards the vote distribution (FER+'s best "
        "scheme) or the one-hot majority",
    )
    p.add_argument(
        "--ferplus-alpha",
        type=float,
        default=0.0,
        help="emotion only: target = (1-a)*one-hot(FER label) + a*FER+ vote distribution",
    )
    p.add_argument(
        "--teacher-probs",
        default="",
        help="emotion only: a teacher file of training.teacher (ensemble probabilities on the "
        "training images) for offline knowledge distillation",
    )
    p.add_argument(
        "--teacher-alpha",
        type=float,
        default=0.5,
        help="with --teacher-probs: target = (1-a)*label target + a*teacher",
    )
    p.add_argument(
        "--teacher-temperature",
        type=float,
        default=1.0,
        help="with --teacher-probs: the teacher's probabilities to the power 1/T, renormalised "
        "(T > 1 softens them)",
    )
    p.add_argument(
        "--patience", type=int, default=15, help="early stopping: epochs without val improvement"
    )
    p.add_argument(
        "--age-sigma",
        type=float,
        default=2.0,
        help="age only: width (years) of the Gaussian label distribution over the age bins",
    )
    p.add_argument(
        "--age-l1-weight",
        type=float,
        default=1.0,
        help="age only: weight of |expected age - label| (years) beside the distribution loss",
    )
    p.add_argument("--age-bin-min", type=float, default=1.0, help="age only: first bin centre")
    p.add_argument("--age-bin-max", type=float, default=117.0, help="age only: last bin centre")
    p.add_argument("--age-bin-width", type=float, default=2.0, help="age only: bin spacing")
    p.add_argument(
        "--ema-decay",
        type=float,
        default=0.0,
        help="keep an exponential moving average of the weights and BatchNorm statistics with "
        "this decay per step (e.g. 0.999); validation, checkpoints' 'model' and export use the "
        "average (0: off)",
    )
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--rotation", type=float, default=10.0)
    p.add_argument("--shift", type=float, default=0.1)
    p.add_argument("--zoom", type=float, default=0.1)
    p.add_argument(
        "--drop-gender-conflict",
        action="store_true",
        help="gender only: drop images whose near-duplicate group has both genders (train)",
    )
    p.add_argument(
        "--camera-augment",
        type=float,
        default=0.0,
        help="probability with which each robot-camera effect of training.perturb (sensor "
        "noise, JPEG 20-60, 16-32 px, motion blur, gamma) hits each training image (0: off)",
    )
    p.add_argument("--eval-flip", action="store_true", help="test-time horizontal-flip averaging")
    p.add_argument(
        "--limit",
        type=int,
        default=0,
        help="use only the first N images of each split (debug/tests)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--device",
        default="cpu",
        help="torch device for the network and the augmentation (cpu, cuda); data, random "
        "numbers and checkpoints stay on the CPU",
    )
    p.add_argument("--output-dir", default="runs/default")
    p.add_argument(
        "--resume", default="", help="checkpoint to resume from (or to test with --test-only)"
    )
    p.add_argument(
        "--init-weights",
        default="",
        help="start a new training stage from this checkpoint's model weights, with a fresh "
        "optimizer and LR schedule (a warm restart); the earlier stages are recorded in "
        "the new checkpoints",
    )
    p.add_argument("--test-only", action="store_true")
    p.add_argument("--no-progress", action="store_true", help="disable tqdm bars")
    p.add_argument("--no-plot", action="store_true")
    return p


def uses_ferplus(args) -> bool:
    return args.task == "emotion" and getattr(args, "label_source", "fer2013") == "ferplus"


def make_spec(args) -> PreprocessSpec:
    default = DEFAULT_CROP_MARGIN[args.task]
    mx = args.crop_margin_x if args.crop_margin_x is not None else default
    my = args.crop_margin_y if args.crop_margin_y is not None else default
    return PreprocessSpec(
        task=args.task,
        labels=tuple(D.FERPLUS_LABELS if uses_ferplus(args) else TASK_LABELS[args.task]),
        input_size=args.input_size,
        pixel_scale=args.pixel_scale,
        pixel_offset=args.pixel_offset,
        crop_margin_x=mx,
        crop_margin_y=my,
    )


def set_seed(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Split:
    """One split as uint8 pixel tensor (N,1,S,S) + targets, kept in memory."""

    def __init__(self, arrays: D.FaceArrays, size: int, targets: np.ndarray | None = None):
        self.pixels = torch.from_numpy(D.to_model_pixels(arrays.images, size)).unsqueeze(1)
        self.labels = torch.from_numpy(arrays.labels.astype(np.int64))
        self.targets = torch.from_numpy(targets) if targets is not None else None
        self.arrays = arrays

    def __len__(self):
        return len(self.labels)


def load_data(args, input_size: int) -> tuple[dict[str, Split], str]:
    """The train/val/test splits of args.task (see TASK_SPLITS) and the dataset path read."""
    path = args.data_path or D.default_data_path(args.task, D.default_repo_data_dir())
    arrays = D.load_ferplus(path) if uses_ferplus(args) else D.load_task(args.task, path)
    tr, va, te = TASK_SPLITS[args.task]
    splits = {}
    for name, sid in (("train", tr), ("val", va), ("test", te)):
        sub = arrays.subset(arrays.split == sid)
        if (
            name == "train"
            and args.task == "gender"
            and args.drop_gender_conflict
            and "gender_conflict" in sub.extras
        ):
            sub = sub.subset(~sub.extras["gender_conflict"].astype(bool))
        if args.limit:
            sub = sub.subset(np.arange(len(sub)) < args.limit)
        targets = None
        if name == "train" and args.task == "emotion":
            targets = train_targets(args, sub)
        splits[name] = Split(sub, input_size, targets)
    return splits, str(path)


def train_targets(args, train: D.FaceArrays) -> np.ndarray | None:
    """Soft emotion targets (FER+ votes and/or a distillation teacher), None for plain labels."""
    if uses_ferplus(args):
        if args.ferplus_alpha > 0 or args.teacher_probs:
            raise SystemExit(
                "--label-source ferplus: --ferplus-alpha/--teacher-probs mix into "
                "FER-2013 labels; use --ferplus-target instead"
            )
        return train.extras["ferplus_dist"] if args.ferplus_target == "distribution" else None
    if args.ferplus_alpha <= 0 and not args.teacher_probs:
        return None
    targets = D.soft_targets(train.labels, train.extras.get("ferplus_votes"), args.ferplus_alpha)
    if args.teacher_probs:
        probs = teacher.load(args.teacher_probs, train.images)
        targets = teacher.distill_targets(
            targets, probs, args.teacher_alpha, args.teacher_temperature
        )
    return targets


def batch_augment_from_args(args):
    """augment(uint8 CPU batch, generator, device) -> float batch on `device`: the camera effects
    (`--camera-augment`, on the uint8 pixels as a camera makes them), then the affine warp."""
    camera = CameraAugment(args.camera_augment) if args.camera_augment > 0 else None
    affine = D.BatchAugment(rotation=args.rotation, shift=args.shift, zoom=args.zoom, flip=True)

    def augment(x, generator, device):
        if camera is not None:
            x = camera(x, generator)
        return affine(x.to(device, torch.float32), generator)

    return augment


def build_scheduler(args, optimizer, steps_per_epoch):
    """Returns (scheduler, per_step_callable or None, per_epoch_callable(val_acc) or None)."""
    if args.lr_scheduler == "onecycle":
        s = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=args.lr,
            epochs=args.epochs,
            steps_per_epoch=steps_per_epoch,
            pct_start=0.15,
        )
        return s, s.step, None
    if args.lr_scheduler == "cosine":
        total = args.epochs * steps_per_epoch
        warm = args.lr_warmup_epochs * steps_per_epoch

        def f(step):
            if step < warm:
                return (step + 1) / warm
            return 0.5 * (1 + np.cos(np.pi * min(1.0, (step - warm) / max(1, total - warm))))

        s = torch.optim.lr_scheduler.LambdaLR(optimizer, f)
        return s, s.step, None
    if args.lr_scheduler == "plateau":  # the paper's ReduceLROnPlateau (factor 0.1, patience/4)
        s = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=0.1, patience=max(1, args.patience // 4)
        )
        return s, None, s.step
    s = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    return s, None, None


def train_one_epoch(
    model,
    optimizer,
    scheduler_step,
    split: Split,
    spec,
    args,
    epoch,
    augment,
    generator,
    progress=True,
    ema=None,
):
    """One pass over the training split; `ema` (an AveragedModel) is updated after each step."""
    model.train()
    n = len(split)
    perm = torch.randperm(n, generator=generator)
    age = is_age(spec.task)
    device = next(model.parameters()).device
    centres = torch.from_numpy(A.bin_centres(args)).to(device) if age else None
    tot_loss, tot_correct, tot_abs, seen = 0.0, 0, 0.0, 0
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
        logits = model(x)
        if age:
            loss, pred = A.age_loss(logits, y, centres, args.age_sigma, args.age_l1_weight)
        else:
            target = split.targets[idx].to(device) if split.targets is not None else y
            loss = F.cross_entropy(logits, target, label_smoothing=args.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if ema is not None:
            ema.update_parameters(model)
        if scheduler_step is not None:
            scheduler_step()
        tot_loss += loss.item() * len(idx)
        if age:
            tot_abs += (pred.detach() - y).abs().sum().item()
        else:
            tot_correct += (logits.argmax(1) == y).sum().item()
        seen += len(idx)
        if b % 20 == 0:
            metric = tot_abs if age else tot_correct
            bar.set_postfix(
                loss=f"{tot_loss / seen:.4f}", **{"mae" if age else "acc": f"{metric / seen:.4f}"}
            )
    if age:
        return {"loss": tot_loss / max(seen, 1), "mae": tot_abs / max(seen, 1)}
    return {"loss": tot_loss / max(seen, 1), "acc": tot_correct / max(seen, 1)}


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


def score_age_split(model, split: Split, spec, args, flip=False) -> dict:
    """Age: training loss, MAE (years) and mean predicted spread on one split."""
    centres = torch.from_numpy(A.bin_centres(args))
    probs = predict_probs(model, split.pixels, spec, flip=flip)
    y = split.labels
    if not len(y):
        return {"loss": float("nan"), "mae": float("nan"), "mean_std": float("nan"), "n": 0}
    pred, std = A.expectation(probs, centres)
    target = A.gaussian_targets(y, centres, args.age_sigma)
    ce = -(target * torch.log(probs.clamp_min(1e-12))).sum(1).mean()
    mae = (pred - y).abs().mean()
    return {
        "loss": (ce + args.age_l1_weight * mae).item(),
        "mae": mae.item(),
        "mean_std": std.mean().item(),
        "n": int(len(y)),
    }


def score_split(model, split: Split, spec, flip=False, args=None) -> dict:
    """Loss, accuracy and per-class accuracy on one split (the per-epoch validation; --test-only);
    for age (args needed) loss, MAE and mean spread (`score_age_split`)."""
    if is_age(spec.task):
        return score_age_split(model, split, spec, args, flip=flip)
    probs = predict_probs(model, split.pixels, spec, flip=flip)
    y = split.labels
    loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), y).item() if len(y) else float("nan")
    pred = probs.argmax(1)
    per_class = {}
    for c, name in enumerate(spec.labels):
        m = y == c
        per_class[name] = (pred[m] == c).float().mean().item() if m.any() else float("nan")
    return {
        "loss": loss,
        "acc": (pred == y).float().mean().item(),
        "per_class": per_class,
        "n": int(len(y)),
    }


def plot_curves(history, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    metric = "mae" if "val_mae" in history[0] else "acc"
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(ep, [h["train_loss"] for h in history], label="train")
    ax[0].plot(ep, [h["val_loss"] for h in history], label="val")
    ax[0].set_xlabel("epoch"), ax[0].set_ylabel("loss"), ax[0].legend(), ax[0].grid(alpha=0.3)
    ax[1].plot(ep, [h[f"train_{metric}"] for h in history], label="train")
    ax[1].plot(ep, [h[f"val_{metric}"] for h in history], label="val")
    ax[1].set_xlabel("epoch"), ax[1].set_ylabel("MAE (years)" if metric == "mae" else "accuracy")
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


def score_val_and_test(model, splits, spec, flip: bool, args=None) -> dict:
    """--test-only: scores on val, test and val+test (the split of the paper's emotion figure);
    age: MAE on val and test."""
    res = {}
    if is_age(spec.task):
        for name in ("val", "test"):
            r = res[name] = score_age_split(model, splits[name], spec, args, flip=flip)
            print(
                f"{name}: MAE {r['mae']:.3f} years, mean spread {r['mean_std']:.2f}, "
                f"loss {r['loss']:.4f}, n {r['n']}",
                flush=True,
            )
        return res
    for name in ("val", "test"):
        r = score_split(model, splits[name], spec, flip=flip)
        res[name] = r
        print(
            f"{name}: acc {r['acc']:.4f} loss {r['loss']:.4f} n {r['n']} per class "
            + ", ".join(f"{k} {v:.3f}" for k, v in r["per_class"].items()),
            flush=True,
        )
    val, test = splits["val"].arrays, splits["test"].arrays
    both = Split(
        D.FaceArrays(
            np.concatenate([val.images, test.images]),
            np.concatenate([val.labels, test.labels]),
            np.zeros(len(val) + len(test)),
        ),
        spec.input_size,
    )
    r = score_split(model, both, spec, flip=flip)
    print(f"val+test: acc {r['acc']:.4f} n {r['n']}", flush=True)
    res["val+test"] = r
    return res


def load_stage(path):
    """(stages, spec, weights) of a checkpoint: the stages it continues plus itself as the last."""
    ck = checkpoint.load(path)
    own = {
        "checkpoint": str(path),
        "epoch": ck["epoch"],
        "args": ck["args"],
        "history": ck["history"],
        "train_time_s": ck["train_time_s"],
        "best_acc": ck.get("best_acc"),
        "best_mae": ck.get("best_mae"),
        "best_epoch": ck["best_epoch"],
    }
    return ck.get("stages", []) + [own], PreprocessSpec.from_metadata(ck["spec"]), ck["model"]


def init_from_stage(model, path, spec) -> list:
    """--init-weights: loads the weights of an earlier stage; returns the stages recorded so far."""
    stages, src_spec, weights = load_stage(path)
    if src_spec.input_size != spec.input_size or tuple(src_spec.labels) != tuple(spec.labels):
        raise SystemExit(f"--init-weights {path}: trained for {src_spec}, not {spec}")
    model.load_state_dict(weights)
    print(
        f"initialised from {path} ({len(stages[-1]['history'])} epochs); new optimizer and schedule",
        flush=True,
    )
    return stages


def write_epoch_outputs(ckpt: dict, improved: bool, args, out: Path):
    checkpoint.save(ckpt, out / "checkpoint.pth")
    if improved:
        checkpoint.save(ckpt, out / "best.pth")
    write_logs(ckpt["history"], out)
    if not args.no_plot:
        plot_curves(ckpt["history"], out / "curves.png", f"{args.task} {args.arch}")


def make_ema(model, decay: float):
    """An AveragedModel holding the EMA of the weights and of the BatchNorm buffers (None: off)."""
    if decay <= 0:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def fit(model, spec, splits, data_path: str, stages: list, resumed: dict | None, args) -> dict:
    """The epoch loop: train, validate, checkpoint and log every epoch, stop early on a plateau.
    With --ema-decay the averaged weights are validated and saved as the checkpoint's 'model'
    (the trained weights as 'train_model', for --resume)."""
    out = Path(args.output_dir)
    ema = make_ema(model, getattr(args, "ema_decay", 0.0))
    eval_model = ema.module if ema is not None else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = (len(splits["train"]) + args.batch_size - 1) // args.batch_size
    scheduler, step_fn, epoch_fn = build_scheduler(args, optimizer, steps)
    generator = torch.Generator().manual_seed(args.seed)  # batch order and augmentation
    metric, higher = selection_metric(args.task)  # val acc (higher better) or val MAE (lower)
    best_key = f"best_{metric}"
    worst = -1.0 if higher else float("inf")
    start_epoch, best, best_epoch, history, train_time = 0, worst, -1, [], 0.0
    if resumed is not None:
        model.load_state_dict(resumed.get("train_model", resumed["model"]))
        if ema is not None:
            ema.module.load_state_dict(resumed["model"])
            ema.n_averaged.fill_(resumed.get("ema_n_averaged", 1))
        optimizer.load_state_dict(resumed["optimizer"])
        scheduler.load_state_dict(resumed["lr_scheduler"])
        if "rng" in resumed:
            generator.set_state(resumed["rng"])
        start_epoch = resumed["epoch"] + 1
        best, best_epoch = resumed.get(best_key, worst), resumed.get("best_epoch", -1)
        history = resumed.get("history", [])
        train_time = resumed.get("train_time_s", 0.0)
        stages = resumed.get("stages", [])
        print(f"resumed from {args.resume} at epoch {start_epoch}", flush=True)

    augment = None if args.no_augment else batch_augment_from_args(args)
    bad_epochs = 0 if best_epoch < 0 else (start_epoch - 1 - best_epoch)
    for epoch in range(start_epoch, args.epochs):
        t = time.time()
        tr = train_one_epoch(
            model,
            optimizer,
            step_fn,
            splits["train"],
            spec,
            args,
            epoch,
            augment,
            generator,
            progress=not args.no_progress,
            ema=ema,
        )
        va = score_split(eval_model, splits["val"], spec, args=args)
        dt = time.time() - t
        train_time += dt
        if epoch_fn is not None:  # ReduceLROnPlateau(mode="max"): val accuracy or minus val MAE
            epoch_fn(va[metric] if higher else -va[metric])
        rec = {
            "epoch": epoch,
            "lr": optimizer.param_groups[0]["lr"],
            "train_loss": tr["loss"],
            f"train_{metric}": tr[metric],
            "val_loss": va["loss"],
            f"val_{metric}": va[metric],
        }
        if "mean_std" in va:
            rec["val_mean_std"] = va["mean_std"]
        rec["epoch_time_s"] = round(dt, 1)
        history.append(rec)
        improved = va[metric] > best if higher else va[metric] < best
        if improved:
            best, best_epoch, bad_epochs = va[metric], epoch, 0
        else:
            bad_epochs += 1
        ckpt = {
            "model": eval_model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "lr_scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "args": vars(args),
            "spec": spec.to_metadata(),
            best_key: best,
            "best_epoch": best_epoch,
            "history": history,
            "train_time_s": train_time,
            "rng": generator.get_state(),
            "data_path": data_path,
            "num_params": count_parameters(model),
            "stages": stages,
        }
        if ema is not None:
            ckpt["train_model"] = model.state_dict()
            ckpt["ema_n_averaged"] = int(ema.n_averaged.item())
        write_epoch_outputs(ckpt, improved, args, out)
        print(
            f"{datetime.datetime.now(datetime.UTC):%H:%M:%S} epoch {epoch}: "
            f"train loss {tr['loss']:.4f} {metric} {tr[metric]:.4f} | val loss {va['loss']:.4f} "
            f"{metric} {va[metric]:.4f} | best {best:.4f}@{best_epoch} | lr {rec['lr']:.2e} | {dt:.0f}s",
            flush=True,
        )
        if bad_epochs >= args.patience:
            print(f"early stopping: no val improvement for {args.patience} epochs", flush=True)
            break
    with open(out / "spec.json", "w") as f:
        json.dump(spec.to_metadata(), f, indent=1)
    print(
        f"done: best val {metric} {best:.4f} at epoch {best_epoch}; training time {train_time:.0f}s",
        flush=True,
    )
    return {best_key: best, "best_epoch": best_epoch, "history": history}


def main(args):
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    resumed = checkpoint.load(args.resume) if args.resume else None
    if resumed is not None and args.init_weights:
        raise SystemExit("--init-weights starts a new stage; it cannot be combined with --resume")
    spec = make_spec(args)
    if (
        resumed is not None and args.test_only
    ):  # test a checkpoint with the preprocessing it was trained with
        spec = PreprocessSpec.from_metadata(resumed["spec"])
    if resumed is not None and is_age(args):  # the bins the checkpoint was trained with
        for key in ("age_bin_min", "age_bin_max", "age_bin_width"):
            setattr(args, key, resumed["args"][key])
    model = build_task_model(args.arch, spec.task, num_outputs(args, spec)).to(args.device)
    print(f"{args.arch}: {count_parameters(model):,d} parameters; spec {spec}", flush=True)
    t0 = time.time()
    splits, data_path = load_data(args, spec.input_size)
    print(
        f"data {data_path}: train {len(splits['train'])}, val {len(splits['val'])}, "
        f"test {len(splits['test'])} ({time.time() - t0:.1f}s)",
        flush=True,
    )
    # earlier training stages this run continues (--init-weights), oldest first
    stages = init_from_stage(model, args.init_weights, spec) if args.init_weights else []
    if args.test_only:
        if resumed is not None:
            model.load_state_dict(resumed["model"])
        return score_val_and_test(model, splits, spec, args.eval_flip, args)
    return fit(model, spec, splits, data_path, stages, resumed, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
