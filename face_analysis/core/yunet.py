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

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..resources import resource_dir
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
    (benchmarks/bench_face_size.py). threads: onnxruntime intra-op threads; model: the .onnx file
    (default: the installed yunet_s_dynamic.onnx, checked against models/MANIFEST.json)."""

    REFINE_FACE = 64  # pixels: the face's width in a refinement patch
    REFINE_CONTEXT = 3.0  # the patch's side in face widths: the network needs the face's surround

    def __init__(
        self,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        min_size: float = 0.0,
        downscale: float = 1.5,
        refine_below: float = 0.0,
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
        return faces

    def _refined(self, bgr: np.ndarray, faces: list[FaceBox]) -> list[FaceBox]:
        """`faces` with the box and landmarks of each one narrower than refine_below replaced by
        those found on its enlarged patch (when the network finds a face at the patch centre)."""
        small = [i for i, face in enumerate(faces) if face.width < self.refine_below]
        side = padded_size(round(self.REFINE_FACE * self.REFINE_CONTEXT))
        blob = np.empty((len(small), 3, side, side), np.float32)
        maps = []
        for row, i in enumerate(small):
            face = faces[i]
            zoom = self.REFINE_FACE / face.width
            centre = ((face.x_min + face.x_max) / 2, (face.y_min + face.y_max) / 2)
            # patch pixel p samples the image at (p - side / 2) / zoom + centre
            to_patch = np.float32(
                [[zoom, 0, side / 2 - zoom * centre[0]], [0, zoom, side / 2 - zoom * centre[1]]]
            )
            patch = cv2.warpAffine(
                bgr, to_patch, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            blob[row] = patch.transpose(2, 0, 1)
            maps.append((zoom, centre))
        outputs = self.session.run(OUTPUTS, {"input": blob})
        refined = list(faces)
        for row, (i, (zoom, centre)) in enumerate(zip(small, maps)):
            found = self._decode(outputs, (side, side), (1.0, 1.0), (side, side), row)
            near = [f for f in found if _centre_distance(f, side / 2) < self.REFINE_FACE / 2]
            if not near:
                continue  # not confirmed at the larger size: keep the first box
            best = min(near, key=lambda f: _centre_distance(f, side / 2))

            # Patch pixels back to image pixels: box corners, then the five landmarks.
            corners = [(best.x_min, best.y_min), (best.x_max, best.y_max), *best.landmarks]
            points = (np.array(corners) - side / 2) / zoom + np.array(centre)
            (x0, y0), (x1, y1) = points[:2].tolist()
            landmarks = tuple(map(tuple, points[2:].tolist()))
            try:
                box = FaceBox(x0, y0, x1, y1, faces[i].score, landmarks)
                refined[i] = clip_box(box, bgr.shape)
            except PreprocessError:
                continue
        return refined

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
