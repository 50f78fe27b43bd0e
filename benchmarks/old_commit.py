"""The package as it was at an older commit, imported beside the current one, for before/after
comparisons that run the old code itself rather than a copy of it that could drift.

`git archive` of the commit's face_analysis/ is unpacked into a temporary folder (removed when the
process ends) and imported under another name, face_analysis_at_<sha>, so both versions live in
one process. Only the old code's own relative imports resolve there; its face_analysis/core is
ROS-free. The commit must be in this clone's history: a shallow clone lacks it, and the error says
how to fetch it.

    preprocess = module_at(BASELINE_COMMIT, "core.preprocess")
    results = baseline_classifier().classify(frame, boxes_at(BASELINE_COMMIT, faces))
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
# The classify path shipped on 2026-11-30, bench_heads.py's "today's path"; baseline/ holds the
# emotion and gender models shipped with it (baseline/README.md).
BASELINE_COMMIT = "2798e4a9e0f487d2b97bef242015e255a8a56a8c"
BASELINE = Path(__file__).resolve().parent / "baseline"
BASELINE_MODELS = {task: str(BASELINE / f"{task}.onnx") for task in ("emotion", "gender")}
PACKAGE = "face_analysis"

_folders: list[tempfile.TemporaryDirectory] = []  # alive as long as the imported code


class OldCommitError(RuntimeError):
    """The commit cannot be read from this checkout's git history."""


def _git(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise OldCommitError("git is not installed; the old commit cannot be read") from exc


def resolve(commit: str) -> str:
    """The full sha of `commit`; OldCommitError if this clone does not hold it."""
    done = _git("rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}")
    if done.returncode != 0:
        raise OldCommitError(
            f"commit {commit} is not in the git history of {REPO} (a shallow clone, or a copy "
            "without .git?); the comparison runs that commit's code: fetch the full history "
            "with `git fetch --unshallow` (or clone without --depth)"
        )
    return done.stdout.decode().strip()


def package_at(commit: str) -> ModuleType:
    """The face_analysis package of `commit`, imported as face_analysis_at_<sha> (once)."""
    sha = resolve(commit)
    alias = f"{PACKAGE}_at_{sha[:12]}"
    if alias in sys.modules:
        return sys.modules[alias]
    archive = _git("archive", "--format=tar", sha, PACKAGE)
    if archive.returncode != 0:
        raise OldCommitError(f"git archive {sha} {PACKAGE} failed: {archive.stderr.decode()}")
    folder = tempfile.TemporaryDirectory(prefix=f"{alias}_")
    _folders.append(folder)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder.name, filter="data")
    root = Path(folder.name) / PACKAGE
    spec = importlib.util.spec_from_file_location(
        alias, root / "__init__.py", submodule_search_locations=[str(root)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[alias] = package
    spec.loader.exec_module(package)
    return package


def module_at(commit: str, name: str) -> ModuleType:
    """Module `name` of the package (e.g. "core.classify") as it was at `commit`."""
    return importlib.import_module(f"{package_at(commit).__name__}.{name}")


def boxes_at(commit: str, faces) -> list:
    """The current FaceBoxes as `commit`'s FaceBox type, which its core checks for."""
    face_box = module_at(commit, "core.types").FaceBox
    return [face_box(*f.as_tuple(), f.score, f.landmarks) for f in faces]


def baseline_classifier(align: bool = True):
    """BASELINE_COMMIT's FaceClassifier on the pair shipped with it: "today's path"."""
    classify = module_at(BASELINE_COMMIT, "core.classify")
    return classify.FaceClassifier(
        BASELINE_MODELS["emotion"], BASELINE_MODELS["gender"], align=align
    )
