"""The `face-analysis play` command line, importable without ROS: the player itself
(face_analysis.ros.bag_player) and rclpy are loaded only when the command runs, so the rest of
the CLI works from a pip install."""
from __future__ import annotations

import argparse
from typing import Optional

from ..core.errors import FaceAnalysisError


def add_play_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bag", help="rosbag2 folder (mcap or sqlite3), or a .mcap/.db3 file")
    parser.add_argument("--source-topic", metavar="TOPIC",
                        help="recorded image topic to play (default: the bag's image topic, "
                             "raw Image preferred)")
    parser.add_argument("--topic", help="publish on this topic (default: the recorded one; "
                                        "with --decode, that name without /compressed)")
    parser.add_argument("--decode", action="store_true",
                        help="decode CompressedImage frames and publish sensor_msgs/Image bgr8")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="speed factor over the recorded rate (default: %(default)s)")
    parser.add_argument("--best-effort", action="store_true",
                        help="best-effort QoS instead of reliable (large images between "
                             "processes then need a Fast DDS large-data profile, see the "
                             "README's 'Best-effort cameras')")
    parser.add_argument("--queue-size", type=int, default=10, metavar="N",
                        help="publisher history depth: with reliable QoS, a subscriber may fall "
                             "this many frames behind before frames are dropped "
                             "(default: %(default)s)")
    parser.add_argument("--loop", action="store_true", help="start over at the end, until SIGINT")
    parser.add_argument("--wait-for-subscriber", type=float, default=10.0, metavar="SECONDS",
                        help="wait up to this long for a subscriber before the first frame, "
                             "0: don't wait (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_play_command(subparsers, common: Optional[argparse.ArgumentParser] = None) -> None:
    parser = subparsers.add_parser(
        "play", help="publish a recorded bag's images with rclpy",
        description="Publish the images of a rosbag2 recording in order, at the recorded rate "
                    "(or --rate times it), keeping the recorded header stamps and frame_ids.")
    add_play_arguments(parser)
    parser.set_defaults(func=run_play)


def run_play(args: argparse.Namespace) -> int:
    try:
        from ..ros.bag_player import play
    except ImportError as exc:
        raise FaceAnalysisError(f"`face-analysis play` needs ROS 2 (rclpy, sensor_msgs): "
                                f"{exc}") from exc
    return play(args)
