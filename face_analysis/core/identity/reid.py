"""Re-identification: a person id per tracked face that survives the track, so a face that leaves
the image (or that the tracker loses) and comes back is the same person again.

Each track collects the embeddings of its best few frames (SAMPLES, ranked by face_quality: size
and how frontal); its person is decided on the mean of them while the track is open (fewer than
SAMPLES embeddings), and fixed after. A track's mean is matched against the people seen within
`memory_s` whom no other track holds (neither a face in view nor a track the tracker keeps for a
face that may come back) and, in gallery mode, against the gallery: the nearest below the
threshold gives the track that person's id; otherwise it keeps a new anonymous id
(`anon_<token><n>`, given when the track appears; the nodes' token is random, so that a restarted
node or a second camera's pipeline never reuses another's ids, while offline runs leave it empty
and a rerun gives the same ids). Matches within one frame are taken nearest first, each person at
most once, and should a person still show on two faces (a lost track returning after another
face took its person), the face that held them first keeps them: two faces in view never share a
person id. A new embedding far from the track's earlier ones, or nearer to a person who left,
means the tracker moved the track onto another face: the track starts over as a new person.

People not in the gallery are never stored: their embeddings are held in memory only, and
dropped `memory_s` after they were last seen (and at reset()).

The embeddings are computed by the caller, so the same logic serves offline runs (identifier.py:
in frame order, deterministic) and a ROS node that computes them on a worker: wanted() names the
faces worth embedding now (at most max_per_frame), add() takes an embedding whenever it comes,
label() decides and writes person_id, name and identity_confidence onto a frame's results.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..types import FaceBox, FaceResult
from .embedder import DIMENSIONS, confidence

SAMPLES = 3  # embeddings averaged per track
SAMPLE_EVERY = 5  # frames between the samples of an open track
BETTER = 1.5  # a closed track takes a new sample when a face is this much better than its worst
MIN_FACE_PX = 32.0  # narrower faces are not embedded (docs/identity.md: by face size)
FULL_QUALITY_PX = 150.0  # the chip's size: a wider face adds no detail


def face_quality(box: FaceBox) -> float:
    """How good a face is to embed: its width (up to the chip's) times how frontal it is (1 when
    the nose tip is midway between the eyes, 0 when it is an eye distance off); 0 without
    landmarks or below MIN_FACE_PX."""
    if box.landmarks is None or box.width < MIN_FACE_PX:
        return 0.0
    (rx, _), (lx, _), (nx, _) = box.landmarks[:3]
    eyes = abs(lx - rx)
    if eyes <= 0:
        return 0.0
    frontal = max(0.0, 1.0 - abs(nx - (rx + lx) / 2) / (eyes / 2))
    return min(box.width, FULL_QUALITY_PX) * frontal


@dataclass
class TrackIdentity:
    person_id: str
    own_id: str  # the anonymous id the track was given when it appeared
    samples: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (quality, vector)
    requested: float = 0.0  # quality of the last face asked for
    requested_frame: int = -(10**9)
    name: str = ""
    confidence: float = 0.0
    decide: bool = False  # a new sample came: decide its person again at the next label()
    since: int = 0  # the frame it took its person on (the earlier holder keeps a person)
    last_seen: float | None = None  # None: asked for (wanted) but not labelled yet

    @property
    def open(self) -> bool:
        return len(self.samples) < SAMPLES

    def mean(self) -> np.ndarray:
        return np.mean([vector for _, vector in self.samples], axis=0)


@dataclass
class Remembered:
    """A person seen in this session: the mean embedding of the track that last showed them."""

    vector: np.ndarray | None
    last_seen: float
    name: str = ""


class Reidentifier:
    """gallery: an identity.gallery.Gallery (gallery mode), or None (session mode)."""

    def __init__(
        self, memory_s: float, threshold: float, max_per_frame: int, gallery=None, token: str = ""
    ):
        self.memory_s, self.threshold, self.max_per_frame = memory_s, threshold, max_per_frame
        self.gallery, self.token = gallery, token
        self.tracks: dict[int, TrackIdentity] = {}
        self.people: dict[str, Remembered] = {}
        self._frame = 0
        self._anonymous = itertools.count(1)  # never reused, as track ids
        self._held: set[str] = set()  # the people of the tracks alive at the last label()
        self._lock = threading.Lock()  # add() may come from a worker thread

    def reset(self) -> None:
        """Forget every track and person (a new video source); anonymous ids are not reused."""
        with self._lock:
            self.tracks, self.people, self._held = {}, {}, set()

    def wanted(self, results: Sequence[FaceResult]) -> list[int]:
        """Indices of the faces to embed now, at most max_per_frame: open tracks first (those
        without an embedding before those with some), each by how good its face is."""
        with self._lock:
            ranked = []
            for index, result in enumerate(results):
                quality = face_quality(result.box)
                track = self.tracks.get(result.track_id)
                if quality <= 0 or result.track_id < 0:
                    continue
                if track is None or not (track.samples or track.requested):
                    ranked.append((0, -quality, result.track_id, index))
                elif track.open and self._frame - track.requested_frame >= SAMPLE_EVERY:
                    ranked.append((1, -quality, result.track_id, index))
                elif not track.open and quality > BETTER * min(q for q, _ in track.samples):
                    if quality > track.requested:
                        ranked.append((2, -quality, result.track_id, index))
            chosen = [index for *_, index in sorted(ranked)[: self.max_per_frame]]
            for index in chosen:
                track = self._track(results[index].track_id)
                track.requested = face_quality(results[index].box)
                track.requested_frame = self._frame
            return chosen

    def add(self, track_id: int, embedding: np.ndarray, quality: float) -> None:
        """An embedding of the track's face, of that face_quality. One far from the track's
        earlier ones, or nearer to a person who left than to them, means the tracker moved the
        track onto another face: the track starts over as a new person, and what it showed
        before is remembered as a person who left."""
        with self._lock:
            track = self._track(track_id)
            vector = np.asarray(embedding, np.float32)
            if track.samples and self._moved(track, vector):
                self._remember(track, track.last_seen or 0.0)
                own = self._new_id()
                self.tracks[track_id] = track = TrackIdentity(own, own, since=self._frame)
            track.samples = sorted(
                [*track.samples, (quality, vector)], key=lambda sample: -sample[0]
            )[:SAMPLES]
            track.decide = True

    def samples(self, track_id: int) -> np.ndarray:
        """The track's embeddings, best first ((0, 128) when none yet)."""
        with self._lock:
            track = self.tracks.get(track_id)
            vectors = [vector for _, vector in track.samples] if track else []
            return np.asarray(vectors, np.float32).reshape(len(vectors), DIMENSIONS)

    def label(
        self, results: Sequence[FaceResult], now: float, alive: Collection[int] = ()
    ) -> list[FaceResult]:
        """The frame's results with their person ids, names and confidences; `now`: the frame's
        time in seconds (its stamp), which memory_s counts in; `alive`: the ids of the tracks
        the tracker still keeps although their face is not in this frame (missed, or waiting
        outside the image): their people are not free to be matched, as the tracker may give
        the face back to its track."""
        with self._lock:
            self._frame += 1
            self._expire(now)
            self._drop_forgotten()
            tracks = [self._track(result.track_id) for result in results]
            for track in tracks:
                track.last_seen = now
            kept = [self.tracks[t] for t in alive if t in self.tracks]
            self._decide([t for t in tracks if t.decide and t.samples], tracks + kept)
            self._separate(tracks)
            self._held = {track.person_id for track in tracks + kept}
            for track in tracks:
                self._remember(track, now)
            return [
                dataclasses.replace(
                    result, person_id=t.person_id, name=t.name, identity_confidence=t.confidence
                )
                for result, t in zip(results, tracks)
            ]

    def person_of(self, track_id: int) -> tuple[str, str]:
        """The (person id, name) the track shows now; ("", "") for a track not seen yet, a
        name "" for someone not enrolled. Newer than any frame's results, which a service
        call may hold from before an enrolment."""
        with self._lock:
            track = self.tracks.get(track_id)
            return (track.person_id, track.name) if track else ("", "")

    def assign(self, track_id: int, person_id: str, name: str) -> None:
        """Give the track an enrolled person (just enrolled from it), for good."""
        with self._lock:
            track = self._track(track_id)
            track.person_id, track.name, track.confidence = person_id, name, 1.0
            track.decide = False
            self.people.pop(person_id, None)

    def forget(self, person_id: str | None = None) -> None:
        """An enrolled person (None: everyone) was forgotten: their tracks become anonymous
        again under their own ids, and nothing of them stays in memory."""
        with self._lock:
            self._forget(person_id)

    # --- internals (called with the lock held)

    def _forget(self, person_id: str | None) -> None:
        for track in self.tracks.values():
            if track.name and person_id in (None, track.person_id):
                track.person_id, track.name, track.confidence = track.own_id, "", 0.0
        for pid in [p for p, m in self.people.items() if m.name]:
            if person_id in (None, pid):
                del self.people[pid]

    def _drop_forgotten(self) -> None:
        """forget() for the enrolled people that another process (`face-analysis people
        forget`) erased from the gallery: named on no face after that."""
        if self.gallery is None:
            return
        named = {t.person_id for t in self.tracks.values() if t.name}
        named |= {person_id for person_id, memory in self.people.items() if memory.name}
        if not named:  # no read of the gallery on frames that name nobody
            return
        for person_id in named - self.gallery.person_ids():
            self._forget(person_id)

    def _moved(self, track: TrackIdentity, vector: np.ndarray) -> bool:
        """Whether this embedding shows another face than the track's samples so far."""
        own = float(np.linalg.norm(track.mean() - vector))
        if own >= self.threshold:
            return True
        return any(
            np.linalg.norm(memory.vector - vector) < own
            for person_id, memory in self.people.items()
            if memory.vector is not None and person_id not in self._held
        )

    def _new_id(self) -> str:
        return f"anon_{self.token}{next(self._anonymous)}"

    def _track(self, track_id: int) -> TrackIdentity:
        if track_id not in self.tracks:
            own = self._new_id()
            self.tracks[track_id] = TrackIdentity(own, own, since=self._frame)
        return self.tracks[track_id]

    def _separate(self, in_view: list[TrackIdentity]) -> None:
        """A person shown by two faces at once (a track that lost its face came back after
        another face took its person): the one that held them first keeps them."""
        first: dict[str, TrackIdentity] = {}
        for track in sorted(in_view, key=lambda t: t.since):
            if track.person_id in first:
                track.person_id, track.name, track.confidence = track.own_id, "", 0.0
                track.since = self._frame
            else:
                first[track.person_id] = track

    def _decide(self, deciding: list[TrackIdentity], holding: list[TrackIdentity]) -> None:
        """Each open track that got a new sample takes the nearest person below the threshold
        whom no other track holds (the faces in view, the tracks kept for a face that may come
        back), pairs nearest first; or it keeps its own id."""
        held = {t.person_id: id(t) for t in holding}
        pairs = []
        for track in deciding:
            track.decide = False
            if not track.open and track.person_id != track.own_id:
                continue  # decided for good
            vector = track.mean()
            for person_id, candidate in self._candidates(vector):
                if held.get(person_id, id(track)) == id(track):
                    pairs.append((candidate[0], person_id, candidate[1], track))
            if track.person_id != track.own_id:
                held.pop(track.person_id, None)  # its earlier choice may go to another face
                track.person_id, track.name, track.confidence = track.own_id, "", 0.0
                held[track.own_id] = id(track)
        taken_tracks = set()
        for distance, person_id, name, track in sorted(pairs, key=lambda p: (p[0], p[1])):
            if id(track) in taken_tracks or held.get(person_id, id(track)) != id(track):
                continue
            taken_tracks.add(id(track))
            held.pop(track.person_id, None)
            held[person_id] = id(track)
            self.people.pop(track.own_id, None)  # the same face: no second person in memory
            track.person_id, track.name, track.since = person_id, name, self._frame
            track.confidence = confidence(distance, self.threshold)
            if name and self.gallery is not None:
                self.gallery.seen(person_id)

    def _candidates(self, vector: np.ndarray) -> list[tuple[str, tuple[float, str]]]:
        """(person id, (distance, name)) of the people nearer than the threshold."""
        found = {}
        for person_id, memory in self.people.items():
            if memory.vector is not None:
                distance = float(np.linalg.norm(memory.vector - vector))
                if distance < self.threshold:
                    found[person_id] = (distance, memory.name)
        if self.gallery is not None:
            match = self.gallery.match(vector)
            if match is not None and match.distance < found.get(match.person.id, (np.inf,))[0]:
                found[match.person.id] = (match.distance, match.person.name)
        return sorted(found.items())

    def _remember(self, track: TrackIdentity, now: float) -> None:
        """Keep the person's latest look: the track's mean, once the track is decided (an open
        track's choice may still change) or while it shows a person of its own."""
        memory = self.people.setdefault(track.person_id, Remembered(None, now, track.name))
        memory.last_seen, memory.name = now, track.name
        if track.samples and (not track.open or track.person_id == track.own_id):
            memory.vector = track.mean()

    def _expire(self, now: float) -> None:
        cutoff = now - self.memory_s
        self.people = {p: m for p, m in self.people.items() if m.last_seen >= cutoff}
        self.tracks = {
            t: i for t, i in self.tracks.items() if i.last_seen is None or i.last_seen >= cutoff
        }
