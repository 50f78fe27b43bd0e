"""Person ids scored against the ground truth's people on hand-made frames, and carried through a
results bag into the records the result recorder writes."""

from __future__ import annotations

from rosbags.rosbag2 import Reader

from face_analysis.core.types import FaceBox, FaceResult
from face_analysis.offline.ground_truth import FrameTruth, TrueFace
from face_analysis.offline.metrics import GroundTruthScorer
from face_analysis.offline.records import analysis_msg_record
from face_analysis.offline.results_bag import ResultsBagWriter
from face_analysis.offline.summary import format_table
from face_analysis.offline.typestore import FACE_ANALYSIS_ARRAY, typestore

ADA, GRACE = (0, 0, 10, 10), (20, 0, 30, 10)


def frame(stamp: int) -> FrameTruth:
    return FrameTruth(
        stamp,
        stamp,
        "photo.png",
        [TrueFace(FaceBox(*ADA), {}, "photo:ada"), TrueFace(FaceBox(*GRACE), {}, "photo:grace")],
    )


def face(box, track: int, person: str | None) -> dict:
    found = {"box": list(box), "score": 1.0, "track_id": track, "gender": None, "emotion": None}
    return found if person is None else {**found, "person_id": person, "name": ""}


def test_ids_per_person_and_people_under_one_id():
    scorer = GroundTruthScorer({stamp: frame(stamp) for stamp in range(1, 5)})
    # Ada: tracks 1 and 3, one person id throughout; Grace: track 2, then track 4 under the id
    # Ada had (a merge), then her own again.
    scorer.add(1, [face(ADA, 1, "anon_1"), face(GRACE, 2, "anon_2")])
    scorer.add(2, [face(ADA, 3, "anon_1"), face(GRACE, 2, "anon_2")])
    scorer.add(3, [face(GRACE, 4, "anon_1")])
    scorer.add(4, [face(ADA, 3, "anon_1"), face(GRACE, 4, "anon_2")])
    identity = scorer.person_ids()
    assert identity["people"] == 2 and identity["person_ids"] == 2
    assert identity["person_ids_per_person"] == 1.5  # Ada 1, Grace 2
    assert identity["track_ids_per_person"] == 2.0  # Ada 1 and 3, Grace 2 and 4
    assert identity["merged_ids"] == 1
    assert identity["merged"] == {"anon_1": ["photo:ada", "photo:grace"]}
    assert 0 < identity["idf1"] < 1 and identity["id_switches"] >= 1
    summary = {
        "frames": 4, "analysed": 4, "skipped": {"count": 0, "reasons": {}}, "problems": [],
        "faces_per_frame": {"mean": None}, "latency_ms": None, "fps": None, "tracks": {},
        "identity": identity,
    }  # fmt: skip
    assert "person ids    2 for 2 people: 1.500 per person (track ids 2.000)" in format_table(
        summary
    )


def test_without_person_ids_there_is_no_identity_score():
    scorer = GroundTruthScorer({1: frame(1)})
    scorer.add(1, [face(ADA, 1, None), face(GRACE, 2, None)])
    assert scorer.person_ids() is None


def test_person_ids_go_through_a_results_bag(tmp_path):
    writer = ResultsBagWriter(tmp_path / "results", {})
    known = FaceResult(FaceBox(*ADA), 1, person_id="person_1a2b3c4d", name="Ada",
                       identity_confidence=0.93)  # fmt: skip
    writer.write(1_000, "camera", [known, FaceResult(FaceBox(*GRACE), 2)])
    writer.close()
    with Reader(tmp_path / "results") as reader:
        (data,) = [data for _, _, data in reader.messages()]
    record = analysis_msg_record(0, typestore().deserialize_cdr(data, FACE_ANALYSIS_ARRAY))
    ada, grace = record["faces"]
    assert (ada["person_id"], ada["name"], ada["identity_confidence"]) == (
        "person_1a2b3c4d",
        "Ada",
        0.93,
    )
    assert "person_id" not in grace  # identity off for that face: the record keeps its form
