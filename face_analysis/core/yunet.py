"""YuNet (Wu, Peng, Yu: "YuNet: A Tiny Millisecond-level Face Detector", 2023) run by onnxruntime:
a box, a score and five landmarks per face, at any input size.

Its outputs are decoded in yunet_outputs.py, as OpenCV's cv2.FaceDetectorYN decodes them around
the same file (the tests check both agree); the small faces' patches are tiled by mosaic.py.

The weights are third-party data (Apache-2.0), not part of this repository: scripts/setup_env.sh
installs them into models/yunet/ with their LICENSE, and models/MANIFEST.json holds their sha256.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..resources import resource_dir
from .align import eye_angle
from .classify import DEFAULT_PROVIDERS, session_options
from .errors import ConfigError, ModelError
from .geometry import iou_matrix, suppress_overlaps
from .image import to_bgr
from .model_files import MANIFEST, verify_model
from .mosaic import Mosaic
from .setting import Setting, keyword_settings
from .types import FaceBox
from .yunet_outputs import OUTPUTS, clipped, decode, padded_size

YUNET_FILE = "yunet/yunet_s_dynamic.onnx"


def default_model_path() -> Path:
    """models/yunet/yunet_s_dynamic.onnx of the checkout or the install; where it is missing,
    the path beside the model manifest, whose entry then says where to get the file."""
    folder = resource_dir("models", YUNET_FILE)
    if not (folder / YUNET_FILE).is_file():
        folder = resource_dir("models", MANIFEST)
    return folder / YUNET_FILE


class YuNetDetector:
    """A box, a score and five landmarks per face; the settings are described in
    YUNET_SETTINGS (below the class). downscale > 1 shrinks the image before the network, whose
    cost grows with the pixel count: faster, at the cost of the smallest faces, and it drops the
    full-size test photo's one false face (benchmarks/README.md, Detectors). The shrinking is
    bilinear below 2x (`interpolation`: area averaging at a fractional factor costs more for the
    same faces), area averaging from 2x on.

    refine_below > 0: faces narrower than this are small, found and framed at full resolution
    where they are (detect(); docs/detectors.md): their box and landmarks, which the crop is cut
    and turned by, come from a face the network sees at a size it is good at, on an enlarged patch
    of the full-resolution image, instead of a few pixels of the shrunk image.

    derotate_above > 0: faces whose eye line is tilted by this many degrees or more get landmarks
    found again on patches turned upright (_derotated), for the roll and the eyes-level crop of a
    tilted head."""

    # A refinement tile: a face 64 px wide in a 96 px tile is framed as well as in a 192 px one,
    # at a quarter of the pixels; a 32 px face worse (benchmarks/README.md, small faces).
    REFINE_FACE = 64
    REFINE_CONTEXT = 1.5  # the tile's side in face widths
    # Derotation patches: at 60 px the network's eye line barely follows a 30 degree turn, at
    # 128 px (eyes ~45 px apart) most of it; a 224 px tile (1.75 face widths) is context enough
    # on an upright face (benchmarks/bench_head_pose.py).
    DEROTATE_FACE = 128
    DEROTATE_CONTEXT = 1.75
    DEROTATE_PASSES = 3
    DEROTATE_SETTLED = math.radians(1.0)  # a pass that turns the eye line less ends the passes

    def __init__(
        self,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        min_size: float = 0.0,
        downscale: float = 1.5,
        refine_below: float = 32.0,
        search_every: int = 20,
        derotate_above: float = 0.0,
        threads: int = 1,
        model: str | None = None,
    ):
        if not 0.0 <= score_threshold <= 1.0:
            raise ConfigError(f"yunet: score_threshold must be in [0, 1], got {score_threshold}")
        if not 0.0 < nms_threshold <= 1.0:
            raise ConfigError(f"yunet: nms_threshold must be in (0, 1], got {nms_threshold}")
        if min_size < 0:
            raise ConfigError(f"yunet: min_size must be >= 0, got {min_size}")
        if not downscale >= 1.0:
            raise ConfigError(f"yunet: downscale must be >= 1, got {downscale}")
        if refine_below < 0:
            raise ConfigError(f"yunet: refine_below must be >= 0, got {refine_below}")
        if search_every < 0:
            raise ConfigError(f"yunet: search_every must be >= 0, got {search_every}")
        if not 0 <= derotate_above < 90:
            raise ConfigError(f"yunet: derotate_above must be in [0, 90), got {derotate_above}")
        self.path = str(model or default_model_path())
        self.sha256 = verify_model(self.path)
        try:
            self.session = ort.InferenceSession(
                self.path,
                sess_options=session_options(threads, 1),
                providers=list(DEFAULT_PROVIDERS),
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise ModelError(f"{self.path}: not a loadable ONNX model ({exc})") from exc
        outputs = {o.name for o in self.session.get_outputs()}
        if [i.name for i in self.session.get_inputs()] != ["input"] or not outputs >= set(OUTPUTS):
            raise ModelError(
                f"{self.path}: not a YuNet model (expected input 'input' and "
                f"outputs {list(OUTPUTS)})"
            )
        self.score_threshold, self.nms_threshold = float(score_threshold), float(nms_threshold)
        self.min_size, self.downscale = float(min_size), float(downscale)
        self.refine_below, self.search_every = float(refine_below), int(search_every)
        self.derotate_above = float(derotate_above)
        self._derotate = math.radians(self.derotate_above)
        self.interpolation = cv2.INTER_LINEAR if self.downscale < 2.0 else cv2.INTER_AREA
        self._blobs: dict[tuple[int, int], np.ndarray] = {}

    def detect(
        self, image: np.ndarray, search: bool = False, expected: Sequence[FaceBox] = ()
    ) -> list[FaceBox]:
        """The faces of a uint8 gray/BGR/BGRA image. With refine_below > 0: `search` takes the
        small faces of the full-resolution image instead of the shrunk one's; `expected` small
        boxes (the tracker's predictions) that no face found covers are looked for where they
        are; every small face is framed on its patch."""
        bgr = to_bgr(image)
        faces = self._faces(bgr, self.downscale)
        if self.refine_below:
            if search and self.downscale > 1.0:
                # Only small ones: at full resolution a shoe of the full-size test photo is one too.
                small = [face for face in self._faces(bgr, 1.0) if self._small(face)]
                faces = small + self._uncovered(faces, small)
            expected = self._uncovered([box for box in expected if self._small(box)], faces)
            faces = self._refined(bgr, faces, expected)
        if self.derotate_above:
            faces = self._derotated(bgr, faces)
        return faces

    def _faces(self, bgr: np.ndarray, downscale: float) -> list[FaceBox]:
        """The network's faces on the image shrunk by `downscale`, in the image's pixels."""
        height, width = bgr.shape[:2]
        scale = (1.0, 1.0)
        if downscale > 1.0:
            size = (max(1, round(width / downscale)), max(1, round(height / downscale)))
            # self.interpolation: below 2x, bilinear is much cheaper than area averaging at a
            # fractional factor and finds the same faces (bench_detectors.py); from 2x on,
            # bilinear skips pixels.
            bgr = cv2.resize(bgr, size, interpolation=self.interpolation)
            scale = (width / size[0], height / size[1])
        outputs = self.session.run(OUTPUTS, {"input": self._blob(bgr)})
        return self._decoded(outputs, bgr.shape, scale, (height, width))

    def _small(self, face: FaceBox) -> bool:
        return face.width < self.refine_below

    def _uncovered(self, faces: Sequence[FaceBox], others: Sequence[FaceBox]) -> list[FaceBox]:
        """The faces that overlap none of `others` as much as non-maximum suppression allows."""
        if not faces or not others:
            return list(faces)
        overlap = iou_matrix(faces, others).max(axis=1)
        return [face for face, iou in zip(faces, overlap) if iou < self.nms_threshold]

    def _refined(
        self, bgr: np.ndarray, faces: list[FaceBox], expected: Sequence[FaceBox]
    ) -> list[FaceBox]:
        """`faces` with each small one found again on its enlarged patch (box and landmarks from
        there, score kept) and the `expected` boxes found on theirs, all in one call. A small
        face its patch does not confirm is dropped: on the bundled recording those were boxes
        of the shrunk frame between two faces or on none (benchmarks/README.md, small faces)."""
        small = [face for face in faces if self._small(face)]
        found = self._found_again(
            bgr,
            small + list(expected),
            [0.0] * (len(small) + len(expected)),
            self.REFINE_FACE,
            self.REFINE_CONTEXT,
        )
        again = [
            replace(hit, score=face.score) for face, hit in zip(small, found) if hit is not None
        ] + [hit for hit in found[len(small) :] if hit is not None]
        framed = [clipped(face, bgr.shape) for face in again]
        # Two patches may find one face (a box between two faces, a prediction off by some).
        return suppress_overlaps(
            [face for face in faces if not self._small(face)]
            + [face for face in framed if face is not None],
            self.nms_threshold,
        )

    def _found_again(
        self,
        bgr: np.ndarray,
        faces: list[FaceBox],
        angles: list[float],
        face_pixels: int,
        context: float,
    ) -> list[FaceBox | None]:
        """Each face found again on its tile of one Mosaic (one network call): the face nearest
        the tile's centre, within half a face width, in image pixels; or None."""
        if not faces:
            return []
        mosaic = Mosaic.around(bgr, faces, angles, face_pixels, context)
        shape = mosaic.image.shape
        outputs = self.session.run(OUTPUTS, {"input": self._blob(mosaic.image)})
        return mosaic.nearest(self._decoded(outputs, shape, (1.0, 1.0), shape[:2]), face_pixels / 2)

    def _derotated(self, bgr: np.ndarray, faces: list[FaceBox]) -> list[FaceBox]:
        """`faces` whose eye line is tilted by derotate_above degrees or more, with landmarks
        found again on a patch turned upright by that tilt, DEROTATE_PASSES times at most: the
        network's landmarks follow about half of an in-plane turn (its training faces are mostly
        upright), so each pass finds the rest (as progressive calibration does, Shi et al.
        2018). The box stays the first one (the axis-aligned box the crop expects)."""
        out = list(faces)
        todo = [i for i, f in enumerate(faces) if abs(eye_angle(f.landmarks)) >= self._derotate]
        for _ in range(self.DEROTATE_PASSES):
            if not todo:
                break
            angles = [eye_angle(out[i].landmarks) for i in todo]
            found = self._found_again(
                bgr, [out[i] for i in todo], angles, self.DEROTATE_FACE, self.DEROTATE_CONTEXT
            )
            again = []
            for i, angle, hit in zip(todo, angles, found):
                if hit is None:
                    continue
                out[i] = replace(out[i], landmarks=hit.landmarks)
                if abs(eye_angle(hit.landmarks) - angle) >= self.DEROTATE_SETTLED:
                    again.append(i)
            todo = again
        return out

    def _decoded(self, outputs, shape, scale, image_shape) -> list[FaceBox]:
        return decode(
            outputs,
            shape,
            scale,
            image_shape,
            self.score_threshold,
            self.nms_threshold,
            self.min_size,
        )

    def _blob(self, bgr: np.ndarray) -> np.ndarray:
        """The network input: float32 1x3xHxW, BGR 0-255, zero-padded on the right and bottom to
        multiples of 32. One buffer per frame size, so the padding is zeroed once and each frame
        costs a single converting copy."""
        height, width = bgr.shape[:2]
        blob = self._blobs.get((height, width))
        if blob is None:
            padded = (padded_size(height), padded_size(width))
            blob = self._blobs[(height, width)] = np.zeros((1, 3, *padded), np.float32)
        blob[0, :, :height, :width] = bgr.transpose(2, 0, 1)
        return blob


YUNET_SETTINGS = keyword_settings(
    YuNetDetector,
    Setting(
        "score_threshold",
        "Least face score (the square root of its class and objectness outputs); weaker faces "
        "are not reported.",
        range=(0.0, 1.0),
    ),
    Setting(
        "nms_threshold",
        "Box overlap (IoU) above which the lower-scoring of two boxes is dropped (non-maximum "
        "suppression).",
        range=(0.01, 1.0),
    ),
    Setting(
        "min_size",
        "Smallest face reported, pixels of the input image (box width and height); 0 = all.",
        unit="px",
        range=(0.0, 2000.0),
    ),
    Setting(
        "downscale",
        "Shrink the image by this factor before the network (bilinear below 2, area averaging "
        "from 2): faster, but the smallest faces are lost (benchmarks/README.md, Detectors). "
        "Boxes and landmarks are mapped back.",
        range=(1.0, 8.0),
    ),
    Setting(
        "refine_below",
        "Faces narrower than this are small: each is found again on an enlarged patch of the "
        "full-resolution image, for a finer box and landmarks (the crop's), all patches tiled in "
        "one network call, and dropped if its patch shows no face. The analyzer also searches "
        "the full-resolution frame for them (search_every) and looks for the tracker's small "
        "faces where it predicts them (docs/detectors.md). 0 = off.",
        unit="px",
        range=(0.0, 2000.0),
    ),
    Setting(
        "search_every",
        "Every k-th detection frame (the first, then every k-th) the full-resolution frame is "
        "searched too, for the faces narrower than refine_below that the shrunk one loses; in "
        "between, the tracker carries them and they are looked for where it predicts them. "
        "0 = no search: only the small faces the shrunk frame shows.",
        unit="frames",
        range=(0, 300),
    ),
    Setting(
        "derotate_above",
        "Faces whose eye line is tilted by this much or more get their landmarks found again on "
        f"patches turned upright (up to {YuNetDetector.DEROTATE_PASSES} passes), since the "
        "network's landmarks follow only part of an in-plane head tilt: the head roll and the "
        "eyes-level crop of a tilted head then follow it. Adds to the detector's time "
        "(benchmarks/README.md, head pose); 0 = off.",
        unit="degrees",
        range=(0.0, 45.0),
    ),
    Setting(
        "threads",
        "onnxruntime threads of the network; 0 lets onnxruntime choose (all cores).",
        unit="threads",
        range=(0, 64),
    ),
    Setting(
        "model",
        "The .onnx weights; none given: the installed models/yunet/yunet_s_dynamic.onnx. A file "
        "listed in the nearest models/MANIFEST.json must match its sha256, else loading fails "
        "naming the file and where to get it.",
    ),
)


def fixed_shape_model(path: str, width: int, height: int) -> bytes:
    """The model with its input and output shapes fixed for one frame size, for
    cv2.FaceDetectorYN.create("onnx", bytes, ...): OpenCV's ONNX importer (4.14) rejects the
    dynamic file's symbolic shapes. Same graph and weights; needs the onnx package."""
    import onnx

    model = onnx.load(path)
    padded = (1, 3, padded_size(height), padded_size(width))
    session = ort.InferenceSession(path, providers=list(DEFAULT_PROVIDERS))
    outputs = session.run(
        [o.name for o in model.graph.output], {"input": np.zeros(padded, np.float32)}
    )
    del model.graph.value_info[:]  # stale symbolic shapes of the intermediate tensors
    for value, dims in [(model.graph.input[0], padded)] + [
        (o, a.shape) for o, a in zip(model.graph.output, outputs)
    ]:
        shape = value.type.tensor_type.shape
        shape.ClearField("dim")
        for size in dims:
            shape.dim.add().dim_value = size
    return model.SerializeToString()
