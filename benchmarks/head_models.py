"""The classification heads for the benchmarks: the shipped models when they exist, else
untrained mini-Xception stand-ins exported to a temporary folder (same architecture and size,
so latencies are representative; predictions are not)."""

from __future__ import annotations

import warnings
from pathlib import Path

from face_analysis.core.config import default_model_dir
from face_analysis.core.preprocess import PreprocessSpec

LABELS = {
    "emotion": ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"),
    "gender": ("male", "female"),
}
INPUT_SIZE = 64


def torch_mini_xception(task: str):
    """training/'s MiniXception for `task` with softmax, in eval mode, fixed random weights."""
    import torch

    from training.models import MiniXception

    torch.manual_seed(0)
    return torch.nn.Sequential(MiniXception(len(LABELS[task])), torch.nn.Softmax(dim=1)).eval()


def export_onnx(
    model, path: Path, task: str, labels: tuple[str, ...] = (), input_size: int = INPUT_SIZE
) -> Path:
    """`model` as an ONNX head honouring the face_analysis contract (dynamic batch, metadata);
    `labels`: the task's LABELS unless given."""
    import onnx
    import torch

    dummy = torch.zeros(1, 1, input_size, input_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            input_names=["input"],
            output_names=["probs"],
            opset_version=17,
            dynamo=False,
            dynamic_axes={"input": {0: "N"}, "probs": {0: "N"}},
        )
    proto = onnx.load(str(path))
    labels = labels or LABELS[task]
    spec = PreprocessSpec(task, labels, input_size, crop_margin_x=0.1, crop_margin_y=0.1)
    onnx.helper.set_model_props(proto, spec.to_metadata())
    onnx.save(proto, str(path))
    return path


def model_paths(scratch: Path) -> tuple[dict[str, str], str]:
    """{task: path} of the heads to benchmark, and a note saying which they are."""
    shipped = {task: default_model_dir() / f"{task}.onnx" for task in LABELS}
    if all(p.is_file() for p in shipped.values()):
        return {t: str(p) for t, p in shipped.items()}, "shipped models"
    scratch.mkdir(parents=True, exist_ok=True)
    return (
        {t: str(export_onnx(torch_mini_xception(t), scratch / f"{t}.onnx", t)) for t in LABELS},
        "untrained mini-Xception stand-ins (models/*.onnx not there yet)",
    )
