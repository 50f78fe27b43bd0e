"""The age head: bins and targets, a tiny training run on synthetic data, the ONNX contract
(outputs `age` and `age_std` (N,) in years, metadata), evaluation on hand-made cases, the card."""

import argparse
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from face_analysis.core.preprocess import METADATA_PREFIX, PreprocessSpec, normalize  # noqa: E402
from training import age as A  # noqa: E402
from training import data as D  # noqa: E402
from training import evaluate, export, model_card, train  # noqa: E402
from training.models import count_parameters  # noqa: E402
from training.tasks import TASKS  # noqa: E402

DEFAULT_BINS = {"age_bin_min": 1.0, "age_bin_max": 117.0, "age_bin_width": 2.0}


def test_bins_targets_and_expectation():
    c = A.bin_centres(DEFAULT_BINS)
    assert len(c) == 59 and c[0] == 1 and c[-1] == 117 and c.dtype == np.float32
    centres = torch.from_numpy(c)
    t = A.gaussian_targets(torch.tensor([1, 40, 41, 130]), centres, sigma=2.0)
    torch.testing.assert_close(t.sum(1), torch.ones(4))
    mean, std = A.expectation(t, centres)
    assert abs(mean[1].item() - 40) < 0.05 and abs(mean[2].item() - 41) < 0.05
    assert 1.9 < std[1].item() < 2.1
    assert mean[0].item() > 1 and mean[3].item() < 117  # clipped at the outer bins
    # hand-made distributions: one bin -> its centre, spread 0; two bins half/half -> midpoint
    p = torch.zeros(2, 59)
    p[0, 10] = 1.0
    p[1, 20], p[1, 22] = 0.5, 0.5
    mean, std = A.expectation(p, centres)
    torch.testing.assert_close(mean, torch.tensor([21.0, 43.0]))
    torch.testing.assert_close(std, torch.tensor([0.0, 2.0]))
    with pytest.raises(ValueError, match="age bins"):
        A.bin_centres({"age_bin_min": 10, "age_bin_max": 5, "age_bin_width": 2})


def test_balance_weights_count_rare_decades_more():
    ages = np.array([5] * 60 + [15] * 10 + [25] * 30)  # decade shares 0.6, 0.1, 0.3
    w = A.balance_weights(ages, 0.5)
    assert w.dtype == np.float32 and w.mean() == pytest.approx(1.0)
    # share**-0.5, relative to the commonest decade
    assert w[60] / w[0] == pytest.approx((0.1 / 0.6) ** -0.5)
    assert w[70] / w[0] == pytest.approx((0.3 / 0.6) ** -0.5)
    np.testing.assert_allclose(A.balance_weights(ages, 0.0), 1.0)
    assert (
        A.balance_weights(np.array([95, 120, 5, 5]), 1.0)[0]
        == A.balance_weights(np.array([95, 120, 5, 5]), 1.0)[1]
    )  # 90 and over: one group


def test_age_balance_gives_the_criterion_each_training_image_weight():
    ages = np.array([5] * 60 + [15] * 10 + [25] * 30)
    train = D.FaceArrays(np.zeros((100, 8, 8), np.uint8), ages, np.zeros(100, int))
    task = TASKS["age"]
    assert task.train_targets(argparse.Namespace(age_balance=0.0), train) is None
    weights = task.train_targets(argparse.Namespace(age_balance=0.5), train)
    np.testing.assert_array_equal(weights[:, 0], A.balance_weights(ages, 0.5))


def test_weighted_age_loss_is_the_weighted_mean_of_each_image_loss():
    centres = torch.from_numpy(A.bin_centres(DEFAULT_BINS))
    logits, ages = (
        torch.randn(3, 59, generator=torch.Generator().manual_seed(0)),
        torch.tensor([4, 30, 70]),
    )
    each = [A.age_loss(logits[i : i + 1], ages[i : i + 1], centres, 2.0, 1.0)[0] for i in range(3)]
    weights = torch.tensor([2.0, 0.5, 0.5])
    loss, _ = A.age_loss(logits, ages, centres, 2.0, 1.0, weights)
    torch.testing.assert_close(loss, sum(w * e for w, e in zip(weights, each)) / 3)
    criterion = A.AgeLoss(centres, 2.0, 1.0)
    torch.testing.assert_close(criterion(logits, ages, weights[:, None])[0], loss)
    torch.testing.assert_close(criterion(logits, ages)[0], sum(each) / 3)


def test_parameter_budget():
    assert TASKS["age"].default_outputs == 59 and A.DEFAULT_BINS == DEFAULT_BINS
    model = TASKS["age"].build_model("mini_xception", 59)
    assert count_parameters(model) == 56491 <= 60_000
    assert model(torch.zeros(2, 1, 64, 64)).shape == (2, 59)


def test_age_loader(utk_npz, tmp_path):
    a = D.load_task("age", utk_npz)
    with np.load(utk_npz) as z:
        np.testing.assert_array_equal(a.labels, z["age"])
        np.testing.assert_array_equal(a.extras["gender"], z["gender"])
    no_age = tmp_path / "no_age.npz"
    with np.load(utk_npz) as z:
        np.savez(no_age, **{k: z[k] for k in z.files if k != "age"})
    with pytest.raises(D.DatasetError, match="no 'age' array"):
        D.load_task("age", no_age)


def test_train_export_evaluate_card(utk_npz, tmp_path, tiny_run_args):
    """One epoch on synthetic data -> safe checkpoint -> ONNX with the documented outputs and
    metadata -> evaluate -> model card; plus --resume and --test-only."""
    run = tmp_path / "run"
    res = train.main(tiny_run_args("age", utk_npz, run, "--epochs", "1"))
    hist = res["history"]
    assert len(hist) == 1 and {"train_mae", "val_mae", "val_mean_std"} <= set(hist[0])
    assert res["best_epoch"] == 0 and res["best_mae"] == hist[0]["val_mae"]
    ckpt = torch.load(run / "best.pth", weights_only=True)
    assert ckpt["best_mae"] == res["best_mae"] and ckpt["args"]["age_sigma"] == 2.0
    assert (run / "curves.png").exists()
    res2 = train.main(
        tiny_run_args("age", utk_npz, run, "--epochs", "2", "--resume", str(run / "checkpoint.pth"))
    )
    assert [h["epoch"] for h in res2["history"]] == [0, 1]
    scores = train.main(
        tiny_run_args("age", utk_npz, run, "--test-only", "--resume", str(run / "best.pth"))
    )
    assert scores["test"]["n"] == 20

    onnx_path = tmp_path / "age.onnx"
    export_argv = ["--checkpoint", str(run / "best.pth"), "--output", str(onnx_path)]
    diff = export.main(
        export.get_args_parser().parse_args([*export_argv, "--data-path", str(utk_npz)])
    )
    assert diff <= TASKS["age"].parity_tol

    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"]
    assert [o.name for o in sess.get_outputs()] == ["age", "age_std"]
    meta = sess.get_modelmeta().custom_metadata_map
    spec = PreprocessSpec.from_metadata(meta)
    assert spec == PreprocessSpec.from_metadata(ckpt["spec"])
    assert spec.task == "age" and spec.labels == ("age", "age_std") and spec.input_size == 32
    assert json.loads(meta[METADATA_PREFIX + "outputs"]) == ["age", "age_std"]
    assert json.loads(meta[METADATA_PREFIX + "output_units"]) == ["years", "years"]
    centres = json.loads(meta[METADATA_PREFIX + "age_bin_centres"])
    assert centres == A.bin_centres(DEFAULT_BINS).tolist()
    assert json.loads(meta[METADATA_PREFIX + "age_label_sigma"]) == 2.0
    with np.load(utk_npz) as z:
        images = z["images"][:5]
    for n in (1, 5):  # dynamic batch, documented shapes and ranges
        x = normalize(D.to_model_pixels(images[:n], 32), spec)[:, None]
        age, std = sess.run(["age", "age_std"], {"input": x})
        assert age.shape == (n,) and std.shape == (n,)
        assert age.dtype == np.float32 and std.dtype == np.float32
        assert np.all((age >= centres[0]) & (age <= centres[-1]))
        assert np.all((std >= 0) & (std <= (centres[-1] - centres[0]) / 2))
    # --test-only's MAE is the mean |age - label| of the exported (same, unflipped) network's
    # answers on the 20 test images, computed here
    with np.load(utk_npz) as z:
        test = z["split"] == 2
        x = normalize(D.to_model_pixels(z["images"][test], 32), spec)[:, None]
        ages = z["age"][test].astype(np.float64)
    mae = np.abs(sess.run(["age"], {"input": x})[0] - ages).mean()
    assert scores["test"]["mae"] == pytest.approx(mae, abs=1e-3)

    ev_json = tmp_path / "eval.json"
    eval_argv = ["--model", str(onnx_path), "--data-path", str(utk_npz)]
    ev = evaluate.main(
        evaluate.get_args_parser().parse_args(
            [*eval_argv, "--task", "age", "--out-dir", str(tmp_path), "--json", str(ev_json)]
        )
    )
    assert ev["test"]["n"] == 20 and ev["test"]["mae"] == pytest.approx(mae, abs=1e-3)
    assert (tmp_path / "age_error_by_age.png").exists()
    assert sum(g["n"] for g in ev["per_age_group"].values()) == 20
    assert sum(g["n"] for g in ev["per_gender"].values()) == 20 and "per_race" in ev
    with pytest.raises(SystemExit, match="not 'gender'"):
        evaluate.main(evaluate.get_args_parser().parse_args([*eval_argv, "--task", "gender"]))

    commands = tmp_path / "commands.txt"
    commands.write_text("python -m training.train --task age --output-dir runs/age\n")
    card = tmp_path / "age.md"
    model_card.main(
        [
            "--model",
            str(onnx_path),
            "--checkpoint",
            str(run / "best.pth"),
            "--final-checkpoint",
            str(run / "checkpoint.pth"),
            "--eval-json",
            str(ev_json),
            "--commands-file",
            str(commands),
            "--curves-png",
            str(tmp_path / "age_curves.png"),
            "--output",
            str(card),
        ]
    )
    text = card.read_text()
    assert "`age` float32 (N,) years" in text and "best validation MAE" in text
    assert "| 20-29 |" in text and "Gaussian label distribution of sigma 2" in text
    assert (tmp_path / "age_curves.png").exists()


def test_mae_tables_on_a_hand_made_case():
    pred = np.array([10.0, 20.0, 35.0, 70.0])
    true = np.array([12.0, 20.0, 30.0, 80.0])
    std = np.array([1.0, 1.0, 10.0, 5.0])
    res = A.age_results(pred, std, true, race=np.array([0, 0, 1, 1]), gender=np.array([0, 1, 1, 1]))
    t = res["test"]
    assert t["n"] == 4 and t["mae"] == pytest.approx(4.25) and t["bias"] == pytest.approx(-1.75)
    assert t["within_1std"] == 0.5 and t["cs5"] == 0.75 and t["median_ae"] == pytest.approx(3.5)
    groups = res["per_age_group"]
    assert list(groups) == ["3-12", "20-29", "30-39", "70+"]
    assert [groups[k]["mae"] for k in groups] == [2.0, 0.0, 5.0, 10.0]
    assert res["per_race"]["white"]["mae"] == 1.0 and res["per_race"]["black"]["mae"] == 7.5
    assert res["per_gender"]["male"]["mae"] == 2.0 and res["per_gender"]["female"]["mae"] == 5.0
    assert "| 70+ | 1 | 10.00 |" in "\n".join(A.age_table_lines(res))
    assert A.age_group_index(np.array([0, 2, 3, 12, 13, 69, 70, 116])).tolist() == [
        0,
        0,
        1,
        1,
        2,
        7,
        8,
        8,
    ]


def test_evaluate_scores_a_constant_onnx_model_exactly(
    utk_npz, constant_age_onnx, evaluate_to_json
):
    """A model that says 31 years (spread ~0) for every face: the evaluation's MAE must equal the
    mean |31 - age| of the synthetic test split, through ONNX and the inference preprocessing."""
    ev = evaluate_to_json(constant_age_onnx, utk_npz)
    with np.load(utk_npz) as z:
        ages = z["age"][z["split"] == 2].astype(np.float64)
    assert ev["test"]["mae"] == pytest.approx(np.abs(31 - ages).mean(), abs=1e-3)
    assert ev["test"]["mean_std"] < 1e-3 and ev["test"]["bias"] == pytest.approx(
        31 - ages.mean(), abs=1e-3
    )


def test_ema_run_saves_the_average_and_resumes(utk_npz, tmp_path, tiny_run_args):
    run = tmp_path / "ema"
    train.main(
        tiny_run_args("age", utk_npz, run, "--epochs", "1", "--ema-decay", "0.9", "--no-plot")
    )
    ckpt = torch.load(run / "checkpoint.pth", weights_only=True)
    assert ckpt["ema_n_averaged"] == 5  # 80 training images, batch 16
    model, _, _ = export.load_checkpoint(run / "checkpoint.pth")  # 'model' is the average
    w = ckpt["model"]["classifier.weight"]
    assert not torch.equal(w, ckpt["train_model"]["classifier.weight"])
    assert torch.equal(model.classifier.weight, w)
    res = train.main(
        tiny_run_args(
            "age",
            utk_npz,
            run,
            "--epochs",
            "2",
            "--ema-decay",
            "0.9",
            "--no-plot",
            "--resume",
            str(run / "checkpoint.pth"),
        )
    )
    assert [h["epoch"] for h in res["history"]] == [0, 1]
    assert torch.load(run / "checkpoint.pth", weights_only=True)["ema_n_averaged"] == 10


def test_pack_unpack_is_bit_identical(utk_npz, tmp_path):
    from training import pack_data

    pack_data.main(["pack", str(utk_npz), str(tmp_path / "packed")])
    pack_data.main(["unpack", str(tmp_path / "packed"), str(tmp_path / "trval.npz")])
    with np.load(utk_npz) as z, np.load(tmp_path / "trval.npz") as u:
        keep = z["split"] < 2
        assert set(u.files) == set(z.files)
        for key in z.files:
            np.testing.assert_array_equal(u[key], z[key][keep])
    a = D.load_task("age", tmp_path / "trval.npz")
    assert len(a) == 100 and set(a.split.tolist()) == {0, 1}
