"""FaceAnalyzer: the whole pipeline, its split halves (as the ROS nodes use them), configuration."""

import cv2
import numpy as np
import pytest
from face_data import HAS_MEDIAPIPE, TEST_IMAGE_FACES, demo_image, faces_hit

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.config import AnalyzerConfig, with_heads
from face_analysis.core.detect import make_detector
from face_analysis.core.errors import ConfigError, DetectorUnavailableError, ModelError
from face_analysis.core.global_motion import GlobalMotion
from face_analysis.core.types import FaceBox


def config(models, **overrides):
    settings = dict(emotion_model=models["emotion"], gender_model=models["gender"])
    return AnalyzerConfig(**{**settings, **overrides})


def test_analyze_the_test_photo(standin_models):
    results = FaceAnalyzer(config(standin_models)).analyze(demo_image("oarriaga_test_image.jpg"))
    assert faces_hit([r.box for r in results], TEST_IMAGE_FACES) == 6
    assert sorted(r.track_id for r in results) == [1, 2, 3, 4, 5, 6]
    assert all(r.emotion is not None and r.gender is not None for r in results)


def test_split_steps_equal_analyze(standin_models):
    image = demo_image("oarriaga_test_image.jpg")
    whole = FaceAnalyzer(config(standin_models)).analyze(image)
    detector_side = FaceAnalyzer(
        config(standin_models, emotion_model=None, gender_model=None, age_model=None)
    )
    classifier_side = FaceAnalyzer(config(standin_models, detector=None))
    assert detector_side.classifier is None and classifier_side.detector is None
    boxes = detector_side.detect(image)
    # Boxes cross the process boundary with their landmarks (the detection message carries them,
    # ros/outputs/conversions.py rebuilds the FaceBox), so both sides align the crops alike.
    assert all(b.landmarks is not None for b in boxes)
    split = classifier_side.classify(image, boxes)
    assert [r.box for r in split] == [r.box for r in whole]
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a.emotion.probs, b.emotion.probs)
        assert a.track_id == b.track_id
    assert classifier_side.labels["gender"] == ("male", "female")
    with pytest.raises(ConfigError, match="without a detector"):
        classifier_side.detect(image)


def test_detection_only_analyzer_still_tracks(standin_models):
    analyzer = FaceAnalyzer(
        config(standin_models, emotion_model=None, gender_model=None, age_model=None)
    )
    results = analyzer.analyze(demo_image("astronaut_eileen_collins.png"))
    assert len(results) == 1 and results[0].track_id == 1 and results[0].gender is None
    assert analyzer.labels == {}


def test_ids_stable_while_the_camera_pans(standin_models):
    """A synthetic moving sequence: a 640x480 window sliding over the group photo."""
    photo = cv2.resize(demo_image("oarriaga_test_image.jpg"), (1024, 768))
    analyzer = FaceAnalyzer(config(standin_models))
    ids_per_frame = []
    for step in range(12):
        x = 150 + 8 * step
        frame = np.ascontiguousarray(photo[100:580, x : x + 640])
        ids_per_frame.append(sorted(r.track_id for r in analyzer.analyze(frame)))
    all_ids = set().union(*map(set, ids_per_frame))
    assert len(ids_per_frame[0]) >= 3
    # faces that stay in view keep their ids: hardly any new id appears after the first frame
    assert len(all_ids) <= len(ids_per_frame[0]) + 2
    analyzer.reset()
    assert analyzer.tracker.tracks == []


def test_max_faces_keeps_the_largest(standin_models):
    analyzer = FaceAnalyzer(config(standin_models, max_faces=1))
    boxes = analyzer.detect(demo_image("oarriaga_test_image.jpg"))
    assert len(boxes) == 1 and faces_hit(boxes, [(1055, 1135)]) == 1  # the selfie face


def test_injected_detector(standin_models):
    class Fixed:
        def detect(self, image):
            return [FaceBox(10, 10, 90, 90, 0.9), FaceBox(100, 10, 190, 90, 0.2)]

    analyzer = FaceAnalyzer(config(standin_models, min_detection_score=0.5), detector=Fixed())
    assert analyzer.detect(np.zeros((200, 200, 3), np.uint8)) == [FaceBox(10, 10, 90, 90, 0.9)]


def test_only_kept_faces_are_classified_and_low_scores_only_continue_tracks(standin_models):
    class Scripted:  # one list of boxes per frame
        def __init__(self, frames):
            self.frames = iter(frames)

        def detect(self, image):
            return next(self.frames)

    face, clutter = (10, 10, 90, 90), (120, 10, 190, 80)
    detector = Scripted(
        [
            [FaceBox(*face, 0.9), FaceBox(*clutter, 0.3)],
            [FaceBox(*face, 0.3), FaceBox(*clutter, 0.3)],
        ]
    )
    analyzer = FaceAnalyzer(config(standin_models, track_high_score=0.5), detector=detector)
    classified = []
    classify = analyzer.classifier.classify

    def counting(frame, boxes, skip=None):
        classified.append(len(boxes))
        return classify(frame, boxes, skip)

    analyzer.classifier.classify = counting
    image = np.zeros((200, 200, 3), np.uint8)
    first = analyzer.analyze(image)
    assert [(r.box.as_tuple(), r.track_id) for r in first] == [(face, 1)]
    # The face, now weak, keeps its track; the clutter never starts one.
    second = analyzer.analyze(image)
    assert [(r.box.as_tuple(), r.box.score, r.track_id) for r in second] == [(face, 0.3, 1)]
    assert classified == [1, 1]
    assert second[0].gender is not None


def test_configuration_errors(standin_models, tmp_path):
    with pytest.raises(ConfigError, match="min_detection_score"):
        FaceAnalyzer(config(standin_models, min_detection_score=2))
    with pytest.raises(ConfigError, match="max_faces"):
        FaceAnalyzer(config(standin_models, max_faces=-1))
    with pytest.raises(ConfigError, match="track_high_score"):
        FaceAnalyzer(config(standin_models, track_high_score=1.5))
    with pytest.raises(ConfigError, match="smoothing_alpha"):
        FaceAnalyzer(config(standin_models, smoothing_alpha=0))
    with pytest.raises(ConfigError, match="detector='dlib' is not one of"):
        FaceAnalyzer(config(standin_models, detector="dlib"))
    with pytest.raises(ConfigError, match="accepted settings"):
        FaceAnalyzer(config(standin_models, detector_settings={"scalefactor": 1.2}))
    with pytest.raises(ModelError, match="missing.onnx: model file not found"):
        FaceAnalyzer(config(standin_models, gender_model=str(tmp_path / "missing.onnx")))
    if not HAS_MEDIAPIPE:
        with pytest.raises(DetectorUnavailableError, match="mediapipe"):
            FaceAnalyzer(config(standin_models, detector="blazeface"))


def test_real_models_give_plausible_labels(real_models):
    """5 men and 1 woman (second from the left) on the paper repo's test photo."""
    results = FaceAnalyzer(config(real_models)).analyze(demo_image("oarriaga_test_image.jpg"))
    assert faces_hit([r.box for r in results], TEST_IMAGE_FACES) == 6
    woman = [r for r in results if faces_hit([r.box], [TEST_IMAGE_FACES[1]])]
    assert [r.gender.label for r in woman] == ["female"]
    assert sorted(r.gender.label for r in results) == ["female"] + ["male"] * 5
    for r in results:
        assert r.emotion.probs.sum() == pytest.approx(1.0, abs=1e-4)


def test_detect_every_k_carries_faces_and_labels_between_detections(standin_models):
    """detect_every=3 on a panning window: the detector runs on frames 0, 3, 6, ...; the frames
    in between report the same faces (ids, labels) at their predicted boxes, near where the
    detector finds them."""
    photo = cv2.resize(demo_image("oarriaga_test_image.jpg"), (1024, 768))
    # Every face labelled: the face cut by the window's right edge is narrower than 24 px.
    labelled = dict(min_attribute_face_size=0)
    every = FaceAnalyzer(config(standin_models, detect_every=3, **labelled))
    calls = []
    detect = every.detector.detect
    every.detector.detect = lambda image, **small: calls.append(1) or detect(image, **small)
    reference = FaceAnalyzer(config(standin_models, **labelled))
    last = {}
    for step in range(9):
        x = 150 + 8 * step
        frame = np.ascontiguousarray(photo[100:580, x : x + 640])
        results, truth = every.analyze(frame), reference.analyze(frame)
        assert len(calls) == step // 3 + 1
        centres = [
            ((r.box.x_min + r.box.x_max) / 2, (r.box.y_min + r.box.y_max) / 2) for r in truth
        ]
        assert faces_hit([r.box for r in results], centres) == len(truth)
        if step % 3:  # carried: the faces and labels of the last detection frame
            assert sorted(r.track_id for r in results) == sorted(last)
            for r in results:
                assert r.box.landmarks is not None
                np.testing.assert_array_equal(r.emotion.probs, last[r.track_id])
        else:
            assert len(results) >= len(truth) - 1
        last = {r.track_id: r.emotion.probs for r in results}
    every.reset()
    every.analyze(frame)
    assert len(calls) == 4  # after reset() the first frame is a detection frame again
    with pytest.raises(ConfigError, match="detect_every"):
        FaceAnalyzer(config(standin_models, detect_every=0))


def test_attribute_every_k_runs_gender_on_a_share_of_the_faces_per_frame(standin_models):
    """attribute_every=3 on a still frame with 6 faces: every head runs on the new tracks, then
    emotion on every face, gender and age on 2 faces a frame (each track every 3rd frame,
    staggered); every face still carries its track's gender."""
    image = demo_image("oarriaga_test_image.jpg")
    analyzer = FaceAnalyzer(config(standin_models, attribute_every=3))
    rows = {name: [] for name in analyzer.classifier.heads}
    assert set(rows) == {"emotion", "gender", "age"}
    for name, head in analyzer.classifier.heads.items():
        predict = head.predict
        head.predict = lambda batch, name=name, predict=predict: (
            rows[name].append(len(batch)) or predict(batch)
        )
    reference = FaceAnalyzer(config(standin_models))
    for _ in range(7):
        results, truth = analyzer.analyze(image), reference.analyze(image)
        assert sorted(r.track_id for r in results) == [1, 2, 3, 4, 5, 6]
        assert all(r.gender is not None for r in results)
        for a, b in zip(results, truth):  # a still image: the same label either way
            assert a.gender.label == b.gender.label
    assert rows["emotion"] == [6] * 7
    assert rows["gender"] == rows["age"] == [6] + [2] * 6
    with pytest.raises(ConfigError, match="attribute_every"):
        FaceAnalyzer(config(standin_models, attribute_every=0))


def test_faces_below_min_attribute_face_size_are_tracked_with_unknown_labels(standin_models):
    """A face shrinking below min_attribute_face_size keeps its track and box, but no head runs
    on it and its labels are unknown (None), not its track's old ones; grown again, it has them
    back. Its carried boxes (detect_every) are unknown too."""

    class Scripted:
        def __init__(self, frames):
            self.frames = iter(frames)

        def detect(self, image):
            return [FaceBox(*box, 0.9) for box in next(self.frames)]

    large, small = (50, 50, 80, 80), (150, 150, 170, 170)  # 30 and 20 px wide
    frames = [[large, small], [(52, 52, 74, 74), small], [large, small]]
    analyzer = FaceAnalyzer(
        config(standin_models, min_attribute_face_size=24, detect_every=1),
        detector=Scripted(frames),
    )
    classified = []
    classify = analyzer.classifier.classify

    def counting(frame, boxes, skip=None):
        classified.append(sum(len(set(analyzer.classifier.heads) - set(s)) > 0 for s in skip))
        return classify(frame, boxes, skip)

    analyzer.classifier.classify = counting
    image = np.zeros((200, 200, 3), np.uint8)
    per_frame = [analyzer.analyze(image) for _ in frames]
    for results in per_frame:
        assert len(results) == 2 and all(r.track_id >= 0 for r in results)
    big = [min(results, key=lambda r: r.box.x_min) for results in per_frame]
    assert big[0].track_id == big[1].track_id  # still tracked while too small
    assert big[0].gender is not None and not big[0].attributes_unknown
    assert big[1].attributes_unknown and (big[1].gender, big[1].emotion, big[1].age) == (None,) * 3
    assert big[2].gender is not None  # grown again: labels back
    assert all(r.attributes_unknown for results in per_frame for r in results if r not in big)
    assert classified == [1, 0, 1]  # the small face never reaches a head
    carried = sorted(analyzer.carry(image), key=lambda r: r.box.x_min)  # a frame between
    assert [r.attributes_unknown for r in carried] == [False, True]
    assert carried[0].gender is not None and carried[1].gender is None
    with pytest.raises(ConfigError, match="min_attribute_face_size"):
        FaceAnalyzer(config(standin_models, min_attribute_face_size=-1))


def test_with_heads_loads_only_the_listed_heads(standin_models):
    chosen = FaceAnalyzer(with_heads(config(standin_models), ["gender"]))
    assert list(chosen.classifier.heads) == ["gender"]
    assert list(chosen.labels) == ["gender"]
    (result,) = chosen.classify(demo_image("oarriaga_test_image.jpg"), [(300, 300, 430, 450)])
    assert result.gender is not None and result.emotion is None and result.age is None
    assert FaceAnalyzer(with_heads(config(standin_models), [])).classifier is None


def test_with_heads_refuses_an_unknown_head(standin_models):
    with pytest.raises(ConfigError, match=r"heads: \['mood'\] not among"):
        with_heads(config(standin_models), ["gender", "mood"])


def test_small_faces_searched_every_kth_detection_frame_and_found_where_tracked(standin_models):
    """yunet.search_every=3 on the 640 px Solvay photo (faces 15-24 px, of which the shrunk
    frame shows 22): the detector searches the full-resolution frame on detection frames 0, 3,
    ... (and again first after reset()); in between it is told where the tracker expects its
    faces, and each of the 29 faces is reported on every frame, with the same id."""
    photo = demo_image("solvay_conference_1927_1280.png")
    small = cv2.resize(photo, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    truth = [  # face centres at 640 px, from the 1280 px photo
        ((f.x_min + f.x_max) / 4, (f.y_min + f.y_max) / 4)
        for f in make_detector("yunet", downscale=1.0).detect(photo)
    ]
    analyzer = FaceAnalyzer(config(standin_models, detector_settings={"search_every": 3}))
    calls = []
    detect = analyzer.detector.detect
    analyzer.detector.detect = lambda image, search, expected: (
        calls.append((search, len(expected))) or detect(image, search=search, expected=expected)
    )
    ids = []  # per frame, the id of the face on each true face
    for step in range(7):
        x = 2 * step  # a slow pan
        frame = np.ascontiguousarray(small[20:460, x : x + 600])
        results = analyzer.analyze(frame)
        ids.append(
            [
                [r.track_id for r in results if faces_hit([r.box], [(cx - x, cy - 20)])]
                for cx, cy in truth
            ]
        )
    assert [search for search, _ in calls] == [True, False, False, True, False, False, True]
    assert calls[0][1] == 0 and all(expected >= 28 for _, expected in calls[1:])
    assert len(truth) == 29 and sum(len(found) == 1 for found in ids[0]) >= 28
    assert all(found == ids[0] for found in ids)
    analyzer.reset()
    analyzer.analyze(small)
    assert calls[-1] == (True, 0)
    plain = FaceAnalyzer(config(standin_models, detector_settings={"search_every": 0}))
    assert len(plain.analyze(small)) <= 24  # no search: only what the shrunk frame shows


def test_detection_side_alone_keeps_small_faces_between_searches(standin_models):
    """The ROS face_detector in its own process (detect_and_track, no classifier): the 640 px
    Solvay photo's small faces, found on the search frame, are found on every frame after it,
    where its own tracker expects them, not only on every search_every-th frame."""
    small = cv2.resize(
        demo_image("solvay_conference_1927_1280.png"),
        None,
        fx=0.5,
        fy=0.5,
        interpolation=cv2.INTER_AREA,
    )
    side = FaceAnalyzer(
        config(
            standin_models,
            emotion_model=None,
            gender_model=None,
            age_model=None,
            detector_settings={"search_every": 4},
        )
    )
    counts = [
        len(side.detect_and_track(np.ascontiguousarray(small[20:460, x : x + 600])))
        for x in range(0, 12, 2)  # a slow pan
    ]
    assert counts[0] >= 28 and min(counts) >= counts[0] - 1, counts


def test_camera_motion_is_measured_once_per_frame(standin_models, monkeypatch):
    """detect() measures the frame's camera motion to predict the tracked faces; classify() and
    carry() of the same frame reuse it, also with the two halves run apart."""
    photo = cv2.resize(demo_image("oarriaga_test_image.jpg"), (1024, 768))
    frames = [np.ascontiguousarray(photo[100:580, x : x + 640]) for x in range(150, 230, 8)]
    measured = []
    transform = GlobalMotion.transform
    monkeypatch.setattr(
        GlobalMotion, "transform", lambda self, frame: measured.append(1) or transform(self, frame)
    )
    for settings in ({}, {"detect_every": 2}):
        analyzer = FaceAnalyzer(config(standin_models, **settings))
        for frame in frames:
            analyzer.analyze(frame)
        split = FaceAnalyzer(config(standin_models, **settings))
        for frame in frames:
            split.classify(frame, split.detect(frame))
    assert len(measured) == 4 * len(frames)
