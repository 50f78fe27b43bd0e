"""End to end: record a tiny recording of a photo with known faces, evaluate it, check every
metric and output; plus the record/play/evaluate subcommands of the command line."""

import json
import subprocess
import sys

import pytest
from offline_helpers import FEMALE_GRAY, MALE_GRAY, fake_analyzer, square_photo, write_photo
from paths import REPO
from rosbags.rosbag2 import Reader

from face_analysis.offline.evaluate import evaluate_bag
from face_analysis.offline.ground_truth import read_ground_truth
from face_analysis.offline.record import RecordOptions, record
from face_analysis.offline.typestore import FACE_ANALYSIS_ARRAY, typestore

START_NS = 1_800_000_000_000_000_000
SQUARES = [
    (100, 200, 180, 280, MALE_GRAY),
    (400, 150, 470, 220, FEMALE_GRAY),
    (600, 400, 660, 460, MALE_GRAY),
]
# The third face's gender is left unknown: it must count for detection, not for accuracy.
FACES = [(100, 200, 180, 280, "male"), (400, 150, 470, 220, "female"), (600, 400, 660, 460, "")]


@pytest.fixture
def recording(tmp_path):
    photo = tmp_path / "group.png"
    csv = write_photo(photo, square_photo((800, 600), SQUARES), FACES)
    options = RecordOptions(
        fps=10.0,
        start_ns=START_NS,
        frame_size=(400, 300),
        motion="none",
        seconds=1.0,
        faces={"group.png": csv},
    )
    gt = tmp_path / "gt.jsonl"
    stats = record(
        [photo],
        tmp_path / "bag",
        {"storage": "mcap", "images": "compressed", "jpeg_quality": 95},
        options,
        gt,
    )
    assert stats["frames"] == 10 and stats["annotated_frames"] == 10
    return tmp_path / "bag", gt


def test_ground_truth_is_the_photo_boxes_mapped_into_each_frame(recording):
    _, gt = recording
    frames = read_ground_truth(gt)
    assert sorted(frames) == [START_NS + k * 100_000_000 for k in range(10)]
    first = frames[START_NS]
    # Fixed full view of an 800x600 photo in a 400x300 frame: everything halves.
    assert [f.box.as_tuple() for f in first.faces] == [
        (50, 100, 90, 140),
        (200, 75, 235, 110),
        (300, 200, 330, 230),
    ]
    assert [f.labels for f in first.faces] == [{"gender": "male"}, {"gender": "female"}, {}]


def test_evaluate_scores_a_recording_with_known_faces(recording, tmp_path):
    bag, gt = recording
    out = tmp_path / "eval"
    summary = evaluate_bag(
        bag, fake_analyzer(), out, ground_truth=gt, results_bag=tmp_path / "results"
    )
    assert summary["topic"] == "/camera/image_raw/compressed"
    assert (summary["frames"], summary["analysed"], summary["faces"]) == (10, 10, 30)
    assert summary["skipped"] == {"count": 0, "reasons": {}}
    assert summary["detection"] == {
        "iou_threshold": 0.5,
        "annotated_frames": 10,
        "annotated_frames_not_evaluated": 0,
        "true_positives": 30,
        "false_positives": 0,
        "false_negatives": 0,
        "precision": 1.0,
        "recall": 1.0,
        "by_source": {
            "group.png": {
                "true_positives": 30,
                "false_positives": 0,
                "false_negatives": 0,
                "precision": 1.0,
                "recall": 1.0,
            }
        },
    }
    assert summary["classification"] == {"gender": {"correct": 20, "total": 20, "accuracy": 1.0}}
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "mean", "max"}
    assert summary["fps"] > 0
    assert len(summary["tracks"]) == 3  # a still scene: three faces, three tracks
    assert all(t["frames"] == 10 for t in summary["tracks"].values())

    assert json.loads((out / "summary.json").read_text()) == summary
    lines = [json.loads(line) for line in (out / "frames.jsonl").read_text().splitlines()]
    assert [r["stamp_ns"] for r in lines] == [START_NS + k * 100_000_000 for k in range(10)]
    assert (out / "emotion_over_time.png").stat().st_size > 0

    # --record-results: one FaceAnalysisArray per frame, with the frame's header.
    with Reader(tmp_path / "results") as reader:
        assert [c.msgtype for c in reader.connections] == [FACE_ANALYSIS_ARRAY]
        msgs = [
            typestore().deserialize_cdr(data, FACE_ANALYSIS_ARRAY)
            for _, _, data in reader.messages()
        ]
    assert len(msgs) == 10
    assert msgs[3].header.stamp.sec * 10**9 + msgs[3].header.stamp.nanosec == lines[3]["stamp_ns"]
    assert list(msgs[0].gender_labels) == ["male", "female"]
    genders = sorted(face.gender for face in msgs[0].faces)
    assert genders == ["female", "male", "male"]
    assert msgs[0].faces[0].emotion == "happy"


def test_the_command_line_parses_record_play_and_evaluate():
    from face_analysis.cli import build_parser
    from face_analysis.commands import evaluate, play
    from face_analysis.commands import record as record_command

    parser = build_parser()
    args = parser.parse_args(
        [
            "record",
            "a.jpg",
            "b.mp4",
            "-o",
            "bag",
            "--storage",
            "sqlite3",
            "--images",
            "both",
            "--start",
            "2026-11-23T12:00:00+00:00",
            "--faces",
            "dir/a.jpg=a.csv",
            "--size",
            "320x240",
        ]
    )
    assert args.func is record_command.run and args.start == 1_795_435_200 * 10**9
    assert args.faces == [("a.jpg", "a.csv")] and args.size == (320, 240)
    args = parser.parse_args(["play", "bag", "--rate", "2", "--decode", "--best-effort", "--loop"])
    assert args.func is play.run and args.rate == 2.0 and args.decode and args.best_effort
    args = parser.parse_args(
        [
            "evaluate",
            "bag",
            "--ground-truth",
            "gt.jsonl",
            "-o",
            "out",
            "--record-results",
            "--detector",
            "haar",
        ]
    )
    assert args.func is evaluate.run and args.record_results == "" and args.output_dir == "out"


def test_evaluate_command_prints_the_summary_table(recording, tmp_path, monkeypatch, capsys):
    from face_analysis.cli import main
    from face_analysis.commands import evaluate

    monkeypatch.setattr(evaluate, "FaceAnalyzer", lambda config: fake_analyzer())
    bag, gt = recording
    assert (
        main(
            [
                "evaluate",
                str(bag),
                "--ground-truth",
                str(gt),
                "-o",
                str(tmp_path / "out"),
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "frames        10 (10 analysed, 0 skipped)" in printed
    assert (
        "detection     IoU >= 0.5 on 10 annotated frames: precision 1.000, recall 1.000 "
        "(TP 30, FP 0, FN 0)"
    ) in printed
    assert "gender acc.   1.000 (20/20 matched faces with a known label)" in printed
    assert "latency ms    p50 " in printed and "throughput    " in printed


def test_cli_commands_import_without_ros_or_matplotlib():
    # cli.py imports every subcommand's module for every command, `image` too: they must not
    # drag in rclpy (absent from a pip install) or matplotlib (slow).
    code = (
        "import sys, face_analysis.cli; "
        "print(sorted(m for m in ('rclpy', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
