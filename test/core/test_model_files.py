"""models/MANIFEST.json: every shipped model is listed with its sha256, a tampered one fails to
load, a model outside any manifest loads and reports its sha256."""

import json
import logging
import shutil

import pytest
from paths import REPO

from face_analysis.core.classify import OnnxHead
from face_analysis.core.errors import ModelError
from face_analysis.core.model_files import MANIFEST, file_sha256, record_model, verify_model

MODELS = REPO / "models"


def test_manifest_lists_the_shipped_models_with_their_sha256():
    entries = json.loads((MODELS / MANIFEST).read_text())
    shipped = sorted(p.name for p in MODELS.glob("*.onnx"))
    heads = {
        "emotion.onnx",
        "emotion_robust.onnx",
        "emotion_ferplus.onnx",
        "gender.onnx",
        "age.onnx",
    }
    assert heads <= set(shipped)
    assert {*shipped, "yunet/yunet_s_dynamic.onnx"} <= set(entries)
    for name in shipped:  # each with its card, which names the file's sha256
        assert verify_model(MODELS / name) == entries[name]["sha256"] == file_sha256(MODELS / name)
        assert file_sha256(MODELS / name) in (MODELS / name).with_suffix(".md").read_text()


def tampered_copy(tmp_path, name):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(MODELS / MANIFEST, folder)
    data = bytearray((MODELS / name).read_bytes())
    data[-100] ^= 0x01  # one bit of a weight: still a loadable ONNX file
    (folder / name).write_bytes(bytes(data))
    return folder / name


def test_tampered_emotion_model_fails_with_the_manifest_error(tmp_path):
    path = tampered_copy(tmp_path, "emotion.onnx")
    listed = json.loads((MODELS / MANIFEST).read_text())["emotion.onnx"]["sha256"]
    with pytest.raises(
        ModelError,
        match=rf"emotion\.onnx: sha256 [0-9a-f]{{64}} differs from {listed}"
        r".* listed for 'emotion.onnx' in .*MANIFEST\.json: the file is altered",
    ):
        OnnxHead(str(path))


def test_model_outside_any_manifest_loads_and_reports_its_sha256(
    standin_models, caplog, monkeypatch
):
    # Attached to the module's logger itself: launch_testing's logger class does not propagate.
    logger = logging.getLogger("face_analysis.core.model_files")
    monkeypatch.setattr(logger, "handlers", [caplog.handler])
    caplog.set_level("INFO", logger=logger.name)
    head = OnnxHead(standin_models["emotion"])
    assert head.sha256 == file_sha256(standin_models["emotion"])
    assert "in no model manifest" in caplog.text and head.sha256 in caplog.text


def test_unlisted_file_beside_a_manifest_is_not_refused(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(MODELS / MANIFEST, folder)
    shutil.copy(MODELS / "gender.onnx", folder / "my_gender.onnx")
    assert OnnxHead(str(folder / "my_gender.onnx")).sha256 == file_sha256(MODELS / "gender.onnx")


def test_record_model_updates_the_governing_manifest(tmp_path):
    path = tampered_copy(tmp_path, "gender.onnx")  # e.g. a newly exported model
    with pytest.raises(ModelError):
        verify_model(path)
    assert record_model(path, "training/export.py") == path.parent / MANIFEST
    assert verify_model(path) == file_sha256(path)
    assert record_model(tmp_path / "elsewhere.onnx", "x") is None  # no manifest governs it
