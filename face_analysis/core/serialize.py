"""FaceResult -> plain JSON-able dicts (CLI --json, logs, evaluation files)."""

from __future__ import annotations

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


def result_to_dict(result: FaceResult) -> dict:
    box = result.box
    return {
        "box": [round(v, 1) for v in box.as_tuple()],
        "score": round(box.score, 4),
        "track_id": result.track_id,
        "gender": scores_to_dict(result.gender),
        "emotion": scores_to_dict(result.emotion),
        "age": estimate_to_dict(result.age),  # years: expected age and its standard deviation
    }
