"""The classification heads' evaluation (emotion on FER-2013 or FER+, gender on UTKFace): accuracy
tables, confusion matrices, the agreement with FER+'s annotators, and the model card's
'Measured accuracy' section written from those results. `training.tasks` hands them to
evaluate.py and model_card.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from face_analysis.core.preprocess import PreprocessSpec
from training import data as D
from training import onnx_head

# (name, FER-2013 usage id; None: both test usages) in the order of the tables
EMOTION_SPLITS = (("PrivateTest", 2), ("PublicTest", 1), ("PublicTest+PrivateTest", None))


def pct(v) -> str:
    return f"{100 * v:.2f} %"


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


def named_accuracy(probs: np.ndarray, labels, truth: np.ndarray) -> float:
    """Share of images whose most likely label (by name) is the true one, so heads with other
    label sets or orders are scored alike."""
    return float((np.asarray(labels)[probs.argmax(1)] == truth).mean())


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


def split_mask(split: np.ndarray, sid) -> np.ndarray:
    return split >= 1 if sid is None else split == sid


# ------------------------------------------------------------------------------ emotion (FER-2013)
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


def variant_line(r: dict) -> str:
    """A variant's line on a classifier's card: its accuracy on each split, then its agreement
    with the FER+ majority on each where `evaluate --ferplus-agreement` measured it (a report of
    its own, without an overall accuracy, as is the per-race one, which the line leaves out)."""
    parts = [f"{k} {pct(v['acc'])}" for k, v in r.items() if "acc" in v]
    agreement = r.get("ferplus_agreement", {})
    return "; ".join(parts + [f"FER+ agreement {k} {pct(v['acc'])}" for k, v in agreement.items()])


def ferplus_agreement_report(head, data_path) -> tuple[dict, list[str]]:
    """`--ferplus-agreement`: the FER+ agreement of the model on each test split, and its table."""
    a = D.load_fer(data_path)
    if "ferplus_votes" not in a.extras:
        raise SystemExit(f"{data_path}: no 'ferplus_votes'; --ferplus-agreement needs them")
    a = a.subset(a.split >= 1)  # every test split's images, each predicted once
    names = np.asarray(head.spec.labels)[onnx_head.predict(head, a.images).argmax(1)]
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


def emotion_report(head, data_path, out_dir, stem):
    """Test splits (FER-2013 labels, or the FER+ majority for a FER+ model): (results, markdown
    table lines, confusion PNGs written)."""
    spec = head.spec
    a, truth = emotion_test_data(spec, data_path), emotion_truth(spec)
    res = {}
    for name, sid in EMOTION_SPLITS:
        s = a.subset(split_mask(a.split, sid))
        res[name] = summarize(s.labels, onnx_head.predict(head, s.images), spec.labels)
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


def emotion_card_lines(ev: dict, spec: PreprocessSpec, stem: str) -> list[str]:
    """The model card's 'Measured accuracy' section of an emotion head from its evaluation."""
    L = [f"| split | N | accuracy ({emotion_truth(spec)}) |", "|---|---|---|"]
    L += [f"| FER-2013 {k} | {ev[k]['n']} | {pct(ev[k]['acc'])} |" for k, _ in EMOTION_SPLITS]
    L += [
        "",
        "PublicTest is the validation split used for checkpoint selection/early stopping, so "
        "PrivateTest is the clean held-out number; PublicTest+PrivateTest is the split the "
        "paper's 66 % is quoted on.",
        "",
    ]
    if is_ferplus_model(spec):
        L += [
            "The FER+ majority: the one emotion with the most of the ten FER+ annotators' "
            "votes (Barsoum et al. 2016); images whose majority is unknown, not a face or a "
            "tie are left out, as in FER+'s protocol.",
            "",
        ]
    if "ferplus_agreement" in ev:
        agree = ev["ferplus_agreement"]
        L += [
            "Agreement with people (`training.evaluate --ferplus-agreement`): how often the "
            "label is the FER+ majority, on the images whose majority is one of FER-2013's 7 "
            "classes, the same images for every emotion head (a contempt answer is a miss).",
            "",
            "| split | N | agreement with the FER+ majority |",
            "|---|---|---|",
        ]
        L += [
            f"| FER-2013 {k} | {agree[k]['n']} | {pct(agree[k]['acc'])} |"
            for k, _ in EMOTION_SPLITS
        ]
        L += [""]
    L += ["| class | PrivateTest | PublicTest+PrivateTest |", "|---|---|---|"]
    for c in spec.labels:
        L.append(
            f"| {c} | {pct(ev['PrivateTest']['per_class'][c])} | "
            f"{pct(ev['PublicTest+PrivateTest']['per_class'][c])} |"
        )
    return L + [
        "",
        f"Confusion matrices (row-normalised): `{stem}_confusion.png` "
        f"(PublicTest+PrivateTest), `{stem}_confusion_private.png` (PrivateTest); "
        f"training curves: `{stem}_curves.png`.",
    ]


# -------------------------------------------------------------------------------- gender (UTKFace)
def gender_report(head, data_path, out_dir, stem):
    """UTKFace test split, by age and race: (results, markdown table lines, confusion PNG written)."""
    spec = head.spec
    a = D.load_utk(data_path)
    t = a.subset(a.split == 2)
    probs = onnx_head.predict(head, t.images)
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


def gender_card_lines(ev: dict, spec: PreprocessSpec, stem: str) -> list[str]:
    """The model card's 'Measured accuracy' section of a gender head from its evaluation."""
    L = ["| subset (UTKFace test split) | N | accuracy |", "|---|---|---|"]
    L += [f"| {k} | {v['n']} | {pct(v['acc'])} |" for k, v in ev.items() if k != "per_race"]
    L += ["", "| class | accuracy |", "|---|---|"]
    L += [f"| {c} | {pct(v)} |" for c, v in ev["test"]["per_class"].items()]
    L += ["", "| race | N | accuracy | male | female |", "|---|---|---|---|---|"]
    L += [
        f"| {k} | {v['n']} | {pct(v['acc'])} | {pct(v['per_class']['male'])} | "
        f"{pct(v['per_class']['female'])} |"
        for k, v in ev["per_race"].items()
    ]
    return L + [
        "",
        f"Confusion matrix (row-normalised): `{stem}_confusion.png`; "
        f"training curves: `{stem}_curves.png`.",
    ]
