"""Core results <-> face_analysis messages, and the faces as vision_msgs detections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from vision_msgs.msg import Detection2D, Detection2DArray, ObjectHypothesisWithPose

from face_analysis.msg import FaceAnalysis, FaceAnalysisArray, FaceDetection, FaceDetectionArray

from ...core.head_pose import HeadPose, pose_fields
from ...core.types import (
    LANDMARKS,
    ClassScores,
    Estimate,
    FaceBox,
    FaceResult,
    estimate_fields,
    landmark_array,
)


def box_to_msg(box: FaceBox) -> FaceDetection:
    return FaceDetection(
        x_min=float(box.x_min),
        y_min=float(box.y_min),
        x_max=float(box.x_max),
        y_max=float(box.y_max),
        score=float(box.score),
        landmarks=landmark_array(box).tolist(),
    )


def msg_to_box(msg: FaceDetection) -> FaceBox:
    """The box with its landmarks, so face_classifier aligns the crop as the single-process
    pipeline does; a landmark list of any other length than five pairs gives none."""
    points = [float(v) for v in msg.landmarks]
    landmarks = (
        tuple(zip(points[0::2], points[1::2])) if len(points) == 2 * len(LANDMARKS) else None
    )
    return FaceBox(msg.x_min, msg.y_min, msg.x_max, msg.y_max, msg.score, landmarks)


def detections_to_msg(header, boxes: Sequence[FaceBox], image_shape) -> FaceDetectionArray:
    return FaceDetectionArray(
        header=header,
        image_height=image_shape[0],
        image_width=image_shape[1],
        detections=[box_to_msg(b) for b in boxes],
    )


def detections_2d_to_msg(
    header, boxes: Sequence[FaceBox], track_ids: Mapping[FaceBox, int] | None = None
) -> Detection2DArray:
    """The boxes as vision_msgs detections of class "face": box centre and size in pixels, the
    detector's score, and `id` the track id where the box has one (else empty).

    The nodes publish it on every frame, not only while subscribed: it is a few hundred bytes
    built in microseconds, and a consumer that subscribes late gets the very next frame."""
    msg, track_ids = Detection2DArray(header=header), track_ids or {}
    for box in boxes:
        face = Detection2D(header=header, id=str(track_ids[box]) if box in track_ids else "")
        face.bbox.center.position.x = (box.x_min + box.x_max) / 2.0
        face.bbox.center.position.y = (box.y_min + box.y_max) / 2.0
        face.bbox.size_x, face.bbox.size_y = float(box.width), float(box.height)
        hypothesis = ObjectHypothesisWithPose()
        hypothesis.hypothesis.class_id, hypothesis.hypothesis.score = "face", float(box.score)
        face.results.append(hypothesis)
        msg.detections.append(face)
    return msg


def results_to_msg(
    header, results: Sequence[FaceResult], labels: dict[str, tuple[str, ...]]
) -> FaceAnalysisArray:
    msg = FaceAnalysisArray(
        header=header,
        emotion_labels=list(labels.get("emotion", ())),
        gender_labels=list(labels.get("gender", ())),
    )
    for result in results:
        face = FaceAnalysis(detection=box_to_msg(result.box), track_id=int(result.track_id))
        face.age, face.age_std = estimate_fields(result.age)
        face.attributes_unknown = result.attributes_unknown
        if result.gender is not None:
            face.gender, face.gender_confidence = result.gender.label, result.gender.confidence
            face.gender_probabilities = result.gender.probs.astype(np.float32).tolist()
        if result.emotion is not None:
            face.emotion, face.emotion_confidence = result.emotion.label, result.emotion.confidence
            face.emotion_probabilities = result.emotion.probs.astype(np.float32).tolist()
        for name, value in pose_fields(result.pose).items():
            setattr(face, name, value)
        face.person_id, face.name = result.person_id or "", result.name
        face.identity_confidence = float(result.identity_confidence)
        msg.faces.append(face)
    return msg


def msg_to_pose(face: FaceAnalysis) -> HeadPose | None:
    if not face.has_head_pose:
        return None
    return HeadPose.from_angles(
        face.head_yaw, face.head_pitch, face.head_roll, face.head_position, face.head_pose_error
    )


def _scores(labels: Sequence[str], probs) -> ClassScores | None:
    if not labels or len(probs) != len(labels):
        return None
    return ClassScores(tuple(labels), np.asarray(probs, dtype=np.float32))


def msg_to_results(msg: FaceAnalysisArray) -> list[FaceResult]:
    return [
        FaceResult(
            box=msg_to_box(face.detection),
            track_id=face.track_id,
            emotion=_scores(msg.emotion_labels, face.emotion_probabilities),
            gender=_scores(msg.gender_labels, face.gender_probabilities),
            age=Estimate.from_fields(face.age, face.age_std),
            pose=msg_to_pose(face),
            attributes_unknown=face.attributes_unknown,
            person_id=face.person_id or None,
            name=face.name,
            identity_confidence=face.identity_confidence,
        )
        for face in msg.faces
    ]
