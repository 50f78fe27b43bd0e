"""Where the package's data folders (models/, msg/, samples/) are: the source checkout, else
<prefix>/share/face_analysis of an install. colcon and `pip install .` both put them there, and
both put this module at <prefix>/lib/pythonX.Y/site-packages/face_analysis/."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dirs(name: str) -> list[Path]:
    """The places a data folder can be, in the order they are tried."""
    candidates = [_PACKAGE.parent / name]
    if len(_PACKAGE.parents) > 3:
        candidates.append(_PACKAGE.parents[3] / "share" / "face_analysis" / name)
    return candidates


def resource_dir(name: str, marker: str | None = None) -> Path:
    """The first of resource_dirs(name) that exists (holding `marker`, if given); else the
    checkout's, so that an error about a missing file names where it was expected."""
    candidates = resource_dirs(name)
    for folder in candidates:
        if (folder / marker).is_file() if marker else folder.is_dir():
            return folder
    return candidates[0]
