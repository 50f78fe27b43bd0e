"""Emotion over time per track, one panel per track (the longest tracks first)."""

from __future__ import annotations

from pathlib import Path


def plot_emotions(
    series: dict[int, list], path: str | Path, max_tracks: int = 8, start_ns: int | None = None
) -> Path | None:
    """series: track -> [(stamp_ns, {label: probability})]; times are counted from start_ns
    (default: the first plotted sample). None when there is nothing to plot (no emotion head,
    or no face)."""
    tracks = sorted(series, key=lambda t: -len(series[t]))[:max_tracks]
    if not tracks:
        return None
    # Imported here: the rest of the offline tools, and the CLI importing them, work without it.
    import matplotlib

    matplotlib.use("Agg")  # files only; works without a display
    import matplotlib.pyplot as plt

    start = start_ns if start_ns is not None else min(series[t][0][0] for t in tracks)
    labels = list(series[tracks[0]][0][1])
    fig, axes = plt.subplots(
        len(tracks), 1, figsize=(9, 1.8 * len(tracks) + 0.8), sharex=True, squeeze=False
    )
    for ax, track in zip(axes[:, 0], tracks):
        times = [(stamp - start) / 1e9 for stamp, _ in series[track]]
        for label in labels:
            ax.plot(
                times,
                [probs.get(label, 0.0) for _, probs in series[track]],
                ".-",
                markersize=3,
                linewidth=1,
                label=label,
            )
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"track #{track}")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(ncol=len(labels), fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.02))
    axes[-1, 0].set_xlabel("time since the first frame (s, header stamps)")
    fig.suptitle("emotion probabilities per track", y=0.995)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plot_roc(far, tar, path: str | Path, title: str) -> Path:
    """The ROC curve of a verification run: TAR against FAR (log scale), FAR 1 % marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot(far, tar, linewidth=1.5)
    ax.axvline(0.01, color="gray", linestyle=":", linewidth=1, label="FAR 1 %")
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false accept rate (different people called one)")
    ax.set_ylabel("true accept rate (one person called one)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
