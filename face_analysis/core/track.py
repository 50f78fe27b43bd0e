"""Track ids across frames and per-track smoothing of the heads' probabilities.

Each track predicts where its face will be with a constant-velocity Kalman filter on the box
(centre x, y, width, height and their velocities), so a face keeps its id while the camera pans
or the face goes undetected for a few frames. Association is the ByteTrack idea (Zhang et al.
2022) in two stages: boxes scoring at least `high_score` are matched to the tracks first, then
lower-scoring boxes may continue a track left unmatched; only high-score boxes start new tracks,
so a blurred or half-turned face keeps its id without clutter becoming faces.

A box may continue a track when it overlaps the predicted box by `iou_threshold`, or when it
lies within the filter's 95% gate (squared Mahalanobis distance in box space). The gate is what
holds a young track whose velocity is still unknown: it is wide then and narrows as the filter
learns. Pairs are taken greedily, nearest first (see geometry.greedy_match).

The camera's own motion (a robot turning its head) is measured from the image when the caller
passes it (FaceAnalyzer does, see global_motion.py) and moves every track before association,
so the filter only follows each face's own motion. A track whose face the camera has turned
away from (predicted outside the image) waits up to `max_away` frames outside `tracks`, and
takes its id back when the face returns.

Why not a tracker library: supervision's ByteTrack (MIT) brings requests, PyAV and more into
the ROS core; norfair (BSD-3) requires numpy < 2 and brings rich and filterpy (matplotlib);
boxmot is AGPL-3.0 and needs torch; motpy (MIT) has had no release since 2021; filterpy alone
(MIT) adds matplotlib for a filter that is a few lines of numpy. Each also has its own track
lifecycle and id counter, which we would wrap to keep ours: ids never reused, per-track
smoothing, max_missed expiry, the tracks in view that REP-155 lists, and low-score boxes kept
only when they continue a track, which the classifier needs to know before it runs.

Each head's probabilities are smoothed by an exponential moving average per track, so a label
only changes when the evidence has shifted for a few frames, not on one noisy frame.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .geometry import centre_distance, greedy_match, iou_matrix
from .types import ClassScores, Estimate, FaceBox, FaceResult

HEADS = ("emotion", "gender", "age")
# Noise of the filter, as a share of the face's size (so one setting fits near and far faces).
MEASUREMENT_STD = 0.05  # a detector's box jitters by about 5% of its size
ACCELERATION_STD = 0.1  # a camera pan speeds up or slows down by ~10% of a face per frame
# A new face's own velocity is unknown: up to about half its width per frame (someone walking
# past at 10 fps). The camera's motion, often faster, is measured apart (global_motion.py).
INITIAL_VELOCITY_STD = 0.5
GATE = 9.4877  # chi-square 95% quantile, 4 degrees of freedom (as in DeepSORT)

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)  # position += velocity, per frame
_H = np.eye(4, 8)
_SIZES = [2, 3]  # width and height in the state; tiled by indexing (np.tile costs more here)


def _in_view(box: FaceBox, image_size: tuple[int, int] | None) -> bool:
    """Whether the box's centre lies in the image (always, when the size is unknown)."""
    if image_size is None:
        return True
    cx, cy = (box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2
    return 0 <= cx < image_size[0] and 0 <= cy < image_size[1]


def _measurement(box: FaceBox) -> np.ndarray:
    return np.array(
        [(box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2, box.width, box.height]
    )


def _own_motion(means: np.ndarray) -> np.ndarray:
    """States (8,) or (n, 8) one frame on by their constant velocity."""
    means = means @ _F.T
    # A box cut by the image edge shrinks fast; extrapolated, it would turn inside out.
    means[..., 2:4] = np.maximum(means[..., 2:4], 1.0)
    return means


def _scene_transform(matrix: np.ndarray) -> np.ndarray:
    """The 8x8 map of a state under the camera's 2x3 similarity (its shift apart): the centre
    and the velocities by its linear part, the sizes by its zoom."""
    linear = matrix[:, :2]
    zoom = np.sqrt(abs(linear[0, 0] * linear[1, 1] - linear[0, 1] * linear[1, 0]))
    transform = np.zeros((8, 8))
    transform[0:2, 0:2] = transform[4:6, 4:6] = linear
    transform[[2, 3, 6, 7], [2, 3, 6, 7]] = zoom
    return transform


def _camera_moved(means: np.ndarray, matrix: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """States (8,) or (n, 8) moved with the scene by `matrix` (`transform`: its state map)."""
    means = means @ transform.T
    means[..., :2] += matrix[:, 2]
    return means


def _box(mean: np.ndarray) -> FaceBox:
    cx, cy, w, h = mean[:4].tolist()
    return FaceBox(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _advance(tracks: Sequence[Track], camera_motion: np.ndarray | None) -> None:
    """One frame on: each track's own motion (the filter's prediction), then the camera's."""
    for track in tracks:
        track.filter.predict()
        if camera_motion is not None:
            track.filter.warp(camera_motion)


def _moved(detected: FaceBox, predicted: FaceBox) -> FaceBox:
    """The predicted box, with the detected box's score and its landmarks moved along (the same
    shift and scale that turns the detected box into the predicted one)."""
    landmarks = None
    if detected.landmarks is not None:
        sx = predicted.width / max(detected.width, 1e-6)
        sy = predicted.height / max(detected.height, 1e-6)
        landmarks = tuple(
            (
                predicted.x_min + (x - detected.x_min) * sx,
                predicted.y_min + (y - detected.y_min) * sy,
            )
            for x, y in detected.landmarks
        )
    return dataclasses.replace(predicted, score=detected.score, landmarks=landmarks)


class BoxFilter:
    """Constant-velocity Kalman filter on (cx, cy, w, h); noise scales with the box size."""

    def __init__(self, box: FaceBox):
        z = _measurement(box)
        self.mean = np.concatenate([z, np.zeros(4)])
        size = np.tile(z[2:], 2)
        self.cov = np.diag(
            np.concatenate([2 * MEASUREMENT_STD * size, INITIAL_VELOCITY_STD * size]) ** 2
        )

    def predict(self) -> None:
        size = self.mean[_SIZES * 4]
        q = np.diag((ACCELERATION_STD * size * np.repeat([0.5, 1.0], 4)) ** 2)
        self.mean = _own_motion(self.mean)
        self.cov = _F @ self.cov @ _F.T + q

    def warp(self, matrix: np.ndarray) -> None:
        """Move the state with the scene: the centre by the 2x3 similarity, sizes by its zoom,
        velocities by its linear part."""
        transform = _scene_transform(matrix)
        self.mean = _camera_moved(self.mean, matrix, transform)
        self.cov = transform @ self.cov @ transform.T

    def stop(self) -> None:
        """Out of sight, a face's own motion is unknown: it stays where it was in the scene
        (the camera's motion still moves it), rather than drifting on an old velocity."""
        self.mean[4:] = 0.0

    def _innovation(self) -> np.ndarray:
        r = np.diag((MEASUREMENT_STD * self.mean[_SIZES * 2]) ** 2)
        return _H @ self.cov @ _H.T + r

    def distance(self, measured: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of each box, as (n, 4) measurements, from the predicted
        one."""
        d = measured - self.mean[:4]
        return np.einsum("ij,ij->i", d @ np.linalg.inv(self._innovation()), d)

    def update(self, box: FaceBox) -> None:
        s = self._innovation()
        gain = np.linalg.solve(s, _H @ self.cov).T
        self.mean = self.mean + gain @ (_measurement(box) - self.mean[:4])
        self.cov = self.cov - gain @ s @ gain.T

    @property
    def box(self) -> FaceBox:
        return _box(self.mean)


@dataclass
class Track:
    track_id: int
    box: FaceBox  # the last detected box
    filter: BoxFilter
    scores: dict[str, ClassScores | Estimate] = field(default_factory=dict)  # smoothed, per head
    classified: int = 0  # frames its face was classified on (FaceAnalyzer's attribute_every)
    missed: int = 0  # consecutive frames in view without a matching detection
    away: int = 0  # consecutive frames with the predicted face outside the image


class FaceTracker:
    """iou_threshold: least overlap between a track's predicted box and a new box to continue it
    (a box within the motion model's gate continues it too).
    smoothing_alpha: weight of the newest frame in the average (1 = no smoothing).
    max_missed: a track survives this many consecutive frames in view without a match, then
    expires.
    high_score: boxes scoring at least this start tracks; lower ones only continue a track.
    max_away: a track whose predicted face has left the image (the camera turned away) waits
    this many frames for it to come back; it is not in `tracks` meanwhile (0: expire at once).
    """

    def __init__(
        self,
        iou_threshold: float = 0.3,
        smoothing_alpha: float = 0.5,
        max_missed: int = 5,
        high_score: float = 0.0,
        max_away: int = 0,
    ):
        if not 0.0 < iou_threshold <= 1.0:
            raise ConfigError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
        if not 0.0 < smoothing_alpha <= 1.0:
            raise ConfigError(f"smoothing_alpha must be in (0, 1], got {smoothing_alpha}")
        if max_missed < 0 or max_away < 0:
            raise ConfigError(
                f"max_missed and max_away must be >= 0, got {max_missed} and {max_away}"
            )
        if not 0.0 <= high_score <= 1.0:
            raise ConfigError(f"high_score must be in [0, 1], got {high_score}")
        self.iou_threshold, self.alpha, self.max_missed = iou_threshold, smoothing_alpha, max_missed
        self.high_score, self.max_away = high_score, max_away
        self.tracks: list[Track] = []  # the faces in view (REP-155 lists these)
        self.away: list[Track] = []  # faces the camera turned away from
        # Ids are never reused, not even after reset(): a consumer may still hold old ones.
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.tracks, self.away = [], []

    def track(
        self,
        boxes: Sequence[FaceBox],
        camera_motion: np.ndarray | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> list[tuple[int, int]]:
        """Associate the frame's boxes with the tracks and advance them by one frame.
        camera_motion: the 2x3 similarity by which the scene moved since the last frame
        (global_motion.py), None if unknown; image_size: (width, height), to tell which
        predicted faces have left the image (None: all are in view).

        Returns (box index, track id) for the boxes kept, in box order: every high-score box,
        and the low-score boxes that continue a track; the others are not faces to report."""
        candidates = self.tracks + self.away
        _advance(candidates, camera_motion)
        high = [i for i, b in enumerate(boxes) if b.score >= self.high_score]
        low = [i for i, b in enumerate(boxes) if b.score < self.high_score]
        assigned: dict[int, Track] = {}
        free = candidates
        for tier, strict in ((high, False), (low, True)):
            for t, b in self._match(free, [boxes[i] for i in tier], strict):
                assigned[tier[b]] = free[t]
            taken = {id(track) for track in assigned.values()}
            free = [track for track in free if id(track) not in taken]
        for index, track in assigned.items():
            track.filter.update(boxes[index])
            track.box, track.missed, track.away = boxes[index], 0, 0
        self.tracks, self.away = [], []
        unmatched = {id(track) for track in free}
        for track in candidates:
            if id(track) in unmatched:
                if _in_view(track.filter.box, image_size):
                    track.missed, track.away = track.missed + 1, 0
                else:
                    track.away += 1
                    track.filter.stop()
            if track.away:
                if track.away <= self.max_away:
                    self.away.append(track)
            elif track.missed <= self.max_missed:
                self.tracks.append(track)
        for index in high:
            if index not in assigned:
                assigned[index] = Track(next(self._ids), boxes[index], BoxFilter(boxes[index]))
                self.tracks.append(assigned[index])
        return [(index, assigned[index].track_id) for index in sorted(assigned)]

    def predicted(
        self,
        camera_motion: np.ndarray | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> list[FaceBox]:
        """The boxes where the faces in view are expected on the next frame (what track() and
        coast() will predict, with the same camera_motion), the tracks left as they are: for a
        detector to look for them there. Faces predicted out of the image are left out."""
        tracks = list(self.tracks)  # another thread may be replacing the list
        if not tracks:
            return []
        means = _own_motion(np.array([track.filter.mean for track in tracks]))
        if camera_motion is not None:
            means = _camera_moved(means, camera_motion, _scene_transform(camera_motion))
        boxes = [_box(mean) for mean in means]
        return [box for box in boxes if _in_view(box, image_size)]

    def coast(
        self,
        camera_motion: np.ndarray | None = None,
        image_size: tuple[int, int] | None = None,
    ) -> list[tuple[Track, FaceBox]]:
        """Advance every track by one frame without detections (a frame between two detection
        frames, `detect_every` > 1): predict, move with the camera, and return (track, predicted
        box) for the tracks whose face was detected on the last detection frame and is still in
        view. No track is missed or expires here: nobody looked for its face on this frame. A face
        predicted out of the image starts waiting (`max_away`) as in track()."""
        seen, waiting = self.tracks, self.away
        self.tracks, self.away, carried = [], [], []
        _advance(seen + waiting, camera_motion)
        for track in seen:
            if _in_view(track.filter.box, image_size):
                self.tracks.append(track)
                if track.missed == 0:
                    carried.append((track, _moved(track.box, track.filter.box)))
            else:
                track.away = 1
                track.filter.stop()
                self.away.append(track)
        for track in waiting:
            # Back in view, it waits for the next detection frame to be matched (or missed).
            if not _in_view(track.filter.box, image_size):
                track.away += 1
            if track.away <= self.max_away:
                self.away.append(track)
        return carried

    def _match(
        self, tracks: Sequence[Track], boxes: Sequence[FaceBox], strict: bool
    ) -> list[tuple[int, int]]:
        """Greedy pairs (track, box); strict: by overlap only, as a low-score box is no
        evidence enough to follow a track's wide gate (ByteTrack's second stage)."""
        if not tracks or not boxes:
            return []
        predicted = [track.filter.box for track in tracks]
        allowed = iou_matrix(predicted, boxes) >= self.iou_threshold
        if not strict:
            measured = np.array([_measurement(box) for box in boxes])  # once for all tracks
            allowed |= np.array([track.filter.distance(measured) for track in tracks]) <= GATE
        # Nearest pairs first, in face sizes: ordering by the Mahalanobis distance instead would
        # favour the most uncertain tracks, those unseen the longest.
        near = 1.0 / (1.0 + centre_distance(predicted, boxes))
        return greedy_match(np.where(allowed, near, 0.0), np.finfo(float).tiny)

    def smooth(self, results: Sequence[FaceResult]) -> list[FaceResult]:
        """Each result's head probabilities averaged with its track's (results carry track ids
        from track()); a head left None keeps the track's last value."""
        by_id = {track.track_id: track for track in self.tracks}
        return [
            dataclasses.replace(
                result,
                **{
                    head: self._smooth(by_id[result.track_id], head, getattr(result, head))
                    for head in HEADS
                },
            )
            for result in results
        ]

    def update(self, results: Sequence[FaceResult]) -> list[FaceResult]:
        """track() and smooth() in one, for results already classified: the kept ones, with
        track ids set and each head's probabilities smoothed."""
        kept = self.track([result.box for result in results])
        return self.smooth(
            [dataclasses.replace(results[index], track_id=track_id) for index, track_id in kept]
        )

    def _smooth(self, track: Track, head: str, scores):
        """The head's output (ClassScores or an Estimate such as age) averaged with the track's;
        a head that did not run on this face (None) keeps the track's value."""
        if scores is None:
            return track.scores.get(head)
        previous, a = track.scores.get(head), self.alpha
        if isinstance(scores, Estimate) and isinstance(previous, Estimate):
            scores = Estimate(
                a * scores.value + (1 - a) * previous.value, a * scores.std + (1 - a) * previous.std
            )
        elif isinstance(previous, ClassScores) and previous.labels == scores.labels:
            probs = a * scores.probs + (1.0 - a) * previous.probs
            scores = ClassScores(scores.labels, probs.astype(scores.probs.dtype))
        track.scores[head] = scores
        return scores
