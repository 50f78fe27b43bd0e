"""Pairs messages of two topics by exact header stamp, with small bounded caches: an image with
the detections (or analysis) computed for it. Entries evicted unpaired are counted."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable


def stamp_key(header) -> tuple[int, int]:
    return (header.stamp.sec, header.stamp.nanosec)


class StampPairer:
    """add_left/add_right(key, item) -> (left, right) once both sides of a key are there."""

    def __init__(self, capacity: int, on_unpaired: Callable[[str], None]):
        self.capacity = capacity
        self.on_unpaired = on_unpaired
        self._sides = (collections.OrderedDict(), collections.OrderedDict())
        self._lock = threading.Lock()

    def add_left(self, key, item) -> tuple | None:
        return self._add(0, key, item)

    def add_right(self, key, item) -> tuple | None:
        return self._add(1, key, item)

    def _add(self, side: int, key, item) -> tuple | None:
        with self._lock:
            other = self._sides[1 - side]
            if key in other:
                partner = other.pop(key)
                return (item, partner) if side == 0 else (partner, item)
            mine = self._sides[side]
            mine[key] = item
            while len(mine) > self.capacity:
                mine.popitem(last=False)
                self.on_unpaired("left" if side == 0 else "right")
        return None

    def clear(self):
        with self._lock:
            for side in self._sides:
                side.clear()
