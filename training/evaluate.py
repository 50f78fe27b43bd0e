"""Score a shipped ONNX model on the test splits, loaded and run as the package runs it
(training.onnx_head: core's OnnxHead, the inference preprocessing); train.py's `--test-only`
scores the PyTorch model instead.

    PYTHONPATH=. python -m training.evaluate --model models/emotion.onnx --out-dir models
    PYTHONPATH=. python -m training.evaluate --model models/gender.onnx --out-dir models
    PYTHONPATH=. python -m training.evaluate --task age --model models/age.onnx --out-dir models

The report is the task's (training.tasks, from the task in the model's metadata):
Emotion (FER-2013): accuracy on PrivateTest, PublicTest and PublicTest+PrivateTest (the split the
paper's 66 % is quoted on; note PublicTest is also our validation split), per class, and row-normalised
confusion matrices as PNG (like the paper's Fig. 7); a model of the 8 FER+ classes is scored against
the FER+ majority of ten annotators instead, and `--ferplus-agreement` scores any emotion head on the
same 7-class FER+ majority (`classifiers.ferplus_agreement`).
Gender (UTKFace): accuracy on the test split, on ages >= 13, without gender-conflict images, per
race (table) and per class, and the confusion matrix PNG.
Age (UTKFace): MAE in years on the test split, overall and per age group, race and gender, the
predicted spread (age_std) and how often the error lies within it, and an error-by-age PNG.
The preprocessing (input size, normalisation) is read from the model's metadata, i.e. what ships.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training import classifiers, onnx_head
from training import data as D
from training.tasks import TASKS, get_task


def get_args_parser():
    p = argparse.ArgumentParser(description="score an exported ONNX model on the test splits")
    p.add_argument("--model", required=True, help="ONNX file with face_analysis metadata")
    p.add_argument(
        "--task",
        choices=sorted(TASKS),
        default=None,
        help="check that the model is for this task (default: the task in its metadata)",
    )
    p.add_argument(
        "--data-path",
        default=None,
        help="dataset (default ../shared/data/fer2013.npz or utkface_gray64.npz)",
    )
    p.add_argument(
        "--out-dir", default=None, help="where to write confusion-matrix / error-by-age PNGs"
    )
    p.add_argument(
        "--ferplus-agreement",
        action="store_true",
        help="emotion: also how often the label is the FER+ majority of ten annotators, on the "
        "images whose majority is one of FER-2013's 7 classes (any emotion head; contempt = miss)",
    )
    p.add_argument("--json", default=None, help="write all results as JSON here")
    p.add_argument("--threads", type=int, default=1)
    return p


def main(args):
    head = onnx_head.load(args.model, args.threads)
    spec = head.spec
    if args.task is not None and args.task != spec.task:
        raise SystemExit(f"{args.model} is a '{spec.task}' model (metadata), not '{args.task}'")
    path = args.data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    stem = Path(args.model).stem
    if args.out_dir:  # every report writes its plots there
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    res, lines, pngs = get_task(spec.task).report(head, path, args.out_dir, stem)
    if args.ferplus_agreement:
        if spec.task != "emotion":
            raise SystemExit("--ferplus-agreement scores emotion models only")
        res["ferplus_agreement"], more = classifiers.ferplus_agreement_report(head, path)
        lines += more
    print(f"model {args.model}; task {spec.task}; input {spec.input_size}; data {path}")
    print("\n".join(lines))
    for p in pngs:
        print(f"wrote {p}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"model": str(args.model), "data": str(path), "results": res}, indent=1)
        )
    return res


if __name__ == "__main__":
    main(get_args_parser().parse_args())
