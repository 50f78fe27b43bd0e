"""The options every analysing subcommand shares (models and heads, detection, tracking) and their
mapping onto AnalyzerConfig; the overlay's --privacy and the anonymiser built from a config."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np

from ..core.analyzer import AnalyzerConfig, FaceAnalyzer, check_heads, with_heads
from ..core.anonymize import FrameAnonymizer, private_view
from ..core.detect import DETECTORS
from ..core.draw import draw_results
from ..core.errors import ConfigError
from ..core.track import HEADS


def parse_setting(text: str) -> tuple[str, object]:
    """KEY=VALUE with VALUE read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def parse_heads(text: str) -> list[str]:
    """A comma list of head names; empty (--heads '') for none."""
    heads = [name.strip() for name in text.split(",") if name.strip()]
    try:
        check_heads(heads)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return heads


def common_options() -> argparse.ArgumentParser:
    """A parent parser (argparse `parents=`) with the shared options."""
    defaults = AnalyzerConfig()
    common = argparse.ArgumentParser(add_help=False)
    models = common.add_argument_group("models")
    models.add_argument(
        "--emotion-model",
        default=defaults.emotion_model,
        metavar="ONNX",
        help="emotion head (default: %(default)s)",
    )
    models.add_argument(
        "--gender-model",
        default=defaults.gender_model,
        metavar="ONNX",
        help="gender head (default: %(default)s)",
    )
    models.add_argument(
        "--age-model",
        default=defaults.age_model,
        metavar="ONNX",
        help="age head (default: %(default)s)",
    )
    models.add_argument(
        "--heads",
        type=parse_heads,
        default=list(HEADS),
        metavar="NAME[,NAME...]",
        help=f"the heads to run, any of {', '.join(HEADS)}; '' for none (detection and "
        f"tracking only); the others are not loaded (default: {','.join(HEADS)})",
    )
    models.add_argument(
        "--threads",
        type=int,
        default=defaults.intra_op_threads,
        help="onnxruntime intra-op threads per head (default: %(default)s)",
    )
    models.add_argument(
        "--providers",
        type=lambda text: text.split(","),
        default=list(defaults.providers),
        metavar="NAME[,NAME...]",
        help="onnxruntime execution providers in order of preference, e.g. "
        "CUDAExecutionProvider,CPUExecutionProvider "
        f"(default: {','.join(defaults.providers)})",
    )
    detection = common.add_argument_group("detection")
    detection.add_argument(
        "--detector",
        default=defaults.detector,
        choices=sorted(DETECTORS),
        help="face detector (default: %(default)s)",
    )
    detection.add_argument(
        "--detector-setting",
        type=parse_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="detector setting, repeatable, e.g. downscale=2 or min_size=40",
    )
    detection.add_argument(
        "--min-score",
        type=float,
        default=defaults.min_detection_score,
        help="drop detections scoring below this (default: %(default)s)",
    )
    detection.add_argument(
        "--max-faces",
        type=int,
        default=defaults.max_faces,
        help="analyse only the N largest faces, 0 = all (default: %(default)s)",
    )
    detection.add_argument(
        "--detect-every",
        type=int,
        default=defaults.detect_every,
        metavar="K",
        help="run the detector on every K-th frame only; the tracker carries the faces (predicted "
        "boxes, last labels) in between (default: %(default)s)",
    )
    tracking = common.add_argument_group("tracking")
    tracking.add_argument(
        "--attribute-every",
        type=int,
        default=defaults.attribute_every,
        metavar="K",
        help="run gender and age on a tracked face every K-th frame only, emotion every frame "
        "(default: %(default)s)",
    )
    tracking.add_argument(
        "--min-attribute-face-size",
        type=float,
        default=defaults.min_attribute_face_size,
        metavar="PX",
        help="faces narrower than this are detected and tracked, their labels unknown; 0 = "
        "classify every face (default: %(default)s)",
    )
    tracking.add_argument(
        "--iou-threshold",
        type=float,
        default=defaults.iou_threshold,
        metavar="IOU",
        help="least box overlap (IoU) for a face to continue a track (default: %(default)s)",
    )
    tracking.add_argument(
        "--alpha",
        type=float,
        default=defaults.smoothing_alpha,
        help="weight of the newest frame in the label smoothing, 1 = none (default: %(default)s)",
    )
    tracking.add_argument(
        "--max-missed",
        type=int,
        default=defaults.max_missed,
        help="frames a face may go undetected before its track ends (default: %(default)s)",
    )
    pose = common.add_argument_group("head pose (faces with landmarks: yunet)")
    pose.add_argument(
        "--camera-fov",
        type=float,
        default=defaults.camera_fov,
        metavar="DEGREES",
        help="horizontal field of view of the camera, for the head pose's distance and "
        "looking_at_camera (default: %(default)s)",
    )
    return common


def add_privacy_option(parser: argparse.ArgumentParser) -> None:
    """--privacy for the subcommands that write an overlay (image, video)."""
    parser.add_argument(
        "--privacy",
        action="store_true",
        help="blur every face in the written overlay (boxes and labels are still drawn)",
    )


def overlay(args: argparse.Namespace, image: np.ndarray, results) -> np.ndarray:
    """The overlay of `results` on `image`; with --privacy, privacy mode's (faces blurred)."""
    if args.privacy:
        image, results = private_view(image, results)
    return draw_results(image, results)


def anonymizer_factory(config: AnalyzerConfig) -> Callable[[], FrameAnonymizer]:
    """New FrameAnonymizers (one per video stream) detecting and tracking as `config` says,
    without heads: blurring needs no labels."""
    config = with_heads(config, ())
    return lambda: FrameAnonymizer(FaceAnalyzer(config))


def config_from_args(args: argparse.Namespace) -> AnalyzerConfig:
    config = AnalyzerConfig(
        emotion_model=args.emotion_model,
        gender_model=args.gender_model,
        age_model=args.age_model,
        detector=args.detector,
        detector_settings=dict(args.detector_setting),
        min_detection_score=args.min_score,
        max_faces=args.max_faces,
        detect_every=args.detect_every,
        attribute_every=args.attribute_every,
        min_attribute_face_size=args.min_attribute_face_size,
        iou_threshold=args.iou_threshold,
        smoothing_alpha=args.alpha,
        max_missed=args.max_missed,
        camera_fov=args.camera_fov,
        intra_op_threads=args.threads,
        providers=list(args.providers),
    )
    return with_heads(config, args.heads)
