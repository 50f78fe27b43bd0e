"""The README's picture: our overlay on frames of the bundled recording, so the picture shows
what the current code and models do. The pipeline (FaceAnalyzer with the defaults the nodes
use) runs over the recording from its first frame, so tracks and smoothed labels are what the
demo shows at those frames; the chosen frames are drawn and put side by side.

    python scripts/readme_picture.py [--frames 0,40] [-o docs/images/overlay.png]

The PNG is stored with a 256-colour palette (Pillow, which matplotlib brings): it keeps the
picture within the README's 300 KB, which a full-colour PNG of two frames exceeds several times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.draw import draw_results
from face_analysis.offline.bag_reader import ImageBag

REPO = Path(__file__).resolve().parents[1]
MAX_BYTES = 300_000  # the README's budget for its one picture


def overlay_frames(bag_path: Path, wanted: list[int]) -> list[np.ndarray]:
    """The overlay of each wanted frame index, the pipeline having seen every frame before it."""
    analyzer = FaceAnalyzer()
    drawn = {}
    with ImageBag(bag_path) as bag:
        for frame in bag.frames():
            if frame.index > max(wanted):
                break
            if frame.error:
                raise SystemExit(f"{bag_path}: frame {frame.index} unreadable: {frame.error}")
            image = frame.image()
            results = analyzer.analyze(image)
            if frame.index in wanted:
                drawn[frame.index] = draw_results(image, results)
    missing = sorted(set(wanted) - set(drawn))
    if missing:
        raise SystemExit(f"{bag_path} has no frame {missing} (it has {frame.index + 1})")
    return [drawn[i] for i in wanted]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bag", type=Path, default=REPO / "samples" / "faces_demo")
    parser.add_argument(
        "--frames", default="0,40", help="comma-separated frame indices, drawn left to right"
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=REPO / "docs" / "images" / "overlay.png"
    )
    args = parser.parse_args(argv)
    wanted = [int(i) for i in args.frames.split(",")]
    picture = np.hstack(overlay_frames(args.bag, wanted))
    rgb = Image.fromarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(args.output, optimize=True)
    size = args.output.stat().st_size
    print(f"{args.output}: frames {wanted}, {picture.shape[1]}x{picture.shape[0]}, {size} bytes")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES} bytes: choose fewer frames", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
