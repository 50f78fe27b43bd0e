"""Re-identification with made-up embeddings: a face that comes back keeps its person id, two faces
in view never share one, memory runs out, the work per frame is bounded, enrolled people get
their names and lose them when forgotten."""

from __future__ import annotations

import numpy as np
from test_identity_gallery import CONSENT, embeddings

from face_analysis.core.identity.gallery import Gallery
from face_analysis.core.identity.reid import MIN_FACE_PX, Reidentifier, face_quality
from face_analysis.core.types import FaceBox, FaceResult

THRESHOLD = 0.6


def face(track_id: int, x: float = 100.0, width: float = 80.0, nose: float = 0.5) -> FaceResult:
    """A frontal face (nose midway between the eyes unless `nose` says otherwise)."""
    y = 100.0
    landmarks = (
        (x + 0.3 * width, y + 0.4 * width),
        (x + 0.7 * width, y + 0.4 * width),
        (x + (0.3 + 0.4 * nose) * width, y + 0.6 * width),
        (x + 0.35 * width, y + 0.8 * width),
        (x + 0.65 * width, y + 0.8 * width),
    )
    return FaceResult(FaceBox(x, y, x + width, y + width, 0.9, landmarks), track_id=track_id)


def step(reid: Reidentifier, faces: list[FaceResult], people: dict[int, int], now: float):
    """One frame: embed what reid asks for (track -> made-up person's embedding), then label."""
    for index in reid.wanted(faces):
        track = faces[index].track_id
        reid.add(track, embeddings(people[track], 1)[0], face_quality(faces[index].box))
    return reid.label(faces, now)


def test_a_face_that_comes_back_keeps_its_person_id():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4)
    people = {1: 10, 2: 20, 3: 10, 4: 30}  # track 3 is person 10 again, track 4 a stranger
    # Times as a robot's clock gives them, far from 0.
    first = step(reid, [face(1), face(2, x=300)], people, now=5000.0)
    assert first[0].person_id != first[1].person_id
    later = step(reid, [face(3), face(4, x=300)], people, now=5005.0)  # tracks 1, 2 are gone
    assert later[0].person_id == first[0].person_id
    assert later[0].identity_confidence > 0.9 and later[0].name == ""
    assert later[1].person_id not in (first[0].person_id, first[1].person_id)
    assert later[1].identity_confidence == 0.0  # first seen on its own track


def test_two_faces_in_view_never_share_a_person_id():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4)
    step(reid, [face(1)], {1: 10}, now=0.0)
    # Two new faces that both look like person 10: only the nearer one can be them.
    twins = step(reid, [face(2), face(3, x=300)], {2: 10, 3: 10}, now=1.0)
    assert twins[0].person_id != twins[1].person_id
    # ... and a face in view keeps its person against a newcomer with the same look.
    with_original = step(reid, [face(1), face(4, x=300)], {1: 10, 4: 10}, now=2.0)
    assert len({r.person_id for r in with_original}) == 2


def test_memory_runs_out():
    reid = Reidentifier(memory_s=10.0, threshold=THRESHOLD, max_per_frame=4)
    first = step(reid, [face(1)], {1: 10}, now=0.0)[0].person_id
    assert step(reid, [face(2)], {2: 10}, now=9.0)[0].person_id == first
    assert step(reid, [face(3)], {3: 10}, now=25.0)[0].person_id != first  # 16 s unseen
    assert not any(p == first for p in reid.people)  # and nothing of them is held


def test_at_most_max_per_frame_faces_are_embedded_new_tracks_first():
    reid = Reidentifier(memory_s=10.0, threshold=THRESHOLD, max_per_frame=2)
    faces = [face(1, width=60), face(2, x=300, width=90), face(3, x=500, width=70)]
    assert [faces[i].track_id for i in reid.wanted(faces)] == [2, 3]  # the best views first
    for index in (1, 2):
        reid.add(faces[index].track_id, embeddings(index)[0], face_quality(faces[index].box))
    reid.label(faces, 0.0)
    assert [faces[i].track_id for i in reid.wanted(faces)] == [1]  # the one still without
    small = [face(5, width=MIN_FACE_PX - 1), face(6, width=80, nose=1.0)]
    assert reid.wanted(small) == []  # too small; turned so far that the nose is on an eye


def test_the_same_frames_give_the_same_ids():
    def run() -> list[str]:
        reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=1)
        ids = []
        for now, tracks in enumerate(([1, 2], [1, 2], [3], [4, 5])):
            faces = [face(t, x=100 + 200 * k) for k, t in enumerate(tracks)]
            people = {1: 1, 2: 2, 3: 1, 4: 2, 5: 3}
            ids += [r.person_id for r in step(reid, faces, people, float(now))]
        return ids

    assert run() == run()


def test_enrolled_people_are_named_until_forgotten(tmp_path):
    gallery = Gallery(tmp_path / "gallery.db", THRESHOLD)
    ada = gallery.enrol("Ada", embeddings(10), CONSENT)
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4, gallery=gallery)
    seen = step(reid, [face(1), face(2, x=300)], {1: 10, 2: 20}, now=0.0)
    assert (seen[0].person_id, seen[0].name) == (ada.id, "Ada")
    assert seen[1].name == "" and seen[1].person_id.startswith("anon_")
    assert gallery.find("Ada").last_seen is not None
    gallery.forget("Ada")
    reid.forget(ada.id)
    after = reid.label([face(1)], 1.0)[0]
    assert after.name == "" and after.person_id != ada.id
    again = step(reid, [face(3)], {3: 10}, now=50.0)[0]  # memory gone, gallery empty: a stranger
    assert again.person_id != ada.id and again.name == ""
    gallery.close()


def test_people_forgotten_by_another_process_lose_their_names_at_once(tmp_path):
    """`face-analysis people forget` while the robot's node has the person in view: the next
    frame names them no more, without the node's own forget service."""
    path = tmp_path / "gallery.db"
    robot, command_line = Gallery(path, THRESHOLD), Gallery(path, THRESHOLD)
    ada = command_line.enrol("Ada", embeddings(10), CONSENT)
    grace = command_line.enrol("Grace", embeddings(20), CONSENT)
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4, gallery=robot)
    seen = step(reid, [face(1), face(2, x=300)], {1: 10, 2: 20}, now=0.0)
    assert [r.name for r in seen] == ["Ada", "Grace"]
    command_line.forget("Ada")
    after = reid.label([face(1), face(2, x=300)], 1.0)
    assert after[0].name == "" and after[0].person_id != ada.id
    assert (after[1].name, after[1].person_id) == ("Grace", grace.id)
    robot.close()
    command_line.close()


def test_samples_are_the_best_views():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=1)
    assert reid.samples(1).shape == (0, 128)  # none yet
    look = embeddings(1, 1)[0]
    for width, mark in ((40, 1.0), (120, 2.0), (60, 3.0), (100, 4.0)):
        reid.add(1, look + mark * 1e-3, face_quality(face(1, width=width).box))
    marks = (reid.samples(1)[:, 0] - look[0]) * 1e3
    assert np.round(marks).tolist() == [2.0, 4.0, 3.0]  # the widest three, best first


def test_a_track_that_jumps_to_another_face_becomes_another_person():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4)
    ada = step(reid, [face(1)], {1: 10}, now=0.0)[0].person_id
    wide = face(1, width=120)
    reid.add(1, embeddings(20, 1)[0], face_quality(wide.box))  # track 1 shows another face
    jumped = reid.label([wide], now=1.0)[0]
    assert jumped.person_id != ada and jumped.identity_confidence == 0.0
    back = step(reid, [face(1, width=120), face(2, x=300)], {1: 20, 2: 10}, now=2.0)
    assert back[1].person_id == ada  # what track 1 showed first was remembered


def test_a_lost_track_that_returns_keeps_its_person():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4)
    ada = step(reid, [face(1)], {1: 10}, now=0.0)[0].person_id
    # Track 1 is missed; a new track of a look-alike takes Ada's id meanwhile...
    assert step(reid, [face(2, x=300)], {2: 10}, now=1.0)[0].person_id == ada
    # ... until track 1 is back: its face was Ada all along, the newcomer is someone else.
    both = step(reid, [face(1), face(2, x=300)], {1: 10, 2: 10}, now=2.0)
    assert both[0].person_id == ada and both[1].person_id != ada


def test_a_track_that_jumps_to_a_similar_face_of_someone_who_left_becomes_them():
    reid = Reidentifier(memory_s=30.0, threshold=THRESHOLD, max_per_frame=4)
    ada = embeddings(10, 1)[0]
    towards = np.random.default_rng(5).normal(size=128)
    grace = ada + 0.8 * towards / np.linalg.norm(towards)  # 0.8 from Ada: another person
    grace_id = reid.label([face(2, x=300)], 0.0)[0].person_id
    reid.add(2, grace, 80.0)
    reid.label([face(2, x=300)], 0.1)
    reid.add(1, ada, 80.0)
    ada_id = reid.label([face(1)], 1.0)[0].person_id  # Grace's track 2 has gone
    # Track 1 now shows a face 0.48 from Ada's look (below the threshold) but 0.32 from Grace's.
    reid.add(1, ada + 0.6 * (grace - ada), 100.0)
    moved = reid.label([face(1)], 2.0)[0]
    assert moved.person_id == grace_id != ada_id
