"""Frames for a recording, all of one size: stills (held, or swept by the virtual camera) and
video files (resampled to the recording's frame rate). Each frame carries the ground truth of
its photo's faces when the photo has a face CSV, mapped into the frame."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core.errors import FaceAnalysisError
from .camera_motion import View, fit_scale, pan_zoom_path, render
from .ground_truth import TrueFace, visible_part

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg"}
MOTIONS = ("none", "pan-zoom")


@dataclass
class SourceFrame:
    image: np.ndarray
    source: str
    truth: list[TrueFace] | None  # None: not annotated


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def still_frames(
    path: str | Path,
    frame_size: tuple[int, int],
    n_frames: int,
    motion: str = "pan-zoom",
    zoom: float = 2.0,
    faces: Sequence[TrueFace] | None = None,
) -> Iterator[SourceFrame]:
    photo = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if photo is None:
        raise FaceAnalysisError(f"{path}: cannot read it as an image")
    photo_size = (photo.shape[1], photo.shape[0])
    if motion == "pan-zoom":
        views = pan_zoom_path(photo_size, frame_size, n_frames, zoom)
    elif motion == "none":
        fixed = View(photo_size[0] / 2, photo_size[1] / 2, fit_scale(photo_size, frame_size))
        views = (fixed for _ in range(n_frames))
    else:
        raise FaceAnalysisError(f"unknown camera motion {motion!r}; choose from {MOTIONS}")
    pyramid: dict = {}
    for view in views:
        truth = None
        if faces is not None:
            truth = []
            for face in faces:
                box = visible_part(view.box_to_frame(face.box, frame_size), frame_size)
                if box is not None:
                    # Qualified by the photo: ids need only be unique within one CSV.
                    truth.append(TrueFace(box, face.labels, f"{Path(path).stem}:{face.person}"))
        yield SourceFrame(render(photo, view, frame_size, pyramid), Path(path).name, truth)


def video_frames(
    path: str | Path,
    frame_size: tuple[int, int],
    fps: float,
    start_s: float = 0.0,
    seconds: float | None = None,
) -> Iterator[SourceFrame]:
    """The video's frames at the recording's rate (each output time shows the source frame
    shown at that moment), letterboxed into frame_size."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise FaceAnalysisError(f"{path}: cannot open it as a video")
    try:
        source_fps = capture.get(cv2.CAP_PROP_FPS) or fps
        index, frame, emitted = -1, None, 0
        while seconds is None or emitted < round(seconds * fps):
            wanted = int((start_s + emitted / fps) * source_fps + 1e-6)
            while index < wanted:
                ok, frame = capture.read()
                if not ok:
                    return
                index += 1
            size = (frame.shape[1], frame.shape[0])
            view = View(size[0] / 2, size[1] / 2, fit_scale(size, frame_size))
            yield SourceFrame(render(frame, view, frame_size), Path(path).name, None)
            emitted += 1
    finally:
        capture.release()


def video_fps(path: str | Path) -> float | None:
    capture = cv2.VideoCapture(str(path))
    try:
        return (capture.get(cv2.CAP_PROP_FPS) or None) if capture.isOpened() else None
    finally:
        capture.release()
