"""The emotion and gender heads: ONNX models run by onnxruntime, all faces of a frame per call.

Everything about a head's input (size, normalisation, crop margins) and output (label order)
comes from the PreprocessSpec stored in the model's metadata, never from constants here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import onnxruntime as ort

from .errors import ConfigError, ModelError
from .image import BoxLike, check_image, clip_box
from .model_files import verify_model
from .preprocess import PreprocessError, PreprocessSpec, prepare_batch, to_gray
from .types import ClassScores, FaceResult

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
    """One classification head: (N, 1, S, S) float32 in, (N, C) probabilities out."""

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
        self._check_signature()

    def _check_signature(self) -> None:
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = {o.name: o for o in self.session.get_outputs()}
        if INPUT_NAME not in inputs or OUTPUT_NAME not in outputs:
            raise ModelError(
                f"{self.path}: expected input '{INPUT_NAME}' and output "
                f"'{OUTPUT_NAME}', found inputs {list(inputs)} outputs {list(outputs)}"
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
        if not _dims_match(outputs[OUTPUT_NAME].shape, (None, len(self.spec.labels))):
            raise ModelError(
                f"{self.path}: output shape {outputs[OUTPUT_NAME].shape} does not "
                f"match the metadata's {len(self.spec.labels)} labels"
            )

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """(N, C) float32 probabilities for a prepared (N, 1, S, S) batch."""
        probs = self.session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0]
        return np.asarray(probs, dtype=np.float32).reshape(len(batch), len(self.spec.labels))


def _dims_match(shape: Sequence, expected: Sequence[int | None]) -> bool:
    return len(shape) == len(expected) and all(
        want is None or not isinstance(have, int) or have == want
        for have, want in zip(shape, expected)
    )


class FaceClassifier:
    """Both heads (either may be None to run only one), sharing one gray conversion per frame.

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
    ):
        if emotion_model is None and gender_model is None:
            raise ConfigError("FaceClassifier needs at least one of emotion_model, gender_model")
        self.align = align
        options = session_options(intra_op_threads, inter_op_threads)
        self.emotion = OnnxHead(emotion_model, options, providers) if emotion_model else None
        self.gender = OnnxHead(gender_model, options, providers) if gender_model else None

    @property
    def heads(self) -> dict[str, OnnxHead]:
        return {
            name: head
            for name, head in (("emotion", self.emotion), ("gender", self.gender))
            if head is not None
        }

    @property
    def min_image_size(self) -> int:
        """Frames smaller than the largest model input are rejected rather than upscaled."""
        return max(head.spec.input_size for head in self.heads.values())

    def classify(self, image: np.ndarray, boxes: Sequence[BoxLike]) -> list[FaceResult]:
        """One FaceResult per box (clipped to the image), with both heads' probabilities."""
        image = check_image(image, self.min_image_size)
        faces = [clip_box(box, image.shape) for box in boxes]
        results = [FaceResult(box=face) for face in faces]
        if not faces:
            return results
        gray = to_gray(image)
        landmarks = [f.landmarks for f in faces] if self.align else None
        batches: dict[PreprocessSpec, np.ndarray] = {}
        for name, head in self.heads.items():
            # Heads exported with identical preprocessing share one batch.
            key = dataclasses.replace(head.spec, task="", labels=())
            if key not in batches:
                batches[key] = prepare_batch(
                    gray, [f.as_tuple() for f in faces], head.spec, landmarks
                )
            probs = head.predict(batches[key])
            for result, row in zip(results, probs):
                setattr(result, name, ClassScores(head.spec.labels, row))
        return results
