"""Who is this, on the nodes that classify (face_classifier, face_analysis_pipeline): builds the
node's FaceAnalyzer with identity run off the frame path (identity_worker.py, with the network in
its own process: embedding_process.py), keeps the newest analysed frame for enrolling, and serves
~/enrol, ~/forget and ~/forget_all (srv/*.srv). A service's work runs on the identity worker, so
a gallery that another process keeps locked delays the reply, never the camera's frames; any
refusal (no face, several faces, a name taken, nobody of that name, a locked or corrupt gallery,
identity off, the node not configured) is the reply's message, and nothing is written then."""

from __future__ import annotations

import time

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup

from face_analysis.srv import Enrol, Forget, ForgetAll

from ...core.analyzer import FaceAnalyzer
from ...core.config import AnalyzerConfig
from ...core.errors import ConfigError, EnrolmentError, FaceAnalysisError, GalleryError
from ...core.hri import FaceIds
from ...core.identity.gallery import Consent, Person
from ...core.identity.identifier import Identifier, choose_face
from ...core.identity.reid import MIN_FACE_PX, face_quality
from .embedding_process import ProcessEmbedder
from .identity_worker import IdentityWorker

FRESH_FRAME_S = 2.0  # enrol takes a face from a frame at most this old
RECOUNT_S = 5.0  # how often /diagnostics re-reads the number of people enrolled


class NodeIdentity:
    def __init__(self, node):
        self.node = node
        self.configured = False
        self.mode = "off"
        self.analyzer = self.identifier = self.embedder = self.worker = None
        self.enrolled: int | None = None  # people in the gallery, as last counted
        self._counted = 0.0
        self._newest = None  # (monotonic time, frame, results) of the newest analysed frame
        # A group of their own: a service awaiting the worker holds its callback group, and in
        # the node's default group that would hold back the camera's callbacks until it replies.
        group = MutuallyExclusiveCallbackGroup()
        node.create_service(Enrol, "~/enrol", self._enrol, callback_group=group)
        node.create_service(Forget, "~/forget", self._forget, callback_group=group)
        node.create_service(ForgetAll, "~/forget_all", self._forget_all, callback_group=group)

    # --- the node's lifecycle and frame path

    def make_analyzer(self, config: AnalyzerConfig) -> FaceAnalyzer:
        """The node's analyzer; with identity on, its Identifier embeds on the worker."""
        config.validate()
        self.configured, self.mode = True, config.identity
        if config.identity == "off":
            return FaceAnalyzer(config)
        try:
            self.embedder = ProcessEmbedder()
            self.identifier = Identifier(
                config.identity,
                config.identity_memory_s,
                config.identity_threshold,
                config.identity_max_per_frame,
                config.identity_gallery,
                embedder=self.embedder,
                token=FaceIds().token,  # a new one per run, as REP-155 face ids
            )
        except FaceAnalysisError:
            self.teardown()
            raise
        self.worker = IdentityWorker(
            self.identifier, lambda reason: self.node.stats.problem(reason), self.node.get_logger()
        )
        self.identifier.embed_faces = self.worker.embed  # the hook: queue, never wait
        self.worker.start()
        # Given this Identifier, whose network runs in the child process, the analyzer builds
        # none of its own (which would load dlib in this one).
        self.analyzer = analyzer = FaceAnalyzer(config, identity=self.identifier)
        self._count_people()
        where = f", gallery {config.identity_gallery}: {self.enrolled} people enrolled"
        self.node.get_logger().info(
            f"identity: {config.identity}{where if self.identifier.gallery else ''}"
        )
        return analyzer

    def remember(self, frame, results) -> None:
        """Frame path: the newest analysed frame (a reference, no copy), for enrolling."""
        if self.worker is not None:
            self._newest = (time.monotonic(), frame, results)

    def diagnostic_values(self) -> dict:
        values = {"identity": self.mode}
        if self.worker is None:
            return values
        if self.identifier.gallery is not None:
            if time.monotonic() - self._counted > RECOUNT_S:  # another process may change it
                self._counted = time.monotonic()
                self.worker.submit(self._count_people)
            values["people enrolled"] = self.enrolled
        values["faces embedded"] = self.worker.embedded
        return values

    def teardown(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.identifier is not None:
            self.identifier.close()
        if self.embedder is not None:
            self.embedder.close()
        self.analyzer = self.identifier = self.embedder = self.worker = self._newest = None
        self.configured, self.mode = False, "off"

    def _count_people(self) -> None:
        """Worker thread (or configure): how many people the gallery holds; kept as it was when
        the gallery cannot be read now."""
        if self.identifier.gallery is not None:
            try:
                self.enrolled = len(self.identifier.people())
            except GalleryError as exc:
                self.node.get_logger().warning(f"cannot count the people enrolled: {exc}")

    # --- services: the executor thread checks and hands over, the identity worker does

    def _running(self) -> IdentityWorker:
        if not self.configured:
            raise ConfigError(
                f"{self.node.get_name()} is not configured: configure (and activate) it first"
            )
        if self.worker is None:
            raise ConfigError(
                "identity is off: set the parameter identity to gallery (with identity_gallery) "
                "and configure again to enrol and forget people"
            )
        return self.worker

    async def _serve(self, response, job, done):
        """Run job() on the worker; done(response, its result) fills the reply and returns what
        to log (ids, never a name: a forgotten person's name must not stay in the log files). A
        refusal or a failure becomes the reply's message."""
        response.success = False
        try:
            result = await self._running().submit(job)
        except FaceAnalysisError as exc:
            response.message = str(exc)
        except Exception as exc:  # noqa: BLE001 - the worker logged it; the node goes on
            response.message = f"internal error (in the node's log): {exc}"
        else:
            response.success = True
            self.node.get_logger().info(done(response, result))
        return response

    async def _enrol(self, request, response):
        try:
            self._running()
            frame, results = self._fresh_frame()
        except FaceAnalysisError as exc:
            response.success, response.message = False, str(exc)
            return response

        def done(response, person: Person):
            response.person_id = person.id
            response.message = f"enrolled {person.name!r} as {person.id}"
            return f"enrol: {person.id} enrolled"

        return await self._serve(response, lambda: self._enrol_job(request, frame, results), done)

    async def _forget(self, request, response):
        def done(response, person: Person):
            response.person_id, response.name = person.id, person.name
            response.message = f"forgot {person.name!r} ({person.id}): erased from the gallery"
            return f"forget: {person.id} erased"

        return await self._serve(response, lambda: self._forget_job(request.name_or_id), done)

    async def _forget_all(self, request, response):
        def done(response, count: int):
            response.forgotten = count
            response.message = f"forgot everyone: {count} people erased from the gallery"
            return response.message

        return await self._serve(response, self._forget_all_job, done)

    def _fresh_frame(self):
        newest = self._newest
        if newest is None or time.monotonic() - newest[0] > FRESH_FRAME_S:
            raise EnrolmentError(
                f"no camera frame analysed in the last {FRESH_FRAME_S:g} s to take the face "
                "from: is the node active and the camera publishing?"
            )
        return newest[1:]

    # --- the jobs, on the identity worker

    def _enrol_job(self, request, frame, results) -> Person:
        result = face_to_enrol(results, request.track_id)
        consent = Consent(
            how=request.consent.strip(),
            by=request.recorded_by.strip() or self.node.get_fully_qualified_name(),
        )
        if not consent.how:
            raise EnrolmentError(
                "no consent given: say how the person agreed to be recognised (consent)"
            )
        # The embeddings of the track's best views so far, else this frame's face.
        if len(self.identifier.reid.samples(result.track_id)):
            face = result.track_id
        elif face_quality(result.box) > 0:
            face = result.box
        else:
            raise EnrolmentError(
                f"track {result.track_id} is too small ({result.box.width:.0f} px, at least "
                f"{MIN_FACE_PX:.0f}) or has no landmarks (YuNet gives them) to enrol"
            )
        person = self.analyzer.enrol(request.name.strip(), consent, frame, face)
        self._count_people()
        return person

    def _forget_job(self, name_or_id: str) -> Person:
        if not name_or_id.strip():
            raise GalleryError("say whom to forget: a name or a person id (name_or_id)")
        person = self.analyzer.forget(name_or_id.strip())
        self._count_people()
        return person

    def _forget_all_job(self) -> int:
        count = self.analyzer.forget_all()
        self._count_people()
        return count


def face_to_enrol(results, track_id: int):
    """The result of the face with this track id; -1: the only face, or one clearly the
    largest (core's choose_face)."""
    in_view = ", ".join(str(r.track_id) for r in results) or "none"
    if track_id >= 0:
        for result in results:
            if result.track_id == track_id:
                return result
        raise EnrolmentError(f"no face with track id {track_id} in view (track ids: {in_view})")
    try:
        box = choose_face([result.box for result in results])
    except EnrolmentError as exc:
        raise EnrolmentError(f"{exc} (track ids in view: {in_view})") from exc
    return next(result for result in results if result.box is box)
