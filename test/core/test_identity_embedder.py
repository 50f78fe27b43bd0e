"""The aligned chip and dlib's embedding: the template's points land where dlib's chip puts them,
the model file is checked, and through the pipeline two photos of one person are nearer than the
threshold while two people are farther."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from paths import DATA, require_data

from face_analysis.core.detect import make_detector
from face_analysis.core.errors import ModelError
from face_analysis.core.identity.chip import CHIP_SIZE, chip_points, face_chip, similarity
from face_analysis.core.identity.embedder import (
    DEFAULT_THRESHOLD,
    FaceEmbedder,
    check_model,
    confidence,
)
from face_analysis.offline.photo_embedding import PhotoEmbedder

LFW = DATA / "lfw" / "images"


def test_similarity_recovers_a_turn_scale_and_shift():
    angle, scale, shift = np.radians(20), 1.7, np.array([30.0, -12.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = chip_points()
    matrix = similarity(points, points @ rotation.T + shift)
    assert np.allclose(matrix, np.hstack([rotation, shift[:, None]]))


def test_the_chip_puts_the_landmarks_on_the_template():
    # Five bright dots where a face turned by 15 degrees, 1.4 times the chip's scale, has them.
    angle, scale = np.radians(15), 1.4
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    landmarks = chip_points() @ rotation.T + [120.0, 80.0]
    image = np.zeros((420, 420, 3), np.uint8)
    for x, y in landmarks:
        cv2.circle(image, (round(x), round(y)), 3, (255, 255, 255), -1)
    chip = face_chip(image, landmarks)
    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    for x, y in chip_points():
        around = chip[round(y) - 1 : round(y) + 2, round(x) - 1 : round(x) + 2, 0]
        assert around.mean() > 150, (x, y)  # the dot is there, not beside it
    assert chip[:, :, 0].mean() < 20  # and nowhere else


def test_a_wrong_or_missing_model_file_names_the_file_and_the_fix(tmp_path):
    fake = tmp_path / "dlib_face_recognition_resnet_model_v1.dat"
    fake.write_bytes(b"not the network")
    with pytest.raises(ModelError, match="altered or corrupt.*pip install"):
        check_model(fake)
    with pytest.raises(ModelError, match="not found.*pip install"):
        FaceEmbedder(tmp_path / "missing.dat")


def test_confidence_is_one_half_at_the_threshold_and_falls_with_distance():
    assert confidence(DEFAULT_THRESHOLD) == pytest.approx(0.5)
    assert confidence(0.3) > 0.9 > 0.1 > confidence(0.9)


def test_one_person_is_nearer_than_the_threshold_and_two_are_farther():
    require_data(LFW)
    photos = PhotoEmbedder(make_detector("yunet"), FaceEmbedder())

    def embed(name: str, number: int) -> np.ndarray:
        return photos.embed(cv2.imread(str(LFW / name / f"{name}_{number:04d}.jpg")))

    peirsol, peirsol_again = embed("Aaron_Peirsol", 1), embed("Aaron_Peirsol", 2)
    sorkin = embed("Aaron_Sorkin", 1)
    assert peirsol.shape == (128,) and peirsol.dtype == np.float32
    assert np.linalg.norm(peirsol - peirsol_again) < DEFAULT_THRESHOLD - 0.1
    assert np.linalg.norm(peirsol - sorkin) > DEFAULT_THRESHOLD + 0.05
