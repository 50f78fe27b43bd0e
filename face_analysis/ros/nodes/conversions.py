"""Core results <-> face_analysis messages."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from face_analysis.msg import (FaceAnalysis, FaceAnalysisArray, FaceDetection,
                               FaceDetectionArray)

from ...core.types import ClassScores, FaceBox, FaceResult


def box_to_msg(box: FaceBox) -> FaceDetection:
    return FaceDetection(x_min=float(box.x_min), y_min=float(box.y_min), x_max=float(box.x_max),
                         y_max=float(box.y_max), score=float(box.score))


def msg_to_box(msg: FaceDetection) -> FaceBox:
    return FaceBox(msg.x_min, msg.y_min, msg.x_max, msg.y_max, msg.score)


def detections_to_msg(header, boxes: Sequence[FaceBox], image_shape) -> FaceDetectionArray:
    return FaceDetectionArray(header=header, image_height=image_shape[0],
                              image_width=image_shape[1],
                              detections=[box_to_msg(b) for b in boxes])


def results_to_msg(header, results: Sequence[FaceResult],
                   labels: dict[str, tuple[str, ...]]) -> FaceAnalysisArray:
    msg = FaceAnalysisArray(header=header, emotion_labels=list(labels.get("emotion", ())),
                            gender_labels=list(labels.get("gender", ())))
    for result in results:
        face = FaceAnalysis(detection=box_to_msg(result.box), track_id=int(result.track_id))
        if result.gender is not None:
            face.gender, face.gender_confidence = result.gender.label, result.gender.confidence
            face.gender_probabilities = result.gender.probs.astype(np.float32).tolist()
        if result.emotion is not None:
            face.emotion, face.emotion_confidence = result.emotion.label, result.emotion.confidence
            face.emotion_probabilities = result.emotion.probs.astype(np.float32).tolist()
        msg.faces.append(face)
    return msg


def _scores(labels: Sequence[str], probs) -> Optional[ClassScores]:
    if not labels or len(probs) != len(labels):
        return None
    return ClassScores(tuple(labels), np.asarray(probs, dtype=np.float32))


def msg_to_results(msg: FaceAnalysisArray) -> list[FaceResult]:
    return [FaceResult(box=msg_to_box(face.detection), track_id=face.track_id,
                       emotion=_scores(msg.emotion_labels, face.emotion_probabilities),
                       gender=_scores(msg.gender_labels, face.gender_probabilities))
            for face in msg.faces]
