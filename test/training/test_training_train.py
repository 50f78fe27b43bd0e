"""A tiny real training run on synthetic data: the loss goes down, checkpoints/logs/resume work,
and the checkpoints load with torch.load(weights_only=True)."""

import json

import pytest

torch = pytest.importorskip("torch")

from training import data as D  # noqa: E402
from training import train  # noqa: E402


@pytest.fixture
def emotion_args(tiny_run_args):
    """A tiny emotion run without LR warm-up (4 epochs learn the toy data)."""
    return lambda data, out, *extra: tiny_run_args(
        "emotion", data, out, "--lr-warmup-epochs", "0", *extra
    )


def test_tiny_training_lowers_loss(fer_npz, tmp_path, emotion_args):
    out = tmp_path / "run"
    res = train.main(emotion_args(fer_npz, out, "--epochs", "4", "--no-augment"))
    hist = res["history"]
    assert len(hist) == 4
    assert hist[-1]["train_loss"] < 0.7 * hist[0]["train_loss"]
    assert hist[-1]["val_acc"] > 0.8  # two separable classes
    for name in ("checkpoint.pth", "best.pth", "log.csv", "log.json", "curves.png", "spec.json"):
        assert (out / name).exists(), name
    ckpt = torch.load(out / "checkpoint.pth", weights_only=True)
    assert {
        "model",
        "optimizer",
        "lr_scheduler",
        "epoch",
        "args",
        "rng",
        "history",
        "stages",
    } <= set(ckpt)
    assert ckpt["args"]["task"] == "emotion" and isinstance(ckpt["history"][0]["lr"], float)
    assert json.loads((out / "spec.json").read_text())["face_analysis.input_size"] == "32"

    # --resume continues from the saved epoch; --test-only evaluates a checkpoint
    res2 = train.main(
        emotion_args(
            fer_npz, out, "--epochs", "5", "--no-augment", "--resume", str(out / "checkpoint.pth")
        )
    )
    assert [h["epoch"] for h in res2["history"]] == [0, 1, 2, 3, 4]
    res3 = train.main(emotion_args(fer_npz, out, "--test-only", "--resume", str(out / "best.pth")))
    assert res3["test"]["acc"] > 0.8 and res3["val+test"]["n"] == 80


def test_augmented_soft_target_run(fer_npz, tmp_path, emotion_args):
    """Soft targets and label smoothing through the augmented training path; the targets and the
    loss these options give are checked by hand in test_training_targets.py."""
    res = train.main(
        emotion_args(
            fer_npz,
            tmp_path / "r2",
            "--epochs",
            "2",
            "--ferplus-alpha",
            "0.3",
            "--label-smoothing",
            "0.1",
            "--no-plot",
        )
    )
    assert len(res["history"]) == 2


@pytest.mark.parametrize("option", ["--camera-augment", "--print-augment"])
def test_camera_and_print_augment_in_the_training_batches(tmp_path, emotion_args, option):
    """Probability 1 changes every image of a batch; 0 leaves exactly the affine warp."""
    x = torch.randint(0, 256, (16, 1, 32, 32), dtype=torch.uint8)

    def augmented(prob):
        args = emotion_args("unused", tmp_path, option, str(prob))
        return train.batch_augment_from_args(args)(x, torch.Generator().manual_seed(1), "cpu")

    plain = augmented(0)
    warp = D.BatchAugment()(x.float(), torch.Generator().manual_seed(1))
    assert torch.equal(plain, warp)
    assert (augmented(1) != plain).flatten(1).any(1).all()


@pytest.mark.parametrize("scheduler", ["onecycle", "plateau", "none"])
def test_every_schedule_writes_a_safe_checkpoint(fer_npz, tmp_path, scheduler, emotion_args):
    """Each LR scheduler's state, with augmentation on, loads with weights_only=True and exports."""
    from training.export import load_checkpoint

    out = tmp_path / scheduler
    train.main(
        emotion_args(fer_npz, out, "--epochs", "1", "--lr-scheduler", scheduler, "--no-plot")
    )
    ckpt = torch.load(out / "best.pth", weights_only=True)
    assert ckpt["args"]["lr_scheduler"] == scheduler and ckpt["data_path"] == str(fer_npz)
    model, spec, _ = load_checkpoint(out / "best.pth")
    assert spec.input_size == 32 and model(torch.zeros(2, 1, 32, 32)).shape == (2, 7)


def test_init_weights_starts_a_recorded_second_stage(fer_npz, tmp_path, emotion_args):
    first = tmp_path / "stage1"
    train.main(emotion_args(fer_npz, first, "--epochs", "4", "--no-augment", "--no-plot"))
    # at a negligible LR only the loaded weights can explain a separating model after one epoch
    res = train.main(
        emotion_args(
            fer_npz,
            tmp_path / "stage2",
            "--epochs",
            "1",
            "--no-augment",
            "--no-plot",
            "--lr",
            "1e-7",
            "--init-weights",
            str(first / "checkpoint.pth"),
        )
    )
    assert [h["epoch"] for h in res["history"]] == [0]
    assert res["history"][0]["val_acc"] > 0.8
    stages = torch.load(tmp_path / "stage2" / "checkpoint.pth", weights_only=True)["stages"]
    assert [len(s["history"]) for s in stages] == [4]
    assert stages[0]["checkpoint"] == str(first / "checkpoint.pth")

    with pytest.raises(SystemExit, match="trained for"):
        train.main(
            emotion_args(
                fer_npz,
                tmp_path / "bad",
                "--input-size",
                "48",
                "--init-weights",
                first / "checkpoint.pth",
            )
        )
    with pytest.raises(SystemExit, match="cannot be combined"):
        train.main(
            emotion_args(
                fer_npz,
                tmp_path / "bad",
                "--init-weights",
                str(first / "checkpoint.pth"),
                "--resume",
                str(first / "checkpoint.pth"),
            )
        )


def test_bf16_precision_trains_in_bfloat16_and_is_recorded(fer_npz, tmp_path, emotion_args):
    """--precision bf16: the same seeded epochs as fp32 give a close but not identical loss (the
    forward pass ran in bfloat16), and the checkpoint records which arithmetic trained it."""
    losses = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        res = train.main(
            emotion_args(fer_npz, out, "--epochs", "2", "--no-plot", "--precision", precision)
        )
        losses[precision] = [h["train_loss"] for h in res["history"]]
        ckpt = torch.load(out / "checkpoint.pth", weights_only=True)
        assert ckpt["args"]["precision"] == precision
    assert losses["bf16"] != losses["fp32"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.05)
