"""`face-analysis image PHOTO`: faces, gender and emotion of one image (the paper's image demo)."""

from __future__ import annotations

import argparse
import json

import cv2

from ..core.analyzer import FaceAnalyzer
from ..core.draw import draw_results
from ..core.errors import FaceAnalysisError
from ..core.serialize import result_to_dict
from ..core.types import FaceResult
from .options import config_from_args


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "image",
        parents=[common],
        help="analyse one image",
        description="Detect and classify the faces of one image.",
    )
    parser.add_argument("path", help="image file (anything OpenCV reads)")
    parser.add_argument("-o", "--output", help="write the overlay here (e.g. out.png)")
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
        write_image(args.output, draw_results(image, results))
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
    """One line per face: track, box, gender and emotion with their confidences."""
    box = ", ".join(f"{v:.0f}" for v in result.box.as_tuple())
    parts = [f"face #{result.track_id} at ({box})"]
    for scores in (result.gender, result.emotion):
        if scores is not None:
            parts.append(f"{scores.label} {scores.confidence:.2f}")
    return "  ".join(parts)


def write_image(path: str, image) -> None:
    try:
        ok = cv2.imwrite(path, image)
    except cv2.error as exc:  # e.g. an unknown file extension
        raise FaceAnalysisError(f"{path}: cannot write the image ({exc.err})") from exc
    if not ok:
        raise FaceAnalysisError(f"{path}: cannot write the image")
