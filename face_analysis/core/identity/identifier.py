"""Who is this, for FaceAnalyzer: embeds the faces the Reidentifier asks for, in frame order (so a
rerun gives the same person ids), labels the results, and enrols and forgets people of the
gallery. Built only when the identity setting is on: dlib is imported here, never otherwise."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from ..errors import ConfigError, EnrolmentError
from ..types import FaceBox, FaceResult
from .embedder import FaceEmbedder
from .gallery import Consent, Gallery, Person
from .reid import MIN_FACE_PX, Reidentifier, face_quality

# A face chosen for enrolment among several must be this much wider than every other one.
CLEARLY_LARGEST = 1.5


def choose_face(faces: Sequence[FaceBox]) -> FaceBox:
    """The one face to enrol from an image: the only one, or one clearly the largest."""
    if not faces:
        raise EnrolmentError("no face found to enrol")
    ranked = sorted(faces, key=lambda face: -face.width)
    if len(ranked) > 1 and ranked[0].width < CLEARLY_LARGEST * ranked[1].width:
        raise EnrolmentError(
            f"{len(ranked)} faces of similar size: say which one to enrol (a box or a track id)"
        )
    return ranked[0]


class Identifier:
    """mode 'session' or 'gallery' (then `gallery_path` is required: Gallery says so)."""

    def __init__(
        self,
        mode: str,
        memory_s: float,
        threshold: float,
        max_per_frame: int,
        gallery_path: str = "",
        embedder: FaceEmbedder | None = None,
        token: str = "",
    ):
        if mode not in ("session", "gallery"):
            raise ConfigError(f"identity={mode!r}: an Identifier runs 'session' or 'gallery'")
        self.embedder = embedder or FaceEmbedder()
        self.gallery = Gallery(gallery_path, threshold) if mode == "gallery" else None
        self.reid = Reidentifier(memory_s, threshold, max_per_frame, self.gallery, token)

    def identify(
        self,
        frame: np.ndarray,
        results: Sequence[FaceResult],
        now: float,
        alive: Collection[int] = (),
    ) -> list[FaceResult]:
        """Embed the faces due (Reidentifier.wanted) with embed_faces, then label the frame's
        results (Reidentifier.label: `now` in seconds, `alive` the tracker's unseen tracks)."""
        chosen = self.reid.wanted(results)
        if chosen:
            self.embed_faces(frame, [(results[i].track_id, results[i].box) for i in chosen])
        return self.reid.label(results, now, alive)

    def embed_faces(self, frame: np.ndarray, faces: Sequence[tuple[int, FaceBox]]) -> None:
        """Embed (track id, box) faces of the frame now and hand them to the Reidentifier. A
        node that embeds on a worker thread replaces this with a function that queues the work
        and calls reid.add(track_id, vector, face_quality(box)) when it is done."""
        vectors = self.embedder.embed_many(frame, [box for _, box in faces])
        for (track_id, box), vector in zip(faces, vectors):
            self.reid.add(track_id, vector, face_quality(box))

    def label(
        self, results: Sequence[FaceResult], now: float, alive: Collection[int] = ()
    ) -> list[FaceResult]:
        """Person ids for faces carried without a detection (nothing to embed)."""
        return self.reid.label(results, now, alive)

    def _gallery(self) -> Gallery:
        if self.gallery is None:
            raise ConfigError("enrolling and forgetting need identity=gallery (identity_gallery)")
        return self.gallery

    def enrol(
        self,
        name: str,
        consent: Consent,
        face: FaceBox | int,
        image: np.ndarray | None = None,
    ) -> Person:
        """Enrol `name` from a track (face: its id; the embeddings of its best frames so far) or
        from a face (box with landmarks) in `image`."""
        gallery = self._gallery()
        if isinstance(face, int):
            person_id, name_now = self.reid.person_of(face)
            if name_now:
                raise EnrolmentError(
                    f"track {face} is {name_now!r} ({person_id}), enrolled already: forget "
                    "them first to enrol them again"
                )
            vectors = list(self.reid.samples(face))
            if not vectors:
                raise EnrolmentError(
                    f"track {face} has no embedding yet: none of its faces was seen at "
                    f"{MIN_FACE_PX:.0f} px or more with landmarks"
                )
        else:
            if image is None:
                raise EnrolmentError("enrolling from a face needs the image it is in")
            if face.landmarks is None:
                raise EnrolmentError("the face has no landmarks to align it by (use YuNet)")
            vectors = [self.embedder.embed(image, face)]
        person = gallery.enrol(name, np.asarray(vectors), consent)
        if isinstance(face, int):
            self.reid.assign(face, person.id, person.name)
        return person

    def forget(self, name_or_id: str) -> Person:
        person = self._gallery().forget(name_or_id)
        self.reid.forget(person.id)
        return person

    def forget_all(self) -> int:
        count = self._gallery().forget_all()
        self.reid.forget()
        return count

    def people(self) -> list[Person]:
        return self._gallery().people()

    def reset(self) -> None:
        self.reid.reset()

    def close(self) -> None:
        if self.gallery is not None:
            self.gallery.close()
