"""Score a shipped ONNX model on the test splits with onnxruntime, through the inference-side
preprocessing (train.py's `score_split` scores the PyTorch model during training instead).

    PYTHONPATH=. python -m training.evaluate --model models/emotion.onnx --out-dir models
    PYTHONPATH=. python -m training.evaluate --model models/gender.onnx --out-dir models
    PYTHONPATH=. python -m training.evaluate --task age --model models/age.onnx --out-dir models

Emotion (FER-2013): accuracy on PrivateTest, PublicTest and PublicTest+PrivateTest (the split the
paper's 66 % is quoted on; note PublicTest is also our validation split), per class, and row-normalised
confusion matrices as PNG (like the paper's Fig. 7); a model of the 8 FER+ classes is scored against
the FER+ majority of ten annotators instead, and `--ferplus-agreement` scores any emotion head on the
same 7-class FER+ majority (`ferplus_agreement`).
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

import numpy as np

from face_analysis.core.preprocess import PreprocessSpec, normalize
from training import age as A
from training import data as D


def load_onnx(path, threads: int = 1):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    spec = PreprocessSpec.from_metadata(meta, source=str(path))
    return sess, spec


def onnx_predict(
    sess, spec: PreprocessSpec, gray_images: np.ndarray, batch: int = 1024
) -> np.ndarray:
    """Probabilities for uint8 (N,H,W) face crops: resize_face -> normalize -> onnxruntime."""
    out = []
    for i in range(0, len(gray_images), batch):
        px = D.to_model_pixels(gray_images[i : i + batch], spec.input_size)
        out.append(sess.run(["probs"], {"input": normalize(px, spec)[:, None]})[0])
    return np.concatenate(out)


def onnx_age_predict(
    sess, spec: PreprocessSpec, gray_images: np.ndarray, batch: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """(age, age_std) in years for uint8 (N,H,W) face crops, through the inference preprocessing."""
    ages, stds = [], []
    for i in range(0, len(gray_images), batch):
        px = D.to_model_pixels(gray_images[i : i + batch], spec.input_size)
        age, std = sess.run(list(A.AGE_OUTPUTS), {"input": normalize(px, spec)[:, None]})
        ages.append(age), stds.append(std)
    if not ages:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return np.concatenate(ages), np.concatenate(stds)


def confusion(y, pred, n):
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (y, pred), 1)
    return cm


def summarize(y, probs, labels) -> dict:
    pred = probs.argmax(1)
    cm = confusion(y, pred, len(labels))
    per_class = {
        name: float(cm[c, c] / cm[c].sum()) if cm[c].sum() else float("nan")
        for c, name in enumerate(labels)
    }
    return {
        "n": int(len(y)),
        "acc": float((pred == y).mean()),
        "per_class": per_class,
        "confusion": cm.tolist(),
    }


def plot_confusion(cm, labels, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(cm, np.float64)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    size = 1.0 + 0.9 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted"), ax.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.2f}",
                ha="center",
                va="center",
                color="white" if norm[i, j] > 0.5 else "black",
                fontsize=9,
            )
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt_row(name, r):
    return f"| {name} | {r['n']} | {100 * r['acc']:.2f} % |"


EMOTION_SPLITS = (("PrivateTest", 2), ("PublicTest", 1), ("PublicTest+PrivateTest", None))


def split_mask(split: np.ndarray, sid) -> np.ndarray:
    return split >= 1 if sid is None else split == sid


def is_ferplus_model(spec: PreprocessSpec) -> bool:
    return set(spec.labels) == set(D.FERPLUS_LABELS)


def emotion_truth(spec: PreprocessSpec) -> str:
    """What an emotion model is scored against (see `emotion_test_data`)."""
    return "FER+ majority" if is_ferplus_model(spec) else "FER-2013 labels"


def emotion_test_data(spec: PreprocessSpec, data_path) -> D.FaceArrays:
    """The images and the labels an emotion model is scored against, as indices of its own label
    order: the FER+ majority for a model of the 8 FER+ classes, else FER-2013's label."""
    if not is_ferplus_model(spec):
        return D.load_fer(data_path)
    a = D.load_ferplus(data_path)
    index = np.array([spec.labels.index(name) for name in D.FERPLUS_LABELS])
    return D.FaceArrays(a.images, index[a.labels], a.split, a.extras)


def ferplus_agreement(pred_names: np.ndarray, votes: np.ndarray) -> dict:
    """How often a head's label is the FER+ majority of the ten annotators, over the images whose
    majority is one of FER-2013's 7 classes (no tie, not contempt, unknown or not-a-face), so
    7-class and 8-class heads are compared on the same images; a `contempt` answer is a miss."""
    majority = D.ferplus_majority(votes, len(D.EMOTION_LABELS))
    keep = majority >= 0
    true = np.asarray(D.FERPLUS_LABELS)[majority[keep]]
    hit = pred_names[keep] == true
    per_class = {c: float(hit[true == c].mean()) for c in D.EMOTION_LABELS if (true == c).any()}
    return {"n": int(keep.sum()), "acc": float(hit.mean()), "per_class": per_class}


def ferplus_agreement_report(sess, spec, data_path) -> tuple[dict, list[str]]:
    """`--ferplus-agreement`: the FER+ agreement of the model on each test split, and its table."""
    a = D.load_fer(data_path)
    if "ferplus_votes" not in a.extras:
        raise SystemExit(f"{data_path}: no 'ferplus_votes'; --ferplus-agreement needs them")
    a = a.subset(a.split >= 1)  # every test split's images, each predicted once
    names = np.asarray(spec.labels)[onnx_predict(sess, spec, a.images).argmax(1)]
    res = {}
    for name, sid in EMOTION_SPLITS:
        mask = split_mask(a.split, sid)
        res[name] = ferplus_agreement(names[mask], a.extras["ferplus_votes"][mask])
    lines = ["", "| split | N (7-class FER+ majority) | agreement with the FER+ majority |"]
    lines += ["|---|---|---|"] + [fmt_row(k, v) for k, v in res.items()]
    classes = list(res["PrivateTest"]["per_class"])
    lines += ["", "| FER+ majority (PrivateTest) | agreement |", "|---|---|"]
    lines += [f"| {c} | {100 * res['PrivateTest']['per_class'][c]:.1f} % |" for c in classes]
    return res, lines


def emotion_report(sess, spec, data_path, out_dir, stem):
    """Test splits (FER-2013 labels, or the FER+ majority for a FER+ model): (results, markdown
    table lines, confusion PNGs written)."""
    a, truth = emotion_test_data(spec, data_path), emotion_truth(spec)
    res = {}
    for name, sid in EMOTION_SPLITS:
        s = a.subset(split_mask(a.split, sid))
        res[name] = summarize(s.labels, onnx_predict(sess, spec, s.images), spec.labels)
    lines = [f"| split | N | accuracy ({truth}) |", "|---|---|---|"]
    lines += [fmt_row(k, v) for k, v in res.items()]
    lines += ["", "| class | " + " | ".join(res) + " |", "|---|" + "---|" * len(res)]
    for c in spec.labels:
        lines.append(
            f"| {c} | "
            + " | ".join(f"{100 * v['per_class'][c]:.1f} %" for v in res.values())
            + " |"
        )
    pngs = []
    if out_dir:
        for name, file in (
            ("PublicTest+PrivateTest", f"{stem}_confusion.png"),
            ("PrivateTest", f"{stem}_confusion_private.png"),
        ):
            p = Path(out_dir) / file
            plot_confusion(
                res[name]["confusion"],
                spec.labels,
                p,
                f"{stem}: {truth}, {name} (N={res[name]['n']}), acc {100 * res[name]['acc']:.2f} %",
            )
            pngs.append(str(p))
    return res, lines, pngs


def gender_report(sess, spec, data_path, out_dir, stem):
    """UTKFace test split, by age and race: (results, markdown table lines, confusion PNG written)."""
    a = D.load_utk(data_path)
    t = a.subset(a.split == 2)
    probs = onnx_predict(sess, spec, t.images)
    res = {"test": summarize(t.labels, probs, spec.labels)}
    if "age" in t.extras:
        m = t.extras["age"] >= 13
        res["test, age >= 13"] = summarize(t.labels[m], probs[m], spec.labels)
    if "gender_conflict" in t.extras:
        m = ~t.extras["gender_conflict"].astype(bool)
        res["test, no gender_conflict"] = summarize(t.labels[m], probs[m], spec.labels)
    race_rows = {}
    if "race" in t.extras:
        for r, rname in enumerate(D.RACE_NAMES):
            m = t.extras["race"] == r
            if m.any():
                race_rows[rname] = summarize(t.labels[m], probs[m], spec.labels)
        res["per_race"] = race_rows
    lines = ["| subset | N | accuracy |", "|---|---|---|"]
    lines += [fmt_row(k, v) for k, v in res.items() if k != "per_race"]
    lines += ["", "| class (test) | accuracy |", "|---|---|"]
    lines += [f"| {c} | {100 * v:.2f} % |" for c, v in res["test"]["per_class"].items()]
    if race_rows:
        lines += [
            "",
            "| race (test) | N | accuracy | male acc | female acc |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {v['n']} | {100 * v['acc']:.2f} % | {100 * v['per_class']['male']:.1f} % | "
            f"{100 * v['per_class']['female']:.1f} % |"
            for k, v in race_rows.items()
        ]
    pngs = []
    if out_dir:
        p = Path(out_dir) / f"{stem}_confusion.png"
        plot_confusion(
            res["test"]["confusion"],
            spec.labels,
            p,
            f"{stem}: UTKFace test (N={res['test']['n']}), acc {100 * res['test']['acc']:.2f} %",
        )
        pngs.append(str(p))
    return res, lines, pngs


def age_results(pred, std, true, race=None, gender=None) -> dict:
    """MAE etc. overall, per age group (A.AGE_GROUPS), per race and per gender."""
    res = {"test": A.mae_summary(pred, std, true)}
    res["per_age_group"] = A.group_summaries(
        pred, std, true, A.age_group_index(true), [g[0] for g in A.AGE_GROUPS]
    )
    if race is not None:
        res["per_race"] = A.group_summaries(pred, std, true, race, D.RACE_NAMES)
    if gender is not None:
        res["per_gender"] = A.group_summaries(pred, std, true, gender, D.GENDER_LABELS)
    return res


def age_table_lines(res) -> list[str]:
    head = [
        "| {} | N | MAE (years) | median abs. error | bias (pred - true) | mean age_std | "
        "error <= age_std | error <= 5 years |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def row(name, r):
        return (
            f"| {name} | {r['n']} | {r['mae']:.2f} | {r['median_ae']:.2f} | {r['bias']:+.2f} | "
            f"{r['mean_std']:.2f} | {100 * r['within_1std']:.1f} % | {100 * r['cs5']:.1f} % |"
        )

    lines = [head[0].format("subset (UTKFace test split)"), head[1], row("test", res["test"])]
    for key, title in (("per_age_group", "age"), ("per_race", "race"), ("per_gender", "gender")):
        if res.get(key):
            lines += ["", head[0].format(title), head[1]]
            lines += [row(k, v) for k, v in res[key].items()]
    return lines


def plot_age_errors(pred, true, path, title):
    """Predicted vs true age (left) and MAE per age group (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4.2))
    ax[0].scatter(true, pred, s=3, alpha=0.3)
    top = max(float(true.max()), float(pred.max())) + 2
    ax[0].plot([0, top], [0, top], "k--", lw=0.8)
    ax[0].set_xlabel("true age (years)"), ax[0].set_ylabel("predicted age (years)")
    ax[0].grid(alpha=0.3)
    groups = A.age_group_index(true)
    names = [g[0] for g in A.AGE_GROUPS]
    maes = [np.abs(pred - true)[groups == i].mean() if (groups == i).any() else 0 for i in range(9)]
    ax[1].bar(names, maes)
    for i, v in enumerate(maes):
        ax[1].text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    ax[1].set_xlabel("true age group"), ax[1].set_ylabel("MAE (years)"), ax[1].grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def age_report(sess, spec, data_path, out_dir, stem):
    """UTKFace test split: (results, markdown table lines, error-by-age PNG written)."""
    a = D.load_utk_age(data_path)
    t = a.subset(a.split == 2)
    pred, std = onnx_age_predict(sess, spec, t.images)
    true = t.labels.astype(np.float64)
    res = age_results(pred, std, true, t.extras.get("race"), t.extras.get("gender"))
    lines = age_table_lines(res)
    pngs = []
    if out_dir:
        p = Path(out_dir) / f"{stem}_error_by_age.png"
        plot_age_errors(
            pred,
            true,
            p,
            f"{stem}: UTKFace test (N={res['test']['n']}), MAE {res['test']['mae']:.2f} years",
        )
        pngs.append(str(p))
    return res, lines, pngs


REPORTS = {"emotion": emotion_report, "gender": gender_report, "age": age_report}


def get_args_parser():
    p = argparse.ArgumentParser(description="score an exported ONNX model on the test splits")
    p.add_argument("--model", required=True, help="ONNX file with face_analysis metadata")
    p.add_argument(
        "--task",
        choices=sorted(REPORTS),
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
    sess, spec = load_onnx(args.model, args.threads)
    if args.task is not None and args.task != spec.task:
        raise SystemExit(f"{args.model} is a '{spec.task}' model (metadata), not '{args.task}'")
    path = args.data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    stem = Path(args.model).stem
    report = REPORTS[spec.task]
    if args.out_dir:  # every report writes its plots there
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    res, lines, pngs = report(sess, spec, path, args.out_dir, stem)
    if args.ferplus_agreement:
        if spec.task != "emotion":
            raise SystemExit("--ferplus-agreement scores emotion models only")
        res["ferplus_agreement"], more = ferplus_agreement_report(sess, spec, path)
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
