"""Datasets for training/evaluation, and batched augmentation.

Loaders return a `FaceArrays` (uint8 images at their native size, integer labels, a split array and
optional extras). `to_model_pixels` brings them to the model input size with
`face_analysis.core.preprocess.resize_face`, the same function inference uses, and `normalize_tensor`
applies the spec's `x * pixel_scale + pixel_offset`, so training tensors equal inference tensors.

Supported formats
* FER-2013: `fer2013.npz` (shared/data) or the original Kaggle `fer2013.csv` (emotion,pixels,Usage).
* UTKFace: `utkface_gray64.npz` (shared/data) or a folder of UTKFace-named images
  `[age]_[gender]_[race]_[datetime].jpg[.chip.jpg]`.
Bad input raises `DatasetError` naming the file/row and the reason.
"""

from __future__ import annotations

import csv
import math
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from face_analysis.core.preprocess import PreprocessSpec, resize_face

EMOTION_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
GENDER_LABELS = ("male", "female")
RACE_NAMES = ("white", "black", "asian", "indian", "others")
FER_USAGES = ("Training", "PublicTest", "PrivateTest")
# FER+ vote columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
# -> FER-2013 class index (contempt/unknown/NF dropped)
FERPLUS_TO_FER = {0: 6, 1: 3, 2: 5, 3: 4, 4: 0, 5: 1, 6: 2}
# The FER+ head's classes: FER+'s first eight vote columns, in their order, named as the FER-2013
# head names the seven they share (so captions and REP-155 mapping treat both heads alike).
FERPLUS_LABELS = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")


class DatasetError(ValueError):
    """A dataset file, row or image that cannot be loaded; the message says where and why."""


@dataclass
class FaceArrays:
    images: np.ndarray  # uint8 (N, H, W)
    labels: np.ndarray  # int64 (N,)
    split: np.ndarray  # int (N,): FER 0 Training/1 Public/2 Private; UTK 0 train/1 val/2 test
    extras: dict = field(default_factory=dict)

    def subset(self, mask: np.ndarray) -> FaceArrays:
        return FaceArrays(
            self.images[mask],
            self.labels[mask],
            self.split[mask],
            {k: v[mask] for k, v in self.extras.items()},
        )

    def __len__(self) -> int:
        return len(self.labels)


def _check_file(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: file not found")
    if not path.is_file():
        raise DatasetError(f"{path}: not a regular file")
    return path


def _load_npz(path, required) -> dict:
    path = _check_file(path)
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zlib.error, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable .npz archive ({exc})") from exc
    missing = [k for k in required if k not in arrays]
    if missing:
        raise DatasetError(f"{path}: missing array(s) {missing}; found {sorted(arrays)}")
    n = len(arrays[required[0]])
    for k in required:
        if len(arrays[k]) != n:
            raise DatasetError(f"{path}: array '{k}' has {len(arrays[k])} rows, expected {n}")
    return arrays


def _check_labels(labels: np.ndarray, n_classes: int, path, what: str):
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if len(bad):
        raise DatasetError(
            f"{path}: row {bad[0]}: unknown {what} label {labels[bad[0]]} "
            f"(expected 0..{n_classes - 1}; {len(bad)} bad row(s))"
        )


def _checked_images(images: np.ndarray, path) -> np.ndarray:
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DatasetError(
            f"{path}: 'images' must be uint8 (N,H,W), got {images.dtype} {images.shape}"
        )
    return images


# ----------------------------------------------------------------------------------------- FER-2013
def load_fer_npz(path) -> FaceArrays:
    a = _load_npz(path, ["images", "labels", "usage"])
    images = _checked_images(a["images"], path)
    labels = a["labels"].astype(np.int64)
    _check_labels(labels, len(EMOTION_LABELS), path, "emotion")
    usage = a["usage"].astype(np.int64)
    _check_labels(usage, 3, path, "usage")
    extras = {}
    if "ferplus_votes" in a:
        extras["ferplus_votes"] = a["ferplus_votes"]
    return FaceArrays(images, labels, usage, extras)


def ferplus_majority(votes: np.ndarray, classes: int = len(FERPLUS_LABELS)) -> np.ndarray:
    """Index of the FER+ majority (the one column with the most of the ten votes) per image, or -1
    where there is no vote, a tie, or the majority is not one of the first `classes` columns
    (8: the FER+ emotions, unknown and not-a-face left out; 7: also contempt, FER-2013's classes)."""
    votes = votes.astype(np.int64)
    top = votes.max(1)
    unique = (votes == top[:, None]).sum(1) == 1
    arg = votes.argmax(1)
    return np.where((top > 0) & unique & (arg < classes), arg, -1)


def load_ferplus(path) -> FaceArrays:
    """FER-2013's images with FER+ labels (Barsoum et al. 2016): label = the FER+ majority over the
    8 emotions (`FERPLUS_LABELS`), extras["ferplus_dist"] = the vote distribution over them; images
    without such a majority are left out, as in FER+'s protocol."""
    fer = load_fer(path)
    if "ferplus_votes" not in fer.extras:
        raise DatasetError(f"{path}: no 'ferplus_votes' array; FER+ labels need the FER+ votes")
    votes = fer.extras["ferplus_votes"]
    majority = ferplus_majority(votes)
    keep = majority >= 0
    emotions = votes[:, : len(FERPLUS_LABELS)].astype(np.float32)
    dist = emotions / np.maximum(emotions.sum(1, keepdims=True), 1)
    extras = dict(fer.extras, ferplus_dist=dist, fer_label=fer.labels)
    return FaceArrays(fer.images, majority.astype(np.int64), fer.split, extras).subset(keep)


def load_fer_csv(path) -> FaceArrays:
    """The original Kaggle `fer2013.csv`: header `emotion,pixels,Usage`, 48*48 space-separated pixels."""
    path = _check_file(path)
    images, labels, usage = [], [], []
    with open(path, newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise DatasetError(f"{path}: empty file") from None
        header = [h.strip() for h in header]
        cols = {}
        for name in ("emotion", "pixels", "Usage"):
            if name not in header:
                raise DatasetError(
                    f"{path}: header {header} lacks column '{name}' (expected emotion,pixels,Usage)"
                )
            cols[name] = header.index(name)
        for row_no, row in enumerate(reader, start=2):  # line number in the file (header is line 1)
            if not row:
                continue
            where = f"{path}: line {row_no}"
            if len(row) != len(header):
                raise DatasetError(f"{where}: {len(row)} fields, expected {len(header)}")
            try:
                label = int(row[cols["emotion"]])
            except ValueError:
                raise DatasetError(
                    f"{where}: emotion '{row[cols['emotion']]}' is not an integer"
                ) from None
            if not 0 <= label < len(EMOTION_LABELS):
                raise DatasetError(f"{where}: unknown emotion label {label} (expected 0..6)")
            use = row[cols["Usage"]].strip()
            if use not in FER_USAGES:
                raise DatasetError(f"{where}: unknown Usage '{use}' (expected one of {FER_USAGES})")
            try:
                px = np.array(row[cols["pixels"]].split(), dtype=np.int64)
            except ValueError:
                raise DatasetError(f"{where}: pixels contain a non-integer value") from None
            if px.size != 48 * 48:
                raise DatasetError(f"{where}: {px.size} pixels, expected 2304 (48x48)")
            if px.min() < 0 or px.max() > 255:
                raise DatasetError(f"{where}: pixel values outside 0..255")
            images.append(px.astype(np.uint8).reshape(48, 48))
            labels.append(label)
            usage.append(FER_USAGES.index(use))
    if not images:
        raise DatasetError(f"{path}: no data rows")
    return FaceArrays(np.stack(images), np.array(labels, np.int64), np.array(usage, np.int64))


def load_fer(path) -> FaceArrays:
    path = Path(path)
    if path.is_dir():
        for name in ("fer2013.npz", "fer2013.csv"):
            if (path / name).exists():
                return load_fer(path / name)
        raise DatasetError(f"{path}: no fer2013.npz or fer2013.csv in this folder")
    if path.suffix == ".csv":
        return load_fer_csv(path)
    return load_fer_npz(path)


# ------------------------------------------------------------------------------------------ UTKFace
def parse_utk_name(name: str) -> tuple[int, int, int]:
    """(age, gender, race) from `[age]_[gender]_[race]_[datetime].jpg...`; race -1 if absent."""
    stem = name.split(".")[0]
    parts = stem.split("_")
    if len(parts) < 2:
        raise DatasetError(f"{name}: file name does not follow [age]_[gender]_[race]_[datetime]")
    try:
        age, gender = int(parts[0]), int(parts[1])
    except ValueError:
        raise DatasetError(f"{name}: age/gender fields are not integers") from None
    if gender not in (0, 1):
        raise DatasetError(f"{name}: unknown gender label {gender} (expected 0 male, 1 female)")
    if not 0 < age < 130:
        raise DatasetError(f"{name}: implausible age {age}")
    race = -1
    if len(parts) >= 4:  # race field present only when there is also a datetime field
        try:
            race = int(parts[2])
        except ValueError:
            raise DatasetError(f"{name}: race field '{parts[2]}' is not an integer") from None
        if not 0 <= race < len(RACE_NAMES):
            raise DatasetError(f"{name}: unknown race label {race} (expected 0..4)")
    return age, gender, race


def load_utk_npz(path) -> FaceArrays:
    a = _load_npz(path, ["images", "gender", "split"])
    images = _checked_images(a["images"], path)
    labels = a["gender"].astype(np.int64)
    _check_labels(labels, 2, path, "gender")
    split = a["split"].astype(np.int64)
    _check_labels(split, 3, path, "split")
    extras = {k: a[k] for k in ("age", "race", "gender_conflict", "dup_group") if k in a}
    return FaceArrays(images, labels, split, extras)


def _hash_split(name: str, val_frac=0.1, test_frac=0.1) -> int:
    u = (zlib.crc32(name.encode()) & 0xFFFFFFFF) / 2**32
    return 2 if u < test_frac else 1 if u < test_frac + val_frac else 0


def load_utk_folder(folder, size: int = 64) -> FaceArrays:
    """A folder of UTKFace images. Images are read as gray, resized to size x size with
    `resize_face`; the split is a deterministic hash of the file name (80/10/10)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: folder not found")
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )
    if not files:
        raise DatasetError(f"{folder}: no .jpg/.png images")
    images, gender, age, race, split = [], [], [], [], []
    for p in files:
        a, g, r = parse_utk_name(p.name)
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise DatasetError(f"{p}: cannot be decoded as an image")
        images.append(resize_face(img, size))
        gender.append(g), age.append(a), race.append(r), split.append(_hash_split(p.name))
    return FaceArrays(
        np.stack(images),
        np.array(gender, np.int64),
        np.array(split, np.int64),
        {
            "age": np.array(age),
            "race": np.array(race),
            "source_name": np.array([p.name for p in files]),
        },
    )


def load_utk(path) -> FaceArrays:
    path = Path(path)
    if path.is_dir():
        if (path / "utkface_gray64.npz").exists():
            return load_utk_npz(path / "utkface_gray64.npz")
        return load_utk_folder(path)
    return load_utk_npz(path)


def load_utk_age(path) -> FaceArrays:
    """UTKFace with the age in years as `labels` (the gender moves to extras['gender'])."""
    a = load_utk(path)
    if "age" not in a.extras:
        raise DatasetError(f"{path}: no 'age' array; the age task needs UTKFace ages")
    ages = a.extras["age"].astype(np.int64)
    bad = np.flatnonzero((ages < 0) | (ages > 130))
    if len(bad):
        raise DatasetError(f"{path}: row {bad[0]}: implausible age {ages[bad[0]]}")
    extras = dict(a.extras, gender=a.labels)
    return FaceArrays(a.images, ages, a.split, extras)


def default_data_path(task: str, data_dir) -> Path:
    name = {"emotion": "fer2013.npz", "gender": "utkface_gray64.npz", "age": "utkface_gray64.npz"}[
        task
    ]
    return Path(data_dir) / name


def load_task(task: str, path) -> FaceArrays:
    if task == "emotion":
        return load_fer(path)
    if task == "gender":
        return load_utk(path)
    if task == "age":
        return load_utk_age(path)
    raise ValueError(f"unknown task '{task}'")


def default_repo_data_dir() -> Path:
    """`../shared/data` relative to the repository root."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


# --------------------------------------------------------------------------------- pixels/tensors
def to_model_pixels(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 (N,H,W) -> uint8 (N,size,size) through the inference-side `resize_face`."""
    if images.shape[1:] == (size, size):
        return np.ascontiguousarray(images)
    return np.stack([resize_face(img, size) for img in images])


def normalize_tensor(pixels, spec: PreprocessSpec):
    """uint8/float tensor of 0..255 pixels -> float32 model values; same formula as `normalize`."""
    import torch

    return pixels.to(torch.float32) * spec.pixel_scale + spec.pixel_offset


def soft_targets(labels: np.ndarray, votes: np.ndarray | None, alpha: float) -> np.ndarray:
    """(1-alpha) * one-hot(FER label) + alpha * FER+ vote distribution (over the 7 FER classes).
    Rows without usable votes keep the one-hot target."""
    n, c = len(labels), len(EMOTION_LABELS)
    onehot = np.zeros((n, c), np.float32)
    onehot[np.arange(n), labels] = 1
    if votes is None or alpha <= 0:
        return onehot
    v = np.zeros((n, c), np.float32)
    for src, dst in FERPLUS_TO_FER.items():
        v[:, dst] = votes[:, src]
    tot = v.sum(1, keepdims=True)
    ok = tot[:, 0] > 0
    dist = np.where(ok[:, None], v / np.maximum(tot, 1), onehot)
    return ((1 - alpha) * onehot + alpha * dist).astype(np.float32)


class BatchAugment:
    """The paper's augmentation (Keras ImageDataGenerator: rotation 10 deg, width/height shift 0.1,
    zoom 0.1, horizontal flip), applied to a whole batch with one affine_grid/grid_sample call.
    Border pixels are replicated (Keras fill_mode='nearest')."""

    def __init__(
        self, rotation: float = 10.0, shift: float = 0.1, zoom: float = 0.1, flip: bool = True
    ):
        self.rotation, self.shift, self.zoom, self.flip = rotation, shift, zoom, flip

    def __call__(self, x, generator=None):
        import torch
        import torch.nn.functional as F

        n = x.shape[0]
        kw = dict(generator=generator, dtype=torch.float32)
        ang = (torch.rand(n, **kw) * 2 - 1) * math.radians(self.rotation)
        scale = 1 + (torch.rand(n, **kw) * 2 - 1) * self.zoom  # sampling-grid scale
        tx = (torch.rand(n, **kw) * 2 - 1) * self.shift * 2  # normalised coords span 2
        ty = (torch.rand(n, **kw) * 2 - 1) * self.shift * 2
        sx = scale
        if self.flip:
            sx = sx * torch.where(torch.rand(n, **kw) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(ang), torch.sin(ang)
        theta = torch.stack(
            [
                torch.stack([cos * sx, -sin * scale, tx], 1),
                torch.stack([sin * sx, cos * scale, ty], 1),
            ],
            1,
        )
        # random numbers from the (CPU) generator, the warp on x's device
        grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
