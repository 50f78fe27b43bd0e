"""The heads through the whole default pipeline, by face size, beside the heads alone.

Held-out faces (UTKFace test split for gender and age, FER-2013 PrivateTest for emotion) are
pasted, several per frame at seeded places, into 640x480 frames cut from the demo photos, at face
widths 16-96 px. A face of width w is its dataset crop pasted at w * (1 + 2 * margin) pixels, the
square the pipeline's crop takes around a detector box of width w (margin: the head's
crop_margin_x). The frames go through FaceAnalyzer with its default config (detector, alignment,
crop, heads), but min_attribute_face_size 0 so that every face is classified; each pasted face
is matched to the detected face whose centre lies in its square. Each frame is analysed from a
fresh start (no track carries over), so each is the first frame of a video, on which the detector
searches the full-resolution frame for small faces (yunet.search_every).
"heads" is the same heads on the dataset crop shrunk to the pasted size and enlarged back to the
model input (what a perfect box would hand them), on the same (detected) faces, so the gap between
the two columns is what the detector's box and landmarks and the crop cost.

Per size: detection recall; the median width of the detected boxes (what min_attribute_face_size
is compared with); gender accuracy; age MAE, bias (mean predicted - true) and the share
of age errors within one age_std; emotion accuracy on the FER-2013 labels and agreement with the
7-class FER+ majority (a `contempt` prediction counts as a miss).

    python benchmarks/bench_face_size.py [--limit N] [--detector-setting KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
from timing import DATA, DEMO, machine_note, recording_cost

from face_analysis.commands.options import parse_setting
from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
from face_analysis.core.preprocess import normalize, resize_face
from face_analysis.core.types import FaceResult
from training.data import (
    EMOTION_LABELS,
    FERPLUS_LABELS,
    ferplus_majority,
    load_fer,
    load_utk_age,
)

SIZES = (16, 20, 24, 32, 48, 64, 96)
FRAME_W, FRAME_H = 640, 480
FACES_PER_FRAME = 6
BACKGROUNDS = (
    "solvay_conference_1927_1280.png",
    "oarriaga_test_image.jpg",
    "astronaut_eileen_collins.png",
)
SEED = 0


@dataclass
class Faces:
    """One dataset's held-out faces and what to score on them."""

    name: str
    images: np.ndarray  # uint8 (N, H, W)
    truth: dict[str, np.ndarray]  # e.g. {"gender": ..., "age": ...}
    head: str  # the head whose crop margin sets the pasted size


def held_out(limit: int) -> list[Faces]:
    utk = load_utk_age(DATA / "utkface_gray64.npz")
    utk = utk.subset(utk.split == 2)
    fer = load_fer(DATA / "fer2013.npz")
    fer = fer.subset(fer.split == 2)
    ferplus = ferplus_majority(fer.extras["ferplus_votes"], 7)
    sets = [
        Faces(
            "UTKFace test",
            utk.images,
            {"gender": utk.extras["gender"], "age": utk.labels},
            "age",
        ),
        Faces(
            "FER-2013 PrivateTest",
            fer.images,
            {"emotion": fer.labels, "ferplus": ferplus},
            "emotion",
        ),
    ]
    if limit:  # a seeded sample: the files are sorted (UTKFace by age)
        for faces in sets:
            keep = np.sort(np.random.default_rng(SEED).permutation(len(faces.images))[:limit])
            faces.images = faces.images[keep]
            faces.truth = {k: v[keep] for k, v in faces.truth.items()}
    return sets


def background(photos: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A 640x480 frame cut from a random photo at a random place and zoom, maybe mirrored."""
    photo = photos[rng.integers(len(photos))]
    height, width = photo.shape[:2]
    zoom = rng.uniform(0.3, 1.0)
    cut_w = int(min(width, height * FRAME_W / FRAME_H) * zoom)
    cut_h = cut_w * FRAME_H // FRAME_W
    x, y = rng.integers(width - cut_w + 1), rng.integers(height - cut_h + 1)
    frame = cv2.resize(photo[y : y + cut_h, x : x + cut_w], (FRAME_W, FRAME_H), cv2.INTER_AREA)
    return frame[:, ::-1].copy() if rng.random() < 0.5 else frame


def places(side: int, count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Up to `count` top-left corners of side x side squares, a quarter side apart at least."""
    gap, found = side // 4, []
    for _ in range(200 * count):
        if len(found) == count:
            break
        x, y = int(rng.integers(FRAME_W - side + 1)), int(rng.integers(FRAME_H - side + 1))
        if all(abs(x - a) >= side + gap or abs(y - b) >= side + gap for a, b in found):
            found.append((x, y))
    return found


@dataclass
class Pasted:
    index: int  # into Faces.images
    square: tuple[int, int, int, int]  # x0, y0, x1, y1 in the frame


def frames(
    faces: Faces, side: int, photos: list[np.ndarray], rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, list[Pasted]]]:
    """Frames holding every face once, pasted at side x side, FACES_PER_FRAME at a time."""
    order = rng.permutation(len(faces.images))
    start = 0
    while start < len(order):
        frame = background(photos, rng)
        pasted = []
        for (x, y), index in zip(places(side, FACES_PER_FRAME, rng), order[start:]):
            gray = resize_face(faces.images[index], side)
            frame[y : y + side, x : x + side] = gray[:, :, None]
            pasted.append(Pasted(int(index), (x, y, x + side, y + side)))
        start += len(pasted)
        yield frame, pasted


def matched(pasted: Pasted, results: list[FaceResult], width: float) -> FaceResult | None:
    """The detected face centred in the pasted square, of a plausible size for it."""
    x0, y0, x1, y1 = pasted.square
    for result in results:
        box = result.box
        cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
        if x0 <= cx < x1 and y0 <= cy < y1 and 0.5 * width <= box.width <= 2 * width:
            return result
    return None


def heads_alone(analyzer: FaceAnalyzer, image: np.ndarray, side: int) -> dict:
    """Each head's output on the dataset crop shrunk to `side` and enlarged to its input."""
    small = resize_face(image, side)
    out = {}
    for name, head in analyzer.classifier.heads.items():
        batch = normalize(resize_face(small, head.spec.input_size), head.spec)[None, None]
        out[name] = head.result(head.predict(batch)[0])
    return out


@dataclass
class Scores:
    """Per-face outcomes of one arm (pipeline or heads) at one size."""

    rows: dict[str, list] = field(default_factory=dict)

    def add(self, key: str, value) -> None:
        self.rows.setdefault(key, []).append(value)

    def mean(self, key: str) -> float:
        values = self.rows.get(key, [])
        return float(np.mean(values)) if values else float("nan")


def score(arm: Scores, faces: Faces, index: int, outputs: dict) -> None:
    truth = {k: v[index] for k, v in faces.truth.items()}
    if "gender" in truth and outputs.get("gender") is not None:
        arm.add("gender", outputs["gender"].index == truth["gender"])
    if "age" in truth and outputs.get("age") is not None:
        error = outputs["age"].value - float(truth["age"])
        arm.add("age_abs", abs(error))
        arm.add("age_bias", error)
        arm.add("age_within", abs(error) <= outputs["age"].std)
    if "emotion" in truth and outputs.get("emotion") is not None:
        label = outputs["emotion"].label
        arm.add("emotion", label == EMOTION_LABELS[truth["emotion"]])
        if truth["ferplus"] >= 0:
            arm.add("ferplus", label == FERPLUS_LABELS[truth["ferplus"]])


def run_size(analyzer: FaceAnalyzer, sets: list[Faces], width: int, photos, seed: int) -> dict:
    rng = np.random.default_rng([seed, width])
    arms = {"pipeline": Scores(), "heads": Scores()}
    found = total = 0
    widths = []  # of the detected boxes, which min_attribute_face_size is compared with
    for faces in sets:
        margin = analyzer.classifier.heads[faces.head].spec.crop_margin_x
        side = round(width * (1 + 2 * margin))
        for frame, pasted in frames(faces, side, photos, rng):
            analyzer.reset()  # independent frames: no track carries labels from one to the next
            results = analyzer.analyze(frame)
            for face in pasted:
                total += 1
                result = matched(face, results, width)
                if result is None:
                    continue
                found += 1
                widths.append(result.box.width)
                score(arms["pipeline"], faces, face.index, vars(result))
                alone = heads_alone(analyzer, faces.images[face.index], side)
                score(arms["heads"], faces, face.index, alone)
    return {"recall": found / total, "box": float(np.median(widths)) if widths else 0.0, **arms}


COLUMNS = (  # (title, key, scale, format)
    ("gender acc %", "gender", 100, ".1f"),
    ("age MAE", "age_abs", 1, ".2f"),
    ("age bias", "age_bias", 1, "+.2f"),
    ("age within std %", "age_within", 100, ".1f"),
    ("emotion acc %", "emotion", 100, ".1f"),
    ("FER+ agree %", "ferplus", 100, ".1f"),
)


def table(rows: dict[int, dict]) -> str:
    head = (
        "| face px | recall % | box px | "
        + " | ".join(f"{t} pipe / heads" for t, *_ in COLUMNS)
        + " |"
    )
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    for width, row in rows.items():
        cells = [str(width), f"{100 * row['recall']:.1f}", f"{row['box']:.1f}"]
        for _, key, scale, fmt in COLUMNS:
            pipe, alone = (scale * row[arm].mean(key) for arm in ("pipeline", "heads"))
            cells.append(f"{pipe:{fmt}} / {alone:{fmt}}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def solvay_check(config: AnalyzerConfig) -> str:
    """The group photo at 1280 px and shrunk to 640 px (faces ~24 px): per person found in both
    (box centres within half a face width), the same gender, and the 640 px age within the
    1280 px one's age_std."""
    photo = cv2.imread(str(DEMO / "solvay_conference_1927_1280.png"))
    small = cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    large_faces, small_faces = (FaceAnalyzer(config).analyze(image) for image in (photo, small))
    pairs = []
    for face in large_faces:
        cx, cy = (face.box.x_min + face.box.x_max) / 4, (face.box.y_min + face.box.y_max) / 4
        near = [
            f
            for f in small_faces
            if abs((f.box.x_min + f.box.x_max) / 2 - cx) < face.box.width / 4
            and abs((f.box.y_min + f.box.y_max) / 2 - cy) < face.box.width / 4
        ]
        if near and face.age is not None and near[0].age is not None:
            pairs.append((face, near[0]))
    if not pairs:
        return (
            f"Solvay: {len(large_faces)} faces at 1280 px, {len(small_faces)} at 640, none paired"
        )
    same_gender = sum(a.gender.label == b.gender.label for a, b in pairs)
    within = sum(abs(b.age.value - a.age.value) <= a.age.std for a, b in pairs)
    shift = np.mean([b.age.value - a.age.value for a, b in pairs])
    return (
        f"Solvay photo: {len(large_faces)} faces at 1280 px, {len(small_faces)} at 640 px, "
        f"{len(pairs)} paired with labels at both: same gender {same_gender}/{len(pairs)}, "
        f"640 px age within the 1280 px age_std {within}/{len(pairs)}, "
        f"mean age shift {shift:+.1f} years"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="faces per dataset (0: all)")
    parser.add_argument("--sizes", type=lambda t: [int(v) for v in t.split(",")], default=SIZES)
    parser.add_argument(
        "--detector-setting",
        type=parse_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one detector setting of the default config, e.g. downscale=1.0",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--cost-rounds", type=int, default=5, help="rounds of the recording's detector timing"
    )
    args = parser.parse_args()
    cv2.setNumThreads(1)
    # Every face classified, however small: the table is what min_attribute_face_size is
    # chosen from.
    config = AnalyzerConfig(
        detector_settings=dict(args.detector_setting), min_attribute_face_size=0
    )
    analyzer = FaceAnalyzer(config)
    photos = [cv2.imread(str(DEMO / name)) for name in BACKGROUNDS]
    sets = held_out(args.limit)
    rows = {w: run_size(analyzer, sets, w, photos, args.seed) for w in args.sizes}
    models = ", ".join(
        f"{n} {h.path.rsplit('/', 1)[-1]}" for n, h in analyzer.classifier.heads.items()
    )
    print(f"face size benchmark, {datetime.date.today()}; {machine_note()}")
    print(
        f"pipeline: FaceAnalyzer default config, detector {config.detector} {config.detector_settings}"
    )
    print(f"heads: {models}; faces: " + ", ".join(f"{f.name} {len(f.images)}" for f in sets))
    print("pipe: through the pipeline (detected faces); heads: the heads alone on the same faces")
    print(table(rows))
    print(solvay_check(config))
    if args.detector_setting and args.cost_rounds:
        print(recording_cost(config.detector_settings, args.cost_rounds))


if __name__ == "__main__":
    main()
