"""The classification heads (emotion, gender, and any other head exported the same way): ONNX
models run by onnxruntime, all faces of a frame in one call per head.

Everything about a head's input (size, normalisation, crop margins) and output (label order)
comes from the PreprocessSpec stored in the model's metadata, never from constants here.

Per frame (benchmarks/bench_heads.py measures each step against the earlier path): only the
image regions the crops read are turned gray (GrayFrame); each face's crop is one OpenCV call
writing straight into a uint8 batch reused from frame to frame, shared by heads with the same
framing; the batch is normalised in one pass; each head runs once on it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import onnxruntime as ort

from .errors import ConfigError, ModelError
from .image import BoxLike, check_image, clip_box
from .model_files import verify_model
from .preprocess import (
    METADATA_PREFIX,
    GrayFrame,
    PreprocessError,
    PreprocessSpec,
    crop_plan,
    normalize_into,
)
from .types import ClassScores, Estimate, FaceResult

INPUT_NAME, OUTPUT_NAME = "input", "probs"
DEFAULT_PROVIDERS = ("CPUExecutionProvider",)
ALIGN = True  # eyes-level crops for faces with landmarks: benchmarks/bench_alignment.py


def session_options(intra_op_threads: int = 1, inter_op_threads: int = 1) -> ort.SessionOptions:
    """Thread counts fixed explicitly: onnxruntime's default (all cores) fights the detector and
    the video decoder for the CPU, and for these ~60k-parameter nets one thread is fastest."""
    if intra_op_threads < 0 or inter_op_threads < 0:
        raise ConfigError(
            "thread counts must be >= 0 (0 lets onnxruntime choose), got "
            f"intra_op={intra_op_threads}, inter_op={inter_op_threads}"
        )
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = inter_op_threads
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads burn the cores the rest of the pipeline needs between frames.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def check_providers(providers: Sequence[str]) -> list[str]:
    available = ort.get_available_providers()
    missing = [p for p in providers if p not in available]
    if not providers or missing:
        raise ConfigError(
            f"execution providers {list(providers)} not usable; this onnxruntime offers {available}"
        )
    return list(providers)


class OnnxHead:
    """One head: (N, 1, S, S) float32 in; out, a classifier's (N, C) probabilities `probs`, or
    the outputs its metadata names (`face_analysis.outputs`, e.g. an age head's `age` and
    `age_std`, each (N,))."""

    def __init__(
        self,
        path: str,
        options: ort.SessionOptions | None = None,
        providers: Sequence[str] = DEFAULT_PROVIDERS,
    ):
        self.path = str(path)
        self.sha256 = verify_model(self.path)  # models/MANIFEST.json: a tampered file fails here
        providers = check_providers(providers)
        try:
            self.session = ort.InferenceSession(
                self.path, sess_options=options or session_options(), providers=providers
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise ModelError(f"{self.path}: not a loadable ONNX model ({exc})") from exc
        metadata = self.session.get_modelmeta().custom_metadata_map
        try:
            self.spec = PreprocessSpec.from_metadata(metadata, source=self.path)
        except PreprocessError as exc:
            raise ModelError(str(exc)) from exc
        try:
            self.outputs = tuple(
                json.loads(metadata.get(METADATA_PREFIX + "outputs", "null")) or (OUTPUT_NAME,)
            )
        except (json.JSONDecodeError, TypeError) as exc:
            raise ModelError(
                f"{self.path}: metadata '{METADATA_PREFIX}outputs' unreadable ({exc})"
            ) from exc
        self._check_signature()

    @property
    def is_classifier(self) -> bool:
        """True for heads with one `probs` output (results are ClassScores)."""
        return self.outputs == (OUTPUT_NAME,)

    def _check_signature(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name: o for o in self.session.get_outputs()}
        if INPUT_NAME not in inputs or any(name not in outputs for name in self.outputs):
            raise ModelError(
                f"{self.path}: expected input '{INPUT_NAME}' and outputs "
                f"{list(self.outputs)}, found inputs {list(inputs)} outputs {list(outputs)}"
            )
        size, shape = self.spec.input_size, inputs[INPUT_NAME].shape
        # Symbolic dims (the batch, usually) are strings; only fixed ones can be checked.
        if not _dims_match(shape, (None, 1, size, size)):
            raise ModelError(
                f"{self.path}: input shape {shape} does not match the metadata's "
                f"(N, 1, {size}, {size})"
            )
        if isinstance(shape[0], int):
            raise ModelError(
                f"{self.path}: batch dimension is fixed to {shape[0]}; export it as "
                "a dynamic axis so all faces of a frame run in one batch"
            )
        if self.is_classifier and not _dims_match(
            outputs[OUTPUT_NAME].shape, (None, len(self.spec.labels))
        ):
            raise ModelError(
                f"{self.path}: output shape {outputs[OUTPUT_NAME].shape} does not "
                f"match the metadata's {len(self.spec.labels)} labels"
            )

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(N, C) float32 for a prepared (N, 1, S, S) batch: the probabilities of a classifier,
        else one column per output in the order of `outputs`."""
        values = self.session.run(list(self.outputs), {INPUT_NAME: batch})
        if self.is_classifier:
            width = len(self.spec.labels)
            return np.asarray(values[0], dtype=np.float32).reshape(len(batch), width)
        return np.stack(
            [np.asarray(v, dtype=np.float32).reshape(len(batch)) for v in values], axis=1
        )

    def result(self, row: np.ndarray) -> ClassScores | Estimate | dict[str, float]:
        """One face's row of predict(): ClassScores for a classifier, an Estimate for a head
        whose outputs are a value and its spread (`age`, `age_std`), else {output: value}."""
        if self.is_classifier:
            return ClassScores(self.spec.labels, row)
        if len(self.outputs) == 2 and self.outputs[1] == self.outputs[0] + "_std":
            return Estimate(float(row[0]), float(row[1]))
        return {name: float(value) for name, value in zip(self.outputs, row)}


def _dims_match(shape: Sequence, expected: Sequence[int | None]) -> bool:
    return len(shape) == len(expected) and all(
        want is None or not isinstance(have, int) or have == want
        for have, want in zip(shape, expected)
    )


def framing(spec: PreprocessSpec) -> PreprocessSpec:
    """The part of a spec that decides the input pixels: heads equal in it share one batch."""
    return dataclasses.replace(spec, task="", labels=())


class _Buffers(threading.local):
    """Per-thread scratch arrays reused from frame to frame: the gray frame and, per framing, a
    uint8 (N, S, S) crop batch and its float32 (N, 1, S, S) model input."""

    def __init__(self):
        self.gray = GrayFrame()
        self.batches: dict[PreprocessSpec, tuple[np.ndarray, np.ndarray]] = {}

    def batch(self, key: PreprocessSpec, n: int) -> tuple[np.ndarray, np.ndarray]:
        pixels, inputs = self.batches.get(key, (None, None))
        if pixels is None or len(pixels) < n:
            size = key.input_size
            capacity = max(n, 8)
            pixels = np.empty((capacity, size, size), np.uint8)
            inputs = np.empty((capacity, 1, size, size), np.float32)
            self.batches[key] = pixels, inputs
        return pixels[:n], inputs[:n]


class FaceClassifier:
    """The heads (emotion, gender, and any further `models`), sharing one gray conversion and,
    for heads with the same framing, one crop batch per frame.

    emotion_model / gender_model: ONNX files (either may be None); models: further heads by
    name, e.g. {"age": "models/age.onnx"}; each result gets the head's value (ClassScores, or
    {output: value} for heads such as age) as the attribute of the head's name, or in
    result.extra[name] where FaceResult has no such field.
    align: faces whose box carries landmarks (YuNet) are cropped with the eyes level
    (core/align.py); faces without landmarks are cut axis-aligned either way.
    """

    def __init__(
        self,
        emotion_model: str | None,
        gender_model: str | None,
        intra_op_threads: int = 1,
        inter_op_threads: int = 1,
        providers: Sequence[str] = DEFAULT_PROVIDERS,
        align: bool = ALIGN,
        models: Mapping[str, str | None] | None = None,
    ):
        paths = {"emotion": emotion_model, "gender": gender_model, **dict(models or {})}
        paths = {name: path for name, path in paths.items() if path}
        if not paths:
            raise ConfigError(
                "FaceClassifier needs at least one of emotion_model, gender_model (or models)"
            )
        self.align = align
        options = session_options(intra_op_threads, inter_op_threads)
        self._heads = {name: OnnxHead(path, options, providers) for name, path in paths.items()}
        groups: dict[PreprocessSpec, list[tuple[str, OnnxHead]]] = {}
        for name, head in self._heads.items():
            groups.setdefault(framing(head.spec), []).append((name, head))
        self._groups = list(groups.items())
        self._buffers = _Buffers()

    @property
    def heads(self) -> dict[str, OnnxHead]:
        return dict(self._heads)

    @property
    def emotion(self) -> OnnxHead | None:
        return self._heads.get("emotion")

    @property
    def gender(self) -> OnnxHead | None:
        return self._heads.get("gender")

    @property
    def min_image_size(self) -> int:
        """Frames smaller than the largest model input are rejected rather than upscaled."""
        return max(head.spec.input_size for head in self._heads.values())

    def classify(
        self,
        image: np.ndarray,
        boxes: Sequence[BoxLike],
        skip: Sequence[Collection[str]] | None = None,
    ) -> list[FaceResult]:
        """One FaceResult per box (clipped to the image), with every head's probabilities.
        skip: per box, the names of heads not to run on it (its result leaves them None);
        a face no head of a framing needs is not cropped for it."""
        image = check_image(image, self.min_image_size)
        faces = [clip_box(box, image.shape) for box in boxes]
        results = [FaceResult(box=face) for face in faces]
        skip = skip or [()] * len(faces)
        # Per framing group: the faces some head of it runs on (cropped once for the group), and
        # per head its rows of that batch.
        work, sources = [], {}  # sources: face index -> the crop plans that read it
        for key, heads in self._groups:
            cropped = [i for i in range(len(faces)) if any(n not in skip[i] for n, _ in heads)]
            if not cropped:
                continue
            plans = []
            for i in cropped:
                landmarks = faces[i].landmarks if self.align else None
                plans.append(crop_plan(faces[i].as_tuple(), key, image.shape, landmarks))
                sources.setdefault(i, []).append(plans[-1])
            work.append((key, heads, cropped, plans))
        if not work:
            return results
        gray = self._buffers.gray(image, [_union(plans) for plans in sources.values()])
        for key, heads, cropped, plans in work:
            pixels, batch = self._buffers.batch(key, len(cropped))
            for plan, row in zip(plans, pixels):
                plan.write(gray, row)
            normalize_into(pixels, key, batch[:, 0])
            for name, head in heads:
                rows = [j for j, i in enumerate(cropped) if name not in skip[i]]
                if not rows:
                    continue
                subset = batch if len(rows) == len(cropped) else batch[rows]
                for j, row in zip(rows, head.predict(subset)):
                    _store(results[cropped[j]], name, head.result(row))
        return results


def _store(result: FaceResult, name: str, value) -> None:
    """A head's value on the result: the field of that name (emotion, gender, ...) where
    FaceResult has one, else result.extra[name]."""
    if hasattr(result, name):
        setattr(result, name, value)
    else:
        result.extra[name] = value


def _union(plans: Sequence) -> tuple[int, int, int, int]:
    """The image region all heads' crops of one face read."""
    boxes = [plan.source for plan in plans]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
