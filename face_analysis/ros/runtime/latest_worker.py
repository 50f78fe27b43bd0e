"""Newest-frame-only processing: the executor thread hands items over, one worker thread
processes the newest and counts the ones it never got to, so a slow stage never queues up
stale frames. A node's item is a WorkItem."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...core.errors import FaceAnalysisError
from .diagnostics import StageStats

if TYPE_CHECKING:
    import numpy as np
    from sensor_msgs.msg import CompressedImage, Image

    from ...core.types import FaceBox


@dataclass(frozen=True, eq=False)
class WorkItem:
    """One camera frame on its way through a node's worker. The optional fields are filled only
    by the nodes that have them."""

    msg: Image | CompressedImage  # the camera message; decoded in the worker, not on arrival
    receipt: float  # time.monotonic() at arrival: where the node's latency starts
    # The message with the image's stamp (paired_node.py): face_classifier's faces/detections,
    # face_overlay's faces/analysis.
    paired: Any = None
    # Handed from the pipeline's first stage to its second: the decoded image and the
    # detector's boxes (None on a frame where detect_every skipped the detector).
    frame: np.ndarray | None = None
    boxes: list[FaceBox] | None = None


_DEAD = object()  # _guarded's result when the context was shut down under a frame in flight


class LatestWorker:
    def __init__(
        self,
        process: Callable,
        stats: StageStats,
        logger,
        max_rate: float = 0.0,
        alive: Callable[[], bool] = lambda: True,
    ):
        self.process, self.stats, self.logger, self.alive = process, stats, logger, alive
        self.min_period = 1.0 / max_rate if max_rate > 0 else 0.0
        self._item = None
        self._cond = threading.Condition()
        self._running = False
        self._thread = None

    def start(self):
        with self._cond:
            self._running, self._item = True, None
        self._thread = threading.Thread(target=self._loop, daemon=True, name="face_analysis")
        self._thread.start()

    def stop(self):
        with self._cond:
            self._running = False
            if self._item is not None:
                self.stats.drop()
                self._item = None
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    def put(self, item):
        with self._cond:
            if self._item is not None:
                self.stats.drop()
            self._item = item
            self._cond.notify()

    def _loop(self):
        last_start = 0.0
        while True:
            with self._cond:
                while self._running and self._item is None:
                    self._cond.wait()
                if not self._running:
                    return
            # Rate limit before taking the item, so the newest frame at that moment wins.
            wait = last_start + self.min_period - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self._cond:
                item, self._item = self._item, None
            if item is None:
                continue
            last_start = time.monotonic()
            if self._guarded(self.process, item) is _DEAD:
                return

    def _guarded(self, fn: Callable, item):
        """fn(item); a bad frame or a bug is counted and logged, not raised (None then), and
        _DEAD means SIGINT shut the context down under a frame in flight: the thread ends."""
        try:
            return fn(item)
        except FaceAnalysisError as exc:
            self.stats.problem(type(exc).__name__)
            self.logger.warning(f"skipping a frame: {exc}", throttle_duration_sec=5.0)
        except Exception:  # noqa: BLE001 - a bug must not stop the node; it is logged
            if not self.alive():
                return _DEAD  # not an error
            self.stats.problem("internal error")
            self.logger.error(
                f"processing failed:\n{traceback.format_exc()}", throttle_duration_sec=5.0
            )
        return None


class TwoStageWorker(LatestWorker):
    """LatestWorker in two threads: `first(item)` (decode and detect) runs in the worker thread
    on the newest frame and returns what `second` needs (None: nothing to hand on);
    `second(that)` (track, classify, publish) runs in a second thread, in the order the frames
    were taken. The hand-over holds one frame: while the second stage is still busy with frame
    n and frame n+1 waits for it, the first stage waits too, so frames are dropped only where
    LatestWorker drops them (the newest camera frame replaces an older waiting one) and at most
    two are in flight. onnxruntime releases the GIL while it runs, so the detector of frame n+1
    and the heads of frame n use two cores."""

    def __init__(
        self,
        first: Callable,
        second: Callable,
        stats: StageStats,
        logger,
        max_rate: float = 0.0,
        alive: Callable[[], bool] = lambda: True,
    ):
        super().__init__(self._first_stage, stats, logger, max_rate, alive)
        self.first, self.second = first, second
        self._handoff = None
        self._handoff_cond = threading.Condition()
        self._second_thread = None

    def start(self):
        self._handoff = None
        super().start()
        self._second_thread = threading.Thread(
            target=self._second_loop, daemon=True, name="face_analysis_2"
        )
        self._second_thread.start()

    def stop(self):
        with self._cond:
            self._running = False
        with self._handoff_cond:
            self._handoff_cond.notify_all()
        super().stop()
        if self._second_thread is not None:
            self._second_thread.join(timeout=10.0)
            self._second_thread = None
        if self._handoff is not None:
            self.stats.drop()
            self._handoff = None

    def _first_stage(self, item):
        result = self.first(item)
        if result is None:
            return None
        with self._handoff_cond:
            while self._running and self._handoff is not None:
                self._handoff_cond.wait()
            if not self._running:
                self.stats.drop()
                return None
            self._handoff = result
            self._handoff_cond.notify_all()
        return None

    def _second_loop(self):
        while True:
            with self._handoff_cond:
                while self._running and self._handoff is None:
                    self._handoff_cond.wait()
                if not self._running:
                    return
                item, self._handoff = self._handoff, None
                self._handoff_cond.notify_all()
            if self._guarded(self.second, item) is _DEAD:
                return
