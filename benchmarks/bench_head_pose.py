"""The five-landmark head pose (core/head_pose.py) against an independent estimate: MediaPipe's
face mesh (mediapipe==0.10.14, its model inside the wheel) on the same faces. The mesh's 468
points carry a depth, so its head axes come from the points themselves, not from a fitted model:
x from the right to the left eye corners, y from the eyes' to the mouth corners' midpoint made
perpendicular to x (the generic face's own y: its mouth corners lie level in depth with the
eyes), z = x cross y; its weak-perspective view is turned onto the ray through the face, as the
camera sees it. No ground truth: the table says how far two methods agree.

1. The bundled recording (samples/faces_demo, 640x480, camera model: 60 degree field of view):
   every YuNet face, the mesh run on a 256 px square around it (twice the box width; the mesh's
   own detector misses most of these small faces in the whole frame) and kept when its nose tip
   lies within a tenth of the box width of YuNet's.
2. The UTKFace test split (../shared/data/utkface_gray64.npz, split 2): each 64 px face
   upscaled onto a 256 px gray canvas (bench_alignment.py's canvas), YuNet's central face and the
   mesh's one face.

3. In-plane rotation, which the pose should follow exactly: each face of the test photo, ~150 px
   wide on a 1280x960 gray frame at the principal point, turned by -30, -15, 15 and 30 degrees;
   how much of each turn YuNet's eye line and the pose's roll follow (the rest is YuNet's), by
   default and with each `--derotate` value as yunet.derotate_above (landmarks found again on
   the face turned upright), with that setting's detector time on the bundled recording against
   the default's, timed in alternating rounds of the same run; the recording's row is repeated
   with each of those settings.

Per set: faces compared, the median and 90th percentile of the angle between the two head
directions (where the face points, what looking_at_camera and gaze_<id> use) and of the whole
rotation between them, and the median signed yaw/pitch/roll differences (five points minus
mesh: a constant offset is a difference of conventions, e.g. the forehead-chin line's tilt).
Last, the time of one five-point pose against one face mesh run, in the same run.

    python benchmarks/bench_head_pose.py [--limit N] [--derotate 4,6] [--rotation-only]
"""

from __future__ import annotations

import argparse
import math

import cv2
import mediapipe as mp
import numpy as np
from bench_alignment import CANVAS, central_face, turned_canvas
from timing import DATA, REPO, machine_note, median_seconds, recording_cost

from face_analysis.core.detect import make_detector
from face_analysis.core.head_pose import CameraModel, HeadPose, estimate_head_pose
from face_analysis.offline.bag_reader import ImageBag

RIGHT_EYE, LEFT_EYE = (33, 133), (263, 362)  # outer and inner corners (the subject's sides)
MOUTH_CORNERS, NOSE_TIP = (61, 291), 1
CROP = 256  # pixels: the square the mesh runs on around a recording's face


def mesh_points(image: np.ndarray, mesh) -> list[np.ndarray]:
    """Each found face's 468 points in pixels (depth z scaled as x)."""
    rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB if image.ndim == 2 else cv2.COLOR_BGR2RGB)
    found = mesh.process(rgb).multi_face_landmarks or []
    height, width = image.shape[:2]
    return [
        np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark])
        for face in found
    ]


def mesh_pose(points: np.ndarray, camera: CameraModel) -> HeadPose:
    x = points[list(LEFT_EYE)].sum(0) - points[list(RIGHT_EYE)].sum(0)
    x /= np.linalg.norm(x)
    eyes = points[list(RIGHT_EYE + LEFT_EYE)].mean(0)
    down = points[list(MOUTH_CORNERS)].mean(0) - eyes
    y = down - (down @ x) * x
    y /= np.linalg.norm(y)
    view = np.column_stack([x, y, np.cross(x, y)])
    # The mesh's depth is along the ray through the face (weak perspective): turn the camera's
    # axis onto that ray.
    ray = np.linalg.solve(camera.matrix, np.array([*eyes[:2], 1.0]))
    ray /= np.linalg.norm(ray)
    axis = np.cross([0.0, 0.0, 1.0], ray)
    angle = math.asin(min(1.0, np.linalg.norm(axis)))
    turn = cv2.Rodrigues(axis / max(np.linalg.norm(axis), 1e-12) * angle)[0]
    return HeadPose(turn @ view, ray, 0.0)


def compare(ours: HeadPose, mesh: HeadPose) -> tuple[float, ...]:
    direction = math.degrees(math.acos(np.clip(ours.forward @ mesh.forward, -1.0, 1.0)))
    relative = ours.rotation.T @ mesh.rotation
    rotation = math.degrees(math.acos(np.clip((np.trace(relative) - 1) / 2, -1.0, 1.0)))
    signed = [
        (getattr(ours, a) - getattr(mesh, a) + 180) % 360 - 180 for a in ("yaw", "pitch", "roll")
    ]
    return (direction, rotation, *signed)


def mesh_around(image: np.ndarray, box, mesh) -> list[np.ndarray]:
    """The mesh of a CROP x CROP square, twice the box wide, about the box centre (image pixels;
    outside the image: gray)."""
    scale = CROP / (2 * box.width)
    cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
    to_crop = np.array([[scale, 0, CROP / 2 - scale * cx], [0, scale, CROP / 2 - scale * cy]])
    crop = cv2.warpAffine(image, to_crop, (CROP, CROP), borderValue=(128, 128, 128))
    found = mesh_points(crop, mesh)
    for points in found:  # back to image pixels; depth scales as x
        points[:, 0] = (points[:, 0] - to_crop[0, 2]) / scale
        points[:, 1] = (points[:, 1] - to_crop[1, 2]) / scale
        points[:, 2] /= scale
    return found


def recording(detector, mesh, limit: int) -> tuple[list, int]:
    rows, faces = [], 0
    with ImageBag(REPO / "samples" / "faces_demo") as bag:
        for index, frame in enumerate(bag.frames()):
            if limit and index >= limit:
                break
            image = frame.image()
            camera = CameraModel.from_fov(image.shape[1], image.shape[0], 60.0)
            for box in detector.detect(image):
                faces += 1
                nose = np.asarray(box.landmarks[2])
                near = [
                    m
                    for m in mesh_around(image, box, mesh)
                    if np.linalg.norm(m[NOSE_TIP, :2] - nose) < box.width / 10
                ]
                ours = estimate_head_pose(box.landmarks, camera)
                if near and ours is not None:
                    rows.append(compare(ours, mesh_pose(near[0], camera)))
    return rows, faces


def utkface(detector, mesh, limit: int) -> tuple[list, int]:
    utk = np.load(DATA / "utkface_gray64.npz")
    images = utk["images"][utk["split"] == 2]
    images = images[:limit] if limit else images
    camera = CameraModel.from_fov(CANVAS, CANVAS, 60.0)
    rows = []
    for face in images:
        canvas = turned_canvas(face, 0.0)
        box, meshes = central_face(detector, canvas), mesh_points(canvas, mesh)
        ours = estimate_head_pose(box.landmarks, camera) if box is not None else None
        if ours is not None and len(meshes) == 1:
            rows.append(compare(ours, mesh_pose(meshes[0], camera)))
    return rows, len(images)


def report(name: str, rows: list, faces: int) -> str:
    values = np.asarray(rows)
    direction, rotation = values[:, 0], values[:, 1]
    bias = np.median(values[:, 2:], axis=0)
    return (
        f"| {name} | {len(rows)} of {faces} | {np.median(direction):.1f} | "
        f"{np.percentile(direction, 90):.1f} | {np.median(rotation):.1f} | "
        f"{np.percentile(rotation, 90):.1f} | {bias[0]:+.1f} / {bias[1]:+.1f} / {bias[2]:+.1f} |"
    )


def in_plane_rotation(detector) -> str:
    photo = cv2.imread(str(DATA / "demo" / "oarriaga_test_image.jpg"))
    camera = CameraModel.from_fov(1280, 960, 60.0)
    followed = []
    for box in detector.detect(photo):
        cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
        scale = 150 / box.width
        to_frame = np.array(
            [[scale, 0, camera.cx - scale * cx], [0, scale, camera.cy - scale * cy]]
        )
        frame = cv2.warpAffine(photo, to_frame, (1280, 960), borderValue=(128, 128, 128))
        rolls = {}
        for angle in (-30, -15, 0, 15, 30):
            turn = cv2.getRotationMatrix2D((camera.cx, camera.cy), angle, 1.0)
            turned = cv2.warpAffine(frame, turn, (1280, 960), borderValue=(128, 128, 128))
            near = [
                b
                for b in detector.detect(turned)
                if abs((b.x_min + b.x_max) / 2 - camera.cx) < 40
                and abs((b.y_min + b.y_max) / 2 - camera.cy) < 40
            ]
            if near:
                rolls[angle] = estimate_head_pose(near[0].landmarks, camera).roll
        if 0 in rolls:  # a positive getRotationMatrix2D angle turns counter-clockwise
            followed += [(rolls[0] - r) / a for a, r in rolls.items() if a]
    values = np.asarray(followed)
    return (
        f"in-plane rotation: the roll follows a median {np.median(values):.0%} of the turn "
        f"(10th-90th percentile {np.percentile(values, 10):.0%}-{np.percentile(values, 90):.0%},"
        f" {len(values)} turned faces)"
    )


def timing(detector, mesh) -> str:
    canvas = turned_canvas(np.load(DATA / "utkface_gray64.npz")["images"][0], 0.0)
    box = central_face(detector, canvas)
    camera = CameraModel.from_fov(CANVAS, CANVAS, 60.0)
    pose_s = median_seconds(lambda: estimate_head_pose(box.landmarks, camera), number=200)
    mesh_s = median_seconds(lambda: mesh_points(canvas, mesh), number=5)
    return (
        f"one five-point pose {pose_s * 1e3:.3f} ms; one face mesh run (256 px image, one face) "
        f"{mesh_s * 1e3:.1f} ms = {mesh_s / pose_s:.0f}x the pose ({machine_note()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="frames / test faces per set (0: all)")
    parser.add_argument(
        "--derotate",
        type=lambda t: [float(v) for v in t.split(",")],
        default=[4.0, 6.0],
        help="yunet.derotate_above values for the in-plane rotation lines",
    )
    parser.add_argument("--rotation-only", action="store_true", help="skip the face mesh sets")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    if not args.rotation_only:
        print(
            "| faces | compared | direction median | p90 | rotation median | p90 | "
            "yaw / pitch / roll offset |"
        )
        print("|---|---|---|---|---|---|---|")
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1) as mesh:
            print(report("recording", *recording(make_detector("yunet"), mesh, args.limit)))
            for degrees in args.derotate:
                rows = recording(make_detector("yunet", derotate_above=degrees), mesh, args.limit)
                print(report(f"recording, derotate_above {degrees:g}", *rows))
            detector = make_detector("yunet", downscale=1.0)  # the canvas is small already
            print(report("UTKFace test", *utkface(detector, mesh, args.limit)))
            print("(degrees)")
            print(timing(detector, mesh))
    print(in_plane_rotation(make_detector("yunet")))
    for degrees in args.derotate:
        settings = {"derotate_above": degrees}
        print(f"{settings}: {in_plane_rotation(make_detector('yunet', **settings))}")
        print(recording_cost(settings, 5))


if __name__ == "__main__":
    main()
