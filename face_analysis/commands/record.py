"""`face-analysis record -o BAG SOURCES...`: the command line of face_analysis.offline.record."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from ..core.config import AnalyzerConfig
from ..core.errors import FaceAnalysisError
from ..offline.bag_writer import IMAGE_MODES, STORAGES
from ..offline.frame_sources import MOTIONS
from ..offline.record import DEFAULT_FPS, STILL_SECONDS, RecordOptions, record
from .options import anonymizer_factory


def parse_start(text: str) -> int:
    """Unix seconds (e.g. 1700000000.5) or ISO 8601 (e.g. 2026-11-23T12:00:00+00:00), as ns."""
    try:
        return round(float(text) * 1e9)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected unix seconds or ISO 8601, got {text!r}"
        ) from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add e.g. +00:00")
    return round(moment.timestamp() * 1e9)


def parse_size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 16:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT (each >= 16), got {text!r}")
    return size


def parse_faces(text: str) -> tuple[str, str]:
    image, sep, csv = text.partition("=")
    if not sep or not image or not csv:
        raise argparse.ArgumentTypeError(f"expected IMAGE=CSV, got {text!r}")
    return Path(image).name, csv


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "record",
        help="make a rosbag2 recording from videos and photos",
        description="Write the frames of videos and photos, in the given order, as a camera "
        "would publish them (sensor_msgs/Image and/or jpeg CompressedImage, stamps "
        "at the frame rate) into a new rosbag2 bag. Photos are swept by a virtual "
        "camera (--motion) and can carry known face boxes (--faces) into a "
        "ground-truth file for `face-analysis evaluate`.",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="video files and/or photos")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="BAG",
        help="the bag folder to create (must not exist)",
    )
    parser.add_argument(
        "--storage",
        choices=sorted(STORAGES),
        default="mcap",
        help="rosbag2 storage (default: %(default)s)",
    )
    parser.add_argument(
        "--images",
        choices=IMAGE_MODES,
        default="raw",
        help="raw sensor_msgs/Image on TOPIC, jpeg CompressedImage on "
        "TOPIC/compressed, or both (default: %(default)s)",
    )
    parser.add_argument("--jpeg-quality", type=int, default=90, help="(default: %(default)s)")
    parser.add_argument("--topic", default="/camera/image_raw", help="(default: %(default)s)")
    parser.add_argument(
        "--frame-id", default="camera", help="header frame_id (default: %(default)s)"
    )
    parser.add_argument(
        "--fps", type=float, help=f"frame rate (default: the first video's, else {DEFAULT_FPS:g})"
    )
    parser.add_argument(
        "--start",
        type=parse_start,
        metavar="TIME",
        help="stamp of the first frame: unix seconds or ISO 8601 with zone (default: now)",
    )
    parser.add_argument(
        "--size",
        type=parse_size,
        default=(640, 480),
        metavar="WxH",
        help="frame size; inputs are fitted in, letterboxed (default: 640x480)",
    )
    parser.add_argument(
        "--motion",
        choices=MOTIONS,
        default="pan-zoom",
        help="virtual camera over photos: a sweep that zooms in while panning "
        "left to right and back out, or a fixed full view "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--zoom",
        type=float,
        default=2.0,
        help="largest zoom of the sweep over the full view (default: %(default)s)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        help=f"length per input: each photo's sweep (default {STILL_SECONDS:g}) "
        "and at most this much of each video (default: all of it)",
    )
    parser.add_argument(
        "--video-start",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="skip this much of each video (default: 0)",
    )
    parser.add_argument(
        "--faces",
        type=parse_faces,
        action="append",
        default=[],
        metavar="IMAGE=CSV",
        help="known faces of a photo (x_min,y_min,x_max,y_max[,is_face][,gender]"
        "[,emotion] in photo pixels); repeatable",
    )
    parser.add_argument(
        "--ground-truth",
        metavar="GT.jsonl",
        help="where to write the frames' true faces (default with --faces: "
        "BAG_ground_truth.jsonl beside the bag)",
    )
    parser.add_argument(
        "--anonymize",
        action="store_true",
        help="blur every face the default detector finds (tracked across missed frames) "
        "before writing; as `face-analysis anonymize` does to an existing bag",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = RecordOptions(
        fps=args.fps,
        start_ns=args.start,
        frame_id=args.frame_id,
        frame_size=args.size,
        motion=args.motion,
        zoom=args.zoom,
        seconds=args.seconds,
        video_start_s=args.video_start,
        faces=dict(args.faces),
    )
    unknown = set(options.faces) - {Path(p).name for p in args.inputs}
    if unknown:
        raise FaceAnalysisError(f"--faces names photos that are not inputs: {sorted(unknown)}")
    output = Path(args.output)
    ground_truth = args.ground_truth
    if options.faces and not ground_truth:
        ground_truth = str(output.with_name(output.name + "_ground_truth.jsonl"))
    writer = {
        "storage": args.storage,
        "topic": args.topic,
        "images": args.images,
        "jpeg_quality": args.jpeg_quality,
    }
    anonymizer = anonymizer_factory(AnalyzerConfig())() if args.anonymize else None
    stats = record(
        args.inputs,
        output,
        writer,
        options,
        ground_truth,
        progress=not args.no_progress,
        anonymizer=anonymizer,
    )
    print(
        f"{output}: {stats['frames']} frames at {stats['fps']:g} fps, "
        f"{(stats['end_ns'] - stats['start_ns']) / 1e9:.2f} s from stamp "
        f"{stats['start_ns'] / 1e9:.3f}"
        + (
            f"; ground truth of {stats['annotated_frames']} frames -> {ground_truth}"
            if stats["annotated_frames"]
            else ""
        )
    )
    return 0
