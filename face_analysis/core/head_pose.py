"""Head pose from the detector's five landmarks: cv2.solvePnP against a generic 3-D face, in the
camera's optical frame (REP-103: x right, y down, z forward), and how likely the head points at
the camera.

The generic face, millimetres, in a frame that coincides with the camera's for a face looking
straight into it (X towards the image's right = the subject's left, Y down, Z away from the
camera), origin at the midpoint of the eyes, which REP-155 takes for the sellion. Adult means:
interpupillary distance 63 mm (Dodgson 2004, "Variation and extrema of human interpupillary
distance", Proc. SPIE 5291: mean 63.4 mm); mouth width (cheilion-cheilion) 50 mm, pupils to
nose tip 35 mm down, pupils to mouth corners 65 mm down, nose tip 20 mm in front of the eyes and
mouth corners level with them (after Farkas 1994, "Anthropometry of the Head and Face", 2nd ed.,
the means of the nasal, upper-face and mouth measurements, rounded). Because the model is metric,
the translation solvePnP finds is the distance; its scale is set mostly by the interocular
distance in pixels, so a person with wider-set eyes than 63 mm appears nearer.

Angles (degrees, camera frame) describe where the face points: the face's forward axis f (out of
the face) in camera coordinates; yaw = atan2(f_x, -f_z), positive when the face turns towards
the image's right (the subject's left); pitch = asin(-f_y), positive when it turns up; roll,
positive when the line from the right to the left eye turns clockwise in the image (as
align.eye_angle measures it for a frontal face). All zero for a face looking straight along
the camera's axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

# The five points in types.LANDMARKS order: right eye, left eye, nose tip, right and left
# mouth corner (the subject's right is on the image's left).
FACE_MODEL_MM = np.array(
    [
        [-31.5, 0.0, 0.0],
        [31.5, 0.0, 0.0],
        [0.0, 35.0, -20.0],
        [-25.0, 65.0, 0.0],
        [25.0, 65.0, 0.0],
    ]
)
# Spread (one standard deviation per axis) of the angle between where the head points and where
# the eyes look, while a person fixates a target: people turn the eyes, not only the head.
HEAD_GAZE_SIGMA_DEG = 12.0
LOOKING_THRESHOLD = 0.5  # looking_at_camera at or above this counts as looking


@dataclass(frozen=True)
class CameraModel:
    """A pinhole camera: focal lengths and principal point in pixels, distortion coefficients as
    OpenCV (and sensor_msgs/CameraInfo plumb_bob) order them, and the image size they are for."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    distortion: tuple[float, ...] = ()

    @staticmethod
    def from_fov(width: int, height: int, horizontal_fov_deg: float) -> CameraModel:
        """The approximate model of an uncalibrated camera: square pixels, the principal point
        at the image centre, no distortion."""
        focal = (width / 2) / math.tan(math.radians(horizontal_fov_deg) / 2)
        return CameraModel(focal, focal, (width - 1) / 2, (height - 1) / 2, width, height)

    def scaled_to(self, width: int, height: int) -> CameraModel:
        """The same camera for images resized to width x height (a calibration of the full
        sensor used on a smaller stream)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        return CameraModel(
            self.fx * sx,
            self.fy * sy,
            (self.cx + 0.5) * sx - 0.5,
            (self.cy + 0.5) * sy - 0.5,
            width,
            height,
            self.distortion,
        )

    @property
    def matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], float)


@dataclass(frozen=True)
class HeadPose:
    """rotation: 3x3, generic-face frame (see the module docstring) -> camera optical frame;
    translation: metres, the eyes' midpoint in the camera frame; reprojection_error: RMS
    pixels between the landmarks and the fitted face's projection, over the interocular
    distance in pixels (scale-free; above ~0.15 the five points disagree with any rigid face)."""

    rotation: np.ndarray
    translation: np.ndarray
    reprojection_error: float

    @staticmethod
    def from_angles(
        yaw: float, pitch: float, roll: float, translation, reprojection_error: float = 0.0
    ) -> HeadPose:
        """The pose with these angles (degrees, as the properties define them) and translation
        (metres), e.g. from a message that carries them."""
        rotation = _rot_y(math.radians(-yaw)) @ _rot_x(math.radians(-pitch))
        return HeadPose(
            rotation @ _rot_z(math.radians(roll)),
            np.asarray(translation, float).reshape(3),
            reprojection_error,
        )

    @property
    def forward(self) -> np.ndarray:
        """Unit vector out of the face, camera frame."""
        return -self.rotation[:, 2]

    @property
    def yaw(self) -> float:
        f = self.forward
        return math.degrees(math.atan2(f[0], -f[2]))

    @property
    def pitch(self) -> float:
        return math.degrees(math.asin(max(-1.0, min(1.0, -self.forward[1]))))

    @property
    def roll(self) -> float:
        # Undo yaw and pitch (R0 takes (0, 0, -1) to f); what is left turns about the line of
        # sight.
        f = self.forward
        theta = math.asin(max(-1.0, min(1.0, f[1])))
        psi = math.atan2(-f[0], -f[2])
        r0 = _rot_y(psi) @ _rot_x(theta)
        rest = r0.T @ self.rotation
        return math.degrees(math.atan2(rest[1, 0], rest[0, 0]))

    @property
    def distance(self) -> float:
        """Metres from the camera's centre to the eyes' midpoint."""
        return float(np.linalg.norm(self.translation))

    @property
    def off_camera_deg(self) -> float:
        """Angle between where the head points and the line from the face to the camera."""
        to_camera = -self.translation / max(self.distance, 1e-9)
        return math.degrees(math.acos(max(-1.0, min(1.0, float(self.forward @ to_camera)))))

    @property
    def looking_at_camera(self) -> float:
        """How plausible it is that the person looks at the camera, from the head alone: the
        share of glances at a target during which the head points at least off_camera_deg away
        from it, if the eyes' offset from the head is an isotropic normal of
        HEAD_GAZE_SIGMA_DEG per axis (a Rayleigh tail, exp(-a^2 / 2 sigma^2)): 1 for a head
        pointing at the camera, 0.5 at 14 degrees off, 0.04 at 30. It does not see the eyes:
        a person facing the camera while looking past it scores high."""
        return math.exp(-0.5 * (self.off_camera_deg / HEAD_GAZE_SIGMA_DEG) ** 2)


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def pose_fields(pose: HeadPose | None) -> dict:
    """The FaceAnalysis message fields of a pose (has_head_pose false and zeros without one), for
    the ROS conversion and the offline results bag alike."""
    if pose is None:
        return {
            "has_head_pose": False,
            **dict.fromkeys(("head_yaw", "head_pitch", "head_roll", "distance"), 0.0),
            "head_position": np.zeros(3, np.float32),
            "head_pose_error": 0.0,
            "looking_at_camera": 0.0,
        }
    return {
        "has_head_pose": True,
        "head_yaw": pose.yaw,
        "head_pitch": pose.pitch,
        "head_roll": pose.roll,
        "head_position": pose.translation.astype(np.float32),
        "distance": pose.distance,
        "head_pose_error": pose.reprojection_error,
        "looking_at_camera": pose.looking_at_camera,
    }


def estimate_head_pose(
    landmarks: Sequence[Sequence[float]], camera: CameraModel
) -> HeadPose | None:
    """The head pose of a face's five landmarks (image pixels, types.LANDMARKS order), or None
    when there is no solution in front of the camera (degenerate points)."""
    points = np.asarray(landmarks, dtype=float).reshape(-1, 2)
    if points.shape != (5, 2) or not np.isfinite(points).all():
        return None
    if np.ptp(points, axis=0).min() < 1.0:  # points on one line or one spot: no face
        return None
    matrix = camera.matrix
    distortion = np.asarray(camera.distortion, float) if camera.distortion else None
    # SQPnP: the global minimum of the reprojection error from as few as three points, with no
    # initial guess (the iterative solver needs six non-planar points to start).
    try:
        ok, rvec, tvec = cv2.solvePnP(
            FACE_MODEL_MM, points, matrix, distortion, flags=cv2.SOLVEPNP_SQPNP
        )
    except cv2.error:  # SQPnP asserts on point sets it cannot solve
        return None
    if not ok or tvec[2, 0] <= 0:
        return None
    projected, _ = cv2.projectPoints(FACE_MODEL_MM, rvec, tvec, matrix, distortion)
    rms = float(np.sqrt(np.mean(np.sum((projected.reshape(-1, 2) - points) ** 2, axis=1))))
    interocular = float(np.linalg.norm(points[1] - points[0]))
    return HeadPose(
        rotation=cv2.Rodrigues(rvec)[0],
        translation=tvec.reshape(3) / 1000.0,
        reprojection_error=rms / max(interocular, 1e-9),
    )
