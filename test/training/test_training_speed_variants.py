"""The speed rewrites of the heads: int8 calibration on training images only with the metadata kept,
the flip rewrites computing what the flip-TTA export computes, and the cards recording which file
ships and the measured int8 accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from face_analysis.core.model_files import file_sha256
from face_analysis.core.preprocess import PreprocessSpec
from training import data as D

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "benchmarks" / "baseline"
MODELS = REPO / "models"


def fake_faces(n=60, size=48):
    """Training images all 10, validation 128, test 250: a calibration batch shows its source."""
    split = np.repeat([0, 1, 2], n // 3)
    images = np.empty((n, size, size), np.uint8)
    images[:] = np.array([10, 128, 250], np.uint8)[split][:, None, None]
    return D.FaceArrays(images, np.zeros(n, np.int64), split)


def test_calibration_uses_training_images_only(monkeypatch):
    from training import quantize as Q

    monkeypatch.setattr(D, "load_task", lambda task, path: fake_faces())
    spec = PreprocessSpec("emotion", ("a", "b"), 48)
    batch = Q.calibration_batch(spec, data_path="unused", n=1000)
    assert batch.shape == (20, 1, 48, 48)
    np.testing.assert_allclose(batch, 10 * spec.pixel_scale + spec.pixel_offset, atol=1e-6)


def test_quantized_file_keeps_the_metadata(monkeypatch, tmp_path):
    from training import quantize as Q

    monkeypatch.setattr(D, "load_task", lambda task, path: fake_faces(size=64))
    out = Q.quantize(BASELINE / "gender.onnx", tmp_path / "gender_int8.onnx", "unused", n=20)
    model = onnx.load(str(out))
    assert any(n.op_type == "QuantizeLinear" for n in model.graph.node)
    meta = {p.key: p.value for p in model.metadata_props}
    spec = PreprocessSpec.from_metadata(meta)
    assert spec.task == "gender" and spec.input_size == 64 and spec.labels == ("male", "female")


def test_flip_rewrites_compute_the_flip_tta_export():
    from training import flip_graph as F

    flip_tta = onnx.load(str(BASELINE / "emotion.onnx"))
    assert F.has_flip(flip_tta)
    plain = F.plain_network(flip_tta)
    assert not F.has_flip(plain) and F.plain_network(plain) is plain
    x = np.random.default_rng(0).uniform(-1, 1, (6, 1, 48, 48)).astype(np.float32)

    def run(model, batch):
        session = ort.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        return session.run(["probs"], {"input": batch})[0]

    want = run(flip_tta, x)
    np.testing.assert_allclose(
        0.5 * (run(plain, x) + run(plain, np.ascontiguousarray(x[..., ::-1]))), want, atol=1e-6
    )
    np.testing.assert_allclose(run(F.batch_flip(flip_tta), x), want, atol=1e-6)
    np.testing.assert_allclose(run(F.adaptive_flip(flip_tta, 2.0), x), want, atol=1e-6)  # all
    np.testing.assert_allclose(run(F.adaptive_flip(flip_tta, 0.0), x), run(plain, x), atol=1e-6)
    for model in (plain, F.batch_flip(flip_tta), F.adaptive_flip(flip_tta, 0.4)):
        onnx.checker.check_model(model, full_check=True)
        meta = {p.key: p.value for p in model.metadata_props}
        assert PreprocessSpec.from_metadata(meta).task == "emotion"


def test_cards_name_the_shipped_files_and_record_int8_accuracy():
    manifest = json.loads((MODELS / "MANIFEST.json").read_text())
    emotion, gender = (MODELS / "emotion.md").read_text(), (MODELS / "gender.md").read_text()
    assert manifest["emotion.onnx"]["sha256"] == file_sha256(MODELS / "emotion.onnx")
    assert file_sha256(MODELS / "emotion.onnx") in emotion
    assert file_sha256(MODELS / "gender.onnx") in gender
    meta = onnx.load(str(MODELS / "emotion.onnx")).metadata_props
    margin = json.loads({p.key: p.value for p in meta}["face_analysis.flip_margin"])
    assert f"margin is < {margin}" in emotion or f"margin < {margin}" in emotion
    for card in (emotion, gender):
        section = card[card.index("## Speed") :]
        assert "int8 static QDQ" in section and "Not shipped" in section
        assert section.count(" %") >= 3  # the quantized file's accuracy figures
