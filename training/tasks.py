"""The task seam: one object per kind of head that training/ makes, so that no script asks which
head it handles (as in torchvision's reference scripts, whose `train_one_epoch(model, criterion,
...)` does not know what it trains).

- `Classification`: a softmax over classes, trained with cross-entropy (label smoothing, soft
  targets), selected by the highest validation accuracy, exported as `probs` (N, C). Its heads:
  `Emotion` (FER-2013's 7 classes, or FER+'s 8 with the vote distribution as target; FER+ soft
  targets for the 7, a distillation teacher for either) and `Gender` (UTKFace).
- `AgeBins`: regression over bins: a softmax over age-bin centres trained towards a Gaussian
  label distribution plus an L1 term on its expected value (training/age.py), selected by the
  lowest validation MAE, exported as `age` and `age_std` (N,) in years.

Each object answers what differs between heads for train.py (outputs, data, loss and metric,
validation scores, the checkpoint selection rule), export.py (the graph, its metadata, the parity
tolerance), evaluate.py (the report of an exported file), robustness.py (its score and units) and
model_card.py (its sections). `TASKS` maps `--task` and a spec's `task` to them: a new head is a
new object there, a new architecture a new entry of `models.ARCHITECTURES`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from face_analysis.core.preprocess import PreprocessSpec
from training import age as A
from training import classifiers as C
from training import data as D
from training import emotion_targets, onnx_head
from training.models import build_model


class ProbsModel(nn.Module):
    """logits model -> softmax probabilities; optionally averaged with the horizontally flipped input."""

    def __init__(self, model: nn.Module, flip: bool = False):
        super().__init__()
        self.model, self.flip = model, flip

    def forward(self, x):
        p = F.softmax(self.model(x), dim=1)
        if self.flip:
            p = 0.5 * (p + F.softmax(self.model(torch.flip(x, dims=[3])), dim=1))
        return p


class CrossEntropy:
    """The classifiers' loss: cross-entropy to the labels, or to the split's soft targets where it
    has them; its training metric, summed over the batch: the correct answers."""

    metric = "acc"

    def __init__(self, label_smoothing: float):
        self.label_smoothing = label_smoothing

    def __call__(self, logits, labels, targets=None):
        target = labels if targets is None else targets
        loss = F.cross_entropy(logits, target, label_smoothing=self.label_smoothing)
        return loss, (logits.argmax(1) == labels).sum()


class Task:
    """What differs between heads; the attributes and methods the subclasses give, by user:

    train.py: `labels`, `num_outputs`, `build_model`, `keep_trained_outputs`, `load`,
    `select_train`, `train_targets`, `crop_margin`; engine.py: `criterion`, `score`, `describe`,
    `test_only_splits`; selection: `metric`, `higher_is_better` (`worst`, `better`, `gain`);
    export.py: `inference_module`, `output_names`, `onnx_metadata`, `parity_tol`;
    evaluate.py: `report`; robustness.py: `test_arrays`, `truth`, `truth_name`, `robust_score`,
    `fmt`, `change`; model_card.py: `card_output`, `card_measured`, `selected_by`, `loss_terms`,
    `outputs_recipe`, `variant`, `curve_columns`.
    """

    name: str
    crop_margin: float  # detector-box margin per side for the metadata (training.measure_margins)
    output_kind: str  # what the network's outputs are, and their number with train.py's defaults
    default_outputs: int
    compact_head = False  # many outputs: the architecture's cheaper last conv
    metric: str  # the training and validation metric of the history ("acc", "mae")
    higher_is_better: bool  # the checkpoint with the best validation metric is kept
    metric_label: str  # the metric on the curves' axis
    test_only_splits: tuple[str, ...]  # what --test-only scores ("val+test": both together)
    output_names: tuple[str, ...]  # the ONNX graph's outputs
    parity_tol: float  # largest |PyTorch - onnxruntime| the export accepts
    score_name: str  # robustness: the score's name in the JSON, its caption and the change's unit
    score_caption: str
    change_unit: str
    measured: tuple[str, str]  # the card's word for what it measures, singular and plural
    image_sets: tuple[str, str, int]  # robustness: (test split, validation split, stored side px)
    low_res_goal: tuple[str, float, float] | None = None  # (perturbation, level, least score)
    curve_columns: tuple[tuple[str, str, str], ...]  # the card's curves table: (title, key, format)

    def build_model(self, arch: str, num_outputs: int) -> nn.Module:
        return build_model(arch, num_outputs, compact_head=self.compact_head)

    def num_outputs(self, args, spec: PreprocessSpec) -> int:
        return len(spec.labels)

    def keep_trained_outputs(self, args, trained_args: dict) -> None:
        """--resume: set in `args` what fixes the outputs of the checkpoint's network."""

    def load(self, args, path) -> D.FaceArrays:
        return D.load_task(self.name, path)

    def select_train(self, args, train: D.FaceArrays) -> D.FaceArrays:
        """The training images kept (all of them unless an option drops some)."""
        return train

    def train_targets(self, args, train: D.FaceArrays) -> np.ndarray | None:
        """Soft targets per training image, or None to train towards the labels."""
        return None

    @property
    def worst(self) -> float:
        return -1.0 if self.higher_is_better else float("inf")

    def better(self, value: float, best: float) -> bool:
        return value > best if self.higher_is_better else value < best

    def gain(self, value: float) -> float:
        """`value` as a score that grows as the head gets better (ReduceLROnPlateau(mode="max"))."""
        return value if self.higher_is_better else -value

    def onnx_metadata(self, train_args: dict | None) -> dict[str, str]:
        """Metadata beside `PreprocessSpec.to_metadata()`."""
        return {}

    def test_arrays(self, spec: PreprocessSpec, path) -> D.FaceArrays:
        """The images a head of `spec` is tested on, with what it is scored against as labels."""
        return D.load_task(self.name, path)

    def truth_name(self, spec: PreprocessSpec) -> str | None:
        """What the robustness table's scores are measured against, when the caption says it."""
        return None

    def outputs_recipe(self, a: dict) -> str:
        """The card's recipe after the optimiser's: how the outputs are trained."""
        return ""


class Classification(Task):
    """A softmax over `class_names`; the best checkpoint has the highest validation accuracy."""

    class_names: tuple[str, ...]
    output_kind = "classes"
    metric, higher_is_better, metric_label = "acc", True, "accuracy"
    test_only_splits = ("val", "test", "val+test")
    output_names = ("probs",)
    parity_tol = 1e-4
    score_name, score_caption, change_unit = "accuracy", "accuracy", "percentage points"
    measured = ("accuracy", "accuracies")
    curve_columns = (
        ("train loss", "train_loss", ".4f"),
        ("train acc", "train_acc", ".4f"),
        ("val loss", "val_loss", ".4f"),
        ("val acc", "val_acc", ".4f"),
    )

    @property
    def default_outputs(self) -> int:
        return len(self.class_names)

    def labels(self, args) -> tuple[str, ...]:
        return self.class_names

    def criterion(self, args, device) -> CrossEntropy:
        return CrossEntropy(args.label_smoothing)

    def score(self, probs: torch.Tensor, y: torch.Tensor, spec: PreprocessSpec, args) -> dict:
        """Loss, accuracy and per-class accuracy of softmax outputs `probs` for labels `y`."""
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

    def describe(self, name: str, r: dict) -> str:
        return f"{name}: acc {r['acc']:.4f} loss {r['loss']:.4f} n {r['n']} per class " + ", ".join(
            f"{k} {v:.3f}" for k, v in r["per_class"].items()
        )

    def inference_module(self, model: nn.Module, flip: bool, train_args=None) -> nn.Module:
        return ProbsModel(model, flip).eval()

    def truth(self, spec: PreprocessSpec, arrays: D.FaceArrays) -> np.ndarray:
        return np.asarray(spec.labels)[arrays.labels]

    def robust_score(self, head, images: np.ndarray, truth: np.ndarray) -> float:
        return C.named_accuracy(onnx_head.predict(head, images), head.spec.labels, truth)

    def fmt(self, value: float) -> str:
        return C.pct(value)

    def change(self, after: float, before: float) -> float:
        return (after - before) * 100

    def card_output(self, spec: PreprocessSpec) -> str:
        return f"`probs` float32 (N, {len(spec.labels)}) softmax, labels {list(spec.labels)}"

    def selected_by(self, ck: dict) -> str:
        return f"best validation accuracy {C.pct(ck['best_acc'])}"

    def loss_terms(self, a: dict) -> list[str]:
        return [f"label smoothing {a['label_smoothing']:g}"]

    def variant(self, r: dict) -> str:
        return C.variant_line(r)


class Emotion(Classification):
    name, class_names, crop_margin = "emotion", D.EMOTION_LABELS, 0.10
    image_sets = ("FER-2013 PrivateTest", "FER-2013 PublicTest", 48)
    low_res_goal = ("low_resolution", 20, 0.52)  # far faces: at least 52 % at 20 px

    @staticmethod
    def uses_ferplus(args) -> bool:
        return getattr(args, "label_source", "fer2013") == "ferplus"

    def labels(self, args) -> tuple[str, ...]:
        return D.FERPLUS_LABELS if self.uses_ferplus(args) else self.class_names

    def load(self, args, path) -> D.FaceArrays:
        return D.load_ferplus(path) if self.uses_ferplus(args) else super().load(args, path)

    def train_targets(self, args, train: D.FaceArrays) -> np.ndarray | None:
        """FER+ votes and/or a distillation teacher (training/emotion_targets.py)."""
        return emotion_targets.train_targets(args, train, self.labels(args))

    def report(self, head, data_path, out_dir, stem):
        return C.emotion_report(head, data_path, out_dir, stem)

    def test_arrays(self, spec: PreprocessSpec, path) -> D.FaceArrays:
        return C.emotion_test_data(spec, path)

    def truth_name(self, spec: PreprocessSpec) -> str:
        return C.emotion_truth(spec)

    def card_measured(self, ev: dict, spec: PreprocessSpec, stem: str) -> list[str]:
        return C.emotion_card_lines(ev, spec, stem)


class Gender(Classification):
    name, class_names, crop_margin = "gender", D.GENDER_LABELS, 0.12
    image_sets = ("UTKFace test split", "UTKFace val split", 64)

    def select_train(self, args, train: D.FaceArrays) -> D.FaceArrays:
        """`--drop-gender-conflict`: without the images whose near-duplicates have both genders."""
        if args.drop_gender_conflict and "gender_conflict" in train.extras:
            return train.subset(~train.extras["gender_conflict"].astype(bool))
        return train

    def report(self, head, data_path, out_dir, stem):
        return C.gender_report(head, data_path, out_dir, stem)

    def card_measured(self, ev: dict, spec: PreprocessSpec, stem: str) -> list[str]:
        return C.gender_card_lines(ev, spec, stem)


class AgeBins(Task):
    """Regression over age bins; the best checkpoint has the lowest validation MAE (years)."""

    # the gender images (UTKFace chips), hence the gender margin
    name, crop_margin = "age", 0.12
    output_kind, default_outputs = "age bins", len(A.bin_centres(A.DEFAULT_BINS))
    compact_head = True
    metric, higher_is_better, metric_label = "mae", False, "MAE (years)"
    test_only_splits = ("val", "test")
    output_names = A.AGE_OUTPUTS
    parity_tol = 1e-3  # years (the expected value sums 59 probabilities times centres up to 117)
    score_name, score_caption, change_unit = "mae", "MAE in years, lower is better", "MAE in years"
    measured = ("error", "errors")
    image_sets = ("UTKFace test split", "UTKFace val split", 64)
    curve_columns = (
        ("train loss", "train_loss", ".4f"),
        ("train MAE", "train_mae", ".3f"),
        ("val loss", "val_loss", ".4f"),
        ("val MAE", "val_mae", ".3f"),
        ("val mean age_std", "val_mean_std", ".2f"),
    )

    def labels(self, args) -> tuple[str, ...]:
        return A.AGE_OUTPUTS  # the spec's labels name the outputs

    def num_outputs(self, args, spec: PreprocessSpec) -> int:
        return len(A.bin_centres(args))

    def keep_trained_outputs(self, args, trained_args: dict) -> None:
        for key in A.DEFAULT_BINS:  # the bins the checkpoint was trained with
            setattr(args, key, trained_args[key])

    def train_targets(self, args, train: D.FaceArrays) -> np.ndarray | None:
        """With --age-balance: each image's loss weight (N, 1), the criterion's `targets`."""
        if not args.age_balance:
            return None
        return A.balance_weights(train.labels, args.age_balance)[:, None]

    def criterion(self, args, device) -> A.AgeLoss:
        centres = torch.from_numpy(A.bin_centres(args)).to(device)
        return A.AgeLoss(centres, args.age_sigma, args.age_l1_weight)

    def score(self, probs: torch.Tensor, y: torch.Tensor, spec: PreprocessSpec, args) -> dict:
        """Training loss, MAE (years) and mean predicted spread of bin distributions `probs`."""
        if not len(y):
            return {"loss": float("nan"), "mae": float("nan"), "mean_std": float("nan"), "n": 0}
        centres = torch.from_numpy(A.bin_centres(args))
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

    def describe(self, name: str, r: dict) -> str:
        return (
            f"{name}: MAE {r['mae']:.3f} years, mean spread {r['mean_std']:.2f}, "
            f"loss {r['loss']:.4f}, n {r['n']}"
        )

    def inference_module(self, model: nn.Module, flip: bool, train_args=None) -> nn.Module:
        if train_args is None:
            raise ValueError("an age model needs its training arguments (the bins)")
        return A.AgeModel(model, A.bin_centres(train_args), flip).eval()

    def onnx_metadata(self, train_args: dict | None) -> dict[str, str]:
        return A.onnx_metadata(A.bin_centres(train_args), train_args.get("age_sigma"))

    def report(self, head, data_path, out_dir, stem):
        return A.age_report(head, data_path, out_dir, stem)

    def truth(self, spec: PreprocessSpec, arrays: D.FaceArrays) -> np.ndarray:
        return arrays.labels.astype(np.float64)

    def robust_score(self, head, images: np.ndarray, truth: np.ndarray) -> float:
        pred, std = A.predict_ages(head, images)
        return A.mae_summary(pred, std, truth)["mae"]

    def fmt(self, value: float) -> str:
        return f"{value:.2f} years"

    def change(self, after: float, before: float) -> float:
        return after - before

    def card_output(self, spec: PreprocessSpec) -> str:
        return (
            "`age` float32 (N,) years (expected value of the age-bin distribution), `age_std` "
            "float32 (N,) years (its standard deviation); metadata `face_analysis.outputs`, "
            "`face_analysis.output_units`, `face_analysis.age_bin_centres`"
        )

    def card_measured(self, ev: dict, spec: PreprocessSpec, stem: str) -> list[str]:
        return A.age_card_lines(ev, stem)

    def selected_by(self, ck: dict) -> str:
        return f"best validation MAE {ck['best_mae']:.2f} years"

    def loss_terms(self, a: dict) -> list[str]:
        return []

    def outputs_recipe(self, a: dict) -> str:
        return A.age_recipe(a)

    def variant(self, r: dict) -> str:
        return f"test MAE {r['test']['mae']:.2f} years"


# `--task` names and a spec's `task`
TASKS: dict[str, Task] = {task.name: task for task in (Emotion(), Gender(), AgeBins())}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise ValueError(f"unknown task '{name}', choose from {list(TASKS)}")
    return TASKS[name]
