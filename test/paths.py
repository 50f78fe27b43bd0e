"""Where tests find the repository, the shared data and the models."""
import os
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("FACE_ANALYSIS_DATA", REPO.parent / "shared" / "data"))
TEST_PHOTO = DATA / "demo" / "oarriaga_test_image.jpg"


def model_path(task: str) -> str:
    """The shipped model, or a stand-in named by FACE_ANALYSIS_TEST_<TASK>_MODEL (development
    before the trained models exist)."""
    return os.environ.get(f"FACE_ANALYSIS_TEST_{task.upper()}_MODEL", str(REPO / "models" /
                                                                          f"{task}.onnx"))


def write_params(path: Path, **overrides) -> Path:
    """config/face_analysis.yaml with the test models and `overrides`, written to `path`."""
    config = yaml.safe_load((REPO / "config" / "face_analysis.yaml").read_text())
    config["/**"]["ros__parameters"].update(emotion_model=model_path("emotion"),
                                            gender_model=model_path("gender"), **overrides)
    path.write_text(yaml.safe_dump(config))
    return path
