"""Detection precision/recall, classification accuracy and tracking metrics on hand-made
detections with known answers, the ground-truth person ids, and the run summary on hand-made
records."""

import pytest

from face_analysis.core.types import FaceBox
from face_analysis.offline.ground_truth import (
    FrameTruth,
    GroundTruthError,
    TrueFace,
    read_face_csv,
    read_ground_truth,
    write_ground_truth,
)
from face_analysis.offline.metrics import GroundTruthScorer, match_faces
from face_analysis.offline.summary import SummaryBuilder, format_table


def face(box, gender=None, emotion=None, track=1, age=None):
    def scores(label):
        return None if label is None else {"label": label, "confidence": 0.9, "probs": {label: 0.9}}

    return {
        "box": list(box),
        "score": 1.0,
        "track_id": track,
        "gender": scores(gender),
        "emotion": scores(emotion),
        "age": None if age is None else {"value": age, "std": 5.0},
    }


def truth(stamp, *faces):
    return FrameTruth(
        stamp,
        stamp,
        f"photo{stamp % 2}.png",
        [TrueFace(FaceBox(*box), labels) for box, labels in faces],
    )


def test_precision_recall_and_accuracy_match_a_hand_count():
    scorer = GroundTruthScorer(
        {
            1: truth(
                1,
                ((0, 0, 10, 10), {"gender": "male"}),
                ((20, 0, 30, 10), {"gender": "female"}),
                ((40, 0, 50, 10), {}),
            ),
            2: truth(2),  # truly no face
            4: truth(4, ((0, 0, 10, 10), {})),  # never analysed
        }
    )
    frame1 = scorer.add(
        1,
        [
            face((1, 0, 11, 10), "male", "happy"),  # IoU 0.82 with the man: TP, gender right
            face((20, 0, 30, 10), "male", "happy"),  # exact on the woman: TP, gender wrong
            face((45, 0, 55, 10), "male"),  # IoU 0.33 with the third face: FP (+ FN)
            face((100, 100, 110, 110), "female"),
        ],
    )  # nothing there: FP
    assert frame1 == {"true_positives": 2, "false_positives": 2, "false_negatives": 1}
    assert scorer.add(2, [face((5, 5, 15, 15))]) == {
        "true_positives": 0,
        "false_positives": 1,
        "false_negatives": 0,
    }
    assert scorer.add(3, [face((5, 5, 15, 15))]) is None  # not annotated: not counted

    assert scorer.detection() == {
        "iou_threshold": 0.5,
        "annotated_frames": 2,
        "annotated_frames_not_evaluated": 1,
        "true_positives": 2,
        "false_positives": 3,
        "false_negatives": 1,
        "precision": 0.4,
        "recall": 0.6667,
        "by_source": {
            "photo0.png": {
                "true_positives": 0,
                "false_positives": 1,
                "false_negatives": 0,
                "precision": 0.0,
                "recall": None,
            },
            "photo1.png": {
                "true_positives": 2,
                "false_positives": 2,
                "false_negatives": 1,
                "precision": 0.5,
                "recall": 0.6667,
            },
        },
    }
    # Emotion has no true label anywhere, so it gets no accuracy rather than a fake one.
    assert scorer.classification() == {"gender": {"correct": 1, "total": 2, "accuracy": 0.5}}


def test_matching_threshold_is_inclusive_and_one_to_one():
    square = FaceBox(0, 0, 10, 10)
    assert match_faces([square], [FaceBox(0, 0, 10, 20)]) == [(0, 0)]  # IoU exactly 0.5
    assert match_faces([square], [FaceBox(0, 0, 10, 21)]) == []  # just below
    # One detection between two true faces matches the better one only.
    pairs = match_faces([FaceBox(0, 0, 10, 10), FaceBox(3, 0, 13, 10)], [FaceBox(1, 0, 11, 10)])
    assert pairs == [(0, 0)]


def test_undefined_ratios_are_none_not_zero():
    scorer = GroundTruthScorer({1: truth(1)})
    scorer.add(1, [])
    detection = scorer.detection()
    assert detection["precision"] is None and detection["recall"] is None
    assert scorer.classification() == {}


def test_summary_counts_latency_percentiles_tracks_and_skips():
    builder = SummaryBuilder()
    records = [
        {
            "frame": 0,
            "stamp_ns": 100,
            "frame_id": "c",
            "latency_ms": 10.0,
            "faces": [face((0, 0, 9, 9), "male", "happy", track=1, age=30.0)],
        },
        {
            "frame": 1,
            "stamp_ns": 200,
            "frame_id": "c",
            "latency_ms": 20.0,
            "faces": [
                face((0, 0, 9, 9), "male", "happy", track=1, age=33.0),
                face((20, 0, 29, 9), "female", "sad", track=2),
            ],
        },
        {"frame": 2, "stamp_ns": 300, "frame_id": "c", "skipped": "unsupported encoding 'x'"},
        {"frame": 3, "stamp_ns": 400, "frame_id": "c", "latency_ms": 30.0, "faces": []},
        {"frame": 4, "stamp_ns": 500, "frame_id": "c", "skipped": "unsupported encoding 'x'"},
    ]
    for record in records:
        builder.add(record)
    summary = builder.summary(wall_s=0.5)
    assert summary["frames"] == 5 and summary["analysed"] == 3 and summary["faces"] == 3
    assert summary["skipped"] == {"count": 2, "reasons": {"unsupported encoding 'x'": 2}}
    assert summary["faces_per_frame"] == {
        "mean": 1.0,
        "max": 2,
        "histogram": {"0": 1, "1": 1, "2": 1},
    }
    assert summary["latency_ms"] == {
        "p50": 20.0,
        "p90": 28.0,
        "p99": 29.8,
        "mean": 20.0,
        "max": 30.0,
    }
    assert summary["fps"] == 6.0
    assert summary["tracks"] == {
        "1": {
            "frames": 2,
            "first_stamp_ns": 100,
            "last_stamp_ns": 200,
            "gender": {"male": 2},
            "emotion": {"happy": 2},
            "age": 31.5,  # median of the frames' estimates
        },
        "2": {
            "frames": 1,
            "first_stamp_ns": 200,
            "last_stamp_ns": 200,
            "gender": {"female": 1},
            "emotion": {"sad": 1},
            "age": None,  # no age head ran
        },
    }
    table = format_table(summary)
    assert "skipped    2  unsupported encoding 'x'" in table
    assert "p50 20.0  p90 28.0  p99 29.8" in table
    assert "    #1      2   32  male 2" in table and "    #2      1    -  female 1" in table


def people(stamp, source, *faces):
    """A frame whose faces name their person: (person, box) pairs."""
    return FrameTruth(
        stamp, stamp, source, [TrueFace(FaceBox(*box), {}, person) for person, box in faces]
    )


def test_tracking_metrics_count_a_known_id_switch():
    """Two people over 4 frames; the tracker swaps a's id for a new one from frame 2 on."""
    a, b = (0, 0, 10, 10), (50, 0, 60, 10)
    scorer = GroundTruthScorer({k: people(k, "room", ("a", a), ("b", b)) for k in range(4)})
    for k, a_track in enumerate([1, 1, 3, 3]):
        scorer.add(k, [face(a, track=a_track), face(b, track=2)])
    tracking = scorer.tracking()
    assert tracking["id_switches"] == 1
    # IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN): a keeps track 1 (or 3) for 2 of 4 frames, b all 4,
    # so IDTP 6, IDFP 2, IDFN 2.
    assert tracking["idf1"] == pytest.approx(12 / 16, abs=1e-4)
    # no miss, no false box, one switch among 8 true faces
    assert tracking["mota"] == pytest.approx(1 - 1 / 8, abs=1e-4)
    assert (tracking["people"], tracking["tracks"], tracking["tracks_per_person"]) == (2, 3, 1.5)
    assert tracking["by_source"]["room"]["id_switches"] == 1
    assert tracking["library"].startswith("motmetrics ")


def test_tracking_metrics_per_source_and_misses():
    scorer = GroundTruthScorer(
        {
            1: people(1, "photo", ("p:a", (0, 0, 10, 10))),
            2: people(2, "photo", ("p:a", (0, 0, 10, 10))),
            3: people(3, "film", ("f:x", (0, 0, 10, 10))),
        }
    )
    scorer.add(1, [face((0, 0, 10, 10), track=7)])
    scorer.add(2, [])  # a miss is no switch
    scorer.add(3, [face((0, 0, 10, 10), track=7), face((80, 80, 90, 90), track=8)])
    tracking = scorer.tracking()
    # one miss and one false box among 3 true faces
    assert tracking["id_switches"] == 0
    assert tracking["mota"] == pytest.approx(1 - 2 / 3, abs=1e-4)
    assert (tracking["people"], tracking["tracks"]) == (2, 2)
    assert tracking["by_source"]["photo"] == {
        "people": 1,
        "tracks": 1,
        "tracks_per_person": 1.0,
        "idf1": 0.6667,
        "id_switches": 0,
        "fragmentations": 0,
        "mota": 0.5,
    }
    assert "tracking      2 tracks for 2 people" in format_table(
        {**SummaryBuilder().summary(), "tracking": tracking}
    )


def test_ground_truth_without_person_ids_gets_no_tracking_metrics():
    scorer = GroundTruthScorer({1: truth(1, ((0, 0, 10, 10), {}))})
    scorer.add(1, [face((0, 0, 10, 10))])
    assert scorer.tracking() is None
    assert "tracking      n/a" in format_table({**SummaryBuilder().summary(), "tracking": None})
    assert GroundTruthScorer({1: people(1, "s", ("a", (0, 0, 10, 10)))}).tracking() is None


def test_person_ids_from_the_face_csv_and_through_the_ground_truth_file(tmp_path):
    named = tmp_path / "named.csv"
    named.write_text("id,x_min,y_min,x_max,y_max,is_face\nstatue,0,0,9,9,0\nann,1,1,9,9,1\n")
    assert [f.person for f in read_face_csv(named)] == ["ann"]
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("x_min,y_min,x_max,y_max\n0,0,9,9\n10,10,19,19\n")
    assert [f.person for f in read_face_csv(unnamed)] == ["00", "01"]
    twice = tmp_path / "twice.csv"
    twice.write_text("id,x_min,y_min,x_max,y_max\nann,0,0,9,9\nann,10,10,19,19\n")
    with pytest.raises(GroundTruthError, match="twice.csv:3: id 'ann' is used twice"):
        read_face_csv(twice)

    path = tmp_path / "gt.jsonl"
    write_ground_truth(path, [people(5, "group.png", ("group:ann", (1, 1, 9, 9)))])
    assert '"person": "group:ann"' in path.read_text()
    assert read_ground_truth(path)[5].faces[0].person == "group:ann"
    old = tmp_path / "old.jsonl"  # written before person ids existed
    old.write_text('{"stamp_ns": 5, "frame": 0, "source": "s", "faces": [{"box": [1, 1, 9, 9]}]}\n')
    assert read_ground_truth(old)[5].faces[0].person is None


def test_summary_counts_the_faces_that_look_at_the_camera():
    builder = SummaryBuilder()
    faces = [face((0, 0, 9, 9), track=1), face((20, 0, 29, 9), track=2), face((40, 0, 49, 9))]
    for record_face, looking in zip(faces, (0.9, 0.2)):  # the third has no head pose
        record_face["pose"] = {"looking_at_camera": looking}
    builder.add({"frame": 0, "stamp_ns": 1, "frame_id": "c", "faces": faces})
    summary = builder.summary()
    assert summary["looking_at_camera"] == {"faces": 1, "faces_with_pose": 2, "threshold": 0.5}
    assert "1 of 2 faces with a head pose look at the camera" in format_table(summary)
