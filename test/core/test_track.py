"""Tracker: ids kept through motion, gaps, camera pans and low scores, new ids for new faces,
expiry, and smoothing."""

import cv2
import numpy as np
import pytest
from face_data import EMOTIONS, GENDERS

from face_analysis.core.errors import ConfigError
from face_analysis.core.geometry import centre_distance, greedy_match, iou_matrix
from face_analysis.core.global_motion import GlobalMotion
from face_analysis.core.track import FaceTracker
from face_analysis.core.types import ClassScores, FaceBox, FaceResult


def face(x, y, size=60, emotion=None, gender=None, score=1.0):
    return FaceResult(
        FaceBox(x, y, x + size, y + size, score),
        emotion=None if emotion is None else ClassScores(EMOTIONS, emotion),
        gender=None if gender is None else ClassScores(GENDERS, gender),
    )


def test_iou_and_greedy_match():
    a = [FaceBox(0, 0, 10, 10), FaceBox(100, 100, 110, 110)]
    b = [FaceBox(100, 100, 110, 110), FaceBox(5, 0, 15, 10), FaceBox(500, 500, 510, 510)]
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 3)
    assert iou[0, 1] == pytest.approx(50 / 150) and iou[1, 0] == 1.0 and iou[:, 2].max() == 0
    assert sorted(greedy_match(iou, 0.3)) == [(0, 1), (1, 0)]
    assert greedy_match(iou_matrix([], b), 0.3) == []
    # centre distance in face sizes: 5 px apart for 10 px faces is half a face
    assert centre_distance(a, b)[0, 1] == pytest.approx(0.5)


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
    tracker.update(
        [face(0, 0, gender=np.array([1.0, 0.0])), face(200, 0, gender=np.array([0.0, 1.0]))]
    )
    a, b = tracker.update(
        [face(2, 0, gender=np.array([0.0, 1.0])), face(202, 0, gender=np.array([0.0, 1.0]))]
    )
    np.testing.assert_allclose(a.gender.probs, [0.5, 0.5])
    np.testing.assert_allclose(b.gender.probs, [0.0, 1.0])
    assert a.emotion is None


def test_constant_velocity_carries_a_face_across_a_two_frame_gap():
    tracker = FaceTracker(max_missed=2)
    ids = [tracker.update([face(40 * step, 100)])[0].track_id for step in range(5)]
    assert tracker.update([]) == [] and tracker.update([]) == []  # undetected for 2 frames
    # 40 px a frame with 60 px faces: the last seen box and this one do not even overlap,
    # only the motion model knows where to look.
    assert iou_matrix([FaceBox(160, 100, 220, 160)], [FaceBox(280, 100, 340, 160)])[0, 0] == 0
    (back,) = tracker.update([face(280, 100)])
    assert set(ids) == {back.track_id}


def test_a_new_face_beside_a_moving_one_gets_its_own_id():
    tracker = FaceTracker()
    for step in range(4):
        (moving,) = tracker.update([face(40 * step, 100)])
    a, b = tracker.update([face(160, 100), face(160, 300)])
    assert a.track_id == moving.track_id and b.track_id != moving.track_id


def test_low_score_box_continues_a_track_but_never_starts_one():
    tracker = FaceTracker(high_score=0.5)
    assert tracker.update([face(0, 0, score=0.3)]) == []  # too weak to be a new face
    assert tracker.tracks == []
    (first,) = tracker.update([face(0, 0, score=0.9)])
    # The same face, blurred (low score), and clutter elsewhere with the same low score:
    kept = tracker.update([face(300, 300, score=0.3), face(4, 0, score=0.3)])
    assert [(r.track_id, r.box.x_min) for r in kept] == [(first.track_id, 4)]
    assert len(tracker.tracks) == 1


def test_high_score_boxes_are_matched_before_low_score_ones():
    tracker = FaceTracker(high_score=0.5)
    (first,) = tracker.update([face(0, 0, score=0.9)])
    # a weak duplicate overlaps better than the strong box, which still wins the track
    kept = tracker.update([face(0, 0, score=0.3), face(12, 0, score=0.9)])
    assert [(r.track_id, r.box.x_min) for r in kept] == [(first.track_id, 12)]


def test_camera_motion_keeps_ids_of_a_crowd_during_a_fast_pan():
    """A row of faces 70 px apart, panned 50 px a frame: without knowing the pan, nearest
    matching would hand ids to the neighbours; with it, every face keeps its own."""

    def row(step):
        return [FaceBox(x, 200, x + 40, 240) for x in 700 - 50 * step + 70 * np.arange(5)]

    shift = np.array([[1.0, 0.0, -50.0], [0.0, 1.0, 0.0]])
    tracker, blind = FaceTracker(), FaceTracker()  # blind: the same pan, not measured
    rows, blind_rows = [], []
    for step in range(6):
        rows.append([i for _, i in tracker.track(row(step), shift if step else None)])
        blind_rows.append([i for _, i in blind.track(row(step))])
    assert all(ids == rows[0] for ids in rows) and len(set(rows[0])) == 5
    assert any(ids != blind_rows[0] for ids in blind_rows)


def test_a_face_the_camera_turned_away_from_keeps_its_id_when_it_returns():
    tracker = FaceTracker(max_missed=1, max_away=10)
    size = (640, 480)
    pan = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    (start,) = tracker.track([FaceBox(500, 200, 560, 260)], None, size)
    offsets = [100] * 4 + [-100] * 4  # the scene moves right out of view, then back
    x = 500
    for dx in offsets:
        x += dx
        pan[0, 2] = dx
        visible = [FaceBox(x, 200, x + 60, 260)] if x + 30 < size[0] else []
        kept = tracker.track(visible, pan, size)
        if not visible:
            assert tracker.tracks == [] and len(tracker.away) == 1  # not listed as in view
    assert kept == [(0, start[1])]


def test_global_motion_measures_a_known_shift():
    rng = np.random.default_rng(1)
    scene = cv2.GaussianBlur(rng.integers(0, 255, (600, 900), dtype=np.uint8), (7, 7), 0)
    motion = GlobalMotion()
    assert motion.transform(scene[50:530, 100:740]) is None  # nothing to compare with yet
    matrix = motion.transform(scene[60:540, 130:770])  # the view moved 30 right, 10 down
    np.testing.assert_allclose(matrix[:, :2], np.eye(2), atol=0.01)
    np.testing.assert_allclose(matrix[:, 2], [-30, -10], atol=1.0)
    assert motion.transform(np.zeros((480, 640), np.uint8)) is None  # a blank view: unknown


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(iou_threshold=0), "iou_threshold"),
        (dict(smoothing_alpha=1.5), "smoothing_alpha"),
        (dict(max_missed=-1), "max_missed"),
        (dict(max_away=-1), "max_away"),
        (dict(high_score=2.0), "high_score"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        FaceTracker(**kwargs)


def test_coasting_carries_moving_faces_between_detection_frames():
    """detect_every = 3: detections on frames 0, 3, 6, ...; coast() in between predicts each
    face where it moved and keeps its id; the next detection frame continues the same tracks."""
    tracker = FaceTracker(max_missed=1)
    for step in range(30):
        truth = [
            FaceBox(50 + 6 * step, 50, 110 + 6 * step, 110),
            FaceBox(400 - 6 * step, 200, 460 - 6 * step, 260),
        ]
        if step % 3 == 0:
            kept = tracker.track(truth, image_size=(640, 480))
            ids = [track_id for _, track_id in kept]
        else:
            carried = tracker.coast(image_size=(640, 480))
            ids = [track.track_id for track, _ in carried]
            if step > 3:  # the velocity is known after two detection frames
                for (_, box), true in zip(carried, truth):
                    assert abs(box.x_min - true.x_min) < 4 and abs(box.y_min - true.y_min) < 4
        assert ids == [1, 2], step


def test_coasting_neither_expires_tracks_nor_reports_missed_faces():
    tracker = FaceTracker(max_missed=1)
    tracker.track(
        [FaceBox(10, 10, 70, 70, landmarks=((30, 30), (50, 30), (40, 40), (32, 55), (48, 55)))]
    )
    for _ in range(10):  # nobody looks for the face: it is not missed
        ((track, box),) = tracker.coast()
        assert box.landmarks[0] == pytest.approx((30, 30))  # a still face stays put
    tracker.track([])  # a detection frame without it: missed once, no longer reported
    assert tracker.coast() == [] and len(tracker.tracks) == 1
    tracker.track([])
    assert tracker.tracks == []


def test_coasting_sends_a_face_out_of_view_away():
    tracker = FaceTracker(max_away=5)
    tracker.track([FaceBox(600, 10, 630, 40)], image_size=(640, 480))
    shift = np.array([[1.0, 0.0, 40.0], [0.0, 1.0, 0.0]])  # the scene moves 40 px right
    assert tracker.coast(shift, (640, 480)) == []
    assert tracker.tracks == [] and len(tracker.away) == 1
    back = np.array([[1.0, 0.0, -40.0], [0.0, 1.0, 0.0]])
    tracker.coast(back, (640, 480))
    kept = tracker.track([FaceBox(600, 10, 630, 40)], np.eye(2, 3), (640, 480))
    assert [track_id for _, track_id in kept] == [1]


def test_predicted_boxes_are_the_next_frames_without_advancing_the_tracks():
    """predicted() says where track() and coast() will predict each face on the next frame, with
    the same camera motion, and leaves the tracks as they are; faces predicted out of the image
    are left out."""
    tracker = FaceTracker()
    for step in range(3):
        tracker.track(
            [FaceBox(100 + 10 * step, 50, 140 + 10 * step, 90), FaceBox(600, 300, 630, 330)]
        )
    pan = np.array([[1.0, 0.0, 25.0], [0.0, 1.0, -5.0]])  # the scene moves 25 px right
    before = [track.filter.mean.copy() for track in tracker.tracks]
    assert tracker.predicted(pan) == tracker.predicted(pan)
    np.testing.assert_array_equal([track.filter.mean for track in tracker.tracks], before)
    expected = tracker.predicted(pan, image_size=(640, 480))
    carried = [box for _, box in tracker.coast(pan, image_size=(640, 480))]
    assert len(expected) == len(carried) == 1  # the second face is panned out of view
    assert expected[0].as_tuple() == pytest.approx(carried[0].as_tuple())
    assert expected[0].x_min == pytest.approx(120 + 10 + 25, abs=1.0)
