"""REP-155 (ROS4HRI) output: /humans/faces/tracked and, per tracked face, roi, cropped, aligned,
landmarks, expression and softbiometrics under /humans/faces/<id>/, and the face_<id> and
gaze_<id> TF frames (parent: the image's frame_id, stamp: the image's) on /tf. Per-face
publishers live exactly as long as the face's track, so hours of faces coming and going leak
none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from geometry_msgs.msg import TransformStamped
from hri_msgs.msg import (
    Expression,
    FacialLandmarks,
    IdsList,
    NormalizedPointOfInterest2D,
    NormalizedRegionOfInterest2D,
    SoftBiometrics,
)
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image
from tf2_msgs.msg import TFMessage

from ...core import hri
from ...core.image_codec import encode_image
from ...core.track import HEADS
from ...core.types import FaceResult
from .candidate_matches import CandidateMatches

HRI_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
TF_QOS = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)  # tf2_ros's broadcaster's
FACES = "/humans/faces"
# The per-face subtopics that carry an image of the face: not advertised in privacy mode.
FACE_IMAGES = {"cropped": Image, "aligned": Image}


def head_topics(heads) -> dict:
    """The per-face subtopics of the heads that run: expression (emotion), softbiometrics
    (gender and/or age); a topic no running head fills is not advertised."""
    topics = {"expression": Expression} if "emotion" in heads else {}
    if {"gender", "age"} & set(heads):
        topics["softbiometrics"] = SoftBiometrics
    return topics


def expression_msg(header, scores) -> Expression:
    """The emotion head's output as an Expression; None (a face too small for the heads, see
    min_attribute_face_size): no expression, confidence 0, as REP-155 readers expect for unknown."""
    if scores is None:
        return Expression(header=header, confidence=0.0)
    name, confidence, valence, arousal = hri.expression(scores)
    return Expression(
        header=header, expression=name, confidence=confidence, valence=valence, arousal=arousal
    )


def softbiometrics_msg(header, result) -> SoftBiometrics:
    """Gender and age of a FaceResult; a head that did not run leaves its part UNDEFINED (0)
    with confidence 0, as REP-155 readers expect for "unknown"."""
    age, age_confidence = hri.softbiometrics_age(result.age)
    gender = result.gender
    return SoftBiometrics(
        header=header,
        age=age,
        age_confidence=age_confidence,
        gender=SoftBiometrics.UNDEFINED
        if gender is None
        else hri.GENDERS.get(gender.label, SoftBiometrics.UNDEFINED),
        gender_confidence=0.0 if gender is None else gender.confidence,
    )


def landmarks_msg(header, box, shape) -> FacialLandmarks:
    """Our five landmarks in their FacialLandmarks slots (normalised, confidence the detector's
    score); the other 65 slots at confidence 0, as unknown."""
    height, width = shape[:2]
    msg = FacialLandmarks(header=header, height=height, width=width)
    points = [NormalizedPointOfInterest2D() for _ in range(hri.FACIAL_LANDMARK_COUNT)]
    for slot, (x, y) in zip(hri.LANDMARK_SLOTS, box.landmarks):
        points[slot] = NormalizedPointOfInterest2D(x=x / width, y=y / height, c=float(box.score))
    msg.landmarks = points
    return msg


def face_transforms(header, face_id: str, pose) -> list[TransformStamped]:
    """face_<id> and gaze_<id>, both at the eyes' midpoint (REP-155's sellion) in the image's
    frame."""
    transforms = []
    for prefix, axes in (("face", hri.FACE_AXES), ("gaze", hri.GAZE_AXES)):
        transform = TransformStamped(header=header, child_frame_id=f"{prefix}_{face_id}")
        t, r = transform.transform.translation, transform.transform.rotation
        t.x, t.y, t.z = (float(v) for v in pose.translation)
        r.x, r.y, r.z, r.w = hri.frame_quaternion(pose, axes)
        transforms.append(transform)
    return transforms


class PerFacePublishers:
    """Publishers of the given subtopics for each face id, created and destroyed with the id."""

    def __init__(self, node, topics: dict):
        self.node, self.topics = node, topics  # subtopic -> message type
        self.faces: dict[str, dict] = {}

    def get(self, face_id: str) -> dict:
        if face_id not in self.faces:
            self.faces[face_id] = {
                name: self.node.create_publisher(msg_type, f"{FACES}/{face_id}/{name}", HRI_QOS)
                for name, msg_type in self.topics.items()
            }
        return self.faces[face_id]

    def keep_only(self, face_ids: Iterable[str]) -> None:
        for gone in set(self.faces) - set(face_ids):
            for publisher in self.faces.pop(gone).values():
                self.node.destroy_publisher(publisher)

    def destroy(self):
        self.keep_only(())


class HriFacesPublisher:
    """Publisher mode: everything REP-155 asks of a face detector, plus expression and
    softbiometrics from the heads that run; with privacy, no face image (FACE_IMAGES); with
    identity, /humans/candidate_matches (candidate_matches.py)."""

    def __init__(
        self,
        node,
        width: int,
        height: int,
        heads=HEADS,
        privacy: bool = False,
        identity: bool = False,
    ):
        self.width, self.height = width, height
        self.ids = hri.FaceIds()
        self.tracked = node.create_publisher(IdsList, f"{FACES}/tracked", HRI_QOS)
        self.tf = node.create_publisher(TFMessage, "/tf", TF_QOS)
        images = {} if privacy else FACE_IMAGES
        self.per_face = PerFacePublishers(
            node,
            {
                "roi": NormalizedRegionOfInterest2D,
                "landmarks": FacialLandmarks,
                **images,
                **head_topics(heads),
            },
        )
        self.matches = CandidateMatches(node) if identity else None
        self.node = node

    @staticmethod
    def publish_face_image(publishers: dict, name: str, header, make_image) -> None:
        """A face image subtopic (FACE_IMAGES): made and published only where it is advertised,
        so privacy mode neither computes nor sends it."""
        if name in publishers:
            publishers[name].publish(encode_image(make_image(), Image(header=header)))

    def publish(self, header, frame, results: Sequence[FaceResult], alive_tracks: Iterable[int]):
        alive = [self.ids(track_id) for track_id in alive_tracks]
        self.per_face.keep_only(alive)
        transforms = []
        for result in results:
            face_id = self.ids(result.track_id)
            publishers = self.per_face.get(face_id)
            x0, y0, x1, y1 = hri.normalized_roi(result.box, frame.shape)
            publishers["roi"].publish(
                NormalizedRegionOfInterest2D(
                    header=header, xmin=x0, ymin=y0, xmax=x1, ymax=y1, c=float(result.box.score)
                )
            )
            self.publish_face_image(
                publishers,
                "cropped",
                header,
                lambda box=result.box: hri.cropped_face(frame, box, self.width, self.height),
            )
            if result.box.landmarks is not None:  # Haar and BlazeFace give none
                publishers["landmarks"].publish(landmarks_msg(header, result.box, frame.shape))
                self.publish_face_image(
                    publishers,
                    "aligned",
                    header,
                    lambda box=result.box: hri.aligned_face(frame, box, self.width, self.height),
                )
            if result.pose is not None:
                transforms += face_transforms(header, face_id, result.pose)
            # A face too small for the heads: its heads' topics say unknown, confidence 0.
            unknown = result.attributes_unknown
            if "expression" in publishers and (unknown or result.emotion is not None):
                publishers["expression"].publish(expression_msg(header, result.emotion))
            has_attributes = result.gender is not None or result.age is not None
            if "softbiometrics" in publishers and (unknown or has_attributes):
                publishers["softbiometrics"].publish(softbiometrics_msg(header, result))
        if transforms:
            self.tf.publish(TFMessage(transforms=transforms))
        self.tracked.publish(IdsList(header=header, ids=sorted(alive)))
        if self.matches is not None:
            people = {
                self.ids(r.track_id): (r.person_id, r.identity_confidence)
                for r in results
                if r.person_id
            }
            self.matches.publish(people, alive)

    def destroy(self):
        if self.matches is not None:
            self.matches.destroy()
        self.per_face.destroy()
        self.node.destroy_publisher(self.tracked)
        self.node.destroy_publisher(self.tf)
