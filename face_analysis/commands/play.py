"""`face-analysis play BAG`: publishes a recording's images with rclpy (the player:
face_analysis.ros.tools.bag_player). rclpy is loaded only when the command runs, so the rest of
the command line works from a pip install. Also the `bag_player` ROS executable
(`ros2 run face_analysis bag_player BAG ...`, `python -m face_analysis.commands.play BAG ...`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..core.errors import FaceAnalysisError

DESCRIPTION = (
    "Publish the images of a rosbag2 recording in order, at the recorded rate (or "
    "--rate times it), keeping the recorded header stamps and frame_ids."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", help="rosbag2 folder (mcap or sqlite3), or a .mcap/.db3 file")
    parser.add_argument(
        "--source-topic",
        metavar="TOPIC",
        help="recorded image topic to play (default: the bag's image topic, raw Image preferred)",
    )
    parser.add_argument(
        "--topic",
        help="publish on this topic (default: the recorded one; "
        "with --decode, that name without /compressed)",
    )
    parser.add_argument(
        "--decode",
        action="store_true",
        help="decode CompressedImage frames and publish sensor_msgs/Image bgr8",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="speed factor over the recorded rate (default: %(default)s)",
    )
    parser.add_argument(
        "--best-effort",
        action="store_true",
        help="best-effort QoS instead of reliable (large images between "
        "processes then need a Fast DDS large-data profile, see the "
        "'Best-effort cameras' section of docs/deployment.md)",
    )
    parser.add_argument(
        "--queue-size",
        type=int,
        default=10,
        metavar="N",
        help="publisher history depth: with reliable QoS, a subscriber may fall "
        "this many frames behind before frames are dropped "
        "(default: %(default)s)",
    )
    parser.add_argument("--loop", action="store_true", help="start over at the end, until SIGINT")
    parser.add_argument(
        "--wait-for-subscriber",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait up to this long for a subscriber before the first frame, "
        "0: don't wait (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "play", help="publish a recorded bag's images with rclpy", description=DESCRIPTION
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..ros.tools.bag_player import play
    except ImportError as exc:
        raise FaceAnalysisError(
            f"`face-analysis play` needs ROS 2 (rclpy, sensor_msgs): {exc}"
        ) from exc
    return play(
        args.bag,
        source_topic=args.source_topic,
        topic=args.topic,
        decode=args.decode,
        rate=args.rate,
        best_effort=args.best_effort,
        queue_size=args.queue_size,
        loop=args.loop,
        wait_for_subscriber=args.wait_for_subscriber,
        progress=not args.no_progress,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The `bag_player` executable: `face-analysis play` under its ROS name."""
    parser = argparse.ArgumentParser(prog="bag_player", description=DESCRIPTION)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except FaceAnalysisError as exc:
        print(f"bag_player: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
