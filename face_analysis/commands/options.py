"""The options every analysing subcommand shares (models, detection, tracking) and their mapping
onto AnalyzerConfig."""

from __future__ import annotations

import argparse
import json

from ..core.analyzer import AnalyzerConfig
from ..core.detect import DETECTORS


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
    return common


def config_from_args(args: argparse.Namespace) -> AnalyzerConfig:
    return AnalyzerConfig(
        emotion_model=args.emotion_model,
        gender_model=args.gender_model,
        age_model=args.age_model,
        detector=args.detector,
        detector_settings=dict(args.detector_setting),
        min_detection_score=args.min_score,
        max_faces=args.max_faces,
        detect_every=args.detect_every,
        attribute_every=args.attribute_every,
        iou_threshold=args.iou_threshold,
        smoothing_alpha=args.alpha,
        max_missed=args.max_missed,
        intra_op_threads=args.threads,
        providers=list(args.providers),
    )
