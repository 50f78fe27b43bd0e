"""Train the paper's mini-Xception (or the sequential baseline) for emotion, gender or age.

In the spirit of torchvision's classification reference script:

    PYTHONPATH=. python -m training.train --task emotion --epochs 60 --output-dir runs/emotion
    PYTHONPATH=. python -m training.train --task gender  --epochs 20 --output-dir runs/gender
    PYTHONPATH=. python -m training.train --task age --input-size 64 --epochs 20 --output-dir runs/age
    PYTHONPATH=. python -m training.train --task emotion --resume runs/emotion/checkpoint.pth
    PYTHONPATH=. python -m training.train --task emotion --resume runs/emotion/best.pth --test-only

Validation/early stopping: FER-2013 PublicTest (emotion), UTKFace val (gender, age). Test: FER-2013
PrivateTest (and PublicTest+PrivateTest, the split of the paper's 66 %), UTKFace test.
What differs between the heads (labels, loss, metric, which checkpoint is best) comes from the
task object of `--task` (training/tasks.py): the classifiers are selected by the highest
validation accuracy, the age head (training/age.py) by the lowest validation MAE (years).
Writes to --output-dir: checkpoint.pth (latest), best.pth (best validation accuracy / MAE),
log.csv, log.json, curves.png, spec.json.

Reading order: `main` -> `load_data` -> `fit` (per epoch: `engine.train_one_epoch`,
`engine.score_split` on the validation split, `run_files.write_epoch_outputs`); `--test-only` ->
`engine.score_val_and_test`. The command line is in train_args.py.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from pathlib import Path

import numpy as np
import torch

from face_analysis.core.preprocess import PreprocessSpec
from training import checkpoint
from training import data as D
from training.engine import (
    Split,
    resolve_precision,
    score_split,
    score_val_and_test,
    train_one_epoch,
)
from training.models import count_parameters
from training.perturb import PRINT_RANGES, TRAIN_RANGES, CameraAugment
from training.run_files import load_stage, write_epoch_outputs
from training.tasks import Task, get_task
from training.train_args import get_args_parser

SPLIT_IDS = {"train": 0, "val": 1, "test": 2}  # FER-2013 Training/PublicTest/PrivateTest; UTKFace


def make_spec(args, task: Task) -> PreprocessSpec:
    mx = args.crop_margin_x if args.crop_margin_x is not None else task.crop_margin
    my = args.crop_margin_y if args.crop_margin_y is not None else task.crop_margin
    return PreprocessSpec(
        task=args.task,
        labels=tuple(task.labels(args)),
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


def load_data(args, task: Task, input_size: int) -> tuple[dict[str, Split], str]:
    """The train/val/test splits of the task's data (the training split with its soft targets,
    if any) and the dataset path read."""
    path = args.data_path or D.default_data_path(args.task, D.default_repo_data_dir())
    arrays = task.load(args, path)
    splits = {}
    for name, sid in SPLIT_IDS.items():
        sub = arrays.subset(arrays.split == sid)
        if name == "train":
            sub = task.select_train(args, sub)
        if args.limit:
            sub = sub.subset(np.arange(len(sub)) < args.limit)
        targets = task.train_targets(args, sub) if name == "train" else None
        splits[name] = Split(sub, input_size, targets)
    return splits, str(path)


def batch_augment_from_args(args):
    """augment(uint8 CPU batch, generator, device) -> float batch on `device`: the old-print
    effects (`--print-augment`), then the camera effects (`--camera-augment`, on the uint8
    pixels as a camera makes them, also of a print held up to it), then the affine warp."""
    effects = [
        CameraAugment(prob, ranges)
        for prob, ranges in (
            (args.print_augment, PRINT_RANGES),
            (args.camera_augment, TRAIN_RANGES),
        )
        if prob > 0
    ]
    affine = D.BatchAugment(rotation=args.rotation, shift=args.shift, zoom=args.zoom, flip=True)

    def augment(x, generator, device):
        for effect in effects:
            x = effect(x, generator)
        return affine(x.to(device, torch.float32), generator)

    return augment


def build_scheduler(args, optimizer, steps_per_epoch):
    """(scheduler, per-step callable or None, per-epoch callable(validation gain) or None)."""
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


def make_ema(model, decay: float):
    """An AveragedModel holding the EMA of the weights and of the BatchNorm buffers (None: off)."""
    if decay <= 0:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def fit(model, task, spec, splits, data_path: str, stages: list, resumed: dict | None, args):
    """The epoch loop: train, validate, checkpoint and log every epoch, stop early on a plateau;
    the checkpoint with the task's best validation metric is best.pth. With --ema-decay the
    averaged weights are validated and saved as the checkpoint's 'model' (the trained weights as
    'train_model', for --resume)."""
    out = Path(args.output_dir)
    ema = make_ema(model, getattr(args, "ema_decay", 0.0))
    eval_model = ema.module if ema is not None else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = (len(splits["train"]) + args.batch_size - 1) // args.batch_size
    scheduler, step_fn, epoch_fn = build_scheduler(args, optimizer, steps)
    generator = torch.Generator().manual_seed(args.seed)  # batch order and augmentation
    criterion = task.criterion(args, next(model.parameters()).device)
    metric = task.metric
    best_key = f"best_{metric}"
    start_epoch, best, best_epoch, history, train_time = 0, task.worst, -1, [], 0.0
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
        best, best_epoch = resumed.get(best_key, task.worst), resumed.get("best_epoch", -1)
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
            criterion,
            optimizer,
            splits["train"],
            spec,
            args,
            epoch,
            augment,
            generator,
            scheduler_step=step_fn,
            progress=not args.no_progress,
            ema=ema,
        )
        va = score_split(eval_model, splits["val"], spec, task, args)
        dt = time.time() - t
        train_time += dt
        if epoch_fn is not None:  # ReduceLROnPlateau(mode="max")
            epoch_fn(task.gain(va[metric]))
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
        improved = task.better(va[metric], best)
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
    args.precision = resolve_precision(args.precision, args.device)
    Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    resumed = checkpoint.load(args.resume) if args.resume else None
    if resumed is not None and args.init_weights:
        raise SystemExit("--init-weights starts a new stage; it cannot be combined with --resume")
    task = get_task(args.task)
    spec = make_spec(args, task)
    if resumed is not None and args.test_only:
        # test a checkpoint with the preprocessing it was trained with
        spec = PreprocessSpec.from_metadata(resumed["spec"])
    if resumed is not None:
        task.keep_trained_outputs(args, resumed["args"])
    model = task.build_model(args.arch, task.num_outputs(args, spec)).to(args.device)
    print(
        f"{args.arch}: {count_parameters(model):,d} parameters; {args.precision}; spec {spec}",
        flush=True,
    )
    t0 = time.time()
    splits, data_path = load_data(args, task, spec.input_size)
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
        return score_val_and_test(model, splits, spec, task, args, args.eval_flip)
    return fit(model, task, spec, splits, data_path, stages, resumed, args)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
