"""REP-155 (ROS4HRI) output: /humans/faces/tracked and, per tracked face, roi, cropped,
expression and softbiometrics under /humans/faces/<id>/. Per-face publishers live exactly as long
as the face's track, so hours of faces coming and going leak none."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hri_msgs.msg import Expression, IdsList, NormalizedRegionOfInterest2D, SoftBiometrics
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image

from ...core import hri
from ...core.image_codec import encode_image
from ...core.types import FaceResult

HRI_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
FACES = "/humans/faces"


def expression_msg(header, scores) -> Expression:
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
    softbiometrics from our heads."""

    def __init__(self, node, width: int, height: int):
        self.width, self.height = width, height
        self.ids = hri.FaceIds()
        self.tracked = node.create_publisher(IdsList, f"{FACES}/tracked", HRI_QOS)
        self.per_face = PerFacePublishers(
            node,
            {
                "roi": NormalizedRegionOfInterest2D,
                "cropped": Image,
                "expression": Expression,
                "softbiometrics": SoftBiometrics,
            },
        )
        self.node = node

    def publish(self, header, frame, results: Sequence[FaceResult], alive_tracks: Iterable[int]):
        alive = [self.ids(track_id) for track_id in alive_tracks]
        self.per_face.keep_only(alive)
        for result in results:
            publishers = self.per_face.get(self.ids(result.track_id))
            x0, y0, x1, y1 = hri.normalized_roi(result.box, frame.shape)
            publishers["roi"].publish(
                NormalizedRegionOfInterest2D(
                    header=header, xmin=x0, ymin=y0, xmax=x1, ymax=y1, c=float(result.box.score)
                )
            )
            crop = hri.cropped_face(frame, result.box, self.width, self.height)
            publishers["cropped"].publish(encode_image(crop, Image(header=header)))
            if result.emotion is not None:
                publishers["expression"].publish(expression_msg(header, result.emotion))
            if result.gender is not None or result.age is not None:
                publishers["softbiometrics"].publish(softbiometrics_msg(header, result))
        self.tracked.publish(IdsList(header=header, ids=sorted(alive)))

    def destroy(self):
        self.per_face.destroy()
        self.node.destroy_publisher(self.tracked)
