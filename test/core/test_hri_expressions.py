"""Every label of every shipped emotion head maps onto an hri_msgs/Expression constant and has
valence/arousal coordinates, so REP-155 consumers get a defined expression whatever head runs."""

import numpy as np
import pytest
from paths import MODELS

from face_analysis.core import hri
from face_analysis.core.classify import OnnxHead
from face_analysis.core.types import ClassScores

# hri_msgs/Expression's constants that the mapping may use (test/launch checks the message)
EXPRESSION_CONSTANTS = {
    "neutral",
    "angry",
    "sad",
    "happy",
    "surprised",
    "scared",
    "disgusted",
    "skeptical",
}


@pytest.mark.parametrize("name", ["emotion.onnx", "emotion_robust.onnx", "emotion_ferplus.onnx"])
def test_every_emotion_label_has_an_expression(name):
    labels = OnnxHead(str(MODELS / name)).spec.labels
    assert {hri.EXPRESSIONS[label] for label in labels} <= EXPRESSION_CONSTANTS
    assert set(labels) <= set(hri.VALENCE_AROUSAL)


def test_contempt_is_published_as_skeptical_and_unpleasant():
    labels = ("neutral", "contempt")
    scores = ClassScores(labels=labels, probs=np.array([0.1, 0.9]))
    expression, confidence, valence, _ = hri.expression(scores)
    assert (expression, confidence) == ("skeptical", pytest.approx(0.9)) and valence < 0
