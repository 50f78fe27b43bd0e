"""The `face-analysis` command: the paper's image and video demos on top of FaceAnalyzer.

Each subcommand is one `add_*_command(subparsers, common)` function appended to COMMANDS; it gets
the shared model/detector/tracking options through the `common` parent parser and sets
`func(args) -> exit code`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from typing import Callable, Optional, Sequence

import cv2

from . import __version__
from .core.analyzer import AnalyzerConfig, FaceAnalyzer
from .core.detect import DETECTORS
from .core.draw import draw_results
from .core.errors import FaceAnalysisError
from .core.serialize import result_to_dict
from .core.types import FaceResult
from .offline.evaluate import add_evaluate_command
from .offline.play_command import add_play_command
from .offline.record import add_record_command
from .ros.demo_command import add_demo_command


def parse_setting(text: str) -> tuple[str, object]:
    """KEY=VALUE with VALUE read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def common_options() -> argparse.ArgumentParser:
    defaults = AnalyzerConfig()
    common = argparse.ArgumentParser(add_help=False)
    models = common.add_argument_group("models")
    models.add_argument("--emotion-model", default=defaults.emotion_model, metavar="ONNX",
                        help="emotion head (default: %(default)s)")
    models.add_argument("--gender-model", default=defaults.gender_model, metavar="ONNX",
                        help="gender head (default: %(default)s)")
    models.add_argument("--threads", type=int, default=defaults.intra_op_threads,
                        help="onnxruntime intra-op threads per head (default: %(default)s)")
    detection = common.add_argument_group("detection")
    detection.add_argument("--detector", default=defaults.detector, choices=sorted(DETECTORS),
                           help="face detector (default: %(default)s)")
    detection.add_argument("--detector-setting", type=parse_setting, action="append", default=[],
                           metavar="KEY=VALUE",
                           help="detector setting, repeatable, e.g. downscale=2 or min_size=40")
    detection.add_argument("--min-score", type=float, default=defaults.min_detection_score,
                           help="drop detections scoring below this (default: %(default)s)")
    detection.add_argument("--max-faces", type=int, default=defaults.max_faces,
                           help="analyse only the N largest faces, 0 = all (default: %(default)s)")
    tracking = common.add_argument_group("tracking")
    tracking.add_argument("--alpha", type=float, default=defaults.smoothing_alpha,
                          help="weight of the newest frame in the label smoothing, 1 = none "
                               "(default: %(default)s)")
    tracking.add_argument("--max-missed", type=int, default=defaults.max_missed,
                          help="frames a face may go undetected before its track ends "
                               "(default: %(default)s)")
    return common


def config_from_args(args: argparse.Namespace) -> AnalyzerConfig:
    return AnalyzerConfig(
        emotion_model=args.emotion_model, gender_model=args.gender_model,
        detector=args.detector, detector_settings=dict(args.detector_setting),
        min_detection_score=args.min_score, max_faces=args.max_faces,
        smoothing_alpha=args.alpha, max_missed=args.max_missed, intra_op_threads=args.threads)


def describe(result: FaceResult) -> str:
    box = ", ".join(f"{v:.0f}" for v in result.box.as_tuple())
    parts = [f"face #{result.track_id} at ({box})"]
    for scores in (result.gender, result.emotion):
        if scores is not None:
            parts.append(f"{scores.label} {scores.confidence:.2f}")
    return "  ".join(parts)


# --- image ------------------------------------------------------------------------------------

def add_image_command(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("image", parents=[common], help="analyse one image",
                                   description="Detect and classify the faces of one image.")
    parser.add_argument("path", help="image file (anything OpenCV reads)")
    parser.add_argument("-o", "--output", help="write the overlay here (e.g. out.png)")
    parser.add_argument("--json", action="store_true",
                        help="print the faces as JSON instead of one line per face")
    parser.set_defaults(func=run_image)


def run_image(args: argparse.Namespace) -> int:
    image = cv2.imread(args.path, cv2.IMREAD_COLOR)
    if image is None:
        raise FaceAnalysisError(f"{args.path}: cannot read it as an image")
    analyzer = FaceAnalyzer(config_from_args(args))
    results = analyzer.analyze(image)
    if args.output:
        write_image(args.output, draw_results(image, results))
    if args.json:
        print(json.dumps({"image": args.path, "width": image.shape[1], "height": image.shape[0],
                          "faces": [result_to_dict(r) for r in results]}, indent=2))
    else:
        print(f"{args.path}: {len(results)} face(s)")
        for result in results:
            print("  " + describe(result))
    return 0


def write_image(path: str, image) -> None:
    try:
        ok = cv2.imwrite(path, image)
    except cv2.error as exc:  # e.g. an unknown file extension
        raise FaceAnalysisError(f"{path}: cannot write the image ({exc.err})") from exc
    if not ok:
        raise FaceAnalysisError(f"{path}: cannot write the image")


# --- video ------------------------------------------------------------------------------------

def add_video_command(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("video", parents=[common], help="analyse a video file",
                                   description="Track and classify the faces of a video.")
    parser.add_argument("path", help="video file (anything OpenCV's VideoCapture opens)")
    parser.add_argument("-o", "--output", help="write the overlay video here (.mp4)")
    parser.add_argument("--jsonl", metavar="OUT.jsonl",
                        help="write one JSON line per frame with its faces")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: all)")
    parser.set_defaults(func=run_video)


def run_video(args: argparse.Namespace) -> int:
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
                results = analyzer.analyze(frame)
                seconds += time.perf_counter() - start
                for result in results:
                    final[result.track_id] = result
                    seen[result.track_id] += 1
                if args.output:
                    writer = writer or open_writer(args.output, fps, frame.shape)
                    writer.write(draw_results(frame, results))
                if log:
                    log.write(json.dumps({"frame": frames,
                                          "faces": [result_to_dict(r) for r in results]}) + "\n")
                frames, faces = frames + 1, faces + len(results)
                progress.update()
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if log:
            log.close()
    print(f"{args.path}: {frames} frames, {faces} faces, {len(final)} tracks; analysis "
          f"{frames / seconds if seconds else 0.0:.1f} fps ({1000 * seconds / max(frames, 1):.1f} "
          "ms/frame)" + (f"; overlay -> {args.output}" if args.output else ""))
    for track_id in sorted(final):
        print(f"  track #{track_id}: {seen[track_id]} frames, last " + describe(final[track_id]))
    return 0


def open_writer(path: str, fps: float, shape) -> cv2.VideoWriter:
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (shape[1], shape[0]))
    if not writer.isOpened():
        raise FaceAnalysisError(f"{path}: cannot open a video writer (use a .mp4 name)")
    return writer


COMMANDS: list[Callable] = [add_image_command, add_video_command, add_record_command,
                            add_play_command, add_evaluate_command, add_demo_command]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="face-analysis",
        description="Real-time face detection with emotion and gender classification.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for add_command in COMMANDS:
        add_command(subparsers, common)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FaceAnalysisError, OSError) as exc:
        print(f"face-analysis: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
