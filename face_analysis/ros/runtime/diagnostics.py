"""Counters of one node and their report on /diagnostics (diagnostic_msgs), once a second."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue


class KeyedThrottle:
    """True at most once per `period_s` for each key: a warning per kind of problem (or per
    face and problem), so a new kind is reported at once while a repeated one is not spammed."""

    def __init__(self, period_s: float = 5.0):
        self.period_s = period_s
        self._last: dict = {}

    def ready(self, key) -> bool:
        now = time.monotonic()
        if now - self._last.get(key, -self.period_s) < self.period_s:
            return False
        self._last[key] = now
        return True


class StageStats:
    """Thread-safe counters: the camera callback and the processing thread both update them."""

    def __init__(self):
        self._lock = threading.Lock()
        self.received = self.processed = self.dropped = 0
        self.problems: collections.Counter = collections.Counter()  # reason -> count
        self.latencies_ms: collections.deque = collections.deque(maxlen=1000)
        self.last_input = None  # monotonic time of the last frame received

    def frame_in(self):
        with self._lock:
            self.received += 1
            self.last_input = time.monotonic()

    def frame_done(self, latency_s: float):
        with self._lock:
            self.processed += 1
            self.latencies_ms.append(latency_s * 1000.0)

    def drop(self, count: int = 1):
        with self._lock:
            self.dropped += count

    def problem(self, reason: str):
        with self._lock:
            self.problems[reason] += 1

    def snapshot(self) -> dict:
        with self._lock:
            latencies = np.array(self.latencies_ms) if self.latencies_ms else None
            self.latencies_ms.clear()
            return {
                "received": self.received,
                "processed": self.processed,
                "dropped": self.dropped,
                "problems": dict(self.problems),
                "latency_ms": latencies,
                "last_input": self.last_input,
            }


class DiagnosticsReporter:
    """Publishes one DiagnosticStatus for the node: rates over the last period, totals, latency
    percentiles, and WARN/ERROR when latency or silence pass the thresholds."""

    def __init__(
        self,
        node,
        stats: StageStats,
        *,
        latency_warn_ms: float,
        latency_error_ms: float,
        silence_warn_s: float,
        period_s: float = 1.0,
        extra: Callable[[], dict] | None = None,
    ):
        self.node, self.stats, self.extra = node, stats, extra
        self.latency_warn_ms, self.latency_error_ms = latency_warn_ms, latency_error_ms
        self.silence_warn_s = silence_warn_s
        self.name = f"face_analysis: {node.get_fully_qualified_name()}"
        self.publisher = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.started = time.monotonic()
        self._previous = stats.snapshot()
        self._previous_time = self.started
        self.timer = node.create_timer(period_s, self.publish)

    def publish(self):
        now = time.monotonic()
        current = self.stats.snapshot()
        elapsed = max(now - self._previous_time, 1e-6)
        input_hz = (current["received"] - self._previous["received"]) / elapsed
        output_hz = (current["processed"] - self._previous["processed"]) / elapsed
        new_problems = sum(current["problems"].values()) - sum(self._previous["problems"].values())
        self._previous, self._previous_time = current, now

        latency = current["latency_ms"]
        p50, p99, worst = (
            np.percentile(latency, [50, 99]).tolist() + [float(latency.max())]
            if latency is not None
            else (0.0, 0.0, 0.0)
        )
        silence = now - (current["last_input"] or self.started)
        level, message = DiagnosticStatus.OK, "ok"
        if silence > 3 * self.silence_warn_s:
            level, message = DiagnosticStatus.ERROR, f"no image for {silence:.0f} s"
        elif p99 > self.latency_error_ms:
            level, message = DiagnosticStatus.ERROR, f"latency p99 {p99:.0f} ms"
        elif silence > self.silence_warn_s:
            level, message = DiagnosticStatus.WARN, f"no image for {silence:.0f} s"
        elif p99 > self.latency_warn_ms:
            level, message = DiagnosticStatus.WARN, f"latency p99 {p99:.0f} ms"
        elif new_problems:
            level, message = (
                DiagnosticStatus.WARN,
                f"{new_problems} bad input(s) in the last period",
            )

        values = {
            "input rate (Hz)": f"{input_hz:.1f}",
            "processed rate (Hz)": f"{output_hz:.1f}",
            "frames received": current["received"],
            "frames processed": current["processed"],
            "frames dropped (stale)": current["dropped"],
            "latency p50 (ms)": f"{p50:.1f}",
            "latency p99 (ms)": f"{p99:.1f}",
            "latency max (ms)": f"{worst:.1f}",
        }
        values.update(
            {f"skipped: {reason}": count for reason, count in sorted(current["problems"].items())}
        )
        if self.extra is not None:
            values.update(self.extra())
        status = DiagnosticStatus(
            level=level,
            name=self.name,
            message=message,
            hardware_id=self.node.get_name(),
            values=[KeyValue(key=k, value=str(v)) for k, v in values.items()],
        )
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.node.get_clock().now().to_msg()
        self.publisher.publish(array)

    def destroy(self):
        self.node.destroy_timer(self.timer)
        self.node.destroy_publisher(self.publisher)
