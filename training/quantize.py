"""int8 static quantization of a head (onnxruntime QDQ), calibrated on TRAINING images only, and
its accuracy against the float file on the test splits.

    python -m training.quantize --model models/gender.onnx --output runs/speed/gender_int8.onnx \\
        --json runs/speed/gender_int8.json

Calibration: `--calibration` images drawn (seeded) from the training split (FER-2013 Training,
UTKFace train), through the inference preprocessing (`resize_face`, `normalize`). Weights int8 per
channel, activations uint8 (the x86 u8s8 path), MinMax ranges. The report scores both files with
`training.evaluate` (same images, same preprocessing) and states the rule: a quantized head is
acceptable only if it loses <= 0.3 points on every reported split AND runs faster per face
than its float file on one thread (measured in the same run). The ONNX metadata (preprocessing,
labels) is copied to the quantized file, so core/preprocess.py reads it as before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from face_analysis.core.preprocess import PreprocessSpec, normalize
from training import data as D

MAX_LOSS_POINTS = 0.3
TRAIN_SPLIT = 0  # FER-2013 Training, UTKFace train (never the test split)


def calibration_batch(spec: PreprocessSpec, data_path=None, n: int = 1024, seed: int = 0):
    """float32 (n, 1, S, S) model inputs of training images (seeded draw)."""
    path = data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    faces = D.load_task(spec.task, path)
    train = faces.subset(faces.split == TRAIN_SPLIT)
    pick = np.random.default_rng(seed).choice(len(train.images), min(n, len(train.images)), False)
    pixels = D.to_model_pixels(train.images[np.sort(pick)], spec.input_size)
    return normalize(pixels, spec)[:, None]


def quantize_qdq(model_path, output, inputs, op_types=None) -> Path:
    """Write `model_path` as int8 QDQ to `output`: weights int8 per channel, activations uint8,
    MinMax ranges calibrated on `inputs` (model input arrays, one run each). Serves the heads here
    and the YuNet benchmark (benchmarks/bench_detectors.py)."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.inputs = iter(inputs)

        def get_next(self):
            array = next(self.inputs, None)
            return None if array is None else {"input": array}

    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    source, cwd = Path(model_path).resolve(), os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # quant_pre_process leaves temporary files in the working directory
        try:
            quant_pre_process(str(source), "pre.onnx", skip_symbolic_shape=True)
            quantize_static(
                "pre.onnx",
                str(output),
                Reader(),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                per_channel=True,
                calibrate_method=CalibrationMethod.MinMax,
                op_types_to_quantize=op_types,
            )
        finally:
            os.chdir(cwd)
    return output


def quantize(model_path, output, data_path=None, n: int = 1024, seed: int = 0) -> Path:
    """Write the QDQ int8 version of head `model_path` to `output` (metadata kept)."""
    import onnx

    model = onnx.load(str(model_path))
    meta = {p.key: p.value for p in model.metadata_props}
    spec = PreprocessSpec.from_metadata(meta, source=str(model_path))
    batch = calibration_batch(spec, data_path, n, seed)
    output = quantize_qdq(model_path, output, [batch[i : i + 64] for i in range(0, len(batch), 64)])
    quantized = onnx.load(str(output))
    onnx.helper.set_model_props(quantized, meta)
    onnx.save(quantized, str(output))
    return output


def accuracy(model_path, data_path=None) -> dict[str, float]:
    """{split: accuracy %} of the file through its task's report (training.evaluate's)."""
    from training import onnx_head
    from training.tasks import get_task

    head = onnx_head.load(model_path)
    spec = head.spec
    path = data_path or D.default_data_path(spec.task, D.default_repo_data_dir())
    results = get_task(spec.task).report(head, path, None, Path(model_path).stem)[0]
    figures = {k: 100 * v["acc"] for k, v in results.items() if isinstance(v, dict) and "acc" in v}
    if not figures:  # e.g. age, scored by its error in years: the 0.3-point rule does not apply
        raise SystemExit(f"{model_path}: task {spec.task!r} reports no accuracy")
    return figures


def per_face_ms(model_path, size: int, faces=(1, 5, 20), repeat: int = 9) -> dict[int, float]:
    """Median ms per face on one thread (the classifier's session options)."""
    import onnxruntime as ort

    from face_analysis.core.classify import session_options

    sess = ort.InferenceSession(str(model_path), session_options(1, 1), ["CPUExecutionProvider"])
    out = {}
    for n in faces:
        x = np.random.default_rng(0).uniform(-1, 1, (n, 1, size, size)).astype(np.float32)
        for _ in range(5):
            sess.run(None, {"input": x})
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(10):
                sess.run(None, {"input": x})
            runs.append((time.perf_counter() - start) / 10)
        out[n] = 1000 * statistics.median(runs) / n
    return out


def compare(float_path, int8_path, data_path=None) -> dict:
    """Accuracy and speed of both files, and whether the int8 one is acceptable."""
    f_acc, q_acc = accuracy(float_path, data_path), accuracy(int8_path, data_path)
    loss = {k: f_acc[k] - q_acc[k] for k in f_acc}
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(float_path)).metadata_props}
    size = PreprocessSpec.from_metadata(meta).input_size
    f_ms, q_ms = {}, {}
    for _ in range(3):  # alternate, so a burst of load hits both alike
        for n, ms in per_face_ms(float_path, size).items():
            f_ms.setdefault(n, []).append(ms)
        for n, ms in per_face_ms(int8_path, size).items():
            q_ms.setdefault(n, []).append(ms)
    f_ms = {n: statistics.median(v) for n, v in f_ms.items()}
    q_ms = {n: statistics.median(v) for n, v in q_ms.items()}
    accurate = all(v <= MAX_LOSS_POINTS for v in loss.values())
    faster = all(q_ms[n] < f_ms[n] for n in f_ms)
    return {
        "float": str(float_path),
        "int8": str(int8_path),
        "accuracy_float": f_acc,
        "accuracy_int8": q_acc,
        "loss_points": loss,
        "ms_per_face_float": f_ms,
        "ms_per_face_int8": q_ms,
        "within_0.3_points": accurate,
        "faster": faster,
        "accepted": accurate and faster,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the float ONNX head")
    parser.add_argument("--output", required=True, help="the int8 QDQ file to write")
    parser.add_argument("--data-path", default=None)
    parser.add_argument("--calibration", type=int, default=1024, help="training images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the comparison here")
    args = parser.parse_args(argv)
    quantize(args.model, args.output, args.data_path, args.calibration, args.seed)
    result = compare(args.model, args.output, args.data_path)
    result.update(calibration_images=args.calibration, seed=args.seed)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
