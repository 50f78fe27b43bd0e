"""Identity through FaceAnalyzer: off costs nothing, gallery mode needs its file, enrolment takes
one clear face or a track, forgetting takes the name away, and a rerun gives the same ids."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from paths import DATA, DEMO, REPO, require_data

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig, with_heads
from face_analysis.core.errors import ConfigError, EnrolmentError
from face_analysis.core.identity.gallery import Consent
from face_analysis.offline.bag_reader import ImageBag

CONSENT = Consent("signed form 9", "operator Kim")
LFW = DATA / "lfw" / "images"


def analyzer(tmp_path=None, mode: str = "gallery") -> FaceAnalyzer:
    gallery = str(tmp_path / "people.db") if tmp_path else ""
    config = AnalyzerConfig(identity=mode, identity_gallery=gallery)
    return FaceAnalyzer(with_heads(config, ()))


def lfw(name: str, number: int) -> np.ndarray:
    return cv2.imread(str(require_data(LFW / name / f"{name}_{number:04d}.jpg")))


def test_identity_off_imports_no_dlib():
    code = (
        "import sys; from face_analysis.core.analyzer import FaceAnalyzer; "
        "from face_analysis.core.config import AnalyzerConfig, with_heads; "
        "a = FaceAnalyzer(with_heads(AnalyzerConfig(), ())); "
        "import numpy; a.analyze(numpy.zeros((64, 64, 3), numpy.uint8)); "
        "assert a.identity is None and 'dlib' not in sys.modules, 'dlib imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_gallery_mode_needs_a_file_and_enrolling_needs_gallery_mode():
    with pytest.raises(ConfigError, match="identity_gallery"):
        analyzer()
    with pytest.raises(ConfigError, match="identity is off"):
        FaceAnalyzer(with_heads(AnalyzerConfig(), ())).enrol(
            "Ada", CONSENT, lfw("Aaron_Peirsol", 1)
        )
    with pytest.raises(ConfigError, match="identity=gallery"):
        analyzer(mode="session").forget("Ada")


def test_enrol_needs_one_clear_face(tmp_path):
    robot = analyzer(tmp_path)
    with pytest.raises(EnrolmentError, match="no face"):
        robot.enrol("Nobody", CONSENT, np.full((240, 320, 3), 90, np.uint8))
    crowd = cv2.imread(str(require_data(DEMO / "solvay_conference_1927_1280.png")))
    with pytest.raises(EnrolmentError, match="similar size"):
        robot.enrol("Someone", CONSENT, crowd)
    assert robot.people() == []  # nothing half-enrolled


def test_enrol_a_track_recognise_and_forget(tmp_path):
    robot = analyzer(tmp_path)
    (first,) = robot.analyze(lfw("Aaron_Peirsol", 1), stamp_s=100.0)
    assert first.name == "" and first.person_id.startswith("anon_")
    person = robot.enrol("Aaron", CONSENT, face=first.track_id)
    assert [p.name for p in robot.people()] == ["Aaron"] and person.embeddings == 1
    # Refused from the track's state now, not from a frame analysed before the enrolment.
    with pytest.raises(EnrolmentError, match="'Aaron'.*enrolled already"):
        robot.enrol("Someone else", CONSENT, face=first.track_id)
    assert [p.name for p in robot.people()] == ["Aaron"]
    (same,) = robot.analyze(lfw("Aaron_Peirsol", 1), stamp_s=100.1)
    assert (same.track_id, same.person_id, same.name) == (first.track_id, person.id, "Aaron")
    robot.reset()  # a new source: the next photo is a new track, recognised from the gallery
    (other_photo,) = robot.analyze(lfw("Aaron_Peirsol", 2), stamp_s=200.0)
    assert other_photo.track_id != first.track_id and other_photo.name == "Aaron"
    robot.forget("Aaron")
    (after,) = robot.analyze(lfw("Aaron_Peirsol", 2), stamp_s=200.1)
    assert after.name == "" and after.person_id != person.id and robot.people() == []


def test_a_rerun_gives_the_same_person_ids():
    def person_ids() -> list[list[str]]:
        robot = analyzer(mode="session")
        ids = []
        with ImageBag(REPO / "samples" / "faces_demo") as bag:
            for frame in bag.frames():
                if frame.index >= 6:
                    break
                results = robot.analyze(frame.image(), stamp_s=frame.stamp_ns / 1e9)
                ids.append([r.person_id for r in results])
        return ids

    first = person_ids()
    assert sum(len(frame) for frame in first) >= 30 and all(all(frame) for frame in first)
    assert person_ids() == first
