"""The pipeline's two-thread worker (pipeline_overlap): the first stage of frame n+1 runs while
the second stage of frame n does, frames leave the second stage in the order they were taken, only
the camera input drops frames (and counts them), and stop() ends both threads."""

import threading
import time

from face_analysis.core.errors import FaceAnalysisError
from face_analysis.ros.runtime.diagnostics import StageStats
from face_analysis.ros.runtime.latest_worker import LatestWorker, TwoStageWorker


class Logger:
    def __init__(self):
        self.messages = []

    def warning(self, text, **_):
        self.messages.append(text)

    error = warning


STAGE_S = 0.05


def run(worker_class, items, period_s):
    """Put `items` every period_s into a worker whose stages each take STAGE_S; returns the
    items the last stage saw, in order, the stats and the time until the last one was done."""
    done, stats, finished = [], StageStats(), threading.Event()

    def first(item):
        time.sleep(STAGE_S)
        if item == "bad":
            raise FaceAnalysisError("a bad frame")
        return item

    def second(item):
        time.sleep(STAGE_S)
        done.append(item)
        if item == items[-1]:
            finished.set()

    worker = (
        TwoStageWorker(first, second, stats, Logger())
        if worker_class is TwoStageWorker
        else LatestWorker(lambda item: second(first(item)), stats, Logger())
    )
    worker.start()
    start = time.monotonic()
    for item in items:
        worker.put(item)
        time.sleep(period_s)
    assert finished.wait(10.0)
    elapsed = time.monotonic() - start
    worker.stop()
    return done, stats, elapsed


def test_two_stages_overlap_and_keep_the_order():
    # A frame every 1.2 stages: one thread (2 stages a frame) falls behind and drops frames,
    # two threads keep up with every frame, in order.
    items = list(range(12))
    done, stats, _ = run(TwoStageWorker, items, 1.2 * STAGE_S)
    assert done == items and stats.dropped == 0
    single, single_stats, _ = run(LatestWorker, items, 1.2 * STAGE_S)
    assert single_stats.dropped > 0 and single == sorted(single)


def test_frames_arriving_faster_are_dropped_at_the_input_and_counted():
    items = list(range(20))
    done, stats, _ = run(TwoStageWorker, items, 0.2 * STAGE_S)
    assert done == sorted(done) and done[-1] == 19
    assert len(done) + stats.dropped == len(items)


def test_a_bad_frame_is_skipped_and_stop_ends_both_threads():
    done, stats, _ = run(TwoStageWorker, [0, "bad", 2], 3 * STAGE_S)
    assert done == [0, 2] and stats.problems["FaceAnalysisError"] == 1
    before = threading.active_count()
    worker = TwoStageWorker(lambda item: item, lambda item: None, StageStats(), Logger())
    worker.start()
    worker.put(1)
    worker.stop()
    assert threading.active_count() == before
