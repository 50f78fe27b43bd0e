"""The face embeddings of a node, computed in a child process of their own.

dlib holds the GIL while its network runs (90-185 ms per face, docs/identity.md): in a thread
of the node it would stall the frame path for that long (measured: a 1 ms Python loop in another
thread stood still for the whole call). So the node runs `python -m
face_analysis.ros.runtime.embedding_process`, which loads core.identity.embedder.FaceEmbedder and
answers over a socket pair: the parent sends aligned chips, the child sends back their
embeddings. The parent's thread
waits on the socket with the GIL released. The child ignores SIGINT (launch's Ctrl-C goes to the
whole process group) and ends when the node closes the socket or dies. It runs at a lower CPU
priority (NICENESS): where the cores are busy, the frames go first and the embeddings wait.
"""

from __future__ import annotations

import multiprocessing.connection
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection

import numpy as np

from ...core.errors import ModelError
from ...core.identity.embedder import DIMENSIONS, FaceEmbedder

START_TIMEOUT_S = 120.0  # dlib's import, the model's sha256 and its loading, on a busy machine
REPLY_TIMEOUT_S = 30.0
NICENESS = 10  # CFS gives a nice-0 process about 9x the CPU of a nice-10 one
STOP_TIMEOUT_S = 2.0


class ProcessEmbedder(FaceEmbedder):
    """FaceEmbedder whose network runs in the child process: embed() and embed_many() cut the
    chips here (OpenCV, which releases the GIL) and embed_chips() sends them over. Thread-safe:
    one request at a time."""

    def __init__(self):  # FaceEmbedder's own __init__ would load dlib in this process
        self._lock = threading.Lock()
        self._start()

    def _start(self) -> None:
        self._conn, child = multiprocessing.Pipe(duplex=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._reply(START_TIMEOUT_S, "loading the face embedding model")

    def _reply(self, timeout_s: float, what: str):
        """The child's answer: a value, or a ModelError with the child's reason."""
        try:
            if not self._conn.poll(timeout_s):
                self._kill()
                raise ModelError(f"the embedding process took over {timeout_s:.0f} s {what}")
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise ModelError(
                f"the embedding process ended while {what} (exit code {self._kill()})"
            ) from exc
        if status != "ok":
            raise ModelError(value)
        return value

    def _kill(self) -> int:
        """End the child (if it still runs) and wait for it: the next request starts a new
        one. Its exit code."""
        self._process.kill()
        return self._process.wait()

    def embed_chips(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        if not len(chips):
            return np.zeros((0, DIMENSIONS), np.float32)
        with self._lock:
            if self._process.poll() is not None:  # it died (the caller saw why): a new one
                self._conn.close()
                self._start()
            what = f"embedding {len(chips)} face(s)"
            try:
                self._conn.send(np.stack(chips))
            except OSError as exc:
                raise ModelError(
                    f"the embedding process ended before {what} (exit code {self._kill()})"
                ) from exc
            return self._reply(REPLY_TIMEOUT_S, what)

    def close(self) -> None:
        """Close the socket (the child ends on it) and wait for the child, killing it if it
        does not end in time."""
        self._conn.close()
        try:
            self._process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def serve(conn: Connection) -> None:
    """The child: load the model, then embed every batch of chips that arrives."""
    try:
        embedder = FaceEmbedder()
    except ModelError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("ok", None))
    while True:
        try:
            chips = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", embedder.embed_chips(list(chips))))
        except Exception as exc:  # noqa: BLE001 - reported to the node, which logs it
            conn.send(("error", f"embedding failed: {type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    serve(Connection(int(sys.argv[1])))
