"""Identity on a node without slowing its frames: the frame path names the faces to embed and
labels the results (core.identity: Identifier.identify), and hands the embedding itself, through
the Identifier's embed_faces hook, to one worker thread; the network runs in a child process
(embedding_process.py). The worker also runs the gallery's changes the services ask for (enrol,
forget), before any embedding. Requests for a track that waits already replace the older one, so
the backlog holds at most one face per track however long the network takes."""

from __future__ import annotations

import collections
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rclpy.task import Future

from ...core.errors import FaceAnalysisError
from ...core.identity.reid import face_quality

if TYPE_CHECKING:
    import numpy as np

    from ...core.identity.identifier import Identifier
    from ...core.types import FaceBox


class IdentityWorker:
    """problem(reason): count a problem in the node's /diagnostics."""

    def __init__(self, identifier: Identifier, problem: Callable[[str], None], logger):
        self.identifier, self.problem, self.logger = identifier, problem, logger
        self.embedded = 0  # faces embedded since configure (for /diagnostics)
        self._jobs: collections.deque = collections.deque()  # (function, Future)
        self._faces: dict[int, tuple] = {}  # track id -> (frame, box) waiting, oldest first
        self._running = False
        self._cond = threading.Condition()
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._loop, daemon=True, name="identity")
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._running = False
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None
        for _, future in self._jobs:
            future.set_exception(FaceAnalysisError("the node stopped before it got to it"))
        self._jobs.clear()

    def embed(self, frame: np.ndarray, faces: Sequence[tuple[int, FaceBox]]) -> None:
        """Frame path (Identifier.embed_faces): embed these (track id, box) faces of the frame
        later, then add them to the re-identifier."""
        with self._cond:
            for track_id, box in faces:
                self._faces.pop(track_id, None)  # to the back, with its newer view
                self._faces[track_id] = (frame, box)
            self._cond.notify()

    def submit(self, job: Callable) -> Future:
        """Executor thread (a service): run job() here; the Future holds its result, or the
        FaceAnalysisError that says why nothing was done."""
        future = Future()
        with self._cond:
            if not self._running:
                future.set_exception(FaceAnalysisError("identity is not running"))
                return future
            self._jobs.append((job, future))
            self._cond.notify()
        return future

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._running and not self._jobs and not self._faces:
                    self._cond.wait()
                if not self._running:
                    return
                job = self._jobs.popleft() if self._jobs else None
                batch = None if job else self._take_batch()
            if job is not None:
                self._run_job(*job)
            else:
                self._embed(*batch)

    def _take_batch(self) -> tuple:
        """The oldest waiting face's frame and every waiting face of that frame, up to
        identity_max_per_frame (called with the lock held)."""
        frame = next(iter(self._faces.values()))[0]
        limit = self.identifier.reid.max_per_frame
        tracks = [t for t, (f, _) in self._faces.items() if f is frame][:limit]
        return frame, [(t, self._faces.pop(t)[1]) for t in tracks]

    def _run_job(self, job: Callable, future: Future) -> None:
        try:
            future.set_result(job())
        except FaceAnalysisError as exc:
            future.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must not end the thread; it is logged
            self.logger.error(f"identity request failed:\n{traceback.format_exc()}")
            future.set_exception(exc)

    def _embed(self, frame: np.ndarray, faces: list[tuple[int, FaceBox]]) -> None:
        try:
            vectors = self.identifier.embedder.embed_many(frame, [box for _, box in faces])
            for (track_id, box), vector in zip(faces, vectors):
                self.identifier.reid.add(track_id, vector, face_quality(box))
        except FaceAnalysisError as exc:
            self.problem("face embedding failed")
            self.logger.warning(f"face embedding failed: {exc}", throttle_duration_sec=5.0)
        except Exception:  # noqa: BLE001 - a bug must not end the thread; it is logged
            self.problem("internal error")
            self.logger.error(
                f"face embedding failed:\n{traceback.format_exc()}", throttle_duration_sec=5.0
            )
        else:
            self.embedded += len(faces)
