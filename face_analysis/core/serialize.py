"""FaceResult -> plain JSON-able dicts (CLI --json, logs, evaluation files)."""

from __future__ import annotations

from .head_pose import HeadPose
from .types import ClassScores, Estimate, FaceResult


def scores_to_dict(scores: ClassScores | None) -> dict | None:
    if scores is None:
        return None
    return {
        "label": scores.label,
        "confidence": round(scores.confidence, 4),
        "probs": {label: round(float(p), 4) for label, p in zip(scores.labels, scores.probs)},
    }


def estimate_to_dict(estimate: Estimate | None) -> dict | None:
    if estimate is None:
        return None
    return {"value": round(estimate.value, 2), "std": round(estimate.std, 2)}


def pose_to_dict(pose: HeadPose | None) -> dict | None:
    """Degrees, metres (camera optical frame) and the looking_at_camera score (head_pose.py)."""
    if pose is None:
        return None
    return {
        "yaw": round(pose.yaw, 1),
        "pitch": round(pose.pitch, 1),
        "roll": round(pose.roll, 1),
        "position": [round(float(v), 3) for v in pose.translation],
        "distance": round(pose.distance, 3),
        "error": round(pose.reprojection_error, 4),
        "looking_at_camera": round(pose.looking_at_camera, 3),
    }


def result_to_dict(result: FaceResult) -> dict:
    box = result.box
    return {
        "box": [round(v, 1) for v in box.as_tuple()],
        "score": round(box.score, 4),
        "track_id": result.track_id,
        "gender": scores_to_dict(result.gender),
        "emotion": scores_to_dict(result.emotion),
        "age": estimate_to_dict(result.age),  # years: expected age and its standard deviation
        "pose": pose_to_dict(result.pose),
        # true: narrower than min_attribute_face_size; gender, emotion and age are null
        "attributes_unknown": result.attributes_unknown,
        **identity_to_dict(result.person_id, result.name, result.identity_confidence),
    }


def identity_to_dict(person_id: str | None, name: str, confidence: float) -> dict:
    """person_id, name ("" unless enrolled) and identity_confidence; nothing when identity is
    off (person_id None), so the records keep their form then."""
    if person_id is None:
        return {}
    return {"person_id": person_id, "name": name, "identity_confidence": round(confidence, 3)}
