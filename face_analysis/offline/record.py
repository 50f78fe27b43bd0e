"""A rosbag2 recording of camera frames made from videos and photos, stamped as a camera at the
given rate would stamp them, with ground truth for photos whose face boxes are known (see
ground_truth.py). Its command line: face_analysis.commands.record."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..core.anonymize import FrameAnonymizer
from ..core.errors import FaceAnalysisError
from .bag_writer import ImageBagWriter
from .frame_sources import SourceFrame, is_video, still_frames, video_fps, video_frames
from .ground_truth import FrameTruth, read_face_csv, write_ground_truth

DEFAULT_FPS = 15.0
STILL_SECONDS = 4.0  # a photo's sweep unless --seconds says otherwise


@dataclass
class RecordOptions:
    fps: float | None = None  # None: the first video's rate, else DEFAULT_FPS
    start_ns: int | None = None  # None: now
    frame_id: str = "camera"
    frame_size: tuple[int, int] = (640, 480)
    motion: str = "pan-zoom"
    zoom: float = 2.0
    seconds: float | None = None  # per input: a still's length (STILL_SECONDS), a video's cap
    video_start_s: float = 0.0
    faces: dict = field(default_factory=dict)  # photo file name -> face CSV path


def frames_of(
    inputs: Sequence[str | Path], options: RecordOptions, fps: float
) -> Iterator[SourceFrame]:
    for path in inputs:
        if is_video(path):
            yield from video_frames(
                path, options.frame_size, fps, options.video_start_s, options.seconds
            )
        else:
            csv = options.faces.get(Path(path).name)
            seconds = STILL_SECONDS if options.seconds is None else options.seconds
            yield from still_frames(
                path,
                options.frame_size,
                max(1, round(seconds * fps)),
                options.motion,
                options.zoom,
                read_face_csv(csv) if csv else None,
            )


def record(
    inputs: Sequence[str | Path],
    bag: str | Path,
    writer: dict,
    options: RecordOptions,
    ground_truth: str | Path | None = None,
    progress: bool = False,
    anonymizer: FrameAnonymizer | None = None,
) -> dict:
    """Write all frames of `inputs`, in order, into a new bag; `writer` holds ImageBagWriter's
    keyword arguments; with `anonymizer`, every face is blurred before it is written. Returns
    counts and the time span."""
    missing = [str(p) for p in inputs if not Path(p).is_file()]
    if missing:  # checked before the bag exists, so a typo leaves no half-written bag behind
        raise FaceAnalysisError(f"input not found: {', '.join(missing)}")
    videos = [p for p in inputs if is_video(p)]
    fps = options.fps or (video_fps(videos[0]) if videos else None) or DEFAULT_FPS
    if fps <= 0:
        raise FaceAnalysisError(f"fps must be > 0, got {fps}")
    start_ns = options.start_ns if options.start_ns is not None else time.time_ns()
    truth: list[FrameTruth] = []
    with (
        ImageBagWriter(bag, **writer) as out,
        tqdm(unit="frame", desc="recording", disable=not progress) as bar,
    ):
        for index, frame in enumerate(frames_of(inputs, options, fps)):
            # Stamps from the frame index, not accumulated, so no rounding drift builds up.
            stamp_ns = start_ns + round(index * 1e9 / fps)
            image = frame.image if anonymizer is None else anonymizer(frame.image)[0]
            out.write(image, stamp_ns, options.frame_id)
            if frame.truth is not None:
                truth.append(FrameTruth(stamp_ns, index, frame.source, frame.truth))
            bar.update()
        count = out.count
    if count == 0:
        raise FaceAnalysisError("the inputs gave no frame (an empty video, or --seconds 0?)")
    if truth and ground_truth:
        write_ground_truth(ground_truth, truth)
    return {
        "frames": count,
        "fps": fps,
        "start_ns": start_ns,
        "end_ns": start_ns + round((count - 1) * 1e9 / fps),
        "annotated_frames": len(truth),
    }
