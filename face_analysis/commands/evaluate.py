"""`face-analysis evaluate BAG`: the command line of face_analysis.offline.evaluate."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.analyzer import FaceAnalyzer
from ..offline.bag_reader import ImageBag
from ..offline.evaluate import default_results_path, evaluate_bag
from ..offline.summary import format_table
from .options import config_from_args


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        parents=[common],
        help="run the pipeline over a recorded bag, offline",
        description="Analyse every frame of a rosbag2 recording as fast as possible (no ROS "
        "needed) and report faces, labels per track, latency and throughput; with "
        "--ground-truth also detection precision/recall (IoU >= 0.5) and accuracy.",
    )
    parser.add_argument("bag", help="rosbag2 folder (mcap or sqlite3), or a .mcap/.db3 file")
    parser.add_argument(
        "--topic",
        help="image topic to analyse (default: the bag's image topic, raw Image preferred)",
    )
    parser.add_argument(
        "--ground-truth",
        metavar="GT.jsonl",
        help="face boxes and known labels per frame (as written by `face-analysis record`)",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="OUTDIR",
        help="where frames.jsonl, summary.json and the plot go (default: ./<bag name>_evaluation)",
    )
    parser.add_argument(
        "--record-results",
        nargs="?",
        const="",
        metavar="BAG",
        help="also write faces/analysis (FaceAnalysisArray) into a new bag, "
        "by default next to the input as <bag>_analysis",
    )
    parser.add_argument("--max-frames", type=int, default=0, help="stop after N frames (0: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bag = Path(args.bag)
    out_dir = Path(args.output_dir or f"{bag.stem}_evaluation")
    results_bag = None
    if args.record_results is not None:
        results_bag = Path(args.record_results or default_results_path(bag))
    with ImageBag(bag, args.topic):
        pass  # an unusable bag is reported before the models load
    analyzer = FaceAnalyzer(config_from_args(args))
    summary = evaluate_bag(
        bag,
        analyzer,
        out_dir,
        args.topic,
        args.ground_truth,
        results_bag,
        args.max_frames,
        progress=not args.no_progress,
    )
    print(f"{summary['bag']} [{summary['topic']}]")
    print(format_table(summary))
    print("outputs: " + ", ".join(f"{k} {v}" for k, v in summary["outputs"].items() if v))
    if summary["frames"] and not summary["analysed"]:
        print("face-analysis: error: no frame of the bag could be analysed (see the reasons above)")
        return 1
    return 0
