"""All heads per face: today's path against the current one in the same run, each lever alone.

(a) today's path: the pair shipped on 2026-11-30 (copies in benchmarks/baseline/, see its README)
    through the classify code of that day, imported from its commit by old_commit.py (separate
    sessions, the whole frame turned gray, one crop array per face and head, emotion
    flip-averaged in the graph);
(b) the current path: FaceClassifier with every head shipped in models/ (emotion, gender, and age
    once it is there).
Both on one thread, per face, on a 640x480 frame holding 1, 5 or 20 real faces with YuNet's boxes
and landmarks (head_frames.py), timed in alternation so that load from other jobs hits both alike.

The lever table times each change alone, models only (on the same faces' crops) or crops only.
Models are today's files unless named; int8 files come from `python -m training.quantize`
(runs/speed/*_int8.onnx; quantized here on the fly from 256 training images otherwise).

    python benchmarks/bench_heads.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from head_frames import frame_and_faces
from old_commit import (
    BASELINE,
    BASELINE_COMMIT,
    BASELINE_MODELS,
    baseline_classifier,
    boxes_at,
    module_at,
)
from timing import REPO, machine_note

from face_analysis.core.classify import FaceClassifier, OnnxHead, _union, session_options
from face_analysis.core.config import default_model_dir

FACES = (1, 5, 20)
GOAL = 1 / 3
PARITY_ATOL = 1e-5


def shipped_heads() -> dict[str, str]:
    """Every head in models/ (an ONNX file with face_analysis metadata), by task."""
    heads = {}
    for path in sorted(default_model_dir().glob("*.onnx")):
        try:
            head = OnnxHead(str(path), session_options(1, 1))
        except Exception:  # not a head (or not loadable): not part of the path
            continue
        heads.setdefault(head.spec.task, str(path))
    if not heads:  # a checkout without models/: time the current path on today's files
        print("models/ holds no heads; (b) runs today's files through the current path")
        heads = dict(BASELINE_MODELS)
    return heads


def per_face_ms(fn, n: int, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return 1000 * (time.perf_counter() - start) / number / n


def alternate(variants: dict, n: int, rounds: int, number: int) -> dict[str, float]:
    """Median per-face ms of each variant, run in alternation `rounds` times; with the key
    'ratio:' + name, the median over rounds of name / (the first variant) timed in that round
    (a burst of load from other jobs hits both sides of a ratio alike)."""
    for fn in variants.values():
        fn(), fn()  # warm-up (first onnxruntime runs allocate)
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            times[name].append(per_face_ms(fn, n, number))
    anchor = times[next(iter(variants))]
    out = {name: statistics.median(v) for name, v in times.items()}
    for name, v in times.items():
        out["ratio:" + name] = statistics.median(b / a for a, b in zip(anchor, v))
    return out


def check_parity(frame, faces) -> float:
    """The current path on today's files gives today's probabilities (max abs difference)."""
    old = baseline_classifier().classify(frame, boxes_at(BASELINE_COMMIT, faces))
    new = FaceClassifier(BASELINE_MODELS["emotion"], BASELINE_MODELS["gender"]).classify(
        frame, faces
    )
    diff = max(
        float(np.abs(getattr(a, t).probs - getattr(b, t).probs).max())
        for a, b in zip(old, new)
        for t in BASELINE_MODELS
    )
    assert diff <= PARITY_ATOL, f"current path differs from today's by {diff}"
    return diff


def end_to_end(frame, faces, rounds: int) -> None:
    heads = shipped_heads()
    today, old_faces = baseline_classifier(), boxes_at(BASELINE_COMMIT, faces)
    extra = {k: v for k, v in heads.items() if k not in ("emotion", "gender")}
    current = FaceClassifier(heads.get("emotion"), heads.get("gender"), 1, 1, models=extra)
    names = ", ".join(f"{k} {Path(v).name}" for k, v in heads.items())
    print(
        "(a) today: baseline/emotion.onnx + baseline/gender.onnx, "
        f"classify of 2026-11-30 (commit {BASELINE_COMMIT[:7]})"
    )
    print(f"(b) current: FaceClassifier with models/: {names}")
    print("(b)/(a): median over rounds of the ratio of the two timed back to back; goal <= 1/3")
    print(f"{'faces':>5s} {'(a) ms/face':>12s} {'(b) ms/face':>12s} {'(b)/(a)':>8s} {'goal':>6s}")
    for n in FACES:
        t = alternate(
            {
                "a": lambda b=old_faces[:n]: today.classify(frame, b),
                "b": lambda b=faces[:n]: current.classify(frame, b),
            },
            n,
            rounds,
            number=max(5, 60 // n),
        )
        ratio = t["ratio:b"]
        ok = "ok" if ratio <= GOAL else "MISS"
        print(f"{n:5d} {t['a']:12.3f} {t['b']:12.3f} {ratio:8.2f} {ok:>6s}")


def lever_models(scratch: Path) -> dict[str, str]:
    """Variant files of today's pair, written to scratch (or found in runs/speed)."""
    import onnx

    from training import flip_graph as F

    emotion = onnx.load(str(BASELINE / "emotion.onnx"))
    files = {}
    for name, model in (
        ("emotion_plain", F.plain_network(emotion)),
        ("emotion_batch", F.batch_flip(emotion)),
        ("emotion_adaptive", F.adaptive_flip(emotion, 0.4)),
    ):
        files[name] = str(scratch / f"{name}.onnx")
        onnx.save(model, files[name])
    gender = onnx.load(str(BASELINE / "gender.onnx"))
    parts = []
    for task, model in (("emotion", emotion), ("gender", gender)):
        part = onnx.compose.add_prefix(model, f"{task}/")
        del part.metadata_props[:]  # per-head metadata cannot share one graph's keys
        parts.append(part)
    merged = onnx.compose.merge_models(*parts, io_map=[])
    files["merged"] = str(scratch / "merged.onnx")
    onnx.save(merged, files["merged"])
    for task in ("emotion", "gender"):
        ready = REPO / "runs" / "speed" / f"{task}_int8.onnx"
        if ready.is_file():
            files[f"{task}_int8"] = str(ready)
        else:
            from training.quantize import quantize

            files[f"{task}_int8"] = str(
                quantize(BASELINE / f"{task}.onnx", scratch / f"{task}_int8.onnx", n=256)
            )
    return files


def session(path: str, level=None):
    import onnxruntime as ort

    options = session_options(1, 1)
    if level is not None:
        options.graph_optimization_level = level
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def levers(frame, faces, rounds: int) -> None:
    import onnxruntime as ort

    files = lever_models(Path(tempfile.mkdtemp(prefix="bench_heads_")))
    emo, gen = BASELINE_MODELS["emotion"], BASELINE_MODELS["gender"]
    s = {
        "emotion": session(emo),
        "gender": session(gen),
        "extended": (
            session(emo, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
            session(gen, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
        ),
        **{k: session(v) for k, v in files.items()},
    }
    today = module_at(BASELINE_COMMIT, "core.preprocess")
    today_gray, today_batch = today.to_gray, today.prepare_batch
    new = FaceClassifier(emo, gen)
    specs = {t: h.spec for t, h in baseline_classifier().heads.items()}
    gray = today_gray(frame)
    rows = {}
    for n in FACES:
        boxes = [f.as_tuple() for f in faces[:n]]
        points = [f.landmarks for f in faces[:n]]
        x = {t: today_batch(gray, boxes, spec, points) for t, spec in specs.items()}

        def run(sess, t):
            return lambda: sess.run(None, {"input": x[t]})

        pair = s["emotion"], s["gender"]
        groups = [
            {
                "models: today's pair, 2 sessions (anchor)": lambda: [
                    run(sess, t)() for sess, t in zip(pair, ("emotion", "gender"))
                ],
                "models: pair merged into one graph, 1 call": lambda: s["merged"].run(
                    None, {"emotion/input": x["emotion"], "gender/input": x["gender"]}
                ),
                "models: pair, graph optimisation EXTENDED": lambda: [
                    run(sess, t)() for sess, t in zip(s["extended"], ("emotion", "gender"))
                ],
            },
            {
                "emotion: flip in graph (today, anchor)": run(s["emotion"], "emotion"),
                "emotion: flip as doubled batch": run(s["emotion_batch"], "emotion"),
                "emotion: adaptive flip (margin 0.4)": run(s["emotion_adaptive"], "emotion"),
                "emotion: no flip (-1.4 points)": run(s["emotion_plain"], "emotion"),
                "emotion: int8 QDQ, flip in graph": run(s["emotion_int8"], "emotion"),
            },
            {
                "gender: float (today, anchor)": run(s["gender"], "gender"),
                "gender: int8 QDQ": run(s["gender_int8"], "gender"),
            },
            {
                "crops: today's (whole frame gray, array per face; anchor)": lambda: [
                    today_batch(today_gray(frame), boxes, spec, points) for spec in specs.values()
                ],
                "crops: current (gray where faces are, into the batch)": (
                    lambda: _current_crops(new, frame, faces[:n])
                ),
            },
        ]
        rows[n] = {}
        for variants in groups:
            rows[n].update(alternate(variants, n, rounds, number=max(5, 40 // n)))
    print(
        f"{'lever (ms per face; x = vs its anchor, same rounds)':60s} "
        + " ".join(f"{str(n) + ' faces':>15s}" for n in FACES)
    )
    for name in (k for k in rows[FACES[0]] if not k.startswith("ratio:")):
        cells = (f"{rows[n][name]:6.3f} ({rows[n]['ratio:' + name]:4.2f}x)" for n in FACES)
        print(f"{name:60s} " + " ".join(f"{c:>15s}" for c in cells))


def _current_crops(classifier: FaceClassifier, frame, faces) -> None:
    """The crop and normalisation part of FaceClassifier.classify (no model run)."""
    from face_analysis.core.preprocess import crop_plan, normalize_into

    buffers = classifier._buffers
    plans = [
        [crop_plan(f.as_tuple(), key, frame.shape, f.landmarks) for f in faces]
        for key, _ in classifier._groups
    ]
    gray = buffers.gray(frame, [_union(face) for face in zip(*plans)])
    for (key, _), group in zip(classifier._groups, plans):
        pixels, batch = buffers.batch(key, len(faces))
        for plan, row in zip(group, pixels):
            plan.write(gray, row)
        normalize_into(pixels, key, batch[:, 0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternations per figure")
    parser.add_argument("--no-levers", action="store_true", help="only (a) vs (b)")
    args = parser.parse_args()
    frame, faces = frame_and_faces()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"heads, per face, 1 thread, pinned to 1 CPU; {machine_note()}")
    diff = check_parity(frame, faces)
    print(f"parity: current path on today's files = today's path (max |diff| {diff:.1e})")
    end_to_end(frame, faces, args.rounds)
    if not args.no_levers:
        levers(frame, faces, max(3, args.rounds // 2))


if __name__ == "__main__":
    main()
