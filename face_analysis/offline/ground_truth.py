"""Ground truth of a recording: face boxes, and labels only where they are truly known.

Two formats:
* a face CSV per still photo (`x_min,y_min,x_max,y_max` in photo pixels, optional `id` (the
  person, unique in the file; default: the row's index, 00, 01, ...), `is_face` (rows with 0 are
  skipped), `gender`, `emotion`; an empty label means unknown), the input of
  `face-analysis record`;
* a JSON-lines file per recording, one line per annotated frame, written by `record` and read
  by `evaluate`: {"stamp_ns": int, "frame": int, "source": str,
  "faces": [{"box": [x_min, y_min, x_max, y_max], "person": "photo:id", "gender": "female",
  ...}]}. `person` is the same for one face in every frame of its source, which is what the
  tracking metrics need; files written before it existed have none and get no tracking metrics.
  Frames are matched to the bag by header stamp; frames without a line (e.g. from a video) are
  not annotated and take no part in the detection metrics. A line with no faces says the frame
  truly has none (its detections all count as false positives).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import FaceAnalysisError
from ..core.types import FaceBox

LABEL_HEADS = ("gender", "emotion")
# A face cut by the frame edge counts only while at least this share of it is in view: a
# detector cannot be expected to find a sliver of a face.
MIN_VISIBLE_FRACTION = 0.5


class GroundTruthError(FaceAnalysisError, ValueError):
    """A face CSV or ground-truth file that cannot be read."""


@dataclass(frozen=True)
class TrueFace:
    box: FaceBox
    labels: dict = field(default_factory=dict)  # head -> label, only the known ones
    person: str | None = None  # who it is, stable over the frames of one source

    def to_dict(self) -> dict:
        person = {"person": self.person} if self.person is not None else {}
        return {"box": [round(v, 2) for v in self.box.as_tuple()], **person, **self.labels}


@dataclass
class FrameTruth:
    stamp_ns: int
    frame: int
    source: str
    faces: list[TrueFace]

    def to_dict(self) -> dict:
        return {
            "stamp_ns": self.stamp_ns,
            "frame": self.frame,
            "source": self.source,
            "faces": [face.to_dict() for face in self.faces],
        }


def read_face_csv(path: str | Path) -> list[TrueFace]:
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise GroundTruthError(f"{path}: cannot read the face CSV ({exc})") from exc
    faces, people = [], set()
    for line, row in enumerate(rows, start=2):
        person = (row.get("id") or "").strip() or f"{line - 2:02d}"
        if person in people:
            raise GroundTruthError(f"{path}:{line}: id {person!r} is used twice")
        people.add(person)
        if row.get("is_face", "1").strip() == "0":
            continue
        try:
            box = FaceBox(*(float(row[key]) for key in ("x_min", "y_min", "x_max", "y_max")))
        except (KeyError, TypeError, ValueError) as exc:
            raise GroundTruthError(
                f"{path}:{line}: needs numeric x_min,y_min,x_max,y_max columns ({exc})"
            ) from exc
        labels = {head: row[head].strip() for head in LABEL_HEADS if (row.get(head) or "").strip()}
        faces.append(TrueFace(box, labels, person))
    return faces


def visible_part(box: FaceBox, frame_size: tuple[int, int]) -> FaceBox | None:
    """The box clipped to the frame, or None when less than MIN_VISIBLE_FRACTION is in view."""
    width, height = frame_size
    clipped = FaceBox(
        max(box.x_min, 0.0),
        max(box.y_min, 0.0),
        min(box.x_max, float(width)),
        min(box.y_max, float(height)),
        box.score,
    )
    if clipped.width <= 0 or clipped.height <= 0:
        return None
    if clipped.width * clipped.height < MIN_VISIBLE_FRACTION * box.width * box.height:
        return None
    return clipped


def write_ground_truth(path: str | Path, frames: Iterable[FrameTruth]) -> int:
    count = 0
    with Path(path).open("w") as handle:
        for frame in frames:
            handle.write(json.dumps(frame.to_dict()) + "\n")
            count += 1
    return count


def read_ground_truth(path: str | Path) -> dict[int, FrameTruth]:
    """Annotated frames by header stamp (ns)."""
    path = Path(path)
    if not path.is_file():
        raise GroundTruthError(f"ground-truth file not found: {path}")
    frames = {}
    with path.open() as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                faces = [
                    TrueFace(
                        FaceBox(*map(float, face["box"])),
                        {h: face[h] for h in LABEL_HEADS if face.get(h)},
                        face.get("person"),
                    )
                    for face in entry["faces"]
                ]
                frames[int(entry["stamp_ns"])] = FrameTruth(
                    int(entry["stamp_ns"]),
                    int(entry.get("frame", -1)),
                    str(entry.get("source", "")),
                    faces,
                )
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise GroundTruthError(
                    f"{path}:{line_no}: not a ground-truth line ({type(exc).__name__}: {exc})"
                ) from exc
    return frames
