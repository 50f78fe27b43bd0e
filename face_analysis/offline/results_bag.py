"""Our `faces/analysis` output (face_analysis/msg/FaceAnalysisArray) written into a bag, the
same messages the ROS pipeline would publish for each recorded frame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.head_pose import pose_fields
from ..core.types import ClassScores, FaceResult, estimate_fields, landmark_array
from .bag_writer import header, open_writer
from .typestore import FACE_ANALYSIS_ARRAY, typestore

TOPIC = "/faces/analysis"


def _head(scores: ClassScores | None) -> tuple[str, float, np.ndarray]:
    if scores is None:
        return "", 0.0, np.zeros(0, dtype=np.float32)
    return scores.label, scores.confidence, np.asarray(scores.probs, dtype=np.float32)


class ResultsBagWriter:
    def __init__(
        self,
        path: str | Path,
        labels: dict[str, Sequence[str]],
        storage: str = "mcap",
        topic: str = TOPIC,
    ):
        self.path = Path(path)
        self.labels = {head: list(labels.get(head, ())) for head in ("emotion", "gender")}
        self._writer = open_writer(path, storage)
        self._connection = self._writer.add_connection(
            topic, FACE_ANALYSIS_ARRAY, typestore=typestore()
        )

    def write(self, stamp_ns: int, frame_id: str, results: Sequence[FaceResult]) -> None:
        store = typestore()
        types = store.types
        faces = []
        for result in results:
            box = result.box
            gender, gender_conf, gender_probs = _head(result.gender)
            emotion, emotion_conf, emotion_probs = _head(result.emotion)
            age, age_std = estimate_fields(result.age)
            faces.append(
                types["face_analysis/msg/FaceAnalysis"](
                    detection=types["face_analysis/msg/FaceDetection"](
                        x_min=box.x_min,
                        y_min=box.y_min,
                        x_max=box.x_max,
                        y_max=box.y_max,
                        score=box.score,
                        landmarks=landmark_array(box),
                    ),
                    track_id=result.track_id,
                    gender=gender,
                    gender_confidence=gender_conf,
                    gender_probabilities=gender_probs,
                    emotion=emotion,
                    emotion_confidence=emotion_conf,
                    emotion_probabilities=emotion_probs,
                    age=age,
                    age_std=age_std,
                    attributes_unknown=result.attributes_unknown,
                    **pose_fields(result.pose),
                    person_id=result.person_id or "",
                    name=result.name,
                    identity_confidence=result.identity_confidence,
                )
            )
        msg = types[FACE_ANALYSIS_ARRAY](
            header=header(stamp_ns, frame_id),
            emotion_labels=self.labels["emotion"],
            gender_labels=self.labels["gender"],
            faces=faces,
        )
        self._writer.write(
            self._connection, stamp_ns, store.serialize_cdr(msg, FACE_ANALYSIS_ARRAY)
        )

    def close(self) -> None:
        self._writer.close()
