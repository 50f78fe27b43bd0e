"""`face-analysis anonymize IN_BAG OUT_BAG`: the command line of face_analysis.offline.anonymize."""

from __future__ import annotations

import argparse

from ..offline.anonymize import anonymize_bag
from .options import anonymizer_factory, config_from_args


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "anonymize",
        parents=[common],
        help="copy a recording with every face blurred",
        description="Write a copy of a rosbag2 recording with every detected face blurred in "
        "every image topic (raw and compressed), faces tracked so that one missed for a few "
        "frames stays blurred; other topics, headers and log times are unchanged. The "
        "detection and tracking options apply; no classification head runs.",
    )
    parser.add_argument("input", metavar="IN_BAG", help="rosbag2 folder (mcap or sqlite3)")
    parser.add_argument("output", metavar="OUT_BAG", help="the bag folder to create")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stats = anonymize_bag(
        args.input,
        args.output,
        anonymizer_factory(config_from_args(args)),
        progress=not args.no_progress,
    )
    print(f"{args.output}: {stats['copied']} messages")
    for topic, images in sorted(stats["images"].items()):
        print(f"  {topic}: {images} images, {stats['faces'][topic]} face regions blurred")
    for topic, count in sorted(stats["dropped"].items()):
        print(f"  {topic}: {count} undecodable images left out (they could not be blurred)")
    for topic, encodings in sorted(stats["reencoded"].items()):
        changed = ", ".join(f"{count} {name}" for name, count in sorted(encodings.items()))
        print(f"  {topic}: re-encoded as bgr8/mono8: {changed}")
    return 0
