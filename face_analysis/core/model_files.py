"""sha256 checks of model files against the manifest of the folder they are shipped in.

`models/MANIFEST.json` maps each model's path relative to that folder to its sha256 and where to
get it:

    {"emotion.onnx": {"sha256": "a24d...", "source": "..."}, "yunet/yunet_s_dynamic.onnx": {...}}

A model is governed by the nearest MANIFEST.json in its folder or above (so the same check runs in
the checkout and in an install's share/face_analysis/models). A listed file that is missing or whose
sha256 differs raises ModelError naming the file, the expected sha256 and its source. A file no
manifest lists (a user's own model, the tests' stand-ins) is loaded: its sha256 is logged and
returned, so a caller can report exactly which weights it runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from .errors import ModelError

MANIFEST = "MANIFEST.json"
_log = logging.getLogger(__name__)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _absolute(path: str | Path) -> Path:
    # Lexically, not resolving links: in a colcon --symlink-install share/ each model file is a
    # link into the checkout, and the share's own manifest governs it.
    return Path(os.path.abspath(path))


def find_manifest(path: str | Path) -> Path | None:
    """The nearest MANIFEST.json in the folder of `path` or above it, if any."""
    for folder in _absolute(path).parents:
        if (folder / MANIFEST).is_file():
            return folder / MANIFEST
    return None


def _read(manifest: Path) -> dict:
    try:
        return json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{manifest}: unreadable model manifest ({exc})") from exc


def manifest_entry(path: str | Path) -> tuple[Path, str, dict] | None:
    """(manifest, key, entry) of the manifest listing `path`, or None if none does."""
    manifest = find_manifest(path)
    if manifest is None:
        return None
    key = _absolute(path).relative_to(manifest.parent).as_posix()
    entry = _read(manifest).get(key)
    return (manifest, key, entry) if entry else None


def verify_model(path: str | Path) -> str:
    """The file's sha256, after checking it against its manifest (see the module docstring)."""
    listed = manifest_entry(path)
    if not Path(path).is_file():
        where = (
            f"; expected sha256 {listed[2]['sha256']}, get it from: {listed[2]['source']}"
            if listed
            else ""
        )
        raise ModelError(f"{path}: model file not found{where}")
    actual = file_sha256(path)
    if listed is None:
        _log.info("%s is in no model manifest; loading it as given (sha256 %s)", path, actual)
        return actual
    manifest, key, entry = listed
    if actual != entry["sha256"]:
        raise ModelError(
            f"{path}: sha256 {actual} differs from {entry['sha256']} listed for "
            f"'{key}' in {manifest}: the file is altered or corrupt. Get the original "
            f"from: {entry['source']}"
        )
    return actual


def record_model(path: str | Path, source: str) -> Path | None:
    """Write `path`'s sha256 into the manifest governing it (training's export calls this when it
    writes into models/); the manifest, or None where no manifest governs the file."""
    manifest = find_manifest(path)
    if manifest is None:
        return None
    entries = _read(manifest)
    key = _absolute(path).relative_to(manifest.parent).as_posix()
    entries[key] = {"sha256": file_sha256(path), "source": source}
    manifest.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")
    return manifest
