"""Export a training checkpoint to ONNX (the file the inference side loads).

    PYTHONPATH=. python -m training.export --checkpoint runs/emotion/best.pth --output models/emotion.onnx

Contract: input `input` float32 (N, 1, S, S) (dynamic N), `metadata_props` =
`PreprocessSpec.to_metadata()` plus the task's own; the outputs are the task's (training.tasks):
a classifier's `probs` float32 (N, C) softmax probabilities (the softmax is in the graph), an age
head's `age` and `age_std`, float32 (N,) in years (expected value and standard deviation of the
bin distribution, computed in the graph; training/age.py), with the extra metadata of
`training.age.onnx_metadata` (output names and units, bin centres).
After writing, the export is checked against PyTorch on real dataset images through the same
preprocessing (max abs diff must be <= the task's `parity_tol`: 1e-4; for age 1e-3 years).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from face_analysis.core.model_files import file_sha256, record_model
from face_analysis.core.preprocess import PreprocessSpec, normalize
from training import checkpoint
from training import data as D
from training.models import count_parameters
from training.tasks import get_task


def load_checkpoint(path):
    ckpt = checkpoint.load(path)
    spec = PreprocessSpec.from_metadata(ckpt["spec"], source=str(path))
    task = get_task(spec.task)
    model = task.build_model(ckpt["args"]["arch"], task.num_outputs(ckpt["args"], spec))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, spec, ckpt


def export_onnx(
    model: nn.Module,
    spec: PreprocessSpec,
    output,
    flip: bool = False,
    train_args: dict | None = None,
    opset: int = 17,
) -> Path:
    """Write the graph of the spec's task (training.tasks: its outputs and metadata) to `output`;
    `train_args`: the training arguments (a checkpoint's 'args') where the task needs them (the
    age head's bins)."""
    import onnx

    task = get_task(spec.task)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    wrapper = task.inference_module(model, flip, train_args)
    names = list(task.output_names)
    dummy = torch.zeros(2, 1, spec.input_size, spec.input_size)
    tmp = output.with_suffix(".tmp.onnx")
    with (
        warnings.catch_warnings()
    ):  # the TorchScript exporter is deprecated but needs no onnxscript
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper,
            (dummy,),
            str(tmp),
            input_names=["input"],
            output_names=names,
            dynamic_axes={"input": {0: "N"}, **{name: {0: "N"} for name in names}},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    m = onnx.load(str(tmp))
    meta = dict(spec.to_metadata())
    meta.update(task.onnx_metadata(train_args))
    del m.metadata_props[:]
    for k, v in meta.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, str(v)
    m.producer_name = "face_analysis.training"
    onnx.checker.check_model(m)
    onnx.save(m, str(output))
    tmp.unlink()
    return output


def onnx_outputs(onnx_path, batch: np.ndarray) -> list[np.ndarray]:
    """All outputs of the model, in the graph's order."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": batch.astype(np.float32)})


def parity_check(
    model: nn.Module,
    onnx_path,
    spec: PreprocessSpec,
    gray_images: np.ndarray,
    flip: bool = False,
    train_args: dict | None = None,
) -> float:
    """Max |PyTorch - onnxruntime| over real images, both fed by the inference-side preprocessing
    (over every output: probabilities, or age and age_std in years)."""
    pixels = D.to_model_pixels(gray_images, spec.input_size)
    batch = normalize(pixels, spec)[:, None]
    module = get_task(spec.task).inference_module(model, flip, train_args)
    with torch.no_grad():
        ref = module(torch.from_numpy(batch))
    ref = [t.numpy() for t in (ref if isinstance(ref, tuple) else (ref,))]
    got = onnx_outputs(onnx_path, batch)
    return max(float(np.abs(r - g).max()) for r, g in zip(ref, got))


def get_args_parser():
    p = argparse.ArgumentParser(
        description="export a checkpoint to ONNX with preprocessing metadata"
    )
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--output", required=True)
    p.add_argument(
        "--data-path",
        default=None,
        help="dataset used for the parity check (default ../shared/data/<task file>)",
    )
    p.add_argument(
        "--flip-tta",
        action="store_true",
        help="bake test-time horizontal-flip averaging into the graph",
    )
    p.add_argument(
        "--crop-margin-x", type=float, default=None, help="override the checkpoint's margin"
    )
    p.add_argument("--crop-margin-y", type=float, default=None)
    p.add_argument(
        "--parity-n", type=int, default=512, help="test images used for the parity check"
    )
    return p


def main(args):
    torch.set_num_threads(1)
    model, spec, ckpt = load_checkpoint(args.checkpoint)
    changes = {}
    if args.crop_margin_x is not None:
        changes["crop_margin_x"] = args.crop_margin_x
    if args.crop_margin_y is not None:
        changes["crop_margin_y"] = args.crop_margin_y
    spec = dataclasses.replace(spec, **changes)
    train_args = ckpt["args"]
    out = export_onnx(model, spec, args.output, flip=args.flip_tta, train_args=train_args)
    path = args.data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    arrays = D.load_task(spec.task, path)
    test = arrays.subset(arrays.split == 2)
    n = min(args.parity_n, len(test))
    diff = parity_check(model, out, spec, test.images[:n], args.flip_tta, train_args)
    tol = get_task(spec.task).parity_tol
    print(f"wrote {out} ({out.stat().st_size:,d} bytes, sha256 {file_sha256(out)})")
    print(
        f"params {count_parameters(model):,d}; epoch {ckpt['epoch']} (best {ckpt.get('best_epoch')}); "
        f"flip_tta {args.flip_tta}; metadata {spec.to_metadata()}"
    )
    print(f"parity on {n} real test images: max abs diff {diff:.3e} (tolerance {tol:g})")
    if not diff <= tol:
        print("PARITY CHECK FAILED", file=sys.stderr)
        sys.exit(1)
    # A model written into models/ is what the package verifies at load: list its new sha256.
    manifest = record_model(
        out,
        f"this repository ({out.name}, written by training/export.py; model card {out.stem}.md)",
    )
    if manifest is not None:
        print(f"recorded its sha256 in {manifest}")
    return diff


if __name__ == "__main__":
    main(get_args_parser().parse_args())
