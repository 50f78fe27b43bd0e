"""Fixtures of the core tests: stand-in ONNX heads, and the real models once they are shipped."""
from __future__ import annotations

import pytest

from face_analysis.core.preprocess import PreprocessSpec
from face_data import EMOTIONS, GENDERS, REPO, make_head


@pytest.fixture(scope="session")
def standin_models(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("models")
    return {
        "emotion": str(make_head(folder / "emotion.onnx", PreprocessSpec(
            "emotion", EMOTIONS, 64, crop_margin_x=0.1, crop_margin_y=0.15))),
        "gender": str(make_head(folder / "gender.onnx", PreprocessSpec(
            "gender", GENDERS, 64, crop_margin_x=0.1, crop_margin_y=0.15))),
    }


@pytest.fixture(scope="session")
def real_models() -> dict[str, str]:
    paths = {task: REPO / "models" / f"{task}.onnx" for task in ("emotion", "gender")}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"trained models not shipped yet: {missing}")
    return {task: str(p) for task, p in paths.items()}
