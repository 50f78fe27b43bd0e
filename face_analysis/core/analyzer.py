"""The whole pipeline, frame -> list[FaceResult], used by the CLI, the ROS nodes and the
benchmarks alike. Its two halves are also callable on their own, because the ROS graph runs
detection and classification in separate nodes.

One frame: detect() finds the candidate boxes (score >= min_detection_score); classify() hands
them to the tracker, which keeps those scoring >= track_high_score and the lower ones that
continue a track (ByteTrack's two stages, see track.py), classifies only the kept faces, and
smooths each head's probabilities per track.

With detect_every = k > 1 the detector runs on every k-th frame only (the first, then k, 2k, ...);
on the frames in between, the tracker carries the faces: each track's Kalman prediction, moved
with the camera's own motion, is the face's box, and the face keeps the labels (the smoothed
probabilities) of its last detection frame. The heads are not run on predicted boxes: a predicted
box has no fresh landmarks to align the crop with, and the labels are smoothed over several frames
anyway (smoothing_alpha), so a new crop every k frames changes them about as fast; skipping the
heads too is what makes the in-between frames nearly free (only the optical flow runs).
analyze() does this; the two halves are detect_step() and track_step(), which the ROS pipeline
runs in two threads. The settings: config.py.

Small faces (YuNet's refine_below): the detector sees the frame shrunk (yunet.downscale), where a
far face is a few pixels. So every yunet.search_every-th detection frame, starting with the
first (a single image gets it), it also looks at the full-resolution frame for small faces; in
between, the tracker says where its faces are expected on this frame (its Kalman prediction moved
with the camera's motion), and the detector looks for the small ones there, each on an enlarged
patch of the full-resolution frame, all patches in one network call. The camera's motion is
measured once per frame, by whichever step meets the frame first (detect_step(), in frame order,
in the ROS pipeline's detection thread), and reused by the other, which must be given the same
array."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .classify import FaceClassifier
from .config import AnalyzerConfig
from .detect import Detector, SmallFaceDetector, make_detector
from .errors import ConfigError
from .global_motion import GlobalMotion
from .head_pose import CameraModel, estimate_head_pose
from .image import BoxLike, check_image, clip_box
from .preprocess import PreprocessError
from .track import HEADS, FaceTracker
from .types import FaceBox, FaceResult

if TYPE_CHECKING:
    from .identity.gallery import Consent, Person
    from .identity.identifier import Identifier


class FaceAnalyzer:
    """Detector + classifier + tracker (+ identity). `detector` / `classifier` / `identity` may be
    passed in ready-made (tests, sharing one detector, a node's Identifier that embeds on a
    worker); otherwise they are built from the config."""

    def __init__(
        self,
        config: AnalyzerConfig | None = None,
        *,
        detector: Detector | None = None,
        classifier: FaceClassifier | None = None,
        identity: Identifier | None = None,
    ):
        self.config = config = config or AnalyzerConfig()
        config.validate()
        self.tracker = FaceTracker(
            config.iou_threshold,
            config.smoothing_alpha,
            config.max_missed,
            config.track_high_score,
            config.max_away,
        )
        self.motion = GlobalMotion() if config.camera_motion else None
        if detector is None and config.detector:
            detector = make_detector(config.detector, **config.detector_settings)
        self.detector = detector
        if classifier is None and (config.emotion_model or config.gender_model or config.age_model):
            classifier = FaceClassifier(
                config.emotion_model,
                config.gender_model,
                config.intra_op_threads,
                config.inter_op_threads,
                config.providers,
                align=config.align_faces,
                models={"age": config.age_model},
            )
        self.classifier = classifier
        if identity is None and config.identity != "off":  # built only when on (dlib loads)
            from .identity.identifier import Identifier

            identity = Identifier(
                config.identity,
                config.identity_memory_s,
                config.identity_threshold,
                config.identity_max_per_frame,
                config.identity_gallery,
            )
        self.identity = identity
        self._frames = 0  # frames seen by detect_step() since the last reset()
        self._detections = 0  # detect() calls since the last reset(), for yunet.search_every
        # (frame, camera motion) measured by detect() for the classify() or carry() of the frame
        self._motions: deque = deque(maxlen=3)
        self._motion_lock = threading.Lock()  # the two steps may run in two threads

    @property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Label order of each loaded classifier head, e.g. {'emotion': ('angry', ...),
        'gender': (...)} (the age head gives a value, not labels)."""
        if self.classifier is None:
            return {}
        heads = self.classifier.heads.items()
        return {name: head.spec.labels for name, head in heads if head.is_classifier}

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Candidate faces in the frame, after min_detection_score and the max_faces limit;
        classify() decides which low-score ones are kept."""
        if self.detector is None:
            raise ConfigError("this analyzer was built without a detector (config.detector)")
        found = self._detected(frame)
        boxes = [b for b in found if b.score >= self.config.min_detection_score]
        if self.config.max_faces:
            boxes = sorted(boxes, key=lambda b: b.width * b.height, reverse=True)[
                : self.config.max_faces
            ]
        return boxes

    def detect_and_track(self, frame: np.ndarray) -> list[FaceBox]:
        """detect() for an analyzer that only detects (the ROS face_detector, in its own
        process): the boxes also go to the tracker, so that the small faces of a search frame
        are looked for where it expects them on the frames after it, rather than found only on
        every search_every-th frame. Nothing is classified; the caller's tracks are its own."""
        boxes = self.detect(frame)
        if self._refines_small_faces():
            shape = check_image(frame).shape
            clipped = [clip_box(box, shape) for box in boxes]
            self.tracker.track(clipped, self._camera_motion(frame), (shape[1], shape[0]))
        return boxes

    def _refines_small_faces(self) -> bool:
        return isinstance(self.detector, SmallFaceDetector) and bool(self.detector.refine_below)

    def _detected(self, frame: np.ndarray) -> list[FaceBox]:
        """The detector's faces; a SmallFaceDetector is also told when to search the frame at
        full resolution and where the tracker expects its faces."""
        if not self._refines_small_faces():
            return self.detector.detect(frame)
        every = self.detector.search_every
        search = every > 0 and self._detections % every == 0
        self._detections += 1
        expected = []
        if self.tracker.tracks:
            height, width = check_image(frame).shape[:2]
            motion = self._camera_motion(frame, keep=True)
            expected = self.tracker.predicted(motion, (width, height))
        return self.detector.detect(frame, search=search, expected=expected)

    def _camera_motion(self, frame: np.ndarray, keep: bool = False) -> np.ndarray | None:
        """The camera's motion up to `frame`, measured once: kept (for the frame's next step)
        where `keep`, else taken out of the kept ones, where detect() measured it."""
        if self.motion is None:
            return None
        with self._motion_lock:
            for index, (seen, motion) in enumerate(self._motions):
                if seen is frame:
                    if not keep:
                        del self._motions[index]
                    return motion
            motion = self.motion.transform(frame)
            if keep:
                self._motions.append((frame, motion))
            return motion

    def classify(
        self,
        frame: np.ndarray,
        boxes: Sequence[BoxLike],
        camera: CameraModel | None = None,
        stamp_s: float | None = None,
    ) -> list[FaceResult]:
        """Track the given candidate boxes of the frame, then classify the kept faces and smooth
        their probabilities per track. Boxes may come from another process; they are clipped to
        the frame. `camera`: the model the head pose is computed in; None: the camera_fov one.
        `stamp_s`: the frame's time in seconds (identity's memory counts in it); None: now."""
        shape = check_image(frame).shape
        camera = self._camera(camera, shape)
        clipped = [clip_box(box, shape) for box in boxes]
        motion = self._camera_motion(frame)
        kept = self.tracker.track(clipped, motion, (shape[1], shape[0]))
        faces = [clipped[index] for index, _ in kept]
        if self.classifier is not None:
            skip = self._attributes_not_due([track_id for _, track_id in kept])
            skip = skip or [set() for _ in faces]
            every_head = set(self.classifier.heads)
            skip = [every_head if self._too_small(f.width) else s for f, s in zip(faces, skip)]
            results = self.classifier.classify(frame, faces, skip)
        else:
            results = [FaceResult(box=box) for box in faces]
        smoothed = self.tracker.smooth(
            [
                dataclasses.replace(result, track_id=track_id, pose=self._pose(result, camera))
                for result, (_, track_id) in zip(results, kept)
            ]
        )
        results = [self._unknown_if_small(result, result.box.width) for result in smoothed]
        return self._identify(frame, results, stamp_s)

    def _identify(
        self, frame: np.ndarray | None, results: list[FaceResult], stamp_s: float | None
    ) -> list[FaceResult]:
        """The results with their person ids (identity on); faces are embedded on detection
        frames only (`frame` given): a carried box has no fresh landmarks."""
        if self.identity is None:
            return results
        now = time.monotonic() if stamp_s is None else stamp_s
        alive = [track.track_id for track in self.tracker.tracks + self.tracker.away]
        if frame is None:
            return self.identity.label(results, now, alive)
        return self.identity.identify(frame, results, now, alive)

    def _too_small(self, width: float) -> bool:
        return width < self.config.min_attribute_face_size

    def _unknown_if_small(self, result: FaceResult, width: float) -> FaceResult:
        """A face `width` pixels wide that is too small for the heads has unknown labels,
        whatever its track knew when it was larger (the track keeps them for when it grows)."""
        if not self._too_small(width):
            return result
        return dataclasses.replace(result, attributes_unknown=True, **dict.fromkeys(HEADS))

    def _camera(self, camera: CameraModel | None, shape) -> CameraModel:
        """The camera model of a frame of `shape`: `camera` scaled to the frame, or without one
        the camera_fov approximation."""
        height, width = shape[:2]
        if camera is None:
            return CameraModel.from_fov(width, height, self.config.camera_fov)
        return camera.scaled_to(width, height)

    def _pose(self, result: FaceResult, camera: CameraModel):
        if not self.config.head_pose or result.box.landmarks is None:
            return None
        return estimate_head_pose(result.box.landmarks, camera)

    def _attributes_not_due(self, track_ids: Sequence[int]) -> list[set[str]] | None:
        """Per face, the attribute heads to skip this frame (attribute_every): a track runs them
        when it has no value yet, then on every k-th classification, offset by its id so that
        faces that appeared together do not all run them on the same frame."""
        every = self.config.attribute_every
        if every == 1:
            return None
        tracks = {track.track_id: track for track in self.tracker.tracks}
        attributes = [name for name in self.classifier.heads if name != "emotion"]
        skip = []
        for track_id in track_ids:
            track = tracks[track_id]
            due = (track.classified + track_id) % every == 0
            track.classified += 1
            skip.append(set() if due else {name for name in attributes if name in track.scores})
        return skip

    def detect_step(self, frame: np.ndarray) -> list[FaceBox] | None:
        """The first half of analyze(): the candidate boxes on a detection frame (every
        detect_every-th frame, starting with the first), None on the frames in between."""
        due = self._frames % self.config.detect_every == 0
        self._frames += 1
        # Measured here on every frame, so that with the pipeline's two threads every frame's
        # motion is measured in order, in this one.
        self._camera_motion(frame, keep=True)
        return self.detect(frame) if due else None

    def track_step(
        self,
        frame: np.ndarray,
        boxes: Sequence[BoxLike] | None,
        camera: CameraModel | None = None,
        stamp_s: float | None = None,
    ) -> list[FaceResult]:
        """The second half: classify() the boxes of a detection frame, or carry() the faces on
        a frame without detections (boxes None). Frames must come in order."""
        if boxes is None:
            return self.carry(frame, camera, stamp_s)
        return self.classify(frame, boxes, camera, stamp_s)

    def carry(
        self, frame: np.ndarray, camera: CameraModel | None = None, stamp_s: float | None = None
    ) -> list[FaceResult]:
        """A frame without detections: the faces of the last detection frame at their predicted
        boxes (Kalman filter and camera motion), with their tracks' smoothed labels (and the
        head pose of their moved landmarks)."""
        shape = check_image(frame).shape
        camera = self._camera(camera, shape)
        motion = self._camera_motion(frame)
        results = []
        for track, box in self.tracker.coast(motion, (shape[1], shape[0])):
            try:
                box = clip_box(box, shape)
            except PreprocessError:
                continue
            result = FaceResult(
                box=box, track_id=track.track_id, **{h: track.scores.get(h) for h in HEADS}
            )
            result.pose = self._pose(result, camera)
            # Sized as on its last detection frame, where the heads ran or did not: a predicted
            # box shrinks with a face leaving the image, the face does not.
            results.append(self._unknown_if_small(result, track.box.width))
        return self._identify(None, results, stamp_s)

    def analyze(
        self, frame: np.ndarray, camera: CameraModel | None = None, stamp_s: float | None = None
    ) -> list[FaceResult]:
        return self.track_step(frame, self.detect_step(frame), camera, stamp_s)

    def reset(self) -> None:
        """Forget all tracks, e.g. when the video source changes."""
        self.tracker.reset()
        self._frames = self._detections = 0
        self._motions.clear()
        if self.identity is not None:
            self.identity.reset()
        if self.motion is not None:
            self.motion.reset()

    # --- the gallery of known people (identity=gallery; docs/identity.md)

    def _identifier(self) -> Identifier:
        if self.identity is None:
            raise ConfigError("identity is off: enrolling and forgetting need identity=gallery")
        return self.identity

    def enrol(
        self,
        name: str,
        consent: Consent,
        image: np.ndarray | None = None,
        face: FaceBox | int | None = None,
    ) -> Person:
        """Enrol `name` with their consent (identity.gallery.Consent) from a track (`face`: its
        id; the embeddings of its best frames), a FaceBox in `image`, or (face None) the one
        face the detector finds in `image`, or one clearly the largest; EnrolmentError when there
        is no such face. Returns the gallery's Person."""
        identity = self._identifier()
        if face is None:
            from .identity.identifier import choose_face

            if image is None:
                raise ConfigError("enrol needs an image, a face in it or a track id")
            face = choose_face(self.detect(image))
        return identity.enrol(name, consent, face, image)

    def forget(self, name_or_id: str) -> Person:
        """Erase one enrolled person from the gallery (no byte of them stays in its file)."""
        return self._identifier().forget(name_or_id)

    def forget_all(self) -> int:
        return self._identifier().forget_all()

    def people(self) -> list[Person]:
        return self._identifier().people()
