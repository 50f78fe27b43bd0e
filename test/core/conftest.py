"""Fixtures of the core tests: stand-in ONNX heads, and the shipped models."""

from __future__ import annotations

from pathlib import Path

import pytest
from face_data import EMOTIONS, GENDERS, make_head
from paths import model_path

from face_analysis.core.preprocess import PreprocessSpec


@pytest.fixture(scope="session")
def standin_models(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("models")
    return {
        "emotion": str(
            make_head(
                folder / "emotion.onnx",
                PreprocessSpec("emotion", EMOTIONS, 64, crop_margin_x=0.1, crop_margin_y=0.15),
            )
        ),
        "gender": str(
            make_head(
                folder / "gender.onnx",
                PreprocessSpec("gender", GENDERS, 64, crop_margin_x=0.1, crop_margin_y=0.15),
            )
        ),
    }


@pytest.fixture(scope="session")
def real_models() -> dict[str, str]:
    """The shipped models; a checkout without them is broken, so this fails rather than skips."""
    paths = {task: model_path(task) for task in ("emotion", "gender")}
    missing = [p for p in paths.values() if not Path(p).is_file()]
    if missing:
        pytest.fail(f"the shipped models are missing: {missing}")
    return paths
