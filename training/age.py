"""Age head: label-distribution learning over age bins (DLDL-v2 style), expected value and spread.

The network (the gender mini-Xception body, a 1x1 last conv to one logit per age bin) predicts a
softmax distribution p over bin centres c_k (default 1, 3, ..., 117 years). The age is its expected
value sum_k p_k c_k, the uncertainty its standard deviation sqrt(sum_k p_k (c_k - age)^2).

Training target (Gao et al. 2018, "Age estimation using expectation of label distribution
learning"): a Gaussian of width `sigma` years centred on the labelled age, discretised on the
bins; loss = cross-entropy to that distribution (KL up to a constant) + `l1_weight` * |age - label|.

The exported ONNX model computes age and spread in the graph: outputs `age` float32 (N,) and
`age_std` float32 (N,), both in years, so inference needs no constant from here; the bin centres
are also recorded in the metadata (`face_analysis.age_bin_centres`) for reference.

Evaluation (`age_report`, for training.evaluate): MAE in years overall, per age group, race and
gender, the predicted spread and how often the error lies within it, an error-by-age PNG, and the
model card's 'Measured error' section.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from face_analysis.core.preprocess import METADATA_PREFIX
from training import data as D
from training import onnx_head

AGE_OUTPUTS = ("age", "age_std")  # the ONNX output names; also the spec's `labels` for the age task
# train.py's default bins (`--age-bin-min/max/width`): centres 1, 3, ..., 117 years
DEFAULT_BINS = {"age_bin_min": 1.0, "age_bin_max": 117.0, "age_bin_width": 2.0}
# UTKFace age groups of the evaluation tables: (name, lowest age, highest age)
AGE_GROUPS = (
    ("0-2", 0, 2),
    ("3-12", 3, 12),
    ("13-19", 13, 19),
    ("20-29", 20, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-59", 50, 59),
    ("60-69", 60, 69),
    ("70+", 70, 10_000),
)


def bin_centres(args) -> np.ndarray:
    """float32 bin centres from the training arguments (a Namespace or the dict in a checkpoint)."""
    a = args if isinstance(args, dict) else vars(args)
    lo, hi, width = (float(a[k]) for k in ("age_bin_min", "age_bin_max", "age_bin_width"))
    if not (width > 0 and hi > lo):
        raise ValueError(f"age bins: need age_bin_max > age_bin_min and width > 0, got {a}")
    return np.arange(lo, hi + width / 2, width, dtype=np.float32)


def gaussian_targets(ages: torch.Tensor, centres: torch.Tensor, sigma: float) -> torch.Tensor:
    """(N, B) target distributions: a Gaussian of width sigma around each age, normalised over
    the bins (ages beyond the last centre pile up in the outer bins)."""
    d = (ages.to(torch.float32)[:, None] - centres[None, :]) / sigma
    return F.softmax(-0.5 * d * d, dim=1)


def expectation(probs: torch.Tensor, centres: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(age, std), each (N,), of bin distributions probs (N, B)."""
    age = probs @ centres
    var = (probs * (centres[None, :] - age[:, None]) ** 2).sum(1)
    return age, torch.sqrt(var.clamp_min(0))


def age_loss(logits, ages, centres, sigma: float, l1_weight: float, weights=None):
    """(loss, predicted ages): cross-entropy to the Gaussian label distribution + l1_weight * L1,
    each image's terms times its weight (`weights` (N,), None: 1)."""
    target = gaussian_targets(ages, centres, sigma)
    pred, _ = expectation(F.softmax(logits, 1), centres)
    per_image = (
        F.cross_entropy(logits, target, reduction="none")
        + l1_weight * (pred - ages.to(torch.float32)).abs()
    )
    if weights is not None:
        per_image = per_image * weights
    return per_image.mean(), pred


def balance_weights(ages: np.ndarray, power: float) -> np.ndarray:
    """Per-image weights (N,) float32: the share of the image's decade among `ages` to the power
    -`power`, scaled to a mean of 1 (`--age-balance`; 0 gives 1 everywhere)."""
    decade = np.minimum(np.asarray(ages) // 10, 9).astype(int)  # 90+ together
    share = np.bincount(decade, minlength=10) / len(decade)
    weights = share[decade] ** -power
    return (weights / weights.mean()).astype(np.float32)


class AgeLoss:
    """`age_loss` as train.py's criterion; its training metric, summed over the batch: the
    absolute errors of the expected age in years."""

    metric = "mae"

    def __init__(self, centres: torch.Tensor, sigma: float, l1_weight: float):
        self.centres, self.sigma, self.l1_weight = centres, sigma, l1_weight

    def __call__(self, logits, ages, targets=None):
        """targets: the images' loss weights (N, 1) of `balance_weights`, or None."""
        weights = None if targets is None else targets[:, 0]
        loss, pred = age_loss(logits, ages, self.centres, self.sigma, self.l1_weight, weights)
        return loss, (pred.detach() - ages).abs().sum()


class AgeModel(nn.Module):
    """logits model -> (age, age_std) in years; optionally averaging the bin distribution with
    that of the horizontally flipped input (test-time augmentation in the graph)."""

    def __init__(self, model: nn.Module, centres, flip: bool = False):
        super().__init__()
        self.model, self.flip = model, flip
        self.register_buffer("centres", torch.as_tensor(np.asarray(centres), dtype=torch.float32))

    def forward(self, x):
        p = F.softmax(self.model(x), dim=1)
        if self.flip:
            p = 0.5 * (p + F.softmax(self.model(torch.flip(x, dims=[3])), dim=1))
        return expectation(p, self.centres)


def onnx_metadata(centres, sigma: float | None = None) -> dict[str, str]:
    """Extra ONNX metadata of an age model (beside `PreprocessSpec.to_metadata()`)."""
    meta = {
        METADATA_PREFIX + "outputs": json.dumps(list(AGE_OUTPUTS)),
        METADATA_PREFIX + "output_units": json.dumps(["years", "years"]),
        METADATA_PREFIX + "age_formulation": json.dumps(
            "softmax over age bins; age = expected value, age_std = standard deviation"
        ),
        METADATA_PREFIX + "age_bin_centres": json.dumps([float(c) for c in centres]),
    }
    if sigma is not None:
        meta[METADATA_PREFIX + "age_label_sigma"] = json.dumps(float(sigma))
    return meta


# ------------------------------------------------------------------------------- evaluation (numpy)
def mae_summary(pred: np.ndarray, std: np.ndarray, true: np.ndarray) -> dict:
    """MAE, RMSE, mean predicted spread and how often the error lies within 1 and 2 spreads."""
    err = np.abs(pred.astype(np.float64) - true.astype(np.float64))
    n = int(len(true))
    if n == 0:
        return {"n": 0, "mae": float("nan")}
    return {
        "n": n,
        "mae": float(err.mean()),
        "rmse": float(np.sqrt((err**2).mean())),
        "median_ae": float(np.median(err)),
        "bias": float((pred - true).mean()),
        "mean_std": float(std.mean()),
        "within_1std": float((err <= std).mean()),
        "within_2std": float((err <= 2 * std).mean()),
        "cs5": float((err <= 5).mean()),  # cumulative score: share with error <= 5 years
        # does a larger spread go with a larger error? (rank correlation; nan for n < 3)
        "spread_error_spearman": rank_correlation(std, err) if n >= 3 else float("nan"),
    }


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties broken by order; enough for continuous values)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def group_summaries(pred, std, true, groups: np.ndarray, names) -> dict:
    """{name: mae_summary} per group value (names[i] for group value i), groups absent skipped."""
    out = {}
    for i, name in enumerate(names):
        m = groups == i
        if m.any():
            out[name] = mae_summary(pred[m], std[m], true[m])
    return out


def age_group_index(ages: np.ndarray) -> np.ndarray:
    idx = np.full(len(ages), -1, np.int64)
    for i, (_, lo, hi) in enumerate(AGE_GROUPS):
        idx[(ages >= lo) & (ages <= hi)] = i
    return idx


def age_results(pred, std, true, race=None, gender=None) -> dict:
    """MAE etc. overall, per age group (AGE_GROUPS), per race and per gender."""
    res = {"test": mae_summary(pred, std, true)}
    res["per_age_group"] = group_summaries(
        pred, std, true, age_group_index(true), [g[0] for g in AGE_GROUPS]
    )
    if race is not None:
        res["per_race"] = group_summaries(pred, std, true, race, D.RACE_NAMES)
    if gender is not None:
        res["per_gender"] = group_summaries(pred, std, true, gender, D.GENDER_LABELS)
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
    groups = age_group_index(true)
    names = [g[0] for g in AGE_GROUPS]
    maes = [np.abs(pred - true)[groups == i].mean() if (groups == i).any() else 0 for i in range(9)]
    ax[1].bar(names, maes)
    for i, v in enumerate(maes):
        ax[1].text(i, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
    ax[1].set_xlabel("true age group"), ax[1].set_ylabel("MAE (years)"), ax[1].grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def predict_ages(head, gray_images) -> tuple[np.ndarray, np.ndarray]:
    """(age, age_std) in years of an exported age head for uint8 (N, H, W) face crops."""
    out = onnx_head.predict(head, gray_images)
    return np.ascontiguousarray(out[:, 0]), np.ascontiguousarray(out[:, 1])


def age_report(head, data_path, out_dir, stem):
    """UTKFace test split: (results, markdown table lines, error-by-age PNG written)."""
    a = D.load_utk_age(data_path)
    t = a.subset(a.split == 2)
    pred, std = predict_ages(head, t.images)
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


def age_card_lines(ev: dict, stem: str) -> list[str]:
    """The model card's 'Measured error' section from the evaluation's results."""
    return age_table_lines(ev) + [
        "",
        "MAE: mean |predicted - labelled age| in years; bias: mean (predicted - labelled); "
        "error <= age_std: share of faces whose error lies within the predicted spread "
        "(a calibration check); error <= 5 years: the cumulative score CS(5).",
        "",
        f"Error by age: `{stem}_error_by_age.png`; training curves: `{stem}_curves.png`.",
    ]


def age_recipe(a) -> str:
    """The model card's words for the bins, target and loss of training arguments `a`."""
    c = bin_centres(a)
    return (
        f"; softmax over {len(c)} age bins (centres {c[0]:g}, {c[1]:g}, ..., {c[-1]:g} years), "
        f"target a Gaussian label distribution of sigma {a['age_sigma']:g} years, loss "
        f"cross-entropy + {a['age_l1_weight']:g} x |expected age - label|"
    )
