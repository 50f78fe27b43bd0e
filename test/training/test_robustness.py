"""training.robustness: the rows score the same seeded images as training.evaluate and the paper's
weights would, and the card shows them (with hand-written sections carried over)."""

import json

import numpy as np
import pytest
from paths import DATA

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from training import anchor_compare as AC  # noqa: E402
from training import data as D  # noqa: E402
from training import export, model_card, onnx_head, robustness, train  # noqa: E402
from training.perturb import EVAL_LEVELS, perturb_all  # noqa: E402

ANCHOR_DIR = DATA.parent / "anchors"  # the paper's weights, beside the data in ../shared


def anchor_file(task):
    path = ANCHOR_DIR / AC.ANCHORS[task]
    if not path.is_file():  # part of the shared data every checkout has
        pytest.fail(f"the paper's weights are missing: {path}")
    return path


def tiny_onnx(tmp_path, task, data, tiny_run_args):
    """A model trained for two epochs on the synthetic faces (32x32 input; enough to tell their
    classes apart, so the perturbations cost it accuracy), exported to ONNX."""
    run_dir, onnx = tmp_path / f"run_{task}", tmp_path / f"{task}.onnx"
    train.main(
        tiny_run_args(task, data, run_dir, "--epochs", "2", "--batch-size", "8", "--no-plot")
    )
    argv = ["--checkpoint", run_dir / "best.pth", "--output", onnx, "--data-path", data]
    export.main(export.get_args_parser().parse_args([str(a) for a in argv]))
    return onnx


def run(*argv):
    return robustness.main(robustness.get_args_parser().parse_args([str(a) for a in argv]))


def expected_conditions():
    return [("clean", None)] + [(k, lv) for k, levels in EVAL_LEVELS.items() for lv in levels]


@pytest.mark.parametrize("task", ["emotion", "gender"])
def test_rows_score_the_same_images_as_evaluate_and_the_paper(
    task, fer_npz, utk_npz, tmp_path, tiny_run_args, evaluate_to_json
):
    data = fer_npz if task == "emotion" else utk_npz
    onnx = tiny_onnx(tmp_path, task, data, tiny_run_args)
    out = tmp_path / "robust.json"
    res = run("--model", onnx, "--data-path", data, "--anchor", anchor_file(task), "--json", out)
    assert json.loads(out.read_text()) == res
    assert [(r["perturbation"], r["level"]) for r in res["rows"]] == expected_conditions()
    assert {r["n"] for r in res["rows"]} == {20 if task == "gender" else 40}

    # clean: what training.evaluate reports for this model on the test split
    ev = evaluate_to_json(onnx, data)
    assert res["rows"][0]["ours"] == ev["PrivateTest" if task == "emotion" else "test"]["acc"]

    # a perturbed row: both models on the images perturbed with rng(seed, i)
    test = D.load_task(task, data)
    test = test.subset(test.split == 2)
    x = perturb_all(test.images, "jpeg", 20, seed=0)
    head = onnx_head.load(onnx)
    anchor = AC.load_keras_mini_xception(anchor_file(task))
    row = next(r for r in res["rows"] if (r["perturbation"], r["level"]) == ("jpeg", 20))
    assert row["ours"] == (onnx_head.predict(head, x).argmax(1) == test.labels).mean()
    assert row["paper"] == (AC.anchor_probs(anchor, task, x).argmax(1) == test.labels).mean()
    # the effects do reach the models: not every row scores the same (the synthetic gender
    # classes are mirror images, which the flip augmentation keeps a tiny model from learning)
    assert len({r["paper"] for r in res["rows"]}) > 1
    assert len({r["ours"] for r in res["rows"]}) > 1 or task == "gender"

    table = robustness.markdown(res)
    head = table.index("| perturbation | level | paper's weights | this model | difference |")
    body = table[head + 2 : head + 2 + len(res["rows"])]
    assert body[0].startswith("| clean | – |") and all(line.startswith("| ") for line in body)
    assert "seed 0" in table[0] and "default_rng([seed, i])" in table[0]
    assert any("at least the paper's accuracy" in line for line in table)
    assert any("52 % at 20 px" in line for line in table) == (task == "emotion")


def test_limit_and_seed(fer_npz, tmp_path, tiny_run_args):
    onnx = tiny_onnx(tmp_path, "emotion", fer_npz, tiny_run_args)
    common = ["--model", onnx, "--data-path", fer_npz, "--anchor", anchor_file("emotion")]
    a = run(*common, "--limit", "10", "--seed", "1")
    assert {r["n"] for r in a["rows"]} == {10} and a["seed"] == 1
    assert run(*common, "--limit", "10", "--seed", "1") == a
    # --split val scores the validation images (PublicTest) and says so
    val = run(*common, "--split", "val")
    fer = D.load_fer(fer_npz)
    assert {r["n"] for r in val["rows"]} == {int((fer.split == 1).sum())} and val["split"] == "val"
    assert robustness.markdown(val)[0].startswith("FER-2013 PublicTest, ")
    assert robustness.markdown(a)[0].startswith("FER-2013 PrivateTest, ")


def test_gender_anchor_columns_are_put_in_our_order():
    """The paper's gender model answers (woman, man), ours (male, female)."""
    anchor = AC.load_keras_mini_xception(anchor_file("gender"))
    x = np.random.default_rng(0).integers(0, 256, (4, 64, 64), dtype=np.uint8)
    assert D.GENDER_LABELS == ("male", "female")
    np.testing.assert_array_equal(
        AC.anchor_probs(anchor, "gender", x), AC.anchor_predict(anchor, x)[:, ::-1]
    )


def test_age_reports_the_mae_and_has_no_paper_weights(utk_npz, constant_age_onnx):
    """A model that says 31 years for every face: every row's MAE is mean |31 - age|."""
    onnx = constant_age_onnx
    res = run("--model", onnx, "--data-path", utk_npz)
    with np.load(utk_npz) as z:
        ages = z["age"][z["split"] == 2].astype(np.float64)
    assert [(r["perturbation"], r["level"]) for r in res["rows"]] == expected_conditions()
    for r in res["rows"]:
        assert r["paper"] is None and r["ours"] == pytest.approx(np.abs(31 - ages).mean(), abs=1e-3)
    table = "\n".join(robustness.markdown(res))
    assert "MAE in years" in table and "years | –" in table and "52 %" not in table
    with pytest.raises(SystemExit, match="no weights"):
        run("--model", onnx, "--data-path", utk_npz, "--anchor", anchor_file("gender"))


def _row(condition, ours, paper):
    name, level = condition
    return {"perturbation": name, "level": level, "n": 100, "ours": ours, "paper": paper}


def test_goal_lines():
    rows = [_row(c, 0.60, 0.50) for c in expected_conditions()]
    res = {"task": "emotion", "seed": 0, "rows": rows}
    assert (
        "reached (at or above the paper's weights in all 17 perturbed rows)"
        in robustness.goal_lines(res)[0]
    )
    assert robustness.goal_lines(res)[1].endswith("60.00 %, reached.")
    rows[0]["ours"] = 0.40  # clean below the paper: not a perturbation
    rows[3]["ours"], rows[10]["ours"] = 0.45, 0.519  # poisson_noise 200; low_resolution 20
    lines = robustness.goal_lines(res)
    assert lines[0].endswith(
        "not reached, below the paper's weights in 1 of 17 perturbed rows: "
        "poisson_noise 200 (-5.00 points)."
    )
    assert lines[1] == "- Goal '>= 52 % at 20 px faces' (low_resolution 20): 51.90 %, not reached."


def test_card_has_the_robustness_table_and_hand_written_sections(
    fer_npz, tmp_path, tiny_run_args, evaluate_to_json
):
    onnx = tiny_onnx(tmp_path, "emotion", fer_npz, tiny_run_args)
    run_dir = tmp_path / "run_emotion"
    evaluate_to_json(onnx, fer_npz, tmp_path / "eval.json")
    rob = run(
        "--model", onnx, "--data-path", fer_npz, "--anchor", anchor_file("emotion"), "--limit", "8",
        "--json", tmp_path / "robust.json",
    )  # fmt: skip
    speed = tmp_path / "speed.md"
    speed.write_text("## Speed\n\n- **Adaptive flip (shipped).** measured\n\n  | a | b |\n")
    notes = tmp_path / "notes.md"
    notes.write_text("## Notes and limitations\n\nhand-written\n")
    commands = tmp_path / "commands.txt"
    commands.write_text("python -m training.robustness --model models/emotion.onnx\n")
    before = dict(rob, rows=[dict(r, ours=r["ours"] - 0.1) for r in rob["rows"]])
    (tmp_path / "before.json").write_text(json.dumps(before))
    card = tmp_path / "emotion.md"
    model_card.main(
        [
            "--model", str(onnx), "--checkpoint", str(run_dir / "best.pth"),
            "--eval-json", str(tmp_path / "eval.json"), "--commands-file", str(commands),
            "--robustness-json", str(tmp_path / "robust.json"), "--section-file", str(speed),
            "--compare-robustness-json", str(tmp_path / "before.json"),
            "--compare-name", "old file", "--notes-file", str(notes), "--output", str(card),
        ]
    )  # fmt: skip
    text = card.read_text()
    order = [
        "## Measured accuracy",
        "## Robustness to robot cameras",
        "## Speed",
        "## Training curves",
        "## Notes and limitations",
        "## Exact commands",
    ]
    assert [text.index(h) for h in order] == sorted(text.index(h) for h in order)
    assert speed.read_text().strip() in text  # verbatim
    assert "\n".join(robustness.markdown(rob)) in text
    beside = robustness.comparison(before, rob, "old file")
    assert "\n".join(beside) in text and "| old file | this model | change |" in beside[2]
    clean = rob["rows"][0]["ours"]
    assert beside[4] == f"| clean | – | {100 * clean - 10:.2f} % | {100 * clean:.2f} % | +10.00 |"
    with pytest.raises(ValueError, match="differ"):  # not measured on the same conditions
        robustness.comparison(dict(before, rows=before["rows"][1:]), rob, "old file")
