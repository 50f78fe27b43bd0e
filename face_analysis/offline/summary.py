"""The summary of a run over frame records (see records.py): frames, faces per frame, labels
per track, processing latency and throughput. Built incrementally, so a live recorder needs no
list of all frames."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from ..core.head_pose import LOOKING_THRESHOLD

HEADS = ("emotion", "gender")
PERCENTILES = (50, 90, 99)


class SummaryBuilder:
    def __init__(self):
        self.frames = 0
        self.first_stamp_ns: int | None = None  # the time origin of plots
        self.skipped: Counter = Counter()
        self.faces_per_frame: Counter = Counter()
        self.latencies: list[float] = []
        self.tracks: dict[int, dict] = {}
        # track -> [(stamp_ns, {label: p})], for the emotion-over-time plot
        self.emotion_series: dict[int, list] = defaultdict(list)
        self.problems: list[str] = []  # bag-level, e.g. a truncated file
        self.with_pose = self.looking = 0  # faces with a head pose; of them, looking at the camera

    def add(self, record: dict) -> None:
        self.frames += 1
        if self.first_stamp_ns is None:
            self.first_stamp_ns = record["stamp_ns"]
        if "skipped" in record:
            self.skipped[record["skipped"]] += 1
            return
        faces = record["faces"]
        self.faces_per_frame[len(faces)] += 1
        if record.get("latency_ms") is not None:
            self.latencies.append(float(record["latency_ms"]))
        for face in faces:
            track = self.tracks.setdefault(
                face["track_id"],
                {
                    "frames": 0,
                    "first_stamp_ns": record["stamp_ns"],
                    **{head: Counter() for head in HEADS},
                    "ages": [],
                },
            )
            track["frames"] += 1
            track["last_stamp_ns"] = record["stamp_ns"]
            for head in HEADS:
                if face.get(head):
                    track[head][face[head]["label"]] += 1
            if face.get("age"):
                track["ages"].append(face["age"]["value"])
            if face.get("pose"):
                self.with_pose += 1
                self.looking += face["pose"]["looking_at_camera"] >= LOOKING_THRESHOLD
            if face.get("emotion"):
                self.emotion_series[face["track_id"]].append(
                    (record["stamp_ns"], face["emotion"]["probs"])
                )

    def summary(self, wall_s: float | None = None) -> dict:
        analysed = sum(self.faces_per_frame.values())
        faces = sum(n * count for n, count in self.faces_per_frame.items())
        latency = None
        if self.latencies:
            values = np.asarray(self.latencies)
            latency = {f"p{q}": round(float(np.percentile(values, q)), 2) for q in PERCENTILES}
            latency.update(mean=round(float(values.mean()), 2), max=round(float(values.max()), 2))
        return {
            "frames": self.frames,
            "analysed": analysed,
            "skipped": {"count": sum(self.skipped.values()), "reasons": dict(self.skipped)},
            "problems": list(self.problems),
            "faces": faces,
            "faces_per_frame": {
                "mean": round(faces / analysed, 3) if analysed else None,
                "max": max(self.faces_per_frame, default=None),
                "histogram": {str(n): c for n, c in sorted(self.faces_per_frame.items())},
            },
            "tracks": {
                str(tid): {
                    **{k: v for k, v in t.items() if k not in (*HEADS, "ages")},
                    **{head: dict(t[head].most_common()) for head in HEADS},
                    # the median of the (smoothed) per-frame estimates, years; None: no age head
                    "age": round(float(np.median(t["ages"])), 1) if t["ages"] else None,
                }
                for tid, t in sorted(self.tracks.items())
            },
            # faces (one per frame it is seen in) whose head pose says they look at the camera
            "looking_at_camera": {
                "faces": self.looking,
                "faces_with_pose": self.with_pose,
                "threshold": LOOKING_THRESHOLD,
            },
            "latency_ms": latency,
            "wall_s": round(wall_s, 3) if wall_s is not None else None,
            "fps": round(analysed / wall_s, 2) if wall_s else None,
        }


def format_table(summary: dict, max_tracks: int = 12) -> str:
    """A plain-text report of a summary (and its `detection`/`tracking`/`classification`, if
    any); the tracks table lists the `max_tracks` longest tracks (all are in the summary)."""
    fpf = summary["faces_per_frame"]
    lines = [
        f"frames        {summary['frames']} ({summary['analysed']} analysed, "
        f"{summary['skipped']['count']} skipped)"
    ]
    for reason, count in summary["skipped"]["reasons"].items():
        lines.append(f"  skipped {count:>4}  {reason}")
    lines += [f"  problem  {problem}" for problem in summary["problems"]]
    if fpf["mean"] is not None:
        lines.append(
            f"faces/frame   mean {fpf['mean']:.2f}, max {fpf['max']}  "
            f"(histogram {fpf['histogram']})"
        )
    looking = summary.get("looking_at_camera")
    if looking and looking["faces_with_pose"]:
        lines.append(
            f"looking       {looking['faces']} of {looking['faces_with_pose']} faces with a head "
            f"pose look at the camera (looking_at_camera >= {looking['threshold']})"
        )
    if summary["latency_ms"]:
        lat = summary["latency_ms"]
        lines.append(
            f"latency ms    p50 {lat['p50']:.1f}  p90 {lat['p90']:.1f}  "
            f"p99 {lat['p99']:.1f}  max {lat['max']:.1f}"
        )
    if summary["fps"] is not None:
        lines.append(f"throughput    {summary['fps']:.1f} frames/s over {summary['wall_s']:.1f} s")
    if summary["tracks"]:
        longest = sorted(summary["tracks"].items(), key=lambda item: -item[1]["frames"])
        shown = longest[:max_tracks]
        lines.append(
            f"tracks        {len(longest)}"
            + (f" (the {len(shown)} longest below)" if len(longest) > len(shown) else "")
        )
        lines.append(f"  {'track':>6} {'frames':>6} {'age':>4}  {'gender':<24} emotion")
        for tid, track in shown:
            age = f"{track['age']:.0f}" if track.get("age") is not None else "-"
            gender = ", ".join(f"{k} {v}" for k, v in track["gender"].items())
            emotion = ", ".join(f"{k} {v}" for k, v in track["emotion"].items())
            lines.append(f"  {'#' + tid:>6} {track['frames']:>6} {age:>4}  {gender:<24} {emotion}")
    detection = summary.get("detection")
    if detection:
        lines.append(
            f"detection     IoU >= {detection['iou_threshold']} on "
            f"{detection['annotated_frames']} annotated frames: precision "
            f"{_ratio(detection['precision'])}, recall {_ratio(detection['recall'])} "
            f"(TP {detection['true_positives']}, FP {detection['false_positives']}, "
            f"FN {detection['false_negatives']})"
        )
        for source, score in detection["by_source"].items():
            lines.append(
                f"  {source}: precision {_ratio(score['precision'])}, recall "
                f"{_ratio(score['recall'])} (TP {score['true_positives']}, FP "
                f"{score['false_positives']}, FN {score['false_negatives']})"
            )
        if detection["annotated_frames_not_evaluated"]:
            lines.append(
                f"  {detection['annotated_frames_not_evaluated']} annotated frames "
                "were not in the bag or were skipped"
            )
    if "tracking" in summary:
        lines += _tracking_lines(summary["tracking"])
    if summary.get("identity"):
        lines.append(_identity_line(summary["identity"]))
    for head, score in (summary.get("classification") or {}).items():
        lines.append(
            f"{head + ' acc.':<13} {_ratio(score['accuracy'])} "
            f"({score['correct']}/{score['total']} matched faces with a known label)"
        )
    return "\n".join(lines)


def _tracking_lines(tracking: dict | None) -> list[str]:
    if tracking is None:
        return [
            "tracking      n/a: the ground truth names no person per face, or no annotated "
            "frame was analysed"
        ]

    def scores(t: dict) -> str:
        return (
            f"{t['tracks']} tracks for {t['people']} people "
            f"({_ratio(t['tracks_per_person'])} per person), IDF1 {_ratio(t['idf1'])}, "
            f"ID switches {t['id_switches']}, MOTA {_ratio(t['mota'])}"
        )

    return [
        f"tracking      {scores(tracking)} ({tracking['library']}, IoU >= "
        f"{tracking['iou_threshold']})"
    ] + [f"  {source}: {scores(t)}" for source, t in tracking["by_source"].items()]


def _identity_line(identity: dict) -> str:
    merged = ", ".join(f"{pid}: {' + '.join(who)}" for pid, who in identity["merged"].items())
    return (
        f"person ids    {identity['person_ids']} for {identity['people']} people: "
        f"{_ratio(identity['person_ids_per_person'])} per person (track ids "
        f"{_ratio(identity['track_ids_per_person'])}), IDF1 {_ratio(identity['idf1'])}, "
        f"ID switches {identity['id_switches']}, {identity['merged_ids']} merging people"
        + (f" ({merged})" if merged else "")
    )


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
