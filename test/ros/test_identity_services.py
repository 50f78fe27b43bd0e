"""Who is this, over DDS with the real SQLite gallery: a person enrolled through ~/enrol from one
LFW photo sent as the camera image is recognised on another photo of them by a new node process
(person_id and name on faces/analysis, /humans/candidate_matches with hri_publish), and after
~/forget is unknown again. Bad requests (no face, several faces, no consent, a name taken, an
unknown name, a locked or corrupt gallery, identity off or session, a node not configured) get a
clear refusal while the node goes on analysing frames."""

import sqlite3
import time

import cv2
import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from hri_msgs.msg import IdsList, IdsMatch
from lifecycle_msgs.msg import Transition
from paths import DATA, require_data
from ros_probe import latest_reports
from sensor_msgs.msg import Image

from face_analysis.core.image_codec import encode_image
from face_analysis.msg import FaceAnalysisArray
from face_analysis.ros.params import CLASSIFIER, PIPELINE
from face_analysis.srv import Enrol, Forget, ForgetAll

LFW = DATA / "lfw" / "images"
NAME = "Aaron Peirsol"
TOPIC = "/identity_cam/image"
CAMERA = ("-p", "image_qos:=reliable", "-r", f"image:={TOPIC}")


def lfw_photo(person: str, number: int) -> np.ndarray:
    return cv2.imread(str(require_data(LFW / person / f"{person}_{number:04d}.jpg")))


BLANK = np.full((250, 250, 3), 128, np.uint8)


class Camera:
    """The probe publishing the frame it is shown at 10 Hz, freshly stamped."""

    def __init__(self, probe):
        self.probe, self.msg = probe, None
        self.publisher = probe.node.create_publisher(Image, TOPIC, 5)
        probe.node.create_timer(0.1, self._tick)

    def show(self, frame: np.ndarray) -> None:
        self.msg = encode_image(frame, Image(), "bgr8")

    def _tick(self):
        if self.msg is not None:
            self.msg.header.stamp = self.probe.node.get_clock().now().to_msg()
            self.publisher.publish(self.msg)


def wait_for_faces(probe, analyses, check, what: str, timeout: float = 30.0):
    """The faces of the first analysis from now on that passes check(faces)."""
    start = len(analyses)
    probe.spin_until(lambda: any(check(list(m.faces)) for m in analyses[start:]), timeout, what)
    return next(list(m.faces) for m in analyses[start:] if check(list(m.faces)))


def one_face(faces, name: str | None = None) -> bool:
    return len(faces) == 1 and faces[0].person_id != "" and (name is None or faces[0].name == name)


def call(probe, node: str, service: str, **fields):
    srv = {"enrol": Enrol, "forget": Forget, "forget_all": ForgetAll}[service]
    return probe.call(srv, f"/{node}/{service}", srv.Request(**fields), timeout=30.0)


def gallery(tmp_path) -> tuple[str, ...]:
    return ("-p", "identity:=gallery", "-p", f"identity_gallery:={tmp_path / 'people.db'}")


def test_enrolled_person_is_recognised_by_a_new_node_until_forgotten(
    tmp_path, ros_processes, ros_probe, start_pipeline
):
    analyses = ros_probe.collect(FaceAnalysisArray, "/faces/analysis")
    matches = ros_probe.collect(IdsMatch, "/humans/candidate_matches", 50)
    tracked = ros_probe.collect(IdsList, "/humans/faces/tracked")
    diagnostics = ros_probe.collect(DiagnosticArray, "/diagnostics")
    camera = Camera(ros_probe)
    camera.show(lfw_photo("Aaron_Peirsol", 1))
    start_pipeline(*gallery(tmp_path), "-p", "hri_publish:=true", *CAMERA)
    (face,) = wait_for_faces(ros_probe, analyses, one_face, "a face with a person id")
    assert face.name == "" and face.person_id.startswith("anon_")  # not enrolled yet

    reply = call(ros_probe, PIPELINE, "enrol", name=NAME, consent="agreed on camera, test")
    assert reply.success, reply.message
    person_id = reply.person_id
    assert person_id.startswith("person_")
    wait_for_faces(ros_probe, analyses, lambda f: one_face(f, NAME), "the enrolled name")

    # A new process, another photo of him: recognised from the gallery file alone.
    assert ros_processes.stop("pipeline") == 0
    camera.show(lfw_photo("Aaron_Peirsol", 3))
    ros_probe.spin_for(1.0)  # take in what the first process sent
    first_run = len(matches)
    start_pipeline(*gallery(tmp_path), "-p", "hri_publish:=true", *CAMERA)
    (face,) = wait_for_faces(ros_probe, analyses, lambda f: one_face(f, NAME), "recognition")
    assert face.person_id == person_id
    assert 0.5 < face.identity_confidence <= 1.0

    def matched(confidence_ok):
        return [
            m
            for m in matches[first_run:]
            if m.id2 == person_id
            and (m.id1_type, m.id2_type) == (IdsMatch.FACE, IdsMatch.PERSON)
            and confidence_ok(m.confidence)
        ]

    ros_probe.spin_until(lambda: matched(lambda c: c > 0.5), 10, "the candidate match")
    face_id = matched(lambda c: c > 0.5)[-1].id1
    assert face_id in tracked[-1].ids

    reply = call(ros_probe, PIPELINE, "forget", name_or_id=NAME)
    assert reply.success, reply.message
    assert (reply.person_id, reply.name) == (person_id, NAME)
    (face,) = wait_for_faces(
        ros_probe, analyses, lambda f: one_face(f, "") and f[0].person_id != person_id, "unknown"
    )
    ros_probe.spin_until(lambda: matched(lambda c: c == 0.0), 10, "the match undone")
    assert matched(lambda c: c == 0.0)[-1].id1 == face_id
    start = len(diagnostics)
    ros_probe.spin_until(
        lambda: (
            latest_reports(diagnostics, start).get(f"/{PIPELINE}", {}).get("people enrolled") == "0"
        ),
        15,
        "/diagnostics counting no one enrolled",
    )
    assert latest_reports(diagnostics, start)[f"/{PIPELINE}"]["identity"] == "gallery"
    for path in tmp_path.glob("people.db*"):
        assert b"Aaron" not in path.read_bytes(), path
    assert "Aaron" not in ros_processes.log("pipeline")  # the log names ids only
    assert ros_processes.stop("pipeline") == 0


def test_bad_requests_are_refused_clearly_and_the_node_goes_on(
    tmp_path, ros_processes, ros_probe, start_pipeline
):
    analyses = ros_probe.collect(FaceAnalysisArray, "/faces/analysis")
    camera = Camera(ros_probe)
    start_pipeline(*gallery(tmp_path), *CAMERA)

    def refused(service: str, expected: str, **fields):
        reply = call(ros_probe, PIPELINE, service, **fields)
        assert not reply.success and expected in reply.message, reply.message
        return reply

    refused("enrol", "no camera frame analysed", name="A", consent="yes")
    camera.show(BLANK)
    wait_for_faces(ros_probe, analyses, lambda faces: not faces, "an analysed empty frame")
    refused("enrol", "no face found", name="A", consent="yes")

    two = np.hstack([lfw_photo("Aaron_Peirsol", 1), lfw_photo("Abdullah", 1)])
    camera.show(two)
    faces = wait_for_faces(ros_probe, analyses, lambda f: len(f) == 2, "the two faces")
    left, right = sorted(faces, key=lambda face: face.detection.x_min)
    refused("enrol", "2 faces of similar size", name="A", consent="yes")
    refused("enrol", "no face with track id 999", name="A", consent="yes", track_id=999)
    refused("enrol", "no consent given", name="A", consent=" ", track_id=left.track_id)
    reply = call(ros_probe, PIPELINE, "enrol", name="A", consent="yes", track_id=left.track_id)
    assert reply.success, reply.message
    refused("enrol", "enrolled already", name="A", consent="yes", track_id=right.track_id)
    refused("enrol", "enrolled already", name="B", consent="yes", track_id=left.track_id)
    refused("forget", "nobody named", name_or_id="Nobody")
    refused("forget", "say whom to forget", name_or_id="")

    # Another process holds the gallery's write lock: refused after its timeout, frames go on.
    locker = sqlite3.connect(tmp_path / "people.db", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    during = len(analyses)
    started = time.monotonic()
    refused("enrol", "another process is writing", name="B", consent="yes", track_id=right.track_id)
    analysed = len(analyses) - during
    assert analysed >= 5 * (time.monotonic() - started), analysed  # 10 Hz camera
    locker.execute("ROLLBACK")
    locker.close()
    reply = call(ros_probe, PIPELINE, "forget_all")
    assert reply.success and reply.forgotten == 1, reply.message
    assert ros_processes.stop("pipeline") == 0


def test_corrupt_gallery_fails_configure_and_services_say_so(tmp_path, ros_processes, ros_probe):
    (tmp_path / "people.db").write_bytes(b"not a database, " * 100)
    node = f"face_analysis.ros.nodes.{CLASSIFIER}"
    ros_processes.start("classifier", "-m", node, "--ros-args", *gallery(tmp_path))
    ros_probe.spin_until(
        lambda: CLASSIFIER in ros_probe.node.get_node_names(), 30, "the classifier node"
    )
    assert not ros_probe.change_state(CLASSIFIER, Transition.TRANSITION_CONFIGURE)
    assert "not a readable gallery" in ros_processes.log("classifier")
    reply = call(ros_probe, CLASSIFIER, "forget_all")
    assert not reply.success and "not configured" in reply.message, reply.message

    (tmp_path / "people.db").unlink()  # a fresh gallery: the classifier node serves it too
    assert ros_probe.change_state(CLASSIFIER, Transition.TRANSITION_CONFIGURE)
    reply = call(ros_probe, CLASSIFIER, "forget", name_or_id="Nobody")
    assert not reply.success and "nobody named" in reply.message, reply.message
    assert ros_processes.stop("classifier") == 0


def test_session_and_off_give_ids_or_none_and_refuse_the_gallery(
    ros_processes, ros_probe, start_pipeline
):
    analyses = ros_probe.collect(FaceAnalysisArray, "/faces/analysis")
    matches = ros_probe.collect(IdsMatch, "/humans/candidate_matches", 50)
    camera = Camera(ros_probe)
    camera.show(lfw_photo("Abdullah", 1))
    start_pipeline("-p", "identity:=session", "-p", "hri_publish:=true", *CAMERA)
    (face,) = wait_for_faces(ros_probe, analyses, one_face, "a session person id")
    assert face.name == "" and face.identity_confidence == 0.0  # a person first seen here
    ros_probe.spin_until(
        lambda: any(m.id2 == face.person_id and m.confidence == 1.0 for m in matches),
        10,
        "the face's own person as a candidate match",
    )
    reply = call(ros_probe, PIPELINE, "enrol", name="A", consent="yes")
    assert not reply.success and "identity=gallery" in reply.message, reply.message
    assert ros_processes.stop("pipeline") == 0

    start_pipeline(*CAMERA)  # identity off: no person ids, services say how to turn it on
    faces = wait_for_faces(ros_probe, analyses, lambda f: len(f) == 1, "a face")
    assert (faces[0].person_id, faces[0].name, faces[0].identity_confidence) == ("", "", 0.0)
    reply = call(ros_probe, PIPELINE, "forget", name_or_id="A")
    assert not reply.success and "identity is off" in reply.message, reply.message
    assert ros_processes.stop("pipeline") == 0
