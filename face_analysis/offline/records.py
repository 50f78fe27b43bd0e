"""Per-frame result records, one JSON line each: the shared currency of `evaluate` (made from
FaceResults) and the result recorder (made from FaceAnalysisArray messages), so one summary
implementation serves both.

    {"frame": 12, "stamp_ns": 1700000001200000000, "frame_id": "camera", "latency_ms": 8.1,
     "faces": [<face_analysis.core.serialize.result_to_dict(...)>, ...]}
    {"frame": 13, "stamp_ns": ..., "frame_id": "...", "skipped": "unsupported encoding ..."}
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.serialize import estimate_to_dict, identity_to_dict, result_to_dict
from ..core.types import Estimate, FaceResult


def frame_record(
    frame: int,
    stamp_ns: int,
    frame_id: str,
    results: Sequence[FaceResult],
    latency_ms: float | None = None,
) -> dict:
    record = {
        "frame": frame,
        "stamp_ns": stamp_ns,
        "frame_id": frame_id,
        "faces": [result_to_dict(r) for r in results],
    }
    if latency_ms is not None:
        record["latency_ms"] = round(latency_ms, 3)
    return record


def skipped_record(frame: int, stamp_ns: int, frame_id: str, reason: str) -> dict:
    return {"frame": frame, "stamp_ns": stamp_ns, "frame_id": frame_id, "skipped": reason}


def _scores(
    label: str, confidence: float, labels: Sequence[str], probs: Sequence[float]
) -> dict | None:
    if not label:
        return None  # that head did not run
    return {
        "label": str(label),
        "confidence": round(float(confidence), 4),
        "probs": {str(name): round(float(p), 4) for name, p in zip(labels, probs)},
    }


def analysis_msg_record(frame: int, msg) -> dict:
    """A face_analysis/msg/FaceAnalysisArray (rclpy or rosbags object) as a frame record."""
    stamp = msg.header.stamp
    faces = []
    for face in msg.faces:
        det = face.detection
        faces.append(
            {
                "box": [round(float(v), 1) for v in (det.x_min, det.y_min, det.x_max, det.y_max)],
                "score": round(float(det.score), 4),
                "track_id": int(face.track_id),
                "gender": _scores(
                    face.gender,
                    face.gender_confidence,
                    msg.gender_labels,
                    face.gender_probabilities,
                ),
                "emotion": _scores(
                    face.emotion,
                    face.emotion_confidence,
                    msg.emotion_labels,
                    face.emotion_probabilities,
                ),
                "age": estimate_to_dict(Estimate.from_fields(face.age, face.age_std)),
                **identity_to_dict(
                    str(face.person_id) or None, str(face.name), float(face.identity_confidence)
                ),
            }
        )
    return {
        "frame": frame,
        "stamp_ns": int(stamp.sec) * 10**9 + int(stamp.nanosec),
        "frame_id": str(msg.header.frame_id),
        "faces": faces,
    }
