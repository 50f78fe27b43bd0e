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
"""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from face_analysis.core.preprocess import METADATA_PREFIX

AGE_OUTPUTS = ("age", "age_std")  # the ONNX output names; also the spec's `labels` for the age task
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


def age_loss(logits, ages, centres, sigma: float, l1_weight: float):
    """(loss, predicted ages): cross-entropy to the Gaussian label distribution + l1_weight * L1."""
    target = gaussian_targets(ages, centres, sigma)
    pred, _ = expectation(F.softmax(logits, 1), centres)
    loss = (
        F.cross_entropy(logits, target) + l1_weight * (pred - ages.to(torch.float32)).abs().mean()
    )
    return loss, pred


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
