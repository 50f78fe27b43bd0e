"""The core pipeline over a recording, as fast as the machine allows, without ROS. Writes
frames.jsonl (one record per frame, see records.py), summary.json and emotion_over_time.png into
the output folder; with ground truth also detection precision/recall, classification accuracy
and, when it names the person of each face, tracking metrics (see metrics.py).

Latency is the time of FaceAnalyzer.analyze per frame (detect, classify, track); the frames per
second cover the whole loop, reading and decoding the bag included. Its command line:
face_analysis.commands.evaluate (`face-analysis evaluate BAG`)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tqdm import tqdm

from ..core.analyzer import FaceAnalyzer
from ..core.errors import FaceAnalysisError
from .bag_reader import ImageBag
from .ground_truth import read_ground_truth
from .metrics import GroundTruthScorer
from .plots import plot_emotions
from .records import frame_record, skipped_record
from .results_bag import ResultsBagWriter
from .summary import SummaryBuilder

FRAMES_FILE, SUMMARY_FILE, PLOT_FILE = "frames.jsonl", "summary.json", "emotion_over_time.png"


def default_results_path(bag: Path) -> Path:
    """Next to the input: <bag>_analysis (a folder, as rosbag2 bags are)."""
    return bag.with_name(bag.stem + "_analysis" if bag.is_file() else bag.name + "_analysis")


def evaluate_bag(
    bag_path: str | Path,
    analyzer: FaceAnalyzer,
    out_dir: str | Path,
    topic: str | None = None,
    ground_truth: str | Path | None = None,
    results_bag: str | Path | None = None,
    max_frames: int = 0,
    progress: bool = False,
) -> dict:
    """Run the analyzer over every frame of the bag's image topic; returns the summary.

    Frames that cannot be used (undecodable message, unsupported encoding, image the models
    reject) are recorded as skipped with the reason, and the run goes on."""
    out_dir = Path(out_dir)
    scorer = GroundTruthScorer(read_ground_truth(ground_truth)) if ground_truth else None
    if results_bag is not None and Path(results_bag).exists():
        raise FaceAnalysisError(f"{results_bag} exists already; remove it or choose another path")
    with ImageBag(bag_path, topic) as bag:
        out_dir.mkdir(parents=True, exist_ok=True)
        builder = SummaryBuilder()
        writer = ResultsBagWriter(results_bag, analyzer.labels) if results_bag else None
        analyzer.reset()
        total = min(bag.topic.count, max_frames) if max_frames else bag.topic.count
        bar = tqdm(total=total, unit="frame", desc="evaluating", disable=not progress)
        start = time.perf_counter()
        try:
            with (out_dir / FRAMES_FILE).open("w") as log:
                for frame in bag.frames():
                    if max_frames and frame.index >= max_frames:
                        break
                    record, results = _analyze(analyzer, frame)
                    builder.add(record)
                    if scorer is not None and "faces" in record:
                        scorer.add(record["stamp_ns"], record["faces"])
                    if writer is not None and results is not None:
                        writer.write(frame.stamp_ns, frame.frame_id, results)
                    log.write(json.dumps(record) + "\n")
                    bar.update()
        finally:
            bar.close()
            if writer is not None:
                writer.close()
        wall_s = time.perf_counter() - start
        builder.problems.extend(bag.problems)
        summary = {
            "bag": str(bag_path),
            "topic": bag.topic.name,
            "msgtype": bag.topic.msgtype,
            **builder.summary(wall_s),
        }
    if scorer is not None:
        summary["ground_truth"] = str(ground_truth)
        summary["detection"] = scorer.detection()
        summary["classification"] = scorer.classification()
        summary["tracking"] = scorer.tracking()
        identity = scorer.person_ids()
        if identity is not None:
            summary["identity"] = identity
    try:
        plot = plot_emotions(
            builder.emotion_series, out_dir / PLOT_FILE, start_ns=builder.first_stamp_ns
        )
    except ImportError:
        plot = None
        summary["problems"].append("no plot: matplotlib is not installed")
    summary["outputs"] = {
        "frames": str(out_dir / FRAMES_FILE),
        "summary": str(out_dir / SUMMARY_FILE),
        "plot": str(plot) if plot else None,
        "results_bag": str(results_bag) if results_bag else None,
    }
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _analyze(analyzer: FaceAnalyzer, frame):
    """(record, results); results None for a skipped frame."""
    if frame.error:
        return skipped_record(frame.index, frame.stamp_ns, frame.frame_id, frame.error), None
    try:
        image = frame.image()
        begin = time.perf_counter()
        # The header stamp: identity's memory counts in it, so a rerun gives the same ids.
        results = analyzer.analyze(image, stamp_s=frame.stamp_ns / 1e9)
        latency_ms = (time.perf_counter() - begin) * 1000
    except FaceAnalysisError as exc:  # ImageEncodingError, PreprocessError: this frame only
        return skipped_record(frame.index, frame.stamp_ns, frame.frame_id, str(exc)), None
    return frame_record(frame.index, frame.stamp_ns, frame.frame_id, results, latency_ms), results
