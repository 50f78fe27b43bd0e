"""Helpers of the core tests: where the demo data is, and tiny stand-in ONNX heads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest
from paths import DEMO, require_data

from face_analysis.core.preprocess import PreprocessSpec

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
GENDERS = ("male", "female")
# Centres of the 6 faces of oarriaga_test_image.jpg (2048x1536), noted by hand.
TEST_IMAGE_FACES = [(364, 405), (630, 475), (898, 427), (1240, 455), (1580, 430), (1055, 1135)]
HAS_MEDIAPIPE = importlib.util.find_spec("mediapipe") is not None


def make_head(
    path: Path, spec: PreprocessSpec, metadata: bool = True, fixed_batch: bool = False
) -> Path:
    """A tiny ONNX 'classifier' honouring the model contract: mean pixel -> linear -> softmax,
    so its output depends on the crop but it needs no training."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    n_classes, size = len(spec.labels), spec.input_size
    rng = np.random.default_rng(len(spec.labels))
    weights = numpy_helper.from_array(rng.normal(size=(1, n_classes)).astype(np.float32) * 3, "w")
    bias = numpy_helper.from_array(rng.normal(size=n_classes).astype(np.float32), "b")
    nodes = [
        helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "w"], ["logits0"]),
        helper.make_node("Add", ["logits0", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    batch = 1 if fixed_batch else "N"
    graph = helper.make_graph(
        nodes,
        f"standin_{spec.task}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, 1, size, size])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch, n_classes])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime of the last years
    if metadata:
        helper.set_model_props(model, spec.to_metadata())
    onnx.save(model, str(path))
    return path


def demo_image(name: str) -> np.ndarray:
    return cv2.imread(str(require_data(DEMO / name)), cv2.IMREAD_COLOR)


def faces_hit(boxes, centres) -> int:
    """How many of the points (face centres) lie inside some box."""
    return sum(
        any(b.x_min < x < b.x_max and b.y_min < y < b.y_max for b in boxes) for x, y in centres
    )
