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
from face_analysis.core.preprocess import crop_plan, face_pixels, resize_face, warp_face
from training import data as D
from training import onnx_head
from training.age import mae_summary, predict_ages

DECADES = tuple((f"{lo}-{lo + 9}", lo, lo + 9) for lo in range(0, 70, 10)) + (("70+", 70, 999),)
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
        offsets = [
            np.hypot(*(np.reshape(f.box.as_tuple(), (2, 2)).mean(0) - centre)) for f in faces
        ]
        out.append(faces[int(np.argmin(offsets))] if faces else None)
    return out


# ------------------------------------------------------------------------ framing (the head alone)
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


def template_matrix(landmarks, template: np.ndarray, size: int) -> np.ndarray:
    """2x3 inverse map (crop pixel -> image pixel) of the least-squares similarity that puts
    the template's points (fractions of the crop) on the face's landmarks."""
    u, v = (template * size - 0.5).T
    one, zero = np.ones_like(u), np.zeros_like(u)
    rows = np.concatenate([np.stack([u, -v, one, zero], 1), np.stack([v, u, zero, one], 1)])
    image = np.asarray(landmarks, np.float64)
    a, b, tx, ty = np.linalg.lstsq(rows, np.concatenate([image[:, 0], image[:, 1]]), rcond=None)[0]
    return np.array([[a, -b, tx], [b, a, ty]])


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
        matrix = template_matrix(box.landmarks, template, spec.input_size)
        shrink = float(np.hypot(*matrix[:, 0]))  # image pixels per crop pixel
        warped.append(warp_face(gray, matrix, shrink, spec.input_size))
    crops[CHIP_FRAMING] = np.stack(warped)
    return crops


# ------------------------------------------------------------------------------- image quality
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
    target = np.median(sharpness(crops))
    for sigma in SIGMAS:
        out = np.stack([cv2.GaussianBlur(c, (0, 0), sigma) for c in low]) if sigma else low
        if np.median(sharpness(out)) <= target:
            break
    return out, {"contrast_factor": round(factor, 3), "blur_sigma": float(sigma)}


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


# ------------------------------------------------------------------------------------- statistics
def decade_index(ages: np.ndarray) -> np.ndarray:
    idx = np.full(len(ages), -1, np.int64)
    for i, (_, lo, hi) in enumerate(DECADES):
        idx[(ages >= lo) & (ages <= hi)] = i
    return idx


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
        "pipeline": {"overall": diagnosis["(a) pipeline as shipped"]},
        "per_decade": rows(pred, std, per_decade),
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
    sharp = {"fgnet": np.median(sharpness(fgnet_crops)), "val": np.median(sharpness(val.images))}
    out = {"degradation": dict(how, **{f"sharpness_{k}": float(v) for k, v in sharp.items()})}
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


# ----------------------------------------------------------------------------------------- report
HEAD = (
    "| {} | N | people | MAE (years) | MAE per person | median abs. error | bias (pred - true) | "
    "mean age_std | error <= age_std | error <= 5 years |"
)


def table_lines(title: str, rows: dict) -> list[str]:
    lines = [HEAD.format(title), "|---" * 10 + "|"]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['n']} | {r['people']} | {r['mae']:.2f} | {r['person_mae']:.2f} | "
            f"{r['median_ae']:.2f} | {r['bias']:+.2f} | {r['mean_std']:.2f} | "
            f"{100 * r['within_1std']:.1f} % | {100 * r['cs5']:.1f} % |"
        )
    return lines


def pipeline_rows(result) -> dict:
    return {"all": result["pipeline"]["overall"], **result["per_decade"]}


def utk_lines(result) -> list[str]:
    how = result["utkface"]["degradation"]
    lines = [
        "| age | UTKFace train N | share | UTKFace val N | val MAE | val bias | val bias, degraded "
        f"(contrast x{how['contrast_factor']:.2f}, blur {how['blur_sigma']:g} px) | FG-NET N | "
        "FG-NET MAE | FG-NET bias |",
        "|---" * 10 + "|",
    ]
    for name, _, _ in DECADES:
        u = result["utkface"][name]
        f = result["per_decade"].get(name, {"n": 0, "mae": float("nan"), "bias": float("nan")})
        lines.append(
            f"| {name} | {u['train_n']} | {100 * u['train_share']:.1f} % | {u['val_n']} | "
            f"{u['val_mae']:.2f} | {u['val_bias']:+.2f} | {u['val_bias_degraded']:+.2f} | "
            f"{f['n']} | {f['mae']:.2f} | {f['bias']:+.2f} |"
        )
    return lines


def report_lines(result) -> list[str]:
    frame, how = result["framing"], result["utkface"]["degradation"]
    return [
        f"FG-NET: {result['photos']} photos of {result['people']} people "
        f"({result['grey_photos']} grey), no face found in {len(result['no_face'])}",
        "",
        *table_lines("FG-NET, default pipeline", pipeline_rows(result)),
        "",
        *table_lines("diagnosis", result["diagnosis"]),
        "",
        *utk_lines(result),
        "",
        "median landmarks (right eye, left eye, nose, mouth corners) as fractions of the crop:",
        f"  UTKFace training chips: {frame['utkface_chip_landmarks']}",
        f"  pipeline crops of FG-NET: {frame['pipeline_crop_landmarks']}",
        f"median sharpness of the 64 px crop: FG-NET {how['sharpness_fgnet']:.0f}, "
        f"UTKFace val {how['sharpness_val']:.0f}",
    ]


def card_lines(result) -> list[str]:
    """Markdown for a model card: FG-NET per decade through the default pipeline."""
    return table_lines("FG-NET age, default pipeline", pipeline_rows(result)) + [
        "",
        f"FG-NET (Lanitis et al.): {result['photos']} scanned photos of {result['people']} people "
        "aged 0-69, never used for training or selection, each photo through the default "
        "pipeline (`FaceAnalyzer`: YuNet, eyes-level crop) as one image; 'MAE per person' "
        "averages each person's mean error, since people have 5-18 photos each "
        "(`python -m training.fgnet`).",
    ]


def plot(result, path) -> None:
    """Per decade: FG-NET's MAE and bias beside UTKFace validation's; under each decade its
    share of UTKFace's training faces."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fg, utk = result["per_decade"], result["utkface"]
    names = [name for name, _, _ in DECADES if name in fg]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars = (("FG-NET", fg, "mae"), ("FG-NET", fg, "bias"))
    bars += (("UTKFace val", utk, "val_mae"), ("UTKFace val", utk, "val_bias"))
    for k, (source, rows, key) in enumerate(bars):
        values = [rows[n][key] for n in names]
        ax.bar(x + (k - 1.5) * 0.2, values, 0.2, label=f"{source} {key.removeprefix('val_')}")
    ax.set_xticks(x, [f"{n}\n{100 * utk[n]['train_share']:.1f} %" for n in names])
    ax.set_xlabel("true age; below it, its share of UTKFace's training faces")
    ax.set_ylabel("years"), ax.axhline(0, color="k", lw=0.8), ax.grid(alpha=0.3), ax.legend()
    overall = result["pipeline"]["overall"]
    title = f"FG-NET, default pipeline (N={overall['n']}): MAE {overall['mae']:.2f} years"
    ax.set_title(f"{title}, bias {overall['bias']:+.2f}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=AnalyzerConfig().age_model, help="age ONNX model")
    p.add_argument("--data-dir", default=None, help="FG-NET photos (default ../shared/data/fgnet)")
    p.add_argument("--utk-data", default=None, help="utkface_gray64.npz (default ../shared/data)")
    p.add_argument("--json", default=None, help="write all numbers here")
    p.add_argument("--out-dir", default=None, help="write fgnet_error_by_decade.png here")
    args = p.parse_args(argv)
    data_dir = D.default_repo_data_dir()
    photos = load_photos(args.data_dir or data_dir / "fgnet")
    utk = D.load_utk_age(args.utk_data or D.default_data_path("age", data_dir))
    result = evaluate(photos, args.model, utk)
    print("\n".join(report_lines(result)))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.out_dir:
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
        plot(result, Path(args.out_dir) / "fgnet_error_by_decade.png")
    return result


if __name__ == "__main__":
    main()
