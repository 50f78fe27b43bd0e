"""Where tests find the repository, the shared data and the shipped models (the one place; pytest's
`pythonpath` setting in setup.cfg puts this folder and the checkout on sys.path)."""

import os
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("FACE_ANALYSIS_DATA", REPO.parent / "shared" / "data"))
DEMO = DATA / "demo"
TEST_PHOTO = DEMO / "oarriaga_test_image.jpg"
MODELS = REPO / "models"


def require_data(path: Path) -> Path:
    """`path` of the shared data; a test that needs it fails naming it, as a missing shipped model
    fails (a run that skipped them would pass without testing what they test)."""
    if not path.exists():
        pytest.fail(
            f"shared data not found: {path} (../shared beside the checkout, or set FACE_ANALYSIS_DATA)"
        )
    return path


def model_path(task: str) -> str:
    """The shipped model of `task` (emotion, gender)."""
    return str(MODELS / f"{task}.onnx")


def write_params(path: Path, **overrides) -> Path:
    """config/face_analysis.yaml with the shipped models and `overrides`, written to `path`."""
    config = yaml.safe_load((REPO / "config" / "face_analysis.yaml").read_text())
    config["/**"]["ros__parameters"].update(
        emotion_model=model_path("emotion"), gender_model=model_path("gender"), **overrides
    )
    path.write_text(yaml.safe_dump(config))
    return path
