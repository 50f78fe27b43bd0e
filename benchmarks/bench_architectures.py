"""The paper's two architectures side by side: mini-Xception and the sequential fully-
convolutional baseline (training/models.py), for each label set we train (FER-2013's 7 emotions
and FER+'s 8 at 48x48, gender at 64x64): parameters, multiply-adds, and ms per face.

ms per face: one forward pass of one face through onnxruntime on one thread pinned to one CPU, the
network exported untrained (the same graph and size as a trained file, so the same time; the
shipped files add the flip test-time pass where their cards say so). The two architectures are
timed in alternating rounds of the same run, and the baseline's time is given as a ratio to
mini-Xception's, the anchor, which stays meaningful when the machine's load changes the
absolute figures. The accuracy of the trained files: their model cards.

    python benchmarks/bench_architectures.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
from head_models import export_onnx
from timing import machine_note, median_seconds

from training import data as D
from training.models import ARCHITECTURES, build_model, count_parameters, multiply_adds

# (label set, task, labels, input size)
LABEL_SETS = (
    ("FER-2013 emotion", "emotion", D.EMOTION_LABELS, 48),
    ("FER+ emotion", "emotion", D.FERPLUS_LABELS, 48),
    ("UTKFace gender", "gender", D.GENDER_LABELS, 64),
)
ANCHOR = "mini_xception"
FACES_PER_TIMING = 50


def session(path: Path):
    import onnxruntime as ort

    from face_analysis.core.classify import session_options

    return ort.InferenceSession(
        str(path), session_options(1, 1), providers=["CPUExecutionProvider"]
    )


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7, help="alternating timing rounds")
    args = p.parse_args(argv)
    import torch

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    torch.manual_seed(0)
    face = np.random.default_rng(0).uniform(-1, 1, (1, 1, 64, 64)).astype(np.float32)
    print(f"# bench_architectures: {machine_note()}, one thread pinned to one CPU")
    print(
        "| label set | architecture | parameters | multiply-adds | ms per face | "
        f"x {ANCHOR} (time) |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for name, task, labels, size in LABEL_SETS:
            rows, sessions = {}, {}
            for arch in ARCHITECTURES:
                model = build_model(arch, len(labels)).eval()
                rows[arch] = (count_parameters(model), multiply_adds(model, size))
                net = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
                path = Path(scratch) / f"{arch}_{len(labels)}_{size}.onnx"
                sessions[arch] = session(export_onnx(net, path, task, labels, size))
            x = np.ascontiguousarray(face[:, :, :size, :size])
            times = {arch: [] for arch in sessions}
            for _ in range(args.rounds):
                for arch, run in sessions.items():
                    times[arch].append(
                        median_seconds(
                            lambda run=run: run.run(None, {"input": x}), 3, FACES_PER_TIMING
                        )
                    )
            anchor = times[ANCHOR]
            for arch, (params, macs) in rows.items():
                ratio = statistics.median(t / a for t, a in zip(times[arch], anchor))
                print(
                    f"| {name} ({size}x{size}) | {arch} | {params:,d} | {macs / 1e6:.1f} M | "
                    f"{1000 * statistics.median(times[arch]):.3f} | {ratio:.2f} |"
                )


if __name__ == "__main__":
    main()
