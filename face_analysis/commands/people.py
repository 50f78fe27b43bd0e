"""`face-analysis people enrol|list|forget`: the gallery of known people (identity=gallery) on the
command line: enrol someone who gave explicit consent from photos or from a track of a recording,
list who is enrolled and how they consented, forget one person or everyone (docs/identity.md)."""

from __future__ import annotations

import argparse
import dataclasses
import getpass

import cv2
import numpy as np

from ..core.analyzer import FaceAnalyzer
from ..core.config import with_heads
from ..core.errors import ConfigError, EnrolmentError, FaceAnalysisError
from ..core.identity.gallery import Consent, Gallery, Person
from ..core.identity.identifier import choose_face
from ..offline.bag_reader import ImageBag
from .options import config_from_args, option

GALLERY = option("identity_gallery")


def add(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "people",
        help="enrol, list and forget the known people of a gallery",
        description="The gallery of people recognised by name (identity=gallery): enrol "
        "someone who gave explicit consent, list the enrolled people with their consent "
        "records, forget one or everyone (the file keeps no byte of them).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    enrol = actions.add_parser(
        "enrol",
        parents=[common],
        help="enrol a person from photos or a track of a recording",
        description="Enrol NAME from the one face of each PHOTO (or the clearly largest), or "
        "from the best frames of track ID of a recording (the track ids `face-analysis "
        "evaluate` gives with the same settings). Only with their explicit consent: say how "
        "they gave it (--consent) and who records it (--by).",
    )
    enrol.add_argument("name", metavar="NAME")
    enrol.add_argument("photos", nargs="*", metavar="PHOTO")
    enrol.add_argument("--bag", help="a recording (rosbag2) to enrol track --track of")
    enrol.add_argument("--track", type=int, metavar="ID", help="the track id in --bag")
    enrol.add_argument("--topic", help="the image topic of --bag (default: its image topic)")
    enrol.add_argument(
        "--consent",
        required=True,
        metavar="TEXT",
        help="how the person gave explicit consent, e.g. 'signed form 2026-12-06'",
    )
    enrol.add_argument(
        "--by", default=getpass.getuser(), metavar="WHO", help="who records it (default: you)"
    )
    enrol.set_defaults(func=run_enrol)
    listing = actions.add_parser("list", help="who is enrolled, and their consent records")
    listing.set_defaults(func=run_list)
    forget = actions.add_parser(
        "forget", help="erase one person (by name or id), or everyone (--all)"
    )
    forget.add_argument("who", nargs="?", metavar="NAME|ID")
    forget.add_argument("--all", action="store_true", help="erase everyone")
    forget.set_defaults(func=run_forget)
    for action in (listing, forget):
        action.add_argument(GALLERY, required=True, metavar="PATH", help="the gallery file")


def _gallery_path(args: argparse.Namespace) -> str:
    if not args.identity_gallery:
        raise ConfigError(f"which gallery? give {GALLERY} PATH")
    return args.identity_gallery


def run_enrol(args: argparse.Namespace) -> int:
    if bool(args.photos) == (args.bag is not None):
        raise ConfigError("enrol from PHOTOs or from --bag with --track, one of the two")
    if args.bag is not None and args.track is None:
        raise ConfigError("--bag needs --track ID")
    path = _gallery_path(args)
    identity = "session" if args.bag else "off"  # a track's best frames need re-identification
    config = dataclasses.replace(with_heads(config_from_args(args), ()), identity=identity)
    analyzer = FaceAnalyzer(config)
    vectors = track_embeddings(analyzer, args) if args.bag else photo_embeddings(analyzer, args)
    with Gallery(path) as gallery:  # created once there is someone to enrol
        person = gallery.enrol(args.name, vectors, Consent(args.consent, args.by))
    print(
        f"enrolled {person.name} as {person.id} ({person.embeddings} embeddings) in {gallery.path}"
    )
    return 0


def photo_embeddings(analyzer: FaceAnalyzer, args: argparse.Namespace) -> np.ndarray:
    from ..core.identity.embedder import FaceEmbedder

    embedder = FaceEmbedder()
    vectors = []
    for path in args.photos:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise FaceAnalysisError(f"{path}: cannot read it as an image")
        try:
            face = choose_face(analyzer.detect(image))
        except EnrolmentError as exc:
            raise EnrolmentError(f"{path}: {exc}") from exc
        if face.landmarks is None:
            raise EnrolmentError(f"{path}: the detector gives no landmarks (use yunet)")
        vectors.append(embedder.embed(image, face))
    return np.asarray(vectors)


def track_embeddings(analyzer: FaceAnalyzer, args: argparse.Namespace) -> np.ndarray:
    """The embeddings of the track's best frames, over the whole recording."""
    best = np.zeros((0, 128), np.float32)
    with ImageBag(args.bag, args.topic) as bag:
        for frame in bag.frames():
            if frame.error:
                continue
            results = analyzer.analyze(frame.image(), stamp_s=frame.stamp_ns / 1e9)
            if any(result.track_id == args.track for result in results):
                best = analyzer.identity.reid.samples(args.track) if analyzer.identity else best
    if not len(best):
        raise EnrolmentError(
            f"{args.bag}: track {args.track} has no face to enrol (no such track, or never "
            "large and frontal enough)"
        )
    return best


def describe(person: Person) -> str:
    consent = person.consent
    return (
        f"{person.id}  {person.name}  enrolled {person.created}, last seen "
        f"{person.last_seen or 'never'}, {person.embeddings} embeddings; consent: "
        f"{consent.how!r}, recorded by {consent.by} at {consent.when}"
    )


def run_list(args: argparse.Namespace) -> int:
    with Gallery(_gallery_path(args), create=False) as gallery:
        people = gallery.people()
    print(f"{gallery.path}: {len(people)} people")
    for person in people:
        print("  " + describe(person))
    return 0


def run_forget(args: argparse.Namespace) -> int:
    if bool(args.who) == args.all:
        raise ConfigError("forget NAME|ID, or forget --all: one of the two")
    with Gallery(_gallery_path(args), create=False) as gallery:
        if args.all:
            print(f"forgot everyone ({gallery.forget_all()} people) in {gallery.path}")
        else:
            person = gallery.forget(args.who)
            print(f"forgot {person.name} ({person.id}) in {gallery.path}")
    return 0
