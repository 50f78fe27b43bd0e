"""FG-NET's report (training/fgnet.py measures): the tables printed, the model card's section
and the error-by-decade plot, from the result `fgnet.evaluate` returns (or its JSON)."""

from __future__ import annotations

import numpy as np

# (name, lowest, highest age) of the table's rows
DECADES = tuple((f"{lo}-{lo + 9}", lo, lo + 9) for lo in range(0, 70, 10)) + (("70+", 70, 999),)

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
        f = result["pipeline"].get(name, {"n": 0, "mae": float("nan"), "bias": float("nan")})
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
        *table_lines("FG-NET, default pipeline", result["pipeline"]),
        "",
        *table_lines("diagnosis", result["diagnosis"]),
        "",
        *utk_lines(result),
        "",
        "median landmarks (right eye, left eye, nose, mouth corners) as fractions of the crop: "
        f"UTKFace training chips {frame['utkface_chip_landmarks']}, pipeline crops of FG-NET "
        f"{frame['pipeline_crop_landmarks']}",
        f"median sharpness of the 64 px crop: FG-NET {how['sharpness_target']:.0f}, "
        f"UTKFace val {how['sharpness_before']:.0f}",
    ]


def card_lines(result, stem: str) -> list[str]:
    """A model card's section (model_card.py --section-file): FG-NET per decade through the
    default pipeline, and the `stem`'s error-by-decade plot."""
    heading = ["## Age outside UTKFace: FG-NET, never trained on", ""]
    return (
        heading
        + table_lines("FG-NET age, default pipeline", result["pipeline"])
        + [
            "",
            f"Error and bias by decade beside UTKFace validation's: `{stem}_fgnet_error_by_decade.png`.",
            f"FG-NET (Lanitis et al.): {result['photos']} scanned photos of {result['people']} people "
            "aged 0-69, never used for training or selection, each photo through the default "
            "pipeline (`FaceAnalyzer`: YuNet, eyes-level crop) as one image; 'MAE per person' "
            "averages each person's mean error, since people have 5-18 photos each "
            "(`python -m training.fgnet`).",
        ]
    )


def plot(result, path) -> None:
    """Per decade: FG-NET's MAE and bias beside UTKFace validation's; under each decade its
    share of UTKFace's training faces."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fg, utk = result["pipeline"], result["utkface"]
    names = [name for name, _, _ in DECADES if name in fg]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars = (("FG-NET", fg, "mae"), ("FG-NET", fg, "bias"))
    bars += (("UTKFace val", utk, "val_mae"), ("UTKFace val", utk, "val_bias"))
    for k, (source, rows, key) in enumerate(bars):
        values, what = [rows[n][key] for n in names], key.removeprefix("val_").replace("mae", "MAE")
        ax.bar(x + (k - 1.5) * 0.2, values, 0.2, label=f"{source} {what}")
    ax.set_xticks(x, [f"{n}\n{100 * utk[n]['train_share']:.1f} %" for n in names])
    ax.set_xlabel("true age; below it, its share of UTKFace's training faces")
    ax.set_ylabel("years"), ax.axhline(0, color="k", lw=0.8), ax.grid(alpha=0.3), ax.legend()
    ax.set_title(f"FG-NET through the default pipeline, N={fg['all']['n']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
