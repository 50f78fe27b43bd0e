"""YuNet: our onnxruntime decoding agrees with OpenCV's FaceDetectorYN on the same weights; the
weights file is checked; landmarks are kept with their box."""

import math
import shutil

import cv2
import numpy as np
import pytest
from face_data import TEST_IMAGE_FACES, demo_image, faces_hit
from paths import REPO

from face_analysis.core.align import eye_angle
from face_analysis.core.detect import make_detector
from face_analysis.core.errors import ConfigError, ModelError
from face_analysis.core.types import FaceBox
from face_analysis.core.yunet import YUNET_FILE, default_model_path, fixed_shape_model

DEMO_PHOTOS = [
    "oarriaga_test_image.jpg",
    "solvay_conference_1927_1280.png",
    "astronaut_eileen_collins.png",
    "oarriaga_emotion_classification_annotated.jpg",
]


@pytest.fixture(scope="module")
def yunet():
    """At the network's full resolution, as cv2.FaceDetectorYN runs it (no small face found
    again on its patch)."""
    return make_detector("yunet", downscale=1.0, refine_below=0)


def opencv_faces(path: str, image: np.ndarray) -> np.ndarray:
    """cv2.FaceDetectorYN on the same graph and weights: (N, 4) boxes x0, y0, x1, y1, clipped
    to the image as ours are."""
    height, width = image.shape[:2]
    model = np.frombuffer(fixed_shape_model(path, width, height), np.uint8)
    reference = cv2.FaceDetectorYN.create(
        "onnx", model, np.zeros(0, np.uint8), (width, height), 0.6, 0.3
    )
    faces = reference.detect(image)[1]
    boxes = np.zeros((0, 4)) if faces is None else faces[:, :4].astype(np.float64)
    boxes[:, 2:] += boxes[:, :2]
    return np.clip(boxes, 0, [width, height, width, height])


@pytest.mark.parametrize("name", DEMO_PHOTOS)
def test_decoding_agrees_with_opencv(yunet, name):
    pytest.importorskip("onnx")
    image = demo_image(name)
    ours = np.array([b.as_tuple() for b in yunet.detect(image)]).reshape(-1, 4)
    reference = opencv_faces(yunet.path, image)
    assert len(ours) == len(reference) > 0
    # Every box has a counterpart within 1 px on each side (the order may differ on ties).
    distance = np.abs(ours[:, None, :] - reference[None, :, :]).max(axis=2)
    assert distance.min(axis=1).max() <= 1.0
    assert sorted(distance.argmin(axis=1)) == list(range(len(reference)))


@pytest.mark.parametrize("size", [(640, 480), (2048, 1536)])
def test_default_finds_the_six_faces_of_the_test_photo(size):
    image = cv2.resize(demo_image("oarriaga_test_image.jpg"), size, interpolation=cv2.INTER_AREA)
    centres = [(x * size[0] / 2048, y * size[1] / 1536) for x, y in TEST_IMAGE_FACES]
    boxes = make_detector("yunet").detect(image)
    assert faces_hit(boxes, centres) == len(boxes) == 6


def test_downscale_maps_boxes_and_landmarks_back(yunet):
    image = demo_image("oarriaga_emotion_classification_annotated.jpg")
    full, small = yunet.detect(image), make_detector("yunet", downscale=2.0).detect(image)
    assert len(full) == len(small) == 4
    for a in full:
        b = min(small, key=lambda b: abs(b.x_min - a.x_min) + abs(b.y_min - a.y_min))
        assert np.abs(np.subtract(a.as_tuple(), b.as_tuple())).max() < 0.1 * a.width
        assert np.abs(np.subtract(a.landmarks, b.landmarks)).max() < 0.1 * a.width


def test_any_input_size_and_gray_input(yunet):
    image = demo_image("astronaut_eileen_collins.png")[:333, :301]  # not multiples of 32
    boxes = yunet.detect(image)
    assert len(boxes) == 1
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert len(yunet.detect(gray)) == 1
    assert yunet.detect(np.zeros((50, 70, 3), np.uint8)) == []


def test_landmarks_lie_inside_their_box(yunet):
    boxes = yunet.detect(demo_image("solvay_conference_1927_1280.png"))
    assert len(boxes) >= 25
    for box in boxes:
        points = np.asarray(box.landmarks)
        assert points.shape == (5, 2)
        assert (points[:, 0] >= box.x_min).all() and (points[:, 0] <= box.x_max).all()
        assert (points[:, 1] >= box.y_min).all() and (points[:, 1] <= box.y_max).all()
        assert points[0, 0] < points[1, 0]  # the subject's right eye is on the image's left
    assert len(set(boxes)) == len(boxes)  # FaceBox stays hashable with landmarks


def test_settings_filter(yunet):
    image = demo_image("solvay_conference_1927_1280.png")
    all_faces = yunet.detect(image)
    large = make_detector("yunet", min_size=35, downscale=1.0).detect(image)
    assert 0 < len(large) < len(all_faces)
    assert all(min(b.width, b.height) >= 35 for b in large)
    strict = make_detector("yunet", score_threshold=0.9, downscale=1.0).detect(image)
    assert all(b.score >= 0.9 for b in strict) and len(strict) < len(all_faces)
    with pytest.raises(ConfigError, match="score_threshold must be in"):
        make_detector("yunet", score_threshold=1.5)
    with pytest.raises(ConfigError, match="downscale must be >= 1"):
        make_detector("yunet", downscale=0.5)


def test_default_weights_are_installed_beside_their_licence():
    path = default_model_path()
    assert path.is_file(), "run scripts/setup_env.sh (installs models/yunet/ from ../shared)"
    assert (path.parent / "LICENSE").is_file()
    assert path.relative_to(path.parents[1]).as_posix() == YUNET_FILE


@pytest.fixture
def models_copy(tmp_path):
    """A models/ folder with the manifest and the YuNet file, to alter without touching ours."""
    folder = tmp_path / "models"
    (folder / "yunet").mkdir(parents=True)
    shutil.copy(REPO / "models" / "MANIFEST.json", folder)
    shutil.copy(default_model_path(), folder / YUNET_FILE)
    return folder


def test_altered_weights_fail_with_the_expected_sha256(models_copy):
    path = models_copy / YUNET_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(
        ModelError,
        match=r"yunet_s_dynamic\.onnx: sha256 [0-9a-f]{64} differs from "
        r"daede240.*altered or corrupt.*libfacedetection\.train",
    ):
        make_detector("yunet", model=str(path))


def test_missing_weights_say_where_to_get_them(models_copy):
    path = models_copy / YUNET_FILE
    path.unlink()
    with pytest.raises(
        ModelError,
        match=r"yunet_s_dynamic\.onnx: model file not found; expected "
        r"sha256 daede240.*libfacedetection\.train.*setup_env\.sh",
    ):
        make_detector("yunet", model=str(path))


def test_small_faces_refined_on_an_enlarged_patch_have_finer_landmarks(yunet):
    """The Solvay photo shrunk to 640 px (faces ~24 px): with refine_below, the landmarks of the
    small faces lie closer to those found at 1280 px (halved) than without; faces at or above
    refine_below are left as they were."""
    photo = demo_image("solvay_conference_1927_1280.png")
    small = cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    truth = [np.array(f.landmarks) / 2 for f in yunet.detect(photo)]

    def error(faces):
        """Median landmark distance, px, to the nearest face found at 1280 px."""
        return np.median(
            [min(np.abs(np.array(f.landmarks) - t).sum(1).mean() for t in truth) for f in faces]
        )

    plain, refined = (make_detector("yunet", refine_below=r).detect(small) for r in (0, 32))
    assert len(plain) == len(refined) >= 20 and all(f.width < 32 for f in plain)
    assert error(refined) < 0.8 * error(plain)
    assert make_detector("yunet", refine_below=1).detect(small) == plain  # none is that small
    with pytest.raises(ConfigError, match="refine_below"):
        make_detector("yunet", refine_below=-1)


def test_derotation_turns_only_tilted_faces_and_follows_the_tilt():
    """derotate_above: an upright frame's faces keep their landmarks; on the test photo turned by
    25 degrees the eye lines follow more of the turn than the network's first landmarks do."""
    photo = demo_image("oarriaga_test_image.jpg")
    yunet = make_detector("yunet")
    derotating = make_detector("yunet", derotate_above=45 - 1e-9)  # no face is tilted that far
    assert [f.landmarks for f in derotating.detect(photo)] == [
        f.landmarks for f in yunet.detect(photo)
    ]
    centre = (photo.shape[1] / 2, photo.shape[0] / 2)
    turned = cv2.warpAffine(
        photo, cv2.getRotationMatrix2D(centre, 25, 1.0), photo.shape[1::-1], borderValue=(128,) * 3
    )

    def tilts(detector):
        return [-math.degrees(eye_angle(f.landmarks)) for f in detector.detect(turned)]

    plain, derotated = tilts(yunet), tilts(make_detector("yunet", derotate_above=4))
    assert len(plain) == len(derotated) >= 4
    assert np.median(derotated) > np.median(plain) + 5, (plain, derotated)
    assert abs(np.median(derotated) - 25) < abs(np.median(plain) - 25)
    with pytest.raises(ConfigError, match="derotate_above"):
        make_detector("yunet", derotate_above=90)


def small_solvay() -> np.ndarray:
    """The Solvay photo at 640 px wide: its 29 faces are 15-24 px."""
    photo = demo_image("solvay_conference_1927_1280.png")
    return cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def test_search_finds_the_small_faces_the_shrunk_frame_loses(yunet):
    """search: the small faces of the full-resolution image (all of the 640 px Solvay photo's,
    which the shrunk one partly loses), but no large face of it: on the full-size test photo the
    full resolution alone also finds a shoe."""
    small = small_solvay()
    truth = [
        ((f.x_min + f.x_max) / 4, (f.y_min + f.y_max) / 4)
        for f in yunet.detect(demo_image("solvay_conference_1927_1280.png"))
    ]
    assert len(truth) == 29
    detector = make_detector("yunet")
    plain, searched = detector.detect(small), detector.detect(small, search=True)
    assert faces_hit(plain, truth) <= 24 and faces_hit(searched, truth) >= 28
    photo = demo_image("oarriaga_test_image.jpg")
    assert len(yunet.detect(photo)) == 7  # the shoe, 75 px wide
    assert detector.detect(photo, search=True) == detector.detect(photo)  # 6 faces
    off = make_detector("yunet", refine_below=0)  # no face is small: nothing to search
    assert off.detect(small, search=True) == off.detect(small)


def test_expected_small_faces_are_found_where_they_are():
    """expected boxes (the tracker's predictions), off by a third of a face: each small face is
    found again on its patch, framed as the search frames it; an expected box without a face is
    dropped."""
    small = small_solvay()
    detector = make_detector("yunet")
    searched = detector.detect(small, search=True)
    plain = detector.detect(small)
    shifted = [
        FaceBox(f.x_min + f.width / 3, f.y_min, f.x_max + f.width / 3, f.y_max, f.score)
        for f in searched
    ]
    empty = FaceBox(5, 5, 25, 25)  # the photo's dark corner
    again = detector.detect(small, expected=[*shifted, empty])
    assert len(plain) <= 24 and len(again) >= len(searched) - 1 >= 28
    # The same faces as the search's, framed alike (each in another place on its tile).
    distance = [
        min(np.hypot(a.x_min - s.x_min, a.y_min - s.y_min) for s in searched) / a.width
        for a in again
    ]
    assert max(distance) < 0.25 and np.median(distance) < 0.1
    assert make_detector("yunet", refine_below=0).detect(small, expected=shifted) == (
        make_detector("yunet", refine_below=0).detect(small)
    )
