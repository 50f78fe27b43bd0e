"""train.py's command line (`python -m training.train --help`)."""

from __future__ import annotations

import argparse

from training import age as A
from training.models import ARCHITECTURES
from training.tasks import TASKS


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="face_analysis emotion/gender/age training", add_help=add_help
    )
    p.add_argument("--task", choices=list(TASKS), required=True)
    p.add_argument(
        "--data-path",
        default=None,
        help="dataset file or folder (fer2013.npz|fer2013.csv / utkface_gray64.npz|image "
        "folder); default ../shared/data/<file> relative to the repository root",
    )
    p.add_argument("--arch", default="mini_xception", choices=list(ARCHITECTURES))
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
    p.add_argument(
        "--age-balance",
        type=float,
        default=0.0,
        help="age only: weight each training image's loss by the share of its decade in the "
        "training split to the power -B (mean weight 1), so rare ages count more (0: off)",
    )
    bins = A.DEFAULT_BINS
    p.add_argument(
        "--age-bin-min", type=float, default=bins["age_bin_min"], help="age only: first bin centre"
    )
    p.add_argument(
        "--age-bin-max", type=float, default=bins["age_bin_max"], help="age only: last bin centre"
    )
    p.add_argument(
        "--age-bin-width", type=float, default=bins["age_bin_width"], help="age only: bin spacing"
    )
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
    p.add_argument(
        "--print-augment",
        type=float,
        default=0.0,
        help="probability with which each old-print effect of training.perturb (defocus, "
        "faded contrast, film grain) hits each training image (0: off)",
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
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "bf16", "fp32"],
        help="training arithmetic: bf16 autocast (forward and loss; weights, optimizer and "
        "validation stay fp32) or fp32; auto: bf16 where the device computes it natively (a CPU "
        "with avx512_bf16 or amx_bf16, a CUDA GPU that supports it), else fp32",
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
