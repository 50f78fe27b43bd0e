"""The gallery of known people: one SQLite file holding, per person who gave explicit consent,
their name, a consent record (when, how, recorded by whom), when they were enrolled and last
seen, and a few face embeddings (128 numbers each). Never an image.

Erasure is complete: forget() deletes the rows, then rebuilds the file (VACUUM) and empties the
write-ahead log, with secure_delete on, so that no byte of a forgotten embedding stays in the
database file, its -wal or its -shm file (test/core/test_identity_gallery.py searches them).
Every change is one transaction: an error leaves the gallery as it was. Several processes may use
one file (a robot's node matching while `face-analysis people forget` runs): SQLite serialises
the writers, and a process that cannot get the write lock within LOCK_TIMEOUT_S gets a
GalleryLockedError; each Gallery re-reads the people when another process changed them.

What a frame's path calls never waits for a writer: match() reads on a connection of its own
(in WAL mode a reader does not wait for writers), and seen() writes only when the gallery is
free at once, else keeps the time for its next call (or close()).

The file is created readable by its owner only (0600), and tightened to that when opened.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import stat
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import (
    ConfigError,
    GalleryCorruptError,
    GalleryError,
    GalleryLockedError,
    UnknownPersonError,
)
from .embedder import DEFAULT_THRESHOLD, DIMENSIONS, EMBEDDING, confidence

APPLICATION_ID = 0x46414944  # "FAID": tells our galleries from other SQLite files
SCHEMA_VERSION = 1
LOCK_TIMEOUT_S = 2.0
BUSY = object()  # what _write(wait=False) returns when it could not write at once
MAX_EMBEDDINGS = 20  # per person: a few photos or a track's best frames are enough
SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE people (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
        consent_when TEXT NOT NULL, consent_how TEXT NOT NULL, consent_by TEXT NOT NULL,
        created TEXT NOT NULL, last_seen TEXT)""",
    """CREATE TABLE embeddings (
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE, vector BLOB NOT NULL)""",
)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Consent:
    """How a person agreed to be recognised: `how` (e.g. 'signed form 12', 'said yes to the
    robot after its explanation'), recorded by `by` (the operator), at `when` (ISO 8601 UTC)."""

    how: str
    by: str
    when: str = dataclasses.field(default_factory=now_utc)

    def check(self) -> None:
        if not self.how.strip() or not self.by.strip():
            raise GalleryError(
                "a consent record needs how the person consented and who recorded it"
            )


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    consent: Consent
    created: str
    last_seen: str | None
    embeddings: int  # how many the gallery holds


@dataclass(frozen=True)
class Match:
    person: Person
    distance: float  # Euclidean, to the nearest of the person's embeddings
    confidence: float  # in [0, 1]; 0.5 at the threshold (embedder.confidence)


def new_person_id() -> str:
    """person_<8 hex digits>: a valid ROS name token, unrelated to the name."""
    return f"person_{uuid.uuid4().hex[:8]}"


class Gallery:
    """The gallery in the SQLite file at `path`; match() accepts distances below `threshold`.
    create=False: the file must exist already."""

    def __init__(self, path: str | Path, threshold: float = DEFAULT_THRESHOLD, create: bool = True):
        if not str(path).strip():
            raise ConfigError("the gallery needs a file path (identity_gallery)")
        self.path = Path(path).expanduser()
        self.threshold = threshold
        self._lock = threading.Lock()  # the writing connection, shared by a node's threads
        self._read_lock = threading.RLock()  # the reading one (_templates reads in turn)
        self._cache: tuple[int, list[Person], np.ndarray, list[int]] | None = None
        self._seen: dict[str, str] = {}  # last_seen times not written yet (seen())
        fresh = not self.path.exists()
        if fresh and not create:
            raise GalleryError(f"{self.path}: no gallery there (enrol someone to create it)")
        if fresh:
            self._create_file()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            if fresh:
                self._write(self._init_schema)
            self._check_schema()
            self._reader = sqlite3.connect(
                self.path, timeout=LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self._error(exc) from exc
        except GalleryError:
            self.close()
            raise
        self._tighten_modes()

    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise GalleryError(f"{self.path}: cannot create the gallery ({exc})") from exc

    def _tighten_modes(self) -> None:
        """Owner-only, for a gallery copied without its mode (SQLite gives the -wal and -shm
        files the database file's mode)."""
        for path in (self.path, *(Path(f"{self.path}{end}") for end in ("-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                mode = stat.S_IMODE(path.stat().st_mode)
                if mode & 0o077:
                    path.chmod(mode & 0o600)

    def _init_schema(self, db: sqlite3.Connection) -> None:
        for statement in SCHEMA:
            db.execute(statement)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("embedding", EMBEDDING), ("dimensions", str(DIMENSIONS))],
        )
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_schema(self) -> None:
        app = self._db.execute("PRAGMA application_id").fetchone()[0]
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if app != APPLICATION_ID:
            raise GalleryCorruptError(f"{self.path}: an SQLite file, but not a face gallery")
        if version != SCHEMA_VERSION:
            raise GalleryCorruptError(
                f"{self.path}: gallery schema version {version}, this face_analysis reads "
                f"version {SCHEMA_VERSION}"
            )
        kind = dict(self._db.execute("SELECT key, value FROM meta").fetchall()).get("embedding")
        if kind != EMBEDDING:
            raise GalleryCorruptError(
                f"{self.path}: its embeddings are of another kind ({kind}; this face_analysis "
                f"makes {EMBEDDING}): they cannot be compared, enrol the people again"
            )

    def _error(self, exc: sqlite3.Error) -> GalleryError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return GalleryLockedError(
                f"{self.path}: another process is writing the gallery (waited "
                f"{LOCK_TIMEOUT_S} s); nothing was changed, try again ({text})"
            )
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
            return GalleryCorruptError(f"{self.path}: not a readable gallery ({text})")
        return GalleryError(f"{self.path}: {text}")

    def _write(self, change, wait: bool = True):
        """change(connection) in one transaction, taken with the write lock at once. wait=False
        (a frame's path): BUSY at once, nothing done, while another thread or process writes."""
        if not self._lock.acquire(blocking=wait):
            return BUSY
        try:
            try:
                self._begin(wait)
            except sqlite3.Error as exc:
                if not wait and isinstance(exc, sqlite3.OperationalError):
                    return BUSY
                raise self._error(exc) from exc
            try:
                result = change(self._db)
                self._db.execute("COMMIT")
            except BaseException as exc:
                self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc) from exc
                raise
            return result
        finally:
            self._lock.release()

    def _begin(self, wait: bool) -> None:
        """BEGIN IMMEDIATE: waiting up to LOCK_TIMEOUT_S for another process's write lock, or
        not at all."""
        if wait:
            self._db.execute("BEGIN IMMEDIATE")
            return
        self._db.execute("PRAGMA busy_timeout = 0")
        try:
            self._db.execute("BEGIN IMMEDIATE")
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT_S * 1000)}")

    def _read(self, query: str, args=()) -> list:
        with self._read_lock:
            try:
                return self._reader.execute(query, args).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    # --- people

    def enrol(self, name: str, embeddings: np.ndarray, consent: Consent) -> Person:
        """A new person with these embeddings ((n, 128), 1 <= n <= MAX_EMBEDDINGS)."""
        name = name.strip()
        vectors = np.asarray(embeddings, dtype=np.float32).reshape(-1, DIMENSIONS)
        if not name:
            raise GalleryError("a person needs a name")
        if not 1 <= len(vectors) <= MAX_EMBEDDINGS:
            raise GalleryError(f"enrol takes 1 to {MAX_EMBEDDINGS} embeddings, got {len(vectors)}")
        if not np.isfinite(vectors).all():
            raise GalleryError("an embedding holds a non-finite number")
        consent.check()
        person = Person(new_person_id(), name, consent, now_utc(), None, len(vectors))

        def insert(db: sqlite3.Connection) -> None:
            taken = db.execute("SELECT id FROM people WHERE name = ?", (name,)).fetchone()
            if taken:
                raise GalleryError(
                    f"{name!r} is enrolled already (id {taken[0]}): forget them first to enrol "
                    "again"
                )
            db.execute(
                "INSERT INTO people VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (person.id, name, consent.when, consent.how, consent.by, person.created),
            )
            db.executemany(
                "INSERT INTO embeddings VALUES (?, ?)",
                [(person.id, vector.tobytes()) for vector in vectors],
            )

        self._write(insert)
        return person

    def people(self) -> list[Person]:
        rows = self._read(
            "SELECT p.id, p.name, p.consent_how, p.consent_by, p.consent_when, p.created, "
            "p.last_seen, COUNT(e.person_id) FROM people p LEFT JOIN embeddings e "
            "ON e.person_id = p.id GROUP BY p.id ORDER BY p.created, p.name"
        )
        return [
            Person(pid, name, Consent(how, by, when), created, seen, count)
            for pid, name, how, by, when, created, seen, count in rows
        ]

    def find(self, name_or_id: str) -> Person:
        """The person of that id, else of that name; UnknownPersonError if none."""
        for person in self.people():
            if name_or_id in (person.id, person.name):
                return person
        raise UnknownPersonError(f"{self.path}: nobody named or numbered {name_or_id!r}")

    def seen(self, person_id: str, when: str | None = None) -> None:
        """Record that the person was recognised (last_seen). Called on a frame's path, so it
        never waits: while another thread or process writes, the time is kept and written by a
        later call that finds the gallery free, or by close()."""
        self._seen[person_id] = when or now_utc()
        if self._write(lambda db: self._write_seen(db, self._seen), wait=False) is not BUSY:
            self._seen = {}

    @staticmethod
    def _write_seen(db: sqlite3.Connection, pending: dict[str, str]) -> None:
        db.executemany(
            "UPDATE people SET last_seen = ? WHERE id = ?",
            [(when, person_id) for person_id, when in pending.items()],
        )

    def forget(self, name_or_id: str) -> Person:
        """Erase one person (by id, or name), leaving no byte of them in the files."""
        person = self.find(name_or_id)
        self._write(lambda db: db.execute("DELETE FROM people WHERE id = ?", (person.id,)))
        self._erase_traces()
        return person

    def forget_all(self) -> int:
        """Erase everyone; returns how many people were forgotten."""
        count = self._write(lambda db: db.execute("DELETE FROM people").rowcount)
        self._erase_traces()
        return count

    def _erase_traces(self) -> None:
        """Rebuild the file without the free pages, and empty the write-ahead log into it."""
        with self._lock:
            try:
                self._db.execute("VACUUM")
                busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
        if busy:
            raise GalleryLockedError(
                f"{self.path}: the person is deleted, but another process reading the gallery "
                "kept the log from being emptied; run the forget again once it is idle"
            )

    # --- matching

    def _templates(self) -> tuple[list[Person], np.ndarray, list[int]]:
        """Every person, all embeddings (n, 128) and the person index of each; re-read only when
        the file changed (also by another process: PRAGMA data_version, which counts every other
        connection's commits, this Gallery's writer's too)."""
        with self._read_lock:
            version = self._read("PRAGMA data_version")[0][0]
            if self._cache is None or self._cache[0] != version:
                people = self.people()
                index = {person.id: k for k, person in enumerate(people)}
                rows = self._read("SELECT person_id, vector FROM embeddings")
                vectors = np.array(
                    [np.frombuffer(blob, np.float32) for _, blob in rows], np.float32
                ).reshape(-1, DIMENSIONS)
                self._cache = (version, people, vectors, [index[pid] for pid, _ in rows])
            return self._cache[1:]

    def person_ids(self) -> set[str]:
        """The ids of the people enrolled now (another process may have changed them)."""
        return {person.id for person in self._templates()[0]}

    def match(self, embedding: np.ndarray) -> Match | None:
        """The enrolled person nearest to the embedding (to the nearest of their embeddings), if
        nearer than the threshold; None otherwise."""
        people, vectors, owners = self._templates()
        if not len(vectors):
            return None
        distances = np.linalg.norm(vectors - np.asarray(embedding, np.float32), axis=1)
        nearest = int(np.argmin(distances))
        distance = float(distances[nearest])
        if distance >= self.threshold:
            return None
        return Match(people[owners[nearest]], distance, confidence(distance, self.threshold))

    def close(self) -> None:
        if self._seen:
            # last_seen is a record of convenience: a gallery locked now keeps the older one
            with contextlib.suppress(GalleryError):
                self._write(lambda db: self._write_seen(db, self._seen))
            self._seen = {}
        for connection in ("_reader", "_db"):
            with contextlib.suppress(AttributeError, sqlite3.Error):
                getattr(self, connection).close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
