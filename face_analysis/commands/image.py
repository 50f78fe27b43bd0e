"""`face-analysis image PHOTO`: faces, gender, age and emotion of one image (the paper's image demo)."""

from __future__ import annotations

import argparse
import json

import cv2

from ..core.analyzer import FaceAnalyzer
from ..core.errors import FaceAnalysisError
from ..core.serialize import result_to_dict
from ..core.types import FaceResult
from .options import add_privacy_option, config_from_args, overlay


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "image",
        parents=[common],
        help="analyse one image",
        description="Detect and classify the faces of one image.",
    )
    parser.add_argument("path", help="image file (anything OpenCV reads)")
    parser.add_argument("-o", "--output", help="write the overlay here (e.g. out.png)")
    add_privacy_option(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the faces as JSON instead of one line per face"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    image = cv2.imread(args.path, cv2.IMREAD_COLOR)
    if image is None:
        raise FaceAnalysisError(f"{args.path}: cannot read it as an image")
    analyzer = FaceAnalyzer(config_from_args(args))
    results = analyzer.analyze(image)
    if args.output:
        write_image(args.output, overlay(args, image, results))
    if args.json:
        print(
            json.dumps(
                {
                    "image": args.path,
                    "width": image.shape[1],
                    "height": image.shape[0],
                    "faces": [result_to_dict(r) for r in results],
                },
                indent=2,
            )
        )
    else:
        print(f"{args.path}: {len(results)} face(s)")
        for result in results:
            print("  " + describe(result))
    return 0


def describe(result: FaceResult) -> str:
    """One line per face: track, box, gender, age (+- one age_std) and emotion with their
    confidences, or that the face is too small for them."""
    box = ", ".join(f"{v:.0f}" for v in result.box.as_tuple())
    parts = [f"face #{result.track_id} at ({box})"]
    if result.person_id is not None:
        who = f"{result.name} " if result.name else ""
        parts.append(f"{who}({result.person_id}, confidence {result.identity_confidence:.2f})")
    if result.attributes_unknown:
        parts.append("too small for gender, age and emotion (min_attribute_face_size)")
    if result.gender is not None:
        parts.append(f"{result.gender.label} {result.gender.confidence:.2f}")
    if result.age is not None:
        parts.append(f"age {result.age.value:.0f} +- {result.age.std:.0f}")
    if result.emotion is not None:
        parts.append(f"{result.emotion.label} {result.emotion.confidence:.2f}")
    if result.pose is not None:
        pose = result.pose
        parts.append(
            f"yaw {pose.yaw:.0f} pitch {pose.pitch:.0f} roll {pose.roll:.0f} deg, "
            f"{pose.distance:.2f} m, looking at the camera {pose.looking_at_camera:.2f}"
        )
    return "  ".join(parts)


def write_image(path: str, image) -> None:
    try:
        ok = cv2.imwrite(path, image)
    except cv2.error as exc:  # e.g. an unknown file extension
        raise FaceAnalysisError(f"{path}: cannot write the image ({exc.err})") from exc
    if not ok:
        raise FaceAnalysisError(f"{path}: cannot write the image")
