"""The gallery of known people: a real SQLite file, its erasure down to the bytes, and bad input
(corrupt, foreign or locked files, unknown names) refused without a half-written change."""

from __future__ import annotations

import sqlite3
import stat
import threading

import numpy as np
import pytest

from face_analysis.core.errors import (
    ConfigError,
    GalleryCorruptError,
    GalleryError,
    GalleryLockedError,
    UnknownPersonError,
)
from face_analysis.core.identity.gallery import Consent, Gallery

CONSENT = Consent("signed form 7", "operator Kim")


def embeddings(seed: int, count: int = 2) -> np.ndarray:
    """Nearly unit vectors of a made-up person, as the embedder's: about 0.1 apart within a
    person (the embedder's: ~0.3) and 1.4 between seeds (the embedder's: ~0.6)."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=128)
    centre /= np.linalg.norm(centre)
    return (centre + rng.normal(scale=0.1 / np.sqrt(128), size=(count, 128))).astype(np.float32)


def files_of(path) -> bytes:
    """The raw bytes of the database and its -wal and -shm files, whichever exist."""
    return b"".join(
        p.read_bytes()
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if p.exists()
    )


def test_enrol_match_and_forget(tmp_path):
    path = tmp_path / "robot" / "gallery.db"
    with Gallery(path) as gallery:
        ada = gallery.enrol("Ada", embeddings(1), CONSENT)
        gallery.enrol("Grace", embeddings(2), Consent("said yes to the robot", "Kim"))
        assert [p.name for p in gallery.people()] == ["Ada", "Grace"]
        assert gallery.people()[0].consent == CONSENT and gallery.people()[0].embeddings == 2
        probe = embeddings(1, 3)[2]
        match = gallery.match(probe)
        assert match.person.id == ada.id and match.distance < 0.2 and match.confidence > 0.9
        assert gallery.match(embeddings(3)[0]) is None  # a stranger
        assert gallery.forget("Ada").id == ada.id
        assert gallery.match(probe) is None
        assert [p.name for p in gallery.people()] == ["Grace"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with Gallery(path, create=False) as again:  # it was written, not held in memory
        assert [p.name for p in again.people()] == ["Grace"]


def test_a_forgotten_embedding_leaves_no_byte_in_the_files(tmp_path):
    path = tmp_path / "gallery.db"
    ada, grace = embeddings(1), embeddings(2)
    with Gallery(path) as gallery:
        gallery.enrol("Ada", ada, CONSENT)
        gallery.enrol("Grace", grace, CONSENT)
        gallery.seen(gallery.find("Ada").id)
        assert ada[0].tobytes() in files_of(path)  # the search finds what is there
        gallery.forget("Ada")
        data = files_of(path)
        for vector in ada:
            assert vector.tobytes() not in data
            assert vector.tobytes()[:64] not in data  # nor a page-split part of it
        assert b"Ada" not in data and grace[0].tobytes() in data
        gallery.forget_all()
        data = files_of(path)
        assert all(v.tobytes()[:64] not in data for v in grace) and b"Grace" not in data


def test_a_foreign_or_damaged_file_is_refused_and_left_alone(tmp_path):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is no database " * 100)
    with pytest.raises(GalleryCorruptError, match="damaged.db"):
        Gallery(damaged)
    assert damaged.read_bytes() == b"this is no database " * 100
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(GalleryCorruptError, match="not a face gallery"):
        Gallery(foreign)
    old = tmp_path / "old.db"
    Gallery(old).close()
    db = sqlite3.connect(old)
    db.execute("UPDATE meta SET value = 'another model' WHERE key = 'embedding'")
    db.commit()
    db.close()
    with pytest.raises(GalleryCorruptError, match="another kind"):
        Gallery(old)
    with pytest.raises(GalleryError, match="no gallery there"):
        Gallery(tmp_path / "missing.db", create=False)
    with pytest.raises(ConfigError):
        Gallery("")


def test_a_second_writer_gets_a_clear_error_and_changes_nothing(tmp_path):
    path = tmp_path / "gallery.db"
    with Gallery(path) as gallery:
        gallery.enrol("Ada", embeddings(1), CONSENT)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(GalleryLockedError, match="another process"):
            gallery.enrol("Grace", embeddings(2), CONSENT)
        with pytest.raises(GalleryLockedError):
            gallery.forget("Ada")
        other.execute("ROLLBACK")
        other.close()
        assert [p.name for p in gallery.people()] == ["Ada"]
        gallery.enrol("Grace", embeddings(2), CONSENT)  # free again
        assert len(gallery.people()) == 2


def test_bad_requests_are_refused_without_a_half_written_person(tmp_path):
    with Gallery(tmp_path / "gallery.db") as gallery:
        gallery.enrol("Ada", embeddings(1), CONSENT)
        with pytest.raises(UnknownPersonError, match="Grace"):
            gallery.forget("Grace")
        with pytest.raises(GalleryError, match="enrolled already"):
            gallery.enrol("Ada", embeddings(2), CONSENT)
        with pytest.raises(GalleryError, match="consent"):
            gallery.enrol("Grace", embeddings(2), Consent("", "Kim"))
        broken = embeddings(2)
        broken[1, 5] = np.nan
        with pytest.raises(GalleryError, match="non-finite"):
            gallery.enrol("Grace", broken, CONSENT)
        assert [(p.name, p.embeddings) for p in gallery.people()] == [("Ada", 2)]


def test_a_change_by_another_process_is_seen(tmp_path):
    path = tmp_path / "gallery.db"
    with Gallery(path) as robot, Gallery(path) as command_line:
        command_line.enrol("Ada", embeddings(1), CONSENT)
        assert robot.match(embeddings(1)[0]).person.name == "Ada"
        command_line.forget("Ada")
        assert robot.match(embeddings(1)[0]) is None


def test_the_frame_path_never_waits_for_a_writer(tmp_path, monkeypatch):
    """While another process holds the write lock (and this Gallery's own writer waits for it
    in another thread, as a node's service does), match() and seen() return at once; the time
    seen() could not write is written by its next call once the gallery is free."""
    monkeypatch.setattr("face_analysis.core.identity.gallery.LOCK_TIMEOUT_S", 60.0)
    path = tmp_path / "gallery.db"
    with Gallery(path) as gallery:
        ada = gallery.enrol("Ada", embeddings(1), CONSENT)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        waiting = threading.Thread(
            target=gallery.enrol, args=("Grace", embeddings(2), CONSENT), daemon=True
        )
        waiting.start()  # holds the writer, waiting up to 60 s for the lock
        frame_path = threading.Thread(
            target=lambda: (
                gallery.match(embeddings(1)[0]),
                gallery.seen(ada.id, "2026-12-06T10:00:00+00:00"),
            ),
            daemon=True,
        )
        frame_path.start()
        frame_path.join(20)  # far below the writer's 60 s
        assert not frame_path.is_alive()
        assert gallery.match(embeddings(1)[0]).person.name == "Ada"
        other.execute("ROLLBACK")
        other.close()
        waiting.join(60)
        assert gallery.find("Ada").last_seen is None  # not written yet
        gallery.seen(ada.id, "2026-12-06T10:05:00+00:00")
        assert gallery.find("Ada").last_seen == "2026-12-06T10:05:00+00:00"
    with Gallery(path) as reopened:
        assert [p.name for p in reopened.people()] == ["Ada", "Grace"]
