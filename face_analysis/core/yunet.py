"""YuNet (Wu, Peng, Yu: "YuNet: A Tiny Millisecond-level Face Detector", 2023) run by onnxruntime:
a box, a score and five landmarks per face, at any input size.

The network is anchor-free: every cell of the stride-8, 16 and 32 feature maps predicts a face
classification score and an objectness score (score = sqrt(cls * obj)), the face centre as an
offset from the cell's corner and its size as a log, both in units of the stride, and the five
landmarks as offsets from the cell's corner. Decoding those, then non-maximum suppression, is what
OpenCV's cv2.FaceDetectorYN does around the same file; the tests check both agree.

The weights are third-party data (Apache-2.0), not part of this repository: scripts/setup_env.sh
installs them into models/yunet/ with their LICENSE, and models/MANIFEST.json holds their sha256.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..resources import resource_dir
from .align import eye_angle
from .classify import DEFAULT_PROVIDERS, session_options
from .errors import ConfigError, ModelError
from .image import clip_box, to_bgr
from .model_files import MANIFEST, verify_model
from .preprocess import PreprocessError
from .types import FaceBox

YUNET_FILE = "yunet/yunet_s_dynamic.onnx"
STRIDES = (8, 16, 32)
DIVISOR = 32  # the input's height and width must be multiples of the coarsest stride
OUTPUTS = tuple(f"{kind}_{stride}" for kind in ("cls", "obj", "bbox", "kps") for stride in STRIDES)


def padded_size(pixels: int) -> int:
    """The network's input side for an image side: rounded up to a multiple of DIVISOR."""
    return -(-pixels // DIVISOR) * DIVISOR


def default_model_path() -> Path:
    """models/yunet/yunet_s_dynamic.onnx of the checkout or the install; where it is missing,
    the path beside the model manifest, whose entry then says where to get the file."""
    folder = resource_dir("models", YUNET_FILE)
    if not (folder / YUNET_FILE).is_file():
        folder = resource_dir("models", MANIFEST)
    return folder / YUNET_FILE


class YuNetDetector:
    """score_threshold: least sqrt(cls * obj); nms_threshold: IoU above which the lower-scoring
    of two boxes is dropped; min_size: faces whose box is narrower or lower than this many pixels
    are dropped (0 keeps all), measured in the input image; downscale > 1 shrinks the image by
    that factor before the network, boxes and landmarks are mapped back. The network's cost grows
    with the pixel count: at 640x480 the default 1.5 costs ~0.8x what BlazeFace full-range does
    (1.25: ~1.0x, 1.0: ~1.5x), finds 0.97 of the recording's faces (1.25: 0.99, 1.0: 0.998) and
    drops the full-size test photo's one false face (DETECTORS.md). The shrinking is bilinear
    below 2x (`interpolation`; area averaging at a fractional factor cost a fifth of the
    detector for the same faces), area averaging from 2x on. refine_below > 0: faces found narrower
    than this many pixels are found again on a patch of the full-resolution image around them,
    enlarged so the face is REFINE_FACE pixels wide (all such patches in one network call): their
    box and landmarks, which the crop is cut and turned by, come from a face the network sees
    at a size it is good at, instead of a few pixels of the shrunk image
    (benchmarks/bench_face_size.py). derotate_above > 0: faces whose eye line is tilted by this
    many degrees or more get landmarks found again on patches turned upright (_derotated), for
    the roll and the eyes-level crop of a tilted head. threads: onnxruntime intra-op threads; model: the .onnx file
    (default: the installed yunet_s_dynamic.onnx, checked against models/MANIFEST.json)."""

    REFINE_FACE = 64  # pixels: the face's width in a refinement patch
    REFINE_CONTEXT = 3.0  # the patch's side in face widths: the network needs the face's surround
    # Derotation patches: at 60 px the network's eye line barely follows a 30 degree turn, at
    # 128 px (eyes ~45 px apart) most of it; a 1.6-face patch is context enough on an upright
    # face (benchmarks/bench_head_pose.py).
    DEROTATE_FACE = 128
    DEROTATE_CONTEXT = 1.6
    DEROTATE_PASSES = 3
    DEROTATE_SETTLED = math.radians(1.0)  # a pass that turns the eye line less ends the passes

    def __init__(
        self,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        min_size: float = 0.0,
        downscale: float = 1.5,
        refine_below: float = 0.0,
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
        self.refine_below = float(refine_below)
        self.derotate_above = float(derotate_above)
        self._derotate = math.radians(self.derotate_above)
        self.interpolation = cv2.INTER_LINEAR if self.downscale < 2.0 else cv2.INTER_AREA
        self._blobs: dict[tuple[int, int], np.ndarray] = {}

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        bgr = to_bgr(image)
        height, width = bgr.shape[:2]
        scale = (1.0, 1.0)
        if self.downscale > 1.0:
            size = (max(1, round(width / self.downscale)), max(1, round(height / self.downscale)))
            # self.interpolation: below 2x, bilinear costs ~0.2 ms at 640x480 where area
            # averaging at a fractional factor costs ~1.5 ms (a fifth of the detector) and
            # finds the same faces (bench_detectors.py); from 2x on, bilinear skips pixels.
            bgr = cv2.resize(bgr, size, interpolation=self.interpolation)
            scale = (width / size[0], height / size[1])
        outputs = self.session.run(OUTPUTS, {"input": self._blob(bgr)})
        faces = self._decode(outputs, bgr.shape, scale, (height, width))
        if self.refine_below and any(face.width < self.refine_below for face in faces):
            faces = self._refined(to_bgr(image), faces)
        if self.derotate_above:
            faces = self._derotated(to_bgr(image), faces)
        return faces

    def _refined(self, bgr: np.ndarray, faces: list[FaceBox]) -> list[FaceBox]:
        """`faces` with the box and landmarks of each one narrower than refine_below replaced by
        those found on its enlarged patch (when the network finds a face at the patch centre)."""
        small = [i for i, face in enumerate(faces) if face.width < self.refine_below]
        found = self._found_again(
            bgr,
            [faces[i] for i in small],
            [0.0] * len(small),
            self.REFINE_FACE,
            self.REFINE_CONTEXT,
        )
        refined = list(faces)
        for i, again in zip(small, found):
            if again is not None:
                box, landmarks = again
                try:
                    refined[i] = clip_box(FaceBox(*box, faces[i].score, landmarks), bgr.shape)
                except PreprocessError:
                    continue
        return refined

    def _found_again(
        self,
        bgr: np.ndarray,
        faces: list[FaceBox],
        angles: list[float],
        face_pixels: int,
        context: float,
    ) -> list[tuple[tuple[float, ...], tuple] | None]:
        """Each face found again (all in one network call) on a patch of `bgr` around it, scaled
        so the face is `face_pixels` wide in a patch `context` face widths wide, and turned
        counter-clockwise by its angle (radians): the box corners (x0, y0, x1, y1; exact only for
        an unturned patch) and the five landmarks in image pixels, or None where the network
        finds no face at the patch centre."""
        side = padded_size(round(face_pixels * context))
        blob = np.empty((len(faces), 3, side, side), np.float32)
        maps = []
        for row, (face, angle) in enumerate(zip(faces, angles)):
            centre = ((face.x_min + face.x_max) / 2, (face.y_min + face.y_max) / 2)
            to_patch = cv2.getRotationMatrix2D(
                centre, math.degrees(angle), face_pixels / face.width
            )
            to_patch[:, 2] += np.array([side / 2, side / 2]) - np.array(centre)
            patch = cv2.warpAffine(
                bgr, to_patch, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            blob[row] = patch.transpose(2, 0, 1)
            maps.append(cv2.invertAffineTransform(to_patch))
        outputs = self.session.run(OUTPUTS, {"input": blob})
        result = []
        for row, back in enumerate(maps):
            found = self._decode(outputs, (side, side), (1.0, 1.0), (side, side), row)
            near = [f for f in found if _centre_distance(f, side / 2) < face_pixels / 2]
            if not near:
                result.append(None)  # not confirmed on the patch: keep what was found first
                continue
            best = min(near, key=lambda f: _centre_distance(f, side / 2))
            corners = [(best.x_min, best.y_min), (best.x_max, best.y_max), *best.landmarks]
            points = np.hstack([np.array(corners), np.ones((len(corners), 1))]) @ back.T
            (x0, y0), (x1, y1) = points[:2].tolist()
            result.append(((x0, y0, x1, y1), tuple(map(tuple, points[2:].tolist()))))
        return result

    def _derotated(self, bgr: np.ndarray, faces: list[FaceBox]) -> list[FaceBox]:
        """`faces` whose eye line is tilted by derotate_above degrees or more, with landmarks
        found again on a patch turned upright by that tilt, DEROTATE_PASSES times at most: the
        network's landmarks follow only about half of a face's in-plane turn (its training faces
        are mostly upright), on an upright face they follow all of it, so each pass finds the
        rest of the turn (as in progressive calibration, Shi et al. 2018). The box stays the
        first one (the axis-aligned box of the tilted face, which the crop expects)."""
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
                out[i] = replace(out[i], landmarks=hit[1])
                if abs(eye_angle(hit[1]) - angle) >= self.DEROTATE_SETTLED:
                    again.append(i)
            todo = again
        return out

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

    def _decode(
        self,
        outputs: list[np.ndarray],
        shape: tuple[int, ...],
        scale: tuple[float, float],
        image_shape: tuple[int, int],
        item: int = 0,
    ) -> list[FaceBox]:
        """Faces in the image of `image_shape`, from the network's outputs (batch row `item`) on
        an image of `shape` that was shrunk by `scale` (x, y)."""
        padded_width = padded_size(shape[1])
        scores, boxes, points = [], [], []
        for i, stride in enumerate(STRIDES):
            cls, obj, bbox, kps = (outputs[i + k * len(STRIDES)][item] for k in range(4))
            # cls and obj leave sigmoids, so sqrt(cls * obj) >= t is cls * obj >= t * t: the
            # square root is taken for the few anchors kept only.
            product = cls[:, 0] * obj[:, 0]
            cells = np.flatnonzero(product >= self.score_threshold**2)
            if not len(cells):
                continue
            # Cell (row, col) of each kept anchor, as the corner the offsets are measured from.
            corner = np.stack(
                [cells % (padded_width // stride), cells // (padded_width // stride)], axis=1
            ).astype(np.float32)
            centre = (corner + bbox[cells, :2]) * stride
            size = np.exp(bbox[cells, 2:]) * stride
            boxes.append(np.concatenate([centre - size / 2, size], axis=1))
            points.append((kps[cells].reshape(-1, 5, 2) + corner[:, None, :]) * stride)
            scores.append(np.sqrt(np.clip(product[cells], 0, 1)))
        if not scores:
            return []
        scores, boxes, points = (
            np.concatenate(scores),
            np.concatenate(boxes),
            np.concatenate(points),
        )
        if scale != (1.0, 1.0):
            boxes *= np.tile(np.float32(scale), 2)
            points *= np.float32(scale)
        if self.min_size:
            large = boxes[:, 2:].min(axis=1) >= self.min_size
            scores, boxes, points = scores[large], boxes[large], points[large]
        keep = cv2.dnn.NMSBoxes(
            boxes.tolist(), scores.tolist(), self.score_threshold, self.nms_threshold
        )
        faces = []
        for k in np.asarray(keep, dtype=int).reshape(-1).tolist():
            x, y, w, h = boxes[k].tolist()
            landmarks = tuple(map(tuple, points[k].tolist()))
            try:
                faces.append(
                    clip_box(FaceBox(x, y, x + w, y + h, float(scores[k]), landmarks), image_shape)
                )
            except PreprocessError:
                continue  # wholly in the padding or off the frame: nothing to classify
        return faces


def _centre_distance(face: FaceBox, centre: float) -> float:
    """Distance of the box centre from (centre, centre)."""
    return float(
        np.hypot((face.x_min + face.x_max) / 2 - centre, (face.y_min + face.y_max) / 2 - centre)
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
