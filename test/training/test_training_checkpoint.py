"""Checkpoints hold tensors and plain metadata only; anything else is refused at load."""

import argparse
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import checkpoint, train  # noqa: E402


class MakesADirectory:
    """Unpickling this object runs os.makedirs: the kind of payload weights_only=True must stop."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.makedirs, (self.path,)


def test_save_converts_metadata_to_plain_types(tmp_path):
    ckpt = {
        "model": {"w": torch.ones(2)},
        "args": argparse.Namespace(lr=np.float64(1e-3), out=Path("runs/x")),
        "votes": np.arange(3),
        "betas": (0.9, 0.999),
    }
    checkpoint.save(ckpt, tmp_path / "c.pth")
    back = torch.load(tmp_path / "c.pth", weights_only=True)
    assert back["args"] == {"lr": 1e-3, "out": "runs/x"} and type(back["args"]["lr"]) is float
    assert torch.equal(back["votes"], torch.arange(3)) and back["betas"] == (0.9, 0.999)
    assert torch.equal(checkpoint.load(tmp_path / "c.pth")["model"]["w"], torch.ones(2))
    assert not (tmp_path / "c.pth.tmp").exists()
    with pytest.raises(TypeError, match="MakesADirectory"):
        checkpoint.save({"x": MakesADirectory(str(tmp_path / "x"))}, tmp_path / "d.pth")


def test_checkpoint_with_a_pickled_object_is_refused(fer_npz, tmp_path, tiny_run_args):
    payload = tmp_path / "payload_ran"
    torch.save(
        {"model": {}, "epoch": 0, "evil": MakesADirectory(str(payload))}, tmp_path / "evil.pth"
    )
    with pytest.raises(pickle.UnpicklingError, match="evil.pth: refused"):
        checkpoint.load(tmp_path / "evil.pth")
    with pytest.raises(pickle.UnpicklingError):  # every loader goes through checkpoint.load
        train.main(
            tiny_run_args(
                "emotion",
                fer_npz,
                tmp_path / "run",
                "--resume",
                tmp_path / "evil.pth",
                "--test-only",
            )
        )
    assert not payload.exists()
