"""Checkpoint files: tensors and plain metadata only, so they load with `weights_only=True`.

A `.pth` file is a pickle; loading one with `weights_only=False` runs whatever code it names. Ours
are written through `plain()` and read back with `weights_only=True`, which refuses anything but
tensors, numbers, strings, None and dicts/lists/tuples of those.
"""

from __future__ import annotations

import argparse
import os
import pickle
from pathlib import Path

import numpy as np
import torch


def plain(obj):
    """`obj` with every value turned into a type `weights_only=True` accepts: Namespace -> dict,
    Path -> str, numpy scalar -> Python number, numpy array -> tensor. Raises TypeError for others."""
    if isinstance(
        obj, np.generic
    ):  # before float: np.float64 is a float subclass that pickles as numpy
        return obj.item()
    if obj is None or isinstance(obj, (torch.Tensor, int, float, str)):
        return obj
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, argparse.Namespace):
        obj = vars(obj)
    if isinstance(obj, dict):
        return {plain(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    raise TypeError(
        f"{type(obj).__name__} does not belong in a checkpoint (tensors and plain metadata only)"
    )


def save(ckpt: dict, path) -> None:
    """Write atomically: a run stopped mid-write leaves the previous file intact."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(plain(ckpt), tmp)
    os.replace(tmp, path)


def load(path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise pickle.UnpicklingError(
            f"{path}: refused, it holds objects other than tensors and plain "
            "metadata, and unpickling them could run code"
        ) from e
