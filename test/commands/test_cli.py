"""The face-analysis command: image and video demos, JSON output, clear errors."""

import json
import re

import cv2
import pytest
from paths import DEMO, REPO, TEST_PHOTO, model_path

from face_analysis.cli import build_parser, main
from face_analysis.commands.options import config_from_args
from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig, with_heads

ANALYSING = ("image", "video", "evaluate")
SHARED_OPTIONS = (
    "--emotion-model",
    "--gender-model",
    "--heads",
    "--intra-op-threads",
    "--providers",
    "--detector",
    "--detector-setting",
    "--min-detection-score",
    "--max-faces",
    "--iou-threshold",
    "--smoothing-alpha",
    "--max-missed",
)
# The paper's FER-2013 emotion head (7 classes) and the gender head, as shipped.
MODEL_ARGS = ["--emotion-model", model_path("emotion"), "--gender-model", model_path("gender")]
ASTRONAUT = DEMO / "astronaut_eileen_collins.png"


def test_image_json_and_overlay(tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["image", str(TEST_PHOTO), "-o", str(out), "--json", *MODEL_ARGS]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["width"], report["height"]) == (2048, 1536)
    faces = report["faces"]
    assert len(faces) == 6
    first = faces[0]
    assert set(first) == {
        "box",
        "score",
        "track_id",
        "gender",
        "emotion",
        "age",
        "pose",
        "attributes_unknown",
    }
    assert first["attributes_unknown"] is False
    assert 1 <= first["age"]["value"] <= 100 and first["age"]["std"] > 0  # the shipped age head
    assert set(first["emotion"]["probs"]) == {
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    }
    assert first["gender"]["label"] in ("male", "female")
    assert sum(first["gender"]["probs"].values()) == pytest.approx(1.0, abs=1e-3)
    # YuNet's landmarks give every face a head pose, metres away, in front of the camera.
    assert all(f["pose"]["distance"] > 0.2 and f["pose"]["position"][2] > 0 for f in faces)
    assert all(0 <= f["pose"]["looking_at_camera"] <= 1 for f in faces)
    assert cv2.imread(str(out)).shape == (1536, 2048, 3)


def test_image_text_output_and_detector_settings(capsys):
    rc = main(
        [
            "image",
            str(ASTRONAUT),
            *MODEL_ARGS,
            "--detector",
            "haar",
            "--detector-setting",
            "scale_factor=1.1",
            "--detector-setting",
            "downscale=2",
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("1 face(s)") and lines[1].strip().startswith("face #1 at (")
    assert re.search(r"  age \d+ \+- \d+  ", lines[1])  # the shipped age head, beside the others


def test_video(tmp_path, capsys):
    clip = DEMO / "tears_of_steel_10s_640x360.mp4"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    out, log = tmp_path / "out.mp4", tmp_path / "faces.jsonl"
    rc = main(
        [
            "video",
            str(clip),
            "-o",
            str(out),
            "--jsonl",
            str(log),
            "--max-frames",
            "8",
            *MODEL_ARGS,
        ]
    )
    assert rc == 0
    assert "8 frames" in capsys.readouterr().out
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
        640,
        360,
    )
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    assert [f["frame"] for f in frames] == list(range(8))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["image", "/nonexistent.jpg"], "/nonexistent.jpg: cannot read it as an image"),
        (["video", "/nonexistent.mp4"], "/nonexistent.mp4: cannot open it as a video"),
        (
            ["image", "{photo}", "--emotion-model", "/nowhere/emotion.onnx"],
            "/nowhere/emotion.onnx: model file not found",
        ),
        (["image", "{photo}", "--detector-setting", "speed=3"], "accepted settings"),
        (["image", "{photo}", "-o", "/tmp/out.unknown-extension"], "cannot write the image"),
    ],
)
def test_errors_are_one_clear_line(capsys, argv, message):
    argv = [a.replace("{photo}", str(ASTRONAUT)) for a in argv]
    models = [] if "--emotion-model" in argv else MODEL_ARGS
    assert main([*argv, *models]) == 2
    err = capsys.readouterr().err
    assert err.startswith("face-analysis: error: ") and message in err


@pytest.mark.parametrize(
    "heads, present",
    [("gender", {"gender"}), ("emotion,age", {"emotion", "age"}), ("", set())],
    ids=["gender", "emotion+age", "none"],
)
def test_heads_runs_only_those(capsys, heads, present):
    assert main(["image", str(TEST_PHOTO), "--json", "--heads", heads, *MODEL_ARGS]) == 0
    faces = json.loads(capsys.readouterr().out)["faces"]
    assert len(faces) == 6
    for face in faces:
        assert {head for head in ("emotion", "gender", "age") if face[head] is not None} == present


def test_unknown_head_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["image", "x.jpg", "--heads", "gender,mood"])
    assert exit_info.value.code == 2
    assert "heads: ['mood'] not among" in capsys.readouterr().err


def test_privacy_overlay_shows_no_face(tmp_path, capsys):
    out = tmp_path / "private.png"
    assert main(["image", str(TEST_PHOTO), "-o", str(out), "--privacy", *MODEL_ARGS]) == 0
    assert "6 face(s)" in capsys.readouterr().out
    find = FaceAnalyzer(with_heads(AnalyzerConfig(), ()))
    assert find.detect(cv2.imread(str(out))) == []


def test_bad_setting_syntax_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["image", "x.jpg", "--detector-setting", "novalue"])
    assert exit_info.value.code == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_shared_options_map_onto_the_analyzer_config():
    args = build_parser().parse_args(
        [
            "video",
            "a.mp4",
            "--max-faces",
            "3",
            "--smoothing-alpha",
            "0.4",
            "--iou-threshold",
            "0.5",
            "--providers",
            "CUDAExecutionProvider,CPUExecutionProvider",
        ]
    )
    assert (args.command, args.max_faces, args.smoothing_alpha) == ("video", 3, 0.4)
    config = config_from_args(args)
    assert (config.max_faces, config.smoothing_alpha, config.iou_threshold) == (3, 0.4, 0.5)
    assert list(config.providers) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert config.emotion_model.endswith("models/emotion_ferplus.onnx")


def readme_commands() -> dict[str, list[str]]:
    """command -> the options its row of the README's command table names."""
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| `face-analysis (\w+) ([^`]*)` \|", readme, re.M)
    return {name: re.findall(r"(--?[a-z][-a-z]*)", usage) for name, usage in rows}


def test_every_commands_help_lists_what_the_readme_says(capsys):
    commands = readme_commands()
    assert set(commands) == {"image", "video", "record", "play", "evaluate", "demo", "anonymize"}
    for name, options in commands.items():
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        for option in options:
            assert re.search(rf"(^|[ ,\[]){option}\b", text, re.M), (name, option)
        if name in ANALYSING:  # "COMMAND --help lists the options (models, detector, tracking)"
            for option in SHARED_OPTIONS:
                assert option in text, (name, option)


def test_real_models_on_the_test_photo(tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["image", str(TEST_PHOTO), "-o", str(out), "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)["faces"]
    assert sorted(f["gender"]["label"] for f in faces) == ["female"] + ["male"] * 5
    assert out.is_file()
