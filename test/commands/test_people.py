"""Enrol, recognise, forget through the command line with a real gallery file, and
`face-analysis verify` on a tiny pair file."""

from __future__ import annotations

import json

import cv2
import numpy as np
from paths import DATA, DEMO, require_data

from face_analysis.cli import main

LFW = DATA / "lfw" / "images"


def photo(name: str, number: int) -> str:
    return str(require_data(LFW / name / f"{name}_{number:04d}.jpg"))


def faces_of(capsys, *args: str) -> list[dict]:
    assert main(["image", *args, "--heads", "", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["faces"]


def test_enrolled_person_is_named_until_forgotten(tmp_path, capsys):
    gallery = str(tmp_path / "people.db")
    where = ["--identity-gallery", gallery]
    enrol = ["people", "enrol", "Aaron", photo("Aaron_Peirsol", 1), "--consent", "signed form 3"]
    assert main([*enrol, "--by", "Kim", *where]) == 0
    assert "enrolled Aaron as person_" in capsys.readouterr().out
    assert main(["people", "list", *where]) == 0
    listing = capsys.readouterr().out
    assert (
        "1 people" in listing
        and "Aaron" in listing
        and "'signed form 3', recorded by Kim" in listing
    )

    identity = ["--identity", "gallery", *where]
    (same,) = faces_of(capsys, photo("Aaron_Peirsol", 2), *identity)
    assert same["name"] == "Aaron" and same["person_id"].startswith("person_")
    assert same["identity_confidence"] > 0.5
    (other,) = faces_of(capsys, photo("Aaron_Sorkin", 1), *identity)
    assert other["name"] == "" and other["person_id"].startswith("anon_")

    assert main(["people", "forget", "Aaron", *where]) == 0
    assert "forgot Aaron" in capsys.readouterr().out
    (after,) = faces_of(capsys, photo("Aaron_Peirsol", 2), *identity)
    assert after["name"] == "" and after["person_id"].startswith("anon_")
    assert main(["people", "list", *where]) == 0
    assert "0 people" in capsys.readouterr().out


def test_identity_off_leaves_the_records_as_they_were(capsys):
    (face,) = faces_of(capsys, photo("Aaron_Peirsol", 2))
    assert "person_id" not in face and "name" not in face


def test_bad_requests_fail_with_a_clear_message(tmp_path, capsys):
    where = ["--identity-gallery", str(tmp_path / "people.db")]
    consent = ["--consent", "signed form 4"]
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200, 3), 128, np.uint8))
    assert main(["people", "enrol", "Nobody", str(blank), *consent, *where]) == 2
    assert "no face found" in capsys.readouterr().err
    crowd = str(require_data(DEMO / "solvay_conference_1927_1280.png"))
    assert main(["people", "enrol", "Someone", crowd, *consent, *where]) == 2
    assert "faces of similar size" in capsys.readouterr().err
    assert main(["people", "forget", "Nobody", *where]) == 2
    assert "no gallery there" in capsys.readouterr().err  # nothing was created by the failures
    assert main(["people", "enrol", "Aaron", photo("Aaron_Peirsol", 1), *consent, *where]) == 0
    assert main(["people", "forget", "Nobody", *where]) == 2
    assert "nobody named or numbered 'Nobody'" in capsys.readouterr().err
    assert main(["image", photo("Aaron_Peirsol", 1), "--identity", "gallery"]) == 2
    assert "identity_gallery" in capsys.readouterr().err


def test_verify_fits_on_one_file_and_scores_another(tmp_path, capsys):
    fit = tmp_path / "fit.txt"
    fit.write_text(
        "2\nAaron_Peirsol\t1\t2\nAaron_Peirsol\t3\t4\n"
        "Aaron_Peirsol\t1\tAaron_Sorkin\t1\nAaron_Peirsol\t3\tAaron_Sorkin\t2\n"
    )
    score = tmp_path / "score.txt"
    score.write_text("1\nAaron_Peirsol\t2\t3\nAaron_Peirsol\t2\tAaron_Sorkin\t2\n")
    out = tmp_path / "verify.json"
    args = ["verify", "--pairs", str(score), "--images", str(require_data(LFW))]
    rc = main(
        [*args, "--fit-on", str(fit), "--json", str(out), "-o", str(tmp_path), "--no-progress"]
    )
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["accuracy"] == 1.0 and report["pairs"] == 2 and report["no_face"] == 0
    assert report["fit"]["pairs"] == 4 and 0.3 < report["threshold"] < 0.9
    assert (tmp_path / "roc.png").is_file()
    assert "accuracy      100.00%" in capsys.readouterr().out
    # Shrunk until no face is found: every same pair is called different.
    assert main([*args, "--face-size", "8", "--json", str(out), "--no-progress"]) == 0
    shrunk = json.loads(out.read_text())
    assert shrunk["no_face"] == 3 and shrunk["accuracy"] == 0.5


def test_enrol_a_track_of_a_recording(tmp_path, capsys):
    bag = tmp_path / "visit"
    record = ["record", "-o", str(bag), photo("Aaron_Peirsol", 1), "--motion", "none"]
    assert main([*record, "--fps", "5", "--seconds", "2.2", "--size", "250x250"]) == 0
    where = ["--identity-gallery", str(tmp_path / "people.db")]
    enrol = ["people", "enrol", "Aaron", "--bag", str(bag), "--consent", "signed form 5"]
    assert main([*enrol, "--track", "7", *where]) == 2
    assert "track 7 has no face to enrol" in capsys.readouterr().err
    assert main([*enrol, "--track", "1", *where]) == 0
    assert "(3 embeddings)" in capsys.readouterr().out  # its three best frames
    (face,) = faces_of(capsys, photo("Aaron_Peirsol", 2), "--identity", "gallery", *where)
    assert face["name"] == "Aaron"
