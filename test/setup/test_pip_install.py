"""`pip install .` (the non-ROS install) puts the data the package reads at run time where
face_analysis.resources finds it: the shipped models with their sha256 manifest, the YuNet
weights the set-up installed, and the .msg files the bag commands build their rosbags types from."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from paths import REPO

PROBE = """
from face_analysis.core.config import default_model_dir
from face_analysis.offline.typestore import msg_dir, typestore
import face_analysis
print(face_analysis.__file__)
print(default_model_dir())
print(msg_dir())
print("face_analysis/msg/FaceAnalysisArray" in typestore().fielddefs)
from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig
analyzer = FaceAnalyzer(AnalyzerConfig())  # YuNet and both heads, each checked by sha256
print(type(analyzer.detector).__name__, sorted(analyzer.classifier.heads))
"""


def test_pip_install_finds_models_and_message_definitions(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--prefix",
            str(prefix),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
        timeout=300,
    )
    site = sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)})
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**env, "PYTHONPATH": site},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    share = prefix / "share" / "face_analysis"
    assert out == [
        str(Path(site) / "face_analysis" / "__init__.py"),
        str(share / "models"),
        str(share / "msg"),
        "True",
        "YuNetDetector",
        "['age',",
        "'emotion',",
        "'gender']",
    ]
    assert (share / "models" / "MANIFEST.json").is_file()
    assert (share / "models" / "yunet" / "LICENSE").is_file()
    assert (share / "models" / "emotion.onnx").is_file() and (
        share / "models" / "gender.onnx"
    ).is_file()
