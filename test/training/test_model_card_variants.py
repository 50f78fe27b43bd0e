"""The model card's variants (`training.model_card --extra-json`): an emotion head evaluated with
`--ferplus-agreement` is listed with its accuracy and its agreement with the FER+ majority."""

import json

import pytest

pytest.importorskip("torch")

from training import evaluate, export, model_card, train  # noqa: E402

SPLITS = ("PrivateTest", "PublicTest", "PublicTest+PrivateTest")


def test_a_variant_evaluated_with_the_ferplus_agreement_is_listed(fer_npz, tmp_path, tiny_run_args):
    run, onnx, ev_json = tmp_path / "run", tmp_path / "emotion.onnx", tmp_path / "eval.json"
    train.main(tiny_run_args("emotion", fer_npz, run, "--epochs", "1", "--no-plot"))
    export.main(
        export.get_args_parser().parse_args(
            ["--checkpoint", str(run / "best.pth"), "--output", str(onnx)]
            + ["--data-path", str(fer_npz)]
        )
    )
    evaluate.main(
        evaluate.get_args_parser().parse_args(
            ["--model", str(onnx), "--data-path", str(fer_npz), "--ferplus-agreement"]
            + ["--json", str(ev_json)]
        )
    )
    extra, commands, card = tmp_path / "extra.json", tmp_path / "commands.txt", tmp_path / "card.md"
    extra.write_text(json.dumps({"agreement run": str(ev_json)}))
    commands.write_text("python -m training.evaluate --ferplus-agreement\n")
    model_card.main(
        ["--model", str(onnx), "--checkpoint", str(run / "best.pth"), "--eval-json", str(ev_json)]
        + ["--extra-json", str(extra), "--commands-file", str(commands), "--output", str(card)]
    )

    r = json.loads(ev_json.read_text())["results"]
    expected = [f"{k} {100 * r[k]['acc']:.2f} %" for k in SPLITS]
    expected += [
        f"FER+ agreement {k} {100 * r['ferplus_agreement'][k]['acc']:.2f} %" for k in SPLITS
    ]
    lines = [line for line in card.read_text().splitlines() if line.startswith("- agreement run")]
    assert lines == ["- agreement run: " + "; ".join(expected)]
