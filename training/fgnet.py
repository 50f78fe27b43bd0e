"""FG-NET: a second test of the age head, on photos no model here was trained or selected on, run
through the default pipeline, with a diagnosis of where its error comes from.

    PYTHONPATH=. python -m training.fgnet [--model M] [--data-dir DIR] [--json OUT] [--out-dir DIR]

Each photo is one image for a reset `FaceAnalyzer` with the default `AnalyzerConfig` (nothing is
tracked from photo to photo); the face nearest the image centre is scored, photos without one are
counted. FG-NET has 5-18 photos of each of its 82 people: the mean over people of each one's mean
error stands beside the mean over photos. Diagnosis rows: (a) the pipeline as shipped; (b) the
head alone on the pipeline's faces, cut at the model's crop margins, narrower and wider, and with
YuNet's landmarks where they fall on UTKFace's training chips (the training framing); (c) grey
against colour photos, the blurrier against the sharper half of each decade; (d) per decade,
UTKFace's training ages beside the head's error on UTKFace validation, as it is and degraded to
FG-NET's contrast and sharpness. Any fix is to be chosen on UTKFace validation, never on FG-NET.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
from face_analysis.core.detect import make_detector
from face_analysis.core.identity.chip import similarity
from face_analysis.core.preprocess import crop_plan, face_pixels, resize_face, warp_face
from training import data as D
from training import onnx_head
from training.age import mae_summary, predict_ages
from training.fgnet_report import DECADES, card_lines, plot, report_lines

NAME = re.compile(r"(\d{3})[Aa](\d{2})[ab]?(?i:\.jpe?g)")  # PPPAaa[x].jpg
MARGIN_STEP = 0.06  # framing rows: the model's crop margins minus and plus this, per side
# Blurs (sigma, pixels of the 64 px chip) tried, least first, to make UTKFace's validation chips
# as unsharp as FG-NET's crops: does FG-NET's image quality alone move the age?
SIGMAS = np.round(np.arange(0.0, 2.01, 0.1), 1)
TEMPLATE_CHIPS = 300  # UTKFace training chips whose YuNet landmarks give the chip framing
CHIP_SIDE = 128  # each enlarged to this, in the middle of a mid-grey canvas three times as wide
MODEL_FRAMING = "(b) head alone, the model's crop margins"
CHIP_FRAMING = "(b) head alone, UTKFace chip framing (landmarks)"


class Photo(NamedTuple):
    name: str
    person: int
    age: int
    image: np.ndarray  # uint8 BGR, as the pipeline gets a frame
    grey: bool  # stored without colour (one channel, or three equal ones)


def parse_name(name: str) -> tuple[int, int]:
    """(person, age) of an FG-NET file name `PPPAaa[x].jpg`."""
    match = NAME.fullmatch(name)
    if match is None:
        raise D.DatasetError(f"{name}: not an FG-NET name PPPAaa[a|b].jpg (person, age)")
    return int(match[1]), int(match[2])


def load_photos(folder) -> list[Photo]:
    folder = Path(folder)
    if not folder.is_dir():
        raise D.DatasetError(f"{folder}: FG-NET folder not found")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    if not files:
        raise D.DatasetError(f"{folder}: no .jpg photos")
    photos = []
    for path in files:
        person, age = parse_name(path.name)
        raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise D.DatasetError(f"{path}: cannot be decoded as an image")
        image = cv2.cvtColor(raw, cv2.COLOR_GRAY2BGR) if raw.ndim == 2 else raw[:, :, :3].copy()
        grey = bool((image == image[:, :, :1]).all())
        photos.append(Photo(path.name, person, age, image, grey))
    return photos


def pipeline_faces(photos, model: str) -> list:
    """The FaceResult of each photo's face nearest the image centre through the default
    pipeline, or None."""
    analyzer, out = FaceAnalyzer(AnalyzerConfig(age_model=model)), []
    for photo in photos:
        analyzer.reset()
        centre = np.array(photo.image.shape[1::-1]) / 2
        faces = analyzer.analyze(photo.image)
        dist = [np.hypot(*(np.reshape(f.box.as_tuple(), (2, 2)).mean(0) - centre)) for f in faces]
        out.append(faces[int(np.argmin(dist))] if faces else None)
    return out


def chip_template(chips: np.ndarray, n: int = TEMPLATE_CHIPS) -> np.ndarray:
    """(5, 2) median positions of YuNet's landmarks on UTKFace chips, as fractions of the chip
    side (pixel centres at (i + 0.5) / side); chips in a mid-grey canvas, as measure_margins."""
    detector, side, points = make_detector("yunet"), CHIP_SIDE, []
    for chip in chips[np.random.default_rng(0).permutation(len(chips))[:n]]:
        canvas = np.full((3 * side, 3 * side), 128, np.uint8)
        canvas[side : 2 * side, side : 2 * side] = resize_face(chip, side)
        for box in detector.detect(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)):
            centre = np.array([box.x_min + box.x_max, box.y_min + box.y_max]) / 2 - 1.5 * side
            if box.landmarks is not None and np.abs(centre).max() < side / 3:
                points.append((np.asarray(box.landmarks) - side + 0.5) / side)
                break
    if not points:
        raise D.DatasetError("YuNet found no face on the UTKFace chips for the framing template")
    return np.median(points, axis=0)


def in_crop(landmarks, matrix: np.ndarray, size: int) -> np.ndarray:
    """The landmarks as fractions of the crop that the inverse map `matrix` cuts."""
    forward = cv2.invertAffineTransform(matrix)
    return (np.asarray(landmarks) @ forward[:, :2].T + forward[:, 2] + 0.5) / size


def framing_crops(grays, boxes, spec, template) -> dict[str, np.ndarray]:
    """uint8 (N, S, S) crops per framing row: the pipeline's crop at the model's margins, at
    them minus and plus MARGIN_STEP, and the UTKFace chip framing."""
    crops = {}
    for shift in (-MARGIN_STEP, 0.0, MARGIN_STEP):
        x, y = spec.crop_margin_x + shift, spec.crop_margin_y + shift
        framed = dataclasses.replace(spec, crop_margin_x=x, crop_margin_y=y)
        name = MODEL_FRAMING if shift == 0 else f"(b) head alone, crop margins {x:.2f}, {y:.2f}"
        crops[name] = np.stack(
            [face_pixels(g, b.as_tuple(), framed, b.landmarks) for g, b in zip(grays, boxes)]
        )
    warped = []
    for gray, box in zip(grays, boxes):
        # the similarity that puts the template's points (fractions of the crop) on the face's
        # landmarks, crop pixel -> image pixel
        matrix = similarity(template * spec.input_size - 0.5, np.asarray(box.landmarks, float))
        shrink = float(np.hypot(*matrix[:, 0]))  # image pixels per crop pixel
        warped.append(warp_face(gray, matrix, shrink, spec.input_size))
    crops[CHIP_FRAMING] = np.stack(warped)
    return crops


def sharpness(crops: np.ndarray) -> np.ndarray:
    """Variance of the Laplacian of each crop: low for blurred or faded prints."""
    return np.array([cv2.Laplacian(c, cv2.CV_64F).var() for c in crops])


def degraded_like(chips: np.ndarray, crops: np.ndarray) -> tuple[np.ndarray, dict]:
    """`chips` brought to the median contrast and sharpness of `crops`: contrast scaled about
    each chip's mean, then the least blur of SIGMAS reaching the crops' median sharpness."""
    spread = [np.median(a.reshape(len(a), -1).std(axis=1)) for a in (crops, chips)]
    factor = float(spread[0] / spread[1])  # contrast: the pixels' standard deviation
    mean = chips.mean(axis=(1, 2), keepdims=True)
    low = np.rint(np.clip((chips - mean) * factor + mean, 0, 255)).astype(np.uint8)
    target, before = (float(np.median(sharpness(a))) for a in (crops, chips))
    for sigma in SIGMAS:
        out = np.stack([cv2.GaussianBlur(c, (0, 0), sigma) for c in low]) if sigma else low
        if np.median(sharpness(out)) <= target:
            break
    how = {"contrast_factor": round(factor, 3), "blur_sigma": float(sigma)}
    return out, dict(how, sharpness_target=target, sharpness_before=before)


def quality_masks(grey, true, sharp, per_decade) -> dict[str, np.ndarray]:
    """Grey against colour (also within ages 0-19, where most grey photos are); the blurrier
    against the sharper half of each decade (faces gain texture, so sharpness, with age)."""
    blurry = np.zeros(len(true), bool)
    for m in per_decade.values():
        if m.any():
            blurry[m] = sharp[m] < np.median(sharp[m])
    young = true <= 19
    return {
        "(c) grey photos": grey,
        "(c) colour photos": ~grey,
        "(c) grey, ages 0-19": grey & young,
        "(c) colour, ages 0-19": ~grey & young,
        "(c) blurrier half of each decade": blurry,
        "(c) sharper half of each decade": ~blurry,
    }


def decade_index(ages: np.ndarray) -> np.ndarray:
    """Index into DECADES of each age (they tile the ages from 0 up; -1 below)."""
    return np.searchsorted([lo for _, lo, _ in DECADES], ages, side="right") - 1


def summary(pred, std, true, person) -> dict:
    """age.mae_summary plus the people and the mean over them of each one's mean |error|."""
    err, people = np.abs(pred - true), np.unique(person)
    per_person = [err[person == p].mean() for p in people]
    return dict(mae_summary(pred, std, true), people=len(people), person_mae=_mean(per_person))


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def evaluate(photos, model: str, utk: D.FaceArrays, template_chips: int = TEMPLATE_CHIPS) -> dict:
    """All numbers of the report (see the module docstring); `utk`: UTKFace with ages."""
    faces = pipeline_faces(photos, model)
    kept = [(p, f) for p, f in zip(photos, faces) if f is not None]
    true = np.array([p.age for p, _ in kept], np.float64)
    person = np.array([p.person for p, _ in kept])
    grey = np.array([p.grey for p, _ in kept], bool)
    pred = np.array([f.age.value for _, f in kept])
    std = np.array([f.age.std for _, f in kept])
    decade = decade_index(true)
    per_decade = {name: decade == i for i, (name, _, _) in enumerate(DECADES)}

    def rows(p, s, masks):
        return {n: summary(p[m], s[m], true[m], person[m]) for n, m in masks.items() if m.any()}

    head = onnx_head.load(model)
    grays = [cv2.cvtColor(p.image, cv2.COLOR_BGR2GRAY) for p, _ in kept]
    boxes = [f.box for _, f in kept]
    template = chip_template(utk.images[utk.split == 0], template_chips)
    crops = framing_crops(grays, boxes, head.spec, template)
    sharp = sharpness(crops[MODEL_FRAMING])  # the crop the pipeline's head saw
    diagnosis = {"(a) pipeline as shipped": summary(pred, std, true, person)}
    for name, c in crops.items():
        diagnosis[name] = summary(*predict_ages(head, c), true, person)
    diagnosis.update(rows(pred, std, quality_masks(grey, true, sharp, per_decade)))
    plans = [crop_plan(b.as_tuple(), head.spec, g.shape, b.landmarks) for g, b in zip(grays, boxes)]
    seen = [in_crop(b.landmarks, plan.matrix, plan.size) for b, plan in zip(boxes, plans)]
    return {
        "model": str(model),
        "photos": len(photos),
        "people": len({p.person for p in photos}),
        "no_face": [p.name for p, f in zip(photos, faces) if f is None],
        "grey_photos": sum(p.grey for p in photos),
        # the pipeline's error over all photos ("all") and per decade
        "pipeline": {"all": diagnosis["(a) pipeline as shipped"], **rows(pred, std, per_decade)},
        "diagnosis": diagnosis,
        "utkface": utk_per_decade(head, utk, crops[MODEL_FRAMING]),
        "framing": {
            "utkface_chip_landmarks": template.round(3).tolist(),
            "pipeline_crop_landmarks": np.median(seen, axis=0).round(3).tolist(),
        },
        "per_photo": {
            "name": [p.name for p, _ in kept],
            "age": true.astype(int).tolist(),
            "pred": pred.round(2).tolist(),
            "std": std.round(2).tolist(),
            "grey": grey.tolist(),
            "sharpness": sharp.round(1).tolist(),
        },
    }


def utk_per_decade(head, utk: D.FaceArrays, fgnet_crops: np.ndarray) -> dict:
    """Per decade: UTKFace's training faces, and the head's MAE and bias on its validation
    chips, as they are and degraded to the contrast and sharpness of FG-NET's crops."""
    train = decade_index(utk.labels[utk.split == 0])
    val = utk.subset(utk.split == 1)
    true = val.labels.astype(np.float64)
    degraded, how = degraded_like(val.images, fgnet_crops)
    error = predict_ages(head, val.images)[0] - true
    error_degraded = predict_ages(head, degraded)[0] - true
    out = {"degradation": how}
    decade = decade_index(true)
    for i, (name, _, _) in enumerate(DECADES):
        m = decade == i
        out[name] = {
            "train_n": int((train == i).sum()),
            "train_share": _mean(train == i),
            "val_n": int(m.sum()),
            "val_mae": _mean(np.abs(error[m])),
            "val_bias": _mean(error[m]),
            "val_bias_degraded": _mean(error_degraded[m]),
        }
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=AnalyzerConfig().age_model, help="age ONNX model")
    p.add_argument("--data-dir", default=None, help="FG-NET photos (default ../shared/data/fgnet)")
    p.add_argument("--utk-data", default=None, help="utkface_gray64.npz (default ../shared/data)")
    p.add_argument("--json", default=None, help="write all numbers here")
    p.add_argument(
        "--out-dir",
        default=None,
        help="write <model>_fgnet_error_by_decade.png and the card section here",
    )
    args = p.parse_args(argv)
    data_dir = D.default_repo_data_dir()
    photos = load_photos(args.data_dir or data_dir / "fgnet")
    utk = D.load_utk_age(args.utk_data or D.default_data_path("age", data_dir))
    result = evaluate(photos, args.model, utk)
    print("\n".join(report_lines(result)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.out_dir:
        out, stem = Path(args.out_dir), Path(args.model).stem
        out.mkdir(parents=True, exist_ok=True)
        plot(result, out / f"{stem}_fgnet_error_by_decade.png")
        (out / f"{stem}_fgnet_section.md").write_text("\n".join(card_lines(result, stem)) + "\n")
    return result


if __name__ == "__main__":
    main()
