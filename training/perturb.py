"""What robot cameras and detectors do to a face crop, as seeded perturbations of gray uint8 images.

One function per effect, `(image HxW uint8, rng, level) -> image HxW uint8`. Training draws random
levels from `TRAIN_RANGES` (`CameraAugment`), and for faces scanned from old prints from
`PRINT_RANGES`; the model cards' robustness tables use the fixed levels of `EVAL_LEVELS`
(`training.robustness`). Each works at the image's own size, so a 20 px
face is a crop shrunk to 20x20 and brought back, as a far face reaches the model.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def gaussian_noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Read-out noise: additive, sigma in grey levels."""
    return np.clip(img + rng.normal(0.0, sigma, img.shape), 0, 255).astype(np.uint8)


def poisson_noise(img: np.ndarray, rng: np.random.Generator, peak: float) -> np.ndarray:
    """Shot noise: `peak` photons at white, so dark images (low `peak`) are the noisy ones."""
    return np.clip(rng.poisson(img / 255.0 * peak) * (255.0 / peak), 0, 255).astype(np.uint8)


def jpeg(img: np.ndarray, rng: np.random.Generator, quality: float) -> np.ndarray:
    """Compressed image transport at this JPEG quality (1-100)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(round(quality))])
    if not ok:
        raise RuntimeError("cv2.imencode failed")
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def low_resolution(img: np.ndarray, rng: np.random.Generator, pixels: float) -> np.ndarray:
    """A far face: shrunk to `pixels` per side (area) and enlarged back (bilinear), as
    `resize_face` brings a small detector crop to the model size."""
    p = max(2, int(round(pixels)))
    h, w = img.shape
    if p >= min(h, w):
        return img.copy()
    small = cv2.resize(img, (p, p), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def motion_blur(img: np.ndarray, rng: np.random.Generator, length: float) -> np.ndarray:
    """A moving head or robot: a line kernel of `length` px at a random angle."""
    k = max(1, int(round(length)))
    if k < 2:
        return img.copy()
    kernel = np.zeros((k, k), np.float32)
    a = rng.uniform(0, math.pi)
    c, r = (k - 1) / 2, (k - 1) / 2
    dx, dy = math.cos(a) * r, math.sin(a) * r
    cv2.line(
        kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, thickness=1
    )
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def gamma(img: np.ndarray, rng: np.random.Generator, g: float) -> np.ndarray:
    """Exposure / tone curve: out = 255 * (in/255) ** g (g < 1 brightens)."""
    lut = np.clip(255.0 * (np.arange(256) / 255.0) ** g + 0.5, 0, 255).astype(np.uint8)
    return lut[img]


def box_jitter(img: np.ndarray, rng: np.random.Generator, frac: float) -> np.ndarray:
    """A detector box off by up to `frac` of the side: random shift in x and y and scale 1 +- frac,
    border pixels replicated."""
    h, w = img.shape
    s = 1 + rng.uniform(-frac, frac)
    tx, ty = rng.uniform(-frac, frac, 2) * (w, h)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    m = np.float32([[s, 0, cx - s * cx + tx], [0, s, cy - s * cy + ty]])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def defocus(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """An out-of-focus print or scan: a Gaussian blur of `sigma` px."""
    return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REPLICATE)


def fade(img: np.ndarray, rng: np.random.Generator, contrast: float) -> np.ndarray:
    """A faded print: contrast scaled by `contrast` (< 1) about the image's mean grey."""
    mean = img.mean()
    return np.clip(mean + contrast * (img - mean) + 0.5, 0, 255).astype(np.uint8)


def grain(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Film grain: noise of `sigma` grey levels in clumps of about two pixels (white noise
    blurred, then brought back to unit spread), unlike a sensor's independent pixels."""
    noise = cv2.GaussianBlur(rng.normal(0.0, 1.0, img.shape).astype(np.float32), (0, 0), 0.8)
    noise *= sigma / max(float(noise.std()), 1e-6)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


PERTURBATIONS = {
    "gaussian_noise": gaussian_noise,
    "poisson_noise": poisson_noise,
    "jpeg": jpeg,
    "low_resolution": low_resolution,
    "motion_blur": motion_blur,
    "gamma": gamma,
    "box_jitter": box_jitter,
}

# the levels of the cards' robustness tables (name -> levels, mildest first)
EVAL_LEVELS = {
    "gaussian_noise": (10, 20),
    "poisson_noise": (200, 50),
    "jpeg": (60, 40, 20),
    "low_resolution": (32, 24, 20, 16),
    "motion_blur": (5, 9),
    "gamma": (0.5, 2.0),
    "box_jitter": (0.1, 0.2),
}

# training draws a level uniformly in these ranges (gamma and peak log-uniformly); box jitter is
# the affine part of `BatchAugment` (shift, zoom), so it is not repeated here
TRAIN_RANGES = {
    "gaussian_noise": (2.0, 20.0),
    "poisson_noise": (30.0, 500.0),
    "jpeg": (20.0, 60.0),
    "low_resolution": (16.0, 32.0),
    "motion_blur": (3.0, 9.0),
    "gamma": (0.5, 2.0),
}
_LOG_UNIFORM = {"poisson_noise", "gamma"}

# what old photographs add (faces scanned from prints, as FG-NET's): training only, not in the
# robot-camera robustness tables
PRINT_EFFECTS = {"defocus": defocus, "fade": fade, "grain": grain}
PRINT_RANGES = {"defocus": (0.5, 2.0), "fade": (0.4, 1.0), "grain": (3.0, 15.0)}
_EFFECTS = {**PERTURBATIONS, **PRINT_EFFECTS}


def perturb_all(
    images: np.ndarray, name: str, level: float, seed: int
) -> np.ndarray:  # (N,H,W) uint8
    """Every image with the same effect and level; image i draws from rng(seed, i), so a row's
    result does not depend on which other rows are perturbed with it."""
    fn = PERTURBATIONS[name]
    return np.stack(
        [fn(img, np.random.default_rng([seed, i]), level) for i, img in enumerate(images)]
    )


class CameraAugment:
    """Training augmentation: each effect of `ranges` (the robot camera's `TRAIN_RANGES`, or the
    old prints' `PRINT_RANGES`) hits each image independently with probability `prob`, at a
    random level, in a random order. Works on a uint8 tensor (N,1,H,W) on the CPU; random
    numbers come from a numpy Generator seeded from the caller's torch Generator, so a resumed
    run draws the same."""

    def __init__(self, prob: float, ranges: dict = TRAIN_RANGES):
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"augmentation probability {prob} is not in [0, 1]")
        self.prob, self.ranges = prob, ranges

    def _level(self, rng, name):
        lo, hi = self.ranges[name]
        if name in _LOG_UNIFORM:
            return math.exp(rng.uniform(math.log(lo), math.log(hi)))
        return rng.uniform(lo, hi)

    def __call__(self, x, generator=None):
        import torch

        if self.prob == 0:
            return x
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        rng = np.random.default_rng(seed)
        names = list(self.ranges)
        out = x.numpy().copy()
        for i in range(out.shape[0]):
            hit = [n for n in rng.permutation(names) if rng.random() < self.prob]
            img = out[i, 0]
            for name in hit:
                img = _EFFECTS[name](img, rng, self._level(rng, name))
            out[i, 0] = img
        return torch.from_numpy(out)
