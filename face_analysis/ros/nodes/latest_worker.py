"""Newest-frame-only processing: the executor thread hands items over, one worker thread
processes the newest and counts the ones it never got to, so a slow stage never queues up
stale frames."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from ...core.errors import FaceAnalysisError
from .diagnostics import StageStats


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
            try:
                self.process(item)
            except FaceAnalysisError as exc:
                self.stats.problem(type(exc).__name__)
                self.logger.warning(f"skipping a frame: {exc}", throttle_duration_sec=5.0)
            except Exception:  # noqa: BLE001 - a bug must not stop the node; it is logged
                if not self.alive():
                    return  # SIGINT shut the context down under a frame in flight: not an error
                self.stats.problem("internal error")
                self.logger.error(
                    f"processing failed:\n{traceback.format_exc()}", throttle_duration_sec=5.0
                )
