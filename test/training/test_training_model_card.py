"""Model cards are committed: they name paths relative to the repository, not this machine's."""

import json
import tempfile

import pytest

pytest.importorskip("torch")

from training import export, model_card, train  # noqa: E402
from training.model_card import REPO, machine_paths, repo_relative  # noqa: E402


def test_card_paths_are_relative_to_the_repository():
    assert (
        repo_relative(REPO.parent / "shared" / "data" / "fer2013.npz")
        == "../shared/data/fer2013.npz"
    )
    assert repo_relative(REPO / "runs" / "emotion" / "best.pth") == "runs/emotion/best.pth"
    tmp_run = f"{tempfile.gettempdir()}/fa_runs/emotion/best.pth"
    assert repo_relative(tmp_run) == "best.pth"
    text = f"--checkpoint {tmp_run} --output-dir runs/x on /camera/image_raw, data {REPO.parent}/shared/data"
    assert machine_paths(text) == sorted([tmp_run, f"{REPO.parent}/shared/data"])


def test_committed_cards_name_no_machine_path():
    for card in sorted((REPO / "models").glob("*.md")) + [REPO / "samples" / "README.md"]:
        assert machine_paths(card.read_text()) == [], card


def test_card_from_a_tiny_run(fer_npz, tmp_path, tiny_run_args, evaluate_to_json):
    """train -> export -> evaluate -> model_card, the card naming the data relative to the repository."""
    run = tmp_path / "run"
    train.main(tiny_run_args("emotion", fer_npz, run, "--epochs", "1", "--no-plot"))
    onnx = tmp_path / "emotion.onnx"
    export.main(
        export.get_args_parser().parse_args(
            [
                "--checkpoint",
                str(run / "best.pth"),
                "--output",
                str(onnx),
                "--data-path",
                str(fer_npz),
            ]
        )
    )
    evaluate_to_json(onnx, fer_npz, tmp_path / "eval.json")
    commands = tmp_path / "commands.txt"
    card = tmp_path / "emotion.md"
    argv = [
        "--model",
        str(onnx),
        "--checkpoint",
        str(run / "best.pth"),
        "--eval-json",
        str(tmp_path / "eval.json"),
        "--commands-file",
        str(commands),
        "--output",
        str(card),
    ]

    commands.write_text(f"python -m training.train --task emotion --output-dir {run}\n")
    with pytest.raises(SystemExit, match="absolute paths"):
        model_card.main(argv)
    assert not card.exists()

    commands.write_text("python -m training.train --task emotion --output-dir runs/emotion\n")
    model_card.main(argv)
    text = card.read_text()
    assert "| training data | `fer2013.npz` (fer2013.npz) |" in text and machine_paths(text) == []
    assert json.loads((tmp_path / "eval.json").read_text())["results"]["PrivateTest"]["n"] == 40
