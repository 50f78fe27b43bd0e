"""ROS4HRI (REP-155) conventions, without ROS: face ids, normalised regions, the cropped and
aligned face images, the face_<id>/gaze_<id> frames and landmark slots, and how the emotion
heads' labels map onto hri_msgs/Expression.

Valence and arousal are the probability-weighted mean of per-class coordinates on Russell's
circumplex (valence: unpleasant -1 .. pleasant 1; arousal: calm -1 .. excited 1), approximate
values after Russell & Mehrabian (1977); neutral is the origin. They are derived from the
classifier's probabilities, not measured.
"""

from __future__ import annotations

import math
import random
import re
import string

import cv2
import numpy as np
from scipy.spatial.transform import Rotation

from . import align
from .head_pose import HeadPose
from .image import to_bgr
from .types import ClassScores, Estimate, FaceBox

# Emotion label (FER-2013's seven, FER+'s contempt) -> hri_msgs/Expression constant (fear is
# 'scared' there). Expression has no contempt: 'skeptical' is the nearest reading of its one-sided
# lip raise, and 'disgusted' stays disgust's, so a consumer can still tell the two FER+ classes apart.
EXPRESSIONS = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "scared",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral",
    "contempt": "skeptical",
}
VALENCE_AROUSAL = {
    "angry": (-0.51, 0.59),
    "disgust": (-0.60, 0.35),
    "fear": (-0.64, 0.60),
    "happy": (0.81, 0.51),
    "sad": (-0.63, -0.27),
    "surprise": (0.40, 0.67),
    "neutral": (0.0, 0.0),
    "contempt": (-0.55, 0.25),  # not in that source: our estimate, unpleasant and a little aroused
}
# Our gender labels -> hri_msgs/SoftBiometrics constants (FEMALE=1, MALE=2).
GENDERS = {"female": 1, "male": 2}
# SoftBiometrics.age_confidence: how likely the true age lies within this many years of the
# estimate, under a normal distribution with the age head's spread.
AGE_TOLERANCE_YEARS = 5.0


def softbiometrics_age(age: Estimate | None) -> tuple[int, float]:
    """SoftBiometrics (age, age_confidence): whole years (at least 1, since 0 means "unknown" in
    REP-155) and the probability that the true age is within AGE_TOLERANCE_YEARS of it; (0, 0.0)
    without an age head."""
    if age is None:
        return 0, 0.0
    years = int(min(max(round(age.value), 1), 255))
    if age.std <= 0:
        return years, 1.0
    return years, math.erf(AGE_TOLERANCE_YEARS / (age.std * math.sqrt(2)))


FACE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# `cropped` images show the detector box grown by this fraction per side (the largest crop margin
# of the shipped heads), so a consumer of the crop can give each head the framing it was
# trained with: face_in_crop() undoes it.
CROP_MARGIN = 0.12


def valid_face_id(face_id: str) -> bool:
    """Usable as a topic name component, as REP-155 ids must be."""
    return bool(FACE_ID.match(face_id))


class FaceIds:
    """Short REP-155 face ids for track ids: 'f' + a two-letter token of this run + the track
    number. Unique and never reused, since track ids never are, and the token keeps a restarted
    node from reusing the ids of the previous run."""

    def __init__(self, token: str | None = None):
        self.token = token or "".join(random.choices(string.ascii_lowercase, k=2))

    def __call__(self, track_id: int) -> str:
        return f"f{self.token}{track_id}"


def expression(scores: ClassScores) -> tuple[str, float, float, float]:
    """(expression constant, confidence, valence, arousal) of an emotion head's output."""
    coords = np.array([VALENCE_AROUSAL.get(label, (0.0, 0.0)) for label in scores.labels])
    valence, arousal = (scores.probs[:, None] * coords).sum(axis=0) / max(scores.probs.sum(), 1e-9)
    return (
        EXPRESSIONS.get(scores.label, scores.label),
        scores.confidence,
        float(valence),
        float(arousal),
    )


def normalized_roi(box: FaceBox, shape) -> tuple[float, float, float, float]:
    height, width = shape[:2]
    return (
        min(max(box.x_min / width, 0.0), 1.0),
        min(max(box.y_min / height, 0.0), 1.0),
        min(max(box.x_max / width, 0.0), 1.0),
        min(max(box.y_max / height, 0.0), 1.0),
    )


def cropped_face(
    frame: np.ndarray, box: FaceBox, width: int = 128, height: int = 128
) -> np.ndarray:
    """REP-155 `cropped`: the square around the box centre, CROP_MARGIN larger per side (clipped
    to the image), scaled to fit width x height, centred and zero-padded. BGR."""
    image = to_bgr(frame)
    side = max(box.width, box.height) * (1 + 2 * CROP_MARGIN)
    cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
    x0, y0 = max(int(round(cx - side / 2)), 0), max(int(round(cy - side / 2)), 0)
    x1 = min(int(round(cx + side / 2)), image.shape[1])
    y1 = min(int(round(cy + side / 2)), image.shape[0])
    crop = image[y0:y1, x0:x1]
    scale = min(width / crop.shape[1], height / crop.shape[0])
    w, h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    out[top : top + h, left : left + w] = cv2.resize(
        crop, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    return out


def face_in_crop(width: int, height: int) -> FaceBox:
    """The face's box inside a `cropped` image: the crop without its CROP_MARGIN."""
    inset = CROP_MARGIN / (1 + 2 * CROP_MARGIN)
    return FaceBox(width * inset, height * inset, width * (1 - inset), height * (1 - inset))


# --- face_<id> and gaze_<id> (REP-155 "Face and Gaze Frames"), from a head_pose.HeadPose whose
# generic-face frame is x towards the subject's left, y down, z into the head.
# face_<id>: x out of the face, z towards the scalp, so y the subject's left.
FACE_AXES = np.array([[0, 1, 0], [0, 0, -1], [-1, 0, 0]], float)
# gaze_<id>: optical convention, z along face_<id>'s x (the head's direction: we do not see the
# eyes), x the subject's right, y down.
GAZE_AXES = np.array([[-1, 0, 0], [0, 1, 0], [0, 0, -1]], float)


def frame_quaternion(pose: HeadPose, axes: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a frame whose axes are those columns of `axes` in the generic face's
    frame, in the camera's frame."""
    return tuple(Rotation.from_matrix(pose.rotation @ axes).as_quat().tolist())


# Our five landmarks (types.LANDMARKS order) -> their slots in hri_msgs/FacialLandmarks
# (RIGHT_PUPIL, LEFT_PUPIL, NOSE, MOUTH_OUTER_RIGHT, MOUTH_OUTER_LEFT). YuNet's eye points are
# the eye centres, the pupils of a forward gaze.
LANDMARK_SLOTS = (68, 69, 30, 48, 54)
FACIAL_LANDMARK_COUNT = 70


def aligned_face(frame: np.ndarray, box: FaceBox, width: int = 128, height: int = 128):
    """REP-155 `aligned`: a square about the box centre, the upright face's width grown by
    CROP_MARGIN per side (about `cropped`'s framing), turned so that the eyes are level as the
    heads' crops are (align.py), centred and zero-padded to width x height. BGR; None without
    landmarks."""
    if box.landmarks is None:
        return None
    side = min(width, height)
    matrix, shrink = align.aligned_matrix(
        box.as_tuple(), box.landmarks, side, CROP_MARGIN, CROP_MARGIN
    )
    out = np.zeros((height, width, 3), np.uint8)
    top, left = (height - side) // 2, (width - side) // 2
    out[top : top + side, left : left + side] = align.warp_face(to_bgr(frame), matrix, shrink, side)
    return out
