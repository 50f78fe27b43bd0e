"""`face-analysis verify --pairs FILE --images DIR`: face verification on an LFW-format pair file
through the whole pipeline (face_analysis.offline.verification and photo_embedding)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from ..core.detect import make_detector
from ..core.errors import ConfigError, FaceAnalysisError
from ..core.identity.embedder import FaceEmbedder
from ..offline.photo_embedding import PhotoEmbedder
from ..offline.plots import plot_roc
from ..offline.verification import (
    accuracy,
    best_threshold,
    fit_confidence_slope,
    pair_distances,
    photo_path,
    read_pairs,
    roc_curve,
    score_folds,
)
from .options import config_from_args

ROC_FILE = "roc.png"


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "verify",
        parents=[common],
        help="score face verification on LFW-format pairs",
        description="Is each pair of photos one person? Detector on the full photo, the face "
        "nearest the centre, aligned chip, embedding; pairs called one person below a distance "
        "threshold. A pair file with folds (LFW View 2) is scored by the 10-fold protocol; one "
        "block of pairs (View 1) at the threshold fitted on --fit-on, else at "
        "--identity-threshold. Prints accuracy, TAR at FAR 1 %% and the photos without a face.",
    )
    parser.add_argument("--pairs", required=True, metavar="FILE", help="the pairs to score")
    parser.add_argument(
        "--images", required=True, metavar="DIR", help="the photos: DIR/Name/Name_0001.jpg"
    )
    parser.add_argument(
        "--fit-on",
        metavar="FILE",
        help="fit the threshold (and the confidence's slope) on these pairs, of the same photos",
    )
    parser.add_argument(
        "--face-size",
        type=float,
        metavar="PX",
        help="shrink each photo so that its face is PX pixels wide, and detect again",
    )
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON here")
    parser.add_argument(
        "-o", "--output-dir", metavar="DIR", help=f"write the ROC plot ({ROC_FILE})"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    config = config_from_args(args)
    if not config.detector:
        raise ConfigError("verify needs a detector")
    folds = read_pairs(args.pairs)
    fit_pairs = read_pairs(args.fit_on) if args.fit_on else None
    if fit_pairs is not None and len(folds) > 1:
        raise ConfigError(f"{args.pairs} has folds: the 10-fold protocol fits its own thresholds")
    if args.face_size is not None and args.face_size < 8:
        raise ConfigError(f"--face-size {args.face_size}: at least 8 px")
    photos = PhotoEmbedder(
        make_detector(config.detector, **config.detector_settings),
        FaceEmbedder(),
        args.face_size,
    )
    missing: set = set()
    bar = tqdm(unit="photo", desc="embedding", disable=args.no_progress)

    def embedding(photo):
        bar.update()
        image = cv2.imread(str(photo_path(args.images, photo)), cv2.IMREAD_COLOR)
        if image is None:
            raise FaceAnalysisError(f"{photo_path(args.images, photo)}: cannot read the photo")
        vector = photos.embed(image)
        if vector is None:
            missing.add(photo)
        return vector

    fit = None
    threshold = config.identity_threshold
    if fit_pairs is not None:
        pairs = [pair for fold in fit_pairs for pair in fold]
        distances = pair_distances(pairs, embedding)
        same = np.array([pair.same for pair in pairs])
        threshold = best_threshold(distances, same)
        fit = {
            "pairs_file": args.fit_on,
            "pairs": len(pairs),
            "threshold": round(threshold, 4),
            "accuracy": round(accuracy(distances, same, threshold), 4),
            "confidence_slope": fit_confidence_slope(distances, same, threshold),
            "no_face": len(missing),
        }
        missing.clear()
    distances = [pair_distances(fold, embedding) for fold in folds]
    labels = [np.array([pair.same for pair in fold]) for fold in folds]
    bar.close()
    report = {
        "pairs_file": args.pairs,
        **score_folds(distances, labels, None if len(folds) > 1 else threshold),
        "no_face": len(missing),
        "pairs_with_no_face": int(sum(np.isinf(d).sum() for d in distances)),
        "face_size": args.face_size,
        "ms_per_face": round(1000 * photos.embed_s / max(photos.faces, 1), 1),
        "fit": fit,
    }
    if args.output_dir:
        Path(args.output_dir).mkdir(parents=True, exist_ok=True)
        report["roc"] = str(
            plot_roc(
                *roc_curve(np.concatenate(distances), np.concatenate(labels)),
                Path(args.output_dir) / ROC_FILE,
                f"{Path(args.pairs).name}: accuracy {report['accuracy']:.2%}",
            )
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(describe(report))
    return 0


def describe(report: dict) -> str:
    lines = []
    if report["fit"]:
        fit = report["fit"]
        lines.append(
            f"threshold     {fit['threshold']:.4f}, fitted on {fit['pairs_file']} ({fit['pairs']} "
            f"pairs, accuracy {fit['accuracy']:.2%}, {fit['no_face']} photos without a face; "
            f"confidence slope {fit['confidence_slope']})"
        )
    folds = len(report["fold_thresholds"])
    how = (
        f"mean of {folds} folds, each at the threshold best on the others"
        if folds > 1
        else (f"at threshold {report['threshold']:.4f}")
    )
    lines += [
        f"pairs         {report['pairs']} of {report['pairs_file']}"
        + (f", faces shrunk to {report['face_size']:g} px" if report["face_size"] else ""),
        f"accuracy      {report['accuracy']:.2%} ({how})",
        f"TAR @ FAR 1 % {report['tar_at_far_1']:.2%}",
        f"no face       {report['no_face']} photos ({report['pairs_with_no_face']} pairs called "
        "different)",
        f"embedding     {report['ms_per_face']} ms per face (dlib)",
    ]
    return "\n".join(lines)
