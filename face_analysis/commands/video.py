"""`face-analysis video CLIP`: faces of every frame with tracking and smoothing, an overlay video,
JSON lines, and a summary per track at the end."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

import cv2

from ..core.analyzer import FaceAnalyzer
from ..core.errors import FaceAnalysisError
from ..core.serialize import result_to_dict
from ..core.types import FaceResult
from .image import describe
from .options import add_privacy_option, config_from_args, overlay


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "video",
        parents=[common],
        help="analyse a video file",
        description="Track and classify the faces of a video.",
    )
    parser.add_argument("path", help="video file (anything OpenCV's VideoCapture opens)")
    parser.add_argument("-o", "--output", help="write the overlay video here (.mp4)")
    parser.add_argument(
        "--jsonl", metavar="OUT.jsonl", help="write one JSON line per frame with its faces"
    )
    parser.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: all)")
    add_privacy_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm  # only the video command needs it

    capture = cv2.VideoCapture(args.path)
    if not capture.isOpened():
        raise FaceAnalysisError(f"{args.path}: cannot open it as a video")
    analyzer = FaceAnalyzer(config_from_args(args))
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if args.max_frames:
        total = min(total or args.max_frames, args.max_frames)
    writer, log = None, open(args.jsonl, "w") if args.jsonl else None
    frames, faces, seconds = 0, 0, 0.0
    final: dict[int, FaceResult] = {}
    seen: Counter = Counter()
    try:
        with tqdm(total=total, unit="frame", desc="analysing") as progress:
            while not args.max_frames or frames < args.max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                start = time.perf_counter()
                results = analyzer.analyze(frame, stamp_s=frames / fps)
                seconds += time.perf_counter() - start
                for result in results:
                    final[result.track_id] = result
                    seen[result.track_id] += 1
                if args.output:
                    writer = writer or open_writer(args.output, fps, frame.shape)
                    writer.write(overlay(args, frame, results))
                if log:
                    log.write(
                        json.dumps({"frame": frames, "faces": [result_to_dict(r) for r in results]})
                        + "\n"
                    )
                frames, faces = frames + 1, faces + len(results)
                progress.update()
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if log:
            log.close()
    print(
        f"{args.path}: {frames} frames, {faces} faces, {len(final)} tracks; analysis "
        f"{frames / seconds if seconds else 0.0:.1f} fps ({1000 * seconds / max(frames, 1):.1f} "
        "ms/frame)" + (f"; overlay -> {args.output}" if args.output else "")
    )
    for track_id in sorted(final):
        print(f"  track #{track_id}: {seen[track_id]} frames, last " + describe(final[track_id]))
    return 0


def open_writer(path: str, fps: float, shape) -> cv2.VideoWriter:
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (shape[1], shape[0]))
    if not writer.isOpened():
        raise FaceAnalysisError(f"{path}: cannot open a video writer (use a .mp4 name)")
    return writer
