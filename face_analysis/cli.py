"""The `face-analysis` command: one parser over the subcommands of face_analysis.commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import anonymize, demo, evaluate, image, people, play, record, verify, video
from .commands.options import common_options
from .core.errors import FaceAnalysisError

COMMANDS = (image, video, record, anonymize, play, evaluate, demo, verify, people)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="face-analysis",
        description="Real-time face detection with emotion and gender classification.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = common_options()
    for command in COMMANDS:
        command.add(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
