"""Where tests find the repository, the shared data and the models."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("FACE_ANALYSIS_DATA", REPO.parent / "shared" / "data"))
TEST_PHOTO = DATA / "demo" / "oarriaga_test_image.jpg"


def model_path(task: str) -> str:
    """The shipped model, or a stand-in named by FACE_ANALYSIS_TEST_<TASK>_MODEL (development
    before the trained models exist)."""
    return os.environ.get(f"FACE_ANALYSIS_TEST_{task.upper()}_MODEL", str(REPO / "models" /
                                                                          f"{task}.onnx"))
