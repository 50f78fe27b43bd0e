"""Write a model card (markdown) from measured artefacts only: the ONNX file, its training
checkpoint, and the JSON outputs of `training.evaluate`, `training.anchor_compare` and
`training.robustness`.

    PYTHONPATH=. python -m training.model_card --model models/emotion.onnx \
        --checkpoint runs/emotion/best.pth --eval-json runs/cards/emotion_eval.json \
        --anchor-json runs/cards/emotion_anchor.json --commands-file runs/cards/emotion_commands.txt \
        --robustness-json runs/cards/emotion_robustness.json \
        --section-file runs/cards/emotion_speed.md \
        --notes-file runs/cards/emotion_notes.md --output models/emotion.md

`--section-file` carries a hand-written section (e.g. "## Speed") into a regenerated card as-is,
after the variants; `--notes-file` is appended after the training curves.

Cards are committed, so they name paths relative to the repository root (runs/..., ../shared/data/...),
never a directory of the machine they were written on; `main` refuses a card that does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path

from face_analysis.core.model_files import file_sha256
from training import checkpoint, onnx_head
from training.classifiers import pct
from training.models import ARCHITECTURES
from training.robustness import comparison as robustness_comparison
from training.robustness import markdown as robustness_table
from training.run_files import load_stage, plot_curves
from training.tasks import get_task

REPO = Path(__file__).resolve().parents[1]


def machine_paths(text: str) -> list[str]:
    """Absolute paths in `text` under this machine's checkout parent, temp or home directory (ROS
    topic names such as /camera/image_raw also start with a slash and are fine)."""
    roots = {str(REPO.parent), tempfile.gettempdir(), str(Path.home())} - {"/"}
    found = re.findall(r"(?<![\w.~-])/[\w./-]+", text)
    return sorted({m for m in found if any(m == r or m.startswith(r + "/") for r in roots)})


def repo_relative(path) -> str:
    """`path` as seen from the repository root (the data sits beside it in ../shared); only the
    file name when it lies further away."""
    # Lexically (abspath, not resolve): ../shared may be a link to the data elsewhere.
    rel = Path(os.path.relpath(os.path.abspath(path), REPO))
    return rel.as_posix() if rel.parts[:2] != ("..", "..") else rel.name


def where_trained(a) -> str:
    device = a.get("device", "cpu")
    # runs from before --precision trained in fp32
    precision = "bf16 autocast" if a.get("precision") == "bf16" else "fp32"
    if device == "cpu":
        return (
            f"CPU, {a['threads']} thread(s) on a 2-core machine shared with other jobs, {precision}"
        )
    return f"`--device {device}` (one GPU), {a['threads']} CPU thread(s), {precision}"


def schedule(a) -> str:
    if a["lr_scheduler"] == "onecycle":
        return f"one-cycle schedule (peak lr {a['lr']:g} at 15 % of the steps)"
    return f"lr {a['lr']:g}, {a['lr_scheduler']} schedule ({a['lr_warmup_epochs']} warm-up epochs)"


def stage_recipe(stage) -> str:
    a, n = stage["args"], len(stage["history"])
    task = get_task(a["task"])
    extras = [
        *task.loss_terms(a),
        f"EMA of the weights (decay {a['ema_decay']:g})" if a.get("ema_decay") else "",
        f"FER+ soft-target weight {a['ferplus_alpha']:g}" if a.get("ferplus_alpha") else "",
        f"FER+ labels (8 classes), target the {a.get('ferplus_target')} of the ten votes"
        if a.get("label_source") == "ferplus"
        else "",
        f"distilled from the teacher `{Path(a['teacher_probs']).name}` (weight "
        f"{a['teacher_alpha']:g}, temperature {a['teacher_temperature']:g})"
        if a.get("teacher_probs")
        else "",
        f"camera effects with probability {a['camera_augment']:g} each"
        if a.get("camera_augment")
        else "",
        f"old-print effects with probability {a['print_augment']:g} each"
        if a.get("print_augment")
        else "",
        f"each image's loss weighted by its decade's share to the power -{a['age_balance']:g}"
        if a.get("age_balance")
        else "",
        "gender-conflict images dropped from training" if a.get("drop_gender_conflict") else "",
    ]
    return (
        f"{n} of {a['epochs']} planned epochs, seed {a['seed']}"
        + (
            ", from the weights of the previous stage (`--init-weights`)"
            if a.get("init_weights")
            else ""
        )
        + f"; AdamW, weight decay {a['weight_decay']:g}, batch {a['batch_size']}, {schedule(a)}"
        + "".join(f", {e}" for e in extras if e)
        + task.outputs_recipe(a)
    )


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--eval-json", required=True)
    p.add_argument(
        "--final-checkpoint", default=None, help="last checkpoint of the run (total epochs/time)"
    )
    p.add_argument("--anchor-json", default=None)
    p.add_argument("--commands-file", required=True)
    p.add_argument("--notes-file", default=None)
    p.add_argument(
        "--robustness-json",
        default=None,
        help="output of training.robustness: adds the 'Robustness to robot cameras' section",
    )
    p.add_argument(
        "--compare-robustness-json",
        default=None,
        help="training.robustness output of another model on the same images (e.g. the file "
        "this one replaces): a table of both under the robustness table",
    )
    p.add_argument(
        "--compare-name",
        default="previous file",
        help="what to call that model in the table's header",
    )
    p.add_argument(
        "--section-file",
        action="append",
        default=[],
        help="a hand-written markdown section (with its '## ' heading), copied as-is after the "
        "variants, before the training curves (repeatable, in the order given)",
    )
    p.add_argument(
        "--extra-json", default=None, help="optional {title: eval-json} of other variants"
    )
    p.add_argument("--curves-png", default=None, help="also plot the curves of all stages here")
    p.add_argument("--output", required=True)
    a = p.parse_args(argv)

    spec = onnx_head.load(a.model).spec
    task = get_task(spec.task)
    ck = checkpoint.load(a.checkpoint)
    ev = json.loads(Path(a.eval_json).read_text())["results"]
    args = ck["args"]
    stages, _, _ = load_stage(a.final_checkpoint or a.checkpoint)
    hist = [dict(h, stage=i + 1) for i, st in enumerate(stages) for h in st["history"]]
    total_time = sum(st["train_time_s"] for st in stages)
    earlier = stages[:-1]
    sel_epochs = sum(len(st["history"]) for st in earlier) + ck["epoch"] + 1
    sel_time = sum(st["train_time_s"] for st in earlier) + ck["train_time_s"]
    selected_by = task.selected_by(ck)
    if a.curves_png:
        plot_curves(
            [dict(h, epoch=i) for i, h in enumerate(hist)],
            a.curves_png,
            f"{spec.task} {args['arch']}" + (f" ({len(stages)} stages)" if earlier else ""),
            task,
        )
    model_path = Path(a.model)
    aug = (
        "none"
        if args["no_augment"]
        else (
            "rotation ±{:g}°, shift ±{:g}, zoom ±{:g}, horizontal flip (batched affine_grid/grid_sample)".format(
                args["rotation"], args["shift"], args["zoom"]
            )
            + (
                "; robot-camera effects of `training/perturb.py` (Gaussian and Poisson noise, "
                "JPEG 20-60, 16-32 px, motion blur, gamma), each with probability "
                f"{args['camera_augment']:g} per image, before the warp"
                if args.get("camera_augment")
                else ""
            )
            + (
                "; old-print effects of `training/perturb.py` (defocus, faded contrast, film "
                f"grain), each with probability {args['print_augment']:g} per image, before the "
                "camera's"
                if args.get("print_augment")
                else ""
            )
        )
    )
    L = [f"# Model card: `{model_path.name}` ({spec.task})", ""]
    L += [
        f"{ARCHITECTURES[args['arch']].title} (Arriaga, Plöger & Valdenegro 2017) trained from "
        "scratch in this repository "
        "(`training/`). All figures below were produced by the commands listed at the end; "
        + task.measured[1]
        + " are of the shipped ONNX file run with onnxruntime through the inference "
        "preprocessing (`face_analysis.core.preprocess`).",
        "",
    ]
    L += ["## Summary", "", "| item | value |", "|---|---|"]
    L += [
        f"| file | `models/{model_path.name}` |",
        f"| size | {model_path.stat().st_size:,d} bytes |",
        f"| sha256 | `{file_sha256(model_path)}` |",
        f"| architecture | {args['arch']}, {ck['num_params']:,d} trainable parameters "
        f"(+ BatchNorm running statistics) |",
        f"| input | `input` float32 (N, 1, {spec.input_size}, {spec.input_size}), gray, "
        f"x * {spec.pixel_scale:.8g} + ({spec.pixel_offset:g}) |",
        f"| output | {task.card_output(spec)} |",
        f"| crop margins (metadata) | x {spec.crop_margin_x:g}, y {spec.crop_margin_y:g} "
        "of the detector box per side |",
        f"| training data | `{Path(ck['data_path']).name}` ({repo_relative(ck['data_path'])}) |",
        f"| epochs run | {len(hist)}"
        + (
            f" in {len(stages)} stages (selected checkpoint: epoch {ck['epoch']} of stage {len(stages)}, "
            f"epoch {sel_epochs - 1} overall,"
            if earlier
            else f" (selected checkpoint: epoch {ck['epoch']}"
        )
        + f" by {selected_by}) |",
    ]
    L += [
        f"| {f'stage {i + 1}' if earlier else 'recipe'} | {stage_recipe(st)} |"
        for i, st in enumerate(stages)
    ]
    L += [
        f"| augmentation | {aug} |",
        f"| training time | {total_time / 60:.1f} min wall for all {len(hist)} epochs "
        f"({sel_time / 60:.1f} min up to the selected epoch); "
        + " / ".join(where_trained(st["args"]) for st in stages)
        + (" per stage" if earlier else "")
        + " |",
    ]
    L += ["", f"## Measured {task.measured[0]}", ""]
    L += task.card_measured(ev, spec, model_path.stem)
    if a.anchor_json:
        an = json.loads(Path(a.anchor_json).read_text())
        L += [
            "",
            "## Side by side with the paper's published weights",
            "",
            "Same images, same metric; the anchor is the paper's Keras HDF5 loaded by "
            "`training/anchor_compare.py` into a PyTorch re-implementation (64x64 input).",
            "",
            "| subset | N | paper anchor | this model |",
            "|---|---|---|---|",
        ]
        L += [
            f"| {k} | {v['n']} | {pct(v['anchor_acc'])} | {pct(v['ours_acc'])} |"
            for k, v in an.items()
        ]
    if a.robustness_json:
        rob = json.loads(Path(a.robustness_json).read_text())
        L += ["", "## Robustness to robot cameras", "", *robustness_table(rob)]
        if a.compare_robustness_json:
            other = json.loads(Path(a.compare_robustness_json).read_text())
            L += ["", *robustness_comparison(other, rob, a.compare_name)]
    if a.extra_json:
        extra = json.loads(Path(a.extra_json).read_text())
        L += ["", "## Variants measured (not shipped unless stated)", ""]
        for title, path in extra.items():
            r = json.loads(Path(path).read_text())["results"]
            L.append(f"- {title}: {task.variant(r)}")
    for section in a.section_file:  # e.g. the measured speed, which no JSON here records
        L += ["", Path(section).read_text().strip()]
    L += ["", "## Training curves", ""]
    columns = task.curve_columns
    L += [
        "| stage | epoch | lr | " + " | ".join(title for title, _, _ in columns) + " | s |",
        "|---|---|---|" + "---|" * len(columns) + "---|",
    ]
    L += [
        f"| {h['stage']} | {h['epoch']} | {h['lr']:.2e} | "
        + " | ".join(format(h[key], fmt) for _, key, fmt in columns)
        + f" | {h['epoch_time_s']} |"
        for h in hist
    ]
    if a.notes_file:
        L += ["", Path(a.notes_file).read_text().strip()]
    L += [
        "",
        "## Exact commands",
        "",
        "```bash",
        Path(a.commands_file).read_text().strip(),
        "```",
        "",
    ]
    text = "\n".join(L)
    if found := machine_paths(text):
        raise SystemExit(
            f"{a.output} not written: the card would name absolute paths {found}; write "
            "them relative to the repository root (e.g. runs/...) in the commands/notes files"
        )
    Path(a.output).write_text(text)
    print(f"wrote {a.output}")


if __name__ == "__main__":
    main()
