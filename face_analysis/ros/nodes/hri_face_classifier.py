"""hri_face_classifier: consumer mode for a running ROS4HRI (REP-155) pipeline. Reads the faces an
existing face detector publishes (/humans/faces/tracked and /humans/faces/<id>/cropped) and adds
/humans/faces/<id>/expression and /humans/faces/<id>/softbiometrics."""

from __future__ import annotations

import time

from hri_msgs.msg import IdsList
from sensor_msgs.msg import Image

from ...core import hri
from ...core.analyzer import FaceAnalyzer
from ...core.errors import ConfigError, FaceAnalysisError
from ...core.image_codec import decode_image
from ...core.track import FaceTracker
from ..outputs.hri_faces import (
    FACES,
    HRI_QOS,
    PerFacePublishers,
    expression_msg,
    head_topics,
    softbiometrics_msg,
)
from ..params import HRI_CLASSIFIER, analyzer_config
from ..runtime.base_node import FaceAnalysisNode, run_nodes
from ..runtime.diagnostics import KeyedThrottle


class HriFaceClassifierNode(FaceAnalysisNode):
    KIND = HRI_CLASSIFIER
    USES_CAMERA = False

    def setup(self, values):
        if not values["heads"]:
            raise ConfigError("heads is empty: hri_face_classifier would have nothing to add")
        self.analyzer = FaceAnalyzer(analyzer_config(values, detect=False, classify=True))
        self.size = (values["hri_face_width"], values["hri_face_height"])
        self.outputs = PerFacePublishers(self, head_topics(values["heads"]))
        self.faces: dict[str, dict] = {}  # id -> subscription, tracker (smoothing), timing
        self.tracked_subscription = None
        self._reports = KeyedThrottle()

    def teardown(self):
        for face_id in list(getattr(self, "faces", {})):
            self._drop(face_id)
        if getattr(self, "outputs", None) is not None:
            self.outputs.destroy()
        self.outputs = self.analyzer = None

    def on_activate(self, state):
        self.tracked_subscription = self.create_subscription(
            IdsList, f"{FACES}/tracked", self._on_tracked, HRI_QOS
        )
        return super().on_activate(state)

    def on_deactivate(self, state):
        self.destroy_subscription(self.tracked_subscription)
        for face_id in list(self.faces):
            self._drop(face_id)
        self.outputs.keep_only(())
        return super().on_deactivate(state)

    def _report(self, key: str, reason: str, message: str):
        """Count, and log each (face, problem) at most once every 5 s."""
        self.stats.problem(reason)
        if self._reports.ready(key):
            self.get_logger().warning(message)

    def _on_tracked(self, msg: IdsList):
        valid = []
        for face_id in msg.ids:
            if hri.valid_face_id(face_id):
                valid.append(face_id)
            else:
                self._report(
                    f"id:{face_id}",
                    "malformed face id",
                    f"skipping malformed face id {face_id!r} in {FACES}/tracked "
                    "(REP-155 ids start with a letter: letters, digits, _)",
                )
        for gone in set(self.faces) - set(valid):
            self._drop(gone)
        self.outputs.keep_only(valid)
        now = time.monotonic()
        for face_id in valid:
            face = self.faces.get(face_id)
            if face is None:
                self.faces[face_id] = {
                    "since": now,
                    "seen": False,
                    "tracker": FaceTracker(smoothing_alpha=self.values["smoothing_alpha"]),
                    "subscription": self.create_subscription(
                        Image,
                        f"{FACES}/{face_id}/cropped",
                        lambda image, face_id=face_id: self._on_cropped(face_id, image),
                        HRI_QOS,
                    ),
                }
            elif not face["seen"] and now - face["since"] > self.values["no_image_timeout"]:
                self._report(
                    f"silent:{face_id}",
                    "tracked face without cropped image",
                    f"face {face_id} is tracked but nothing arrives on {FACES}/{face_id}/cropped",
                )

    def _drop(self, face_id: str):
        face = self.faces.pop(face_id)
        self.destroy_subscription(face["subscription"])

    def _on_cropped(self, face_id: str, msg: Image):
        face = self.faces.get(face_id)
        if face is None:
            return
        face["seen"] = True
        start = time.monotonic()
        self.stats.frame_in()
        try:
            crop = decode_image(msg)
            if (crop.shape[1], crop.shape[0]) != self.size:
                self._report(
                    f"size:{face_id}",
                    "cropped image of wrong size",
                    f"skipping {FACES}/{face_id}/cropped: {crop.shape[1]}x{crop.shape[0]}"
                    f" instead of {self.size[0]}x{self.size[1]}",
                )
                return
            box = hri.face_in_crop(crop.shape[1], crop.shape[0])
            (result,) = face["tracker"].update(self.analyzer.classifier.classify(crop, [box]))
        except FaceAnalysisError as exc:
            self._report(
                f"bad:{face_id}",
                getattr(exc, "kind", type(exc).__name__),
                f"skipping {FACES}/{face_id}/cropped: {exc}",
            )
            return
        publishers = self.outputs.get(face_id)
        if result.emotion is not None:
            publishers["expression"].publish(expression_msg(msg.header, result.emotion))
        if result.gender is not None or result.age is not None:
            publishers["softbiometrics"].publish(softbiometrics_msg(msg.header, result))
        self.stats.frame_done(time.monotonic() - start)


def main(args=None):
    run_nodes(HriFaceClassifierNode, args=args)


if __name__ == "__main__":
    main()
