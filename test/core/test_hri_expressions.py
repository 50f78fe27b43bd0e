"""Every label of every shipped emotion head maps onto an hri_msgs/Expression constant and has
valence/arousal coordinates, so REP-155 consumers get a defined expression whatever head runs;
each label's constant and coordinates are the documented ones (docs/ros-api.md, core/hri.py)."""

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

HEADS = ["emotion.onnx", "emotion_robust.onnx", "emotion_ferplus.onnx"]
# The documented mapping, label -> (Expression constant, valence, arousal): fear is 'scared',
# disgust 'disgusted', surprise 'surprised', contempt 'skeptical'; the coordinates on Russell's
# circumplex after Russell & Mehrabian (1977), contempt's our own estimate.
DOCUMENTED = {
    "angry": ("angry", -0.51, 0.59),
    "disgust": ("disgusted", -0.60, 0.35),
    "fear": ("scared", -0.64, 0.60),
    "happy": ("happy", 0.81, 0.51),
    "sad": ("sad", -0.63, -0.27),
    "surprise": ("surprised", 0.40, 0.67),
    "neutral": ("neutral", 0.0, 0.0),
    "contempt": ("skeptical", -0.55, 0.25),
}


def head_labels(name: str) -> tuple[str, ...]:
    return OnnxHead(str(MODELS / name)).spec.labels


@pytest.mark.parametrize("name", HEADS)
def test_every_emotion_label_has_an_expression(name):
    labels = head_labels(name)
    assert {hri.EXPRESSIONS[label] for label in labels} <= EXPRESSION_CONSTANTS
    assert set(labels) <= set(hri.VALENCE_AROUSAL)


def test_contempt_is_published_as_skeptical_and_unpleasant():
    labels = ("neutral", "contempt")
    scores = ClassScores(labels=labels, probs=np.array([0.1, 0.9]))
    expression, confidence, valence, _ = hri.expression(scores)
    assert (expression, confidence) == ("skeptical", pytest.approx(0.9)) and valence < 0


def test_the_tables_are_the_documented_ones():
    assert hri.EXPRESSIONS == {label: e for label, (e, _, _) in DOCUMENTED.items()}
    assert hri.VALENCE_AROUSAL == {label: (v, a) for label, (_, v, a) in DOCUMENTED.items()}


@pytest.mark.parametrize("name", HEADS)
def test_each_label_of_each_head_gives_its_documented_expression(name):
    """A certain face of each label, in the head's own label order: that label's constant,
    confidence 1 and its coordinates; an even mix of two labels: their midpoint."""
    labels = head_labels(name)
    for index, label in enumerate(labels):
        expression, confidence, valence, arousal = hri.expression(
            ClassScores(labels=labels, probs=np.eye(len(labels))[index])
        )
        want, want_valence, want_arousal = DOCUMENTED[label]
        assert (expression, confidence) == (want, 1.0), label
        assert (valence, arousal) == pytest.approx((want_valence, want_arousal)), label
    first, second = DOCUMENTED[labels[0]], DOCUMENTED[labels[1]]
    probs = np.zeros(len(labels))
    probs[:2] = 0.5
    _, _, valence, arousal = hri.expression(ClassScores(labels=labels, probs=probs))
    assert valence == pytest.approx((first[1] + second[1]) / 2)
    assert arousal == pytest.approx((first[2] + second[2]) / 2)
