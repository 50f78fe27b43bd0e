"""Tracker: ids kept through motion, new ids for new faces, expiry, and smoothing."""
import numpy as np
import pytest

from face_analysis.core.errors import ConfigError
from face_analysis.core.geometry import greedy_match, iou_matrix
from face_analysis.core.track import FaceTracker
from face_analysis.core.types import ClassScores, FaceBox, FaceResult

from face_data import EMOTIONS, GENDERS


def face(x, y, size=60, emotion=None, gender=None):
    return FaceResult(FaceBox(x, y, x + size, y + size),
                      emotion=None if emotion is None else ClassScores(EMOTIONS, emotion),
                      gender=None if gender is None else ClassScores(GENDERS, gender))


def test_iou_and_greedy_match():
    a = [FaceBox(0, 0, 10, 10), FaceBox(100, 100, 110, 110)]
    b = [FaceBox(100, 100, 110, 110), FaceBox(5, 0, 15, 10), FaceBox(500, 500, 510, 510)]
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 3)
    assert iou[0, 1] == pytest.approx(50 / 150) and iou[1, 0] == 1.0 and iou[:, 2].max() == 0
    assert sorted(greedy_match(iou, 0.3)) == [(0, 1), (1, 0)]
    assert greedy_match(iou_matrix([], b), 0.3) == []


def test_ids_follow_moving_faces():
    tracker = FaceTracker(iou_threshold=0.3, max_missed=2)
    seen = []
    for step in range(30):  # face A moves right, face B moves left, 6 px a frame
        frame = [face(50 + 6 * step, 50), face(400 - 6 * step, 200)]
        if step % 2:
            frame.reverse()  # detector order must not matter
        seen.append({round(r.box.y_min): r.track_id for r in tracker.update(frame)})
    assert all(ids == seen[0] for ids in seen)
    assert sorted(seen[0].values()) == [1, 2]


def test_new_face_gets_new_id_and_lost_tracks_expire():
    tracker = FaceTracker(max_missed=2)
    first = tracker.update([face(0, 0)])[0].track_id
    assert tracker.update([face(3, 0), face(300, 300)])[1].track_id == first + 1
    for missed in range(1, 3):  # both gone for max_missed frames: still remembered
        assert tracker.update([]) == []
        assert len(tracker.tracks) == 2 and all(t.missed == missed for t in tracker.tracks)
    assert tracker.update([face(6, 0)])[0].track_id == first  # comes back in time
    tracker.update([])
    tracker.update([])
    tracker.update([])  # gone for max_missed + 1 frames: expired
    assert tracker.tracks == []
    again = tracker.update([face(6, 0)])[0].track_id
    assert again not in (first, first + 1)  # ids are never reused


def test_reset_forgets_tracks_but_not_the_id_counter():
    tracker = FaceTracker()
    old = tracker.update([face(0, 0)])[0].track_id
    tracker.reset()
    assert tracker.tracks == []
    assert tracker.update([face(0, 0)])[0].track_id > old


def test_smoothing_reduces_label_flicker():
    rng = np.random.default_rng(0)
    truth = np.array([0.05, 0.02, 0.08, 0.45, 0.1, 0.05, 0.25])  # mostly happy, some neutral
    frames = []
    for _ in range(200):
        noisy = truth * rng.lognormal(0, 0.6, size=7)
        frames.append(noisy / noisy.sum())

    def label_changes(alpha):
        tracker = FaceTracker(smoothing_alpha=alpha)
        labels = [tracker.update([face(10, 10, emotion=p)])[0].emotion.label for p in frames]
        return sum(a != b for a, b in zip(labels, labels[1:])), labels

    raw_changes, _ = label_changes(1.0)
    smooth_changes, labels = label_changes(0.3)
    assert raw_changes > 20
    assert smooth_changes < raw_changes / 4
    assert labels.count("happy") > 0.8 * len(labels)


def test_smoothed_probabilities_stay_distributions_and_are_per_track():
    tracker = FaceTracker(smoothing_alpha=0.5)
    tracker.update([face(0, 0, gender=np.array([1.0, 0.0])),
                    face(200, 0, gender=np.array([0.0, 1.0]))])
    a, b = tracker.update([face(2, 0, gender=np.array([0.0, 1.0])),
                           face(202, 0, gender=np.array([0.0, 1.0]))])
    np.testing.assert_allclose(a.gender.probs, [0.5, 0.5])
    np.testing.assert_allclose(b.gender.probs, [0.0, 1.0])
    assert a.emotion is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(iou_threshold=0), "iou_threshold"), (dict(smoothing_alpha=1.5), "smoothing_alpha"),
    (dict(max_missed=-1), "max_missed")])
def test_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        FaceTracker(**kwargs)
