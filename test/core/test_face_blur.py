"""core/anonymize.py: the blur of privacy mode and of anonymised recordings leaves no face for the
detector to find; privacy mode's results keep every label of the heads, and its overlay draws
them; a tracked face stays blurred on the frames the detector misses it."""

import cv2
import numpy as np
import pytest
from face_data import DEMO
from paths import TEST_PHOTO

from face_analysis.core.analyzer import FaceAnalyzer
from face_analysis.core.anonymize import FrameAnonymizer, blur_faces, private_view
from face_analysis.core.config import AnalyzerConfig, with_heads
from face_analysis.core.draw import caption_layout, draw_results, face_caption
from face_analysis.core.types import FaceBox

PHOTOS = sorted(p for p in DEMO.iterdir() if p.suffix in (".jpg", ".png"))


def detector() -> FaceAnalyzer:
    return FaceAnalyzer(with_heads(AnalyzerConfig(), ()))


@pytest.mark.parametrize("size", [(320, 240), (640, 480), None], ids=["320", "640", "full"])
def test_no_face_is_found_in_the_privacy_overlay_of_the_demo_photos(size):
    find, analyzed, found = detector(), 0, []
    for path in PHOTOS:
        image = cv2.imread(str(path))
        if size is not None:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        find.reset()
        results = find.analyze(image)
        analyzed += len(results)
        overlay = draw_results(*private_view(image, results))
        found += [(path.name, box.as_tuple()) for box in find.detect(overlay)]
    print(f"{size}: {len(found)} faces found in the overlay of {analyzed}")
    assert analyzed >= len(PHOTOS)  # the photos have faces, so the blur had work to do
    assert found == []


def test_private_view_drops_landmarks_and_blurs_only_the_face():
    image = np.full((100, 100, 3), 200, np.uint8)
    image[40:60, 40:60] = 0
    landmarks = ((45, 45), (55, 45), (50, 50), (46, 55), (54, 55))
    (result,) = detector().classify(image, [FaceBox(40, 40, 60, 60, 0.9, landmarks)])
    blurred, (bare,) = private_view(image, [result])
    assert bare.box.landmarks is None and bare.track_id == result.track_id
    assert blurred[50, 50].min() > 0  # the dark square is smeared into its surroundings
    assert (blurred[:20] == image[:20]).all()  # far from the face nothing changes


def test_private_view_keeps_the_labels_of_the_shipped_heads():
    image = cv2.imread(str(TEST_PHOTO))
    results = FaceAnalyzer(AnalyzerConfig()).analyze(image)  # emotion, gender and age heads
    assert len(results) == 6
    assert all(r.gender and r.emotion and r.age for r in results)  # labels to keep
    blurred, bare = private_view(image, results)
    assert len(bare) == len(results)
    for original, private in zip(results, bare):
        assert private.box == original.box and private.box.landmarks is None
        assert (private.track_id, private.age) == (original.track_id, original.age)
        for head in ("gender", "emotion"):
            ours, theirs = getattr(private, head), getattr(original, head)
            assert (ours.labels, ours.label) == (theirs.labels, theirs.label)
            np.testing.assert_array_equal(ours.probs, theirs.probs)
        caption = " ".join(face_caption(private))
        assert original.gender.label in caption and original.emotion.label in caption
        assert f"{original.age.value:.0f}y" in caption
    # The overlay's captions: the same lines, places and pixels as the results' own, drawn on
    # the same blurred image (only the landmarks, inside the boxes, are not drawn).
    size = (image.shape[1], image.shape[0])
    private_captions, captions = caption_layout(bare, size), caption_layout(results, size)
    assert private_captions == captions and all(captions)
    private_overlay, overlay = draw_results(blurred, bare), draw_results(blurred, results)
    for caption in captions:
        x0, y0, x1, y1 = caption.rect
        np.testing.assert_array_equal(private_overlay[y0:y1, x0:x1], overlay[y0:y1, x0:x1])


def test_blur_clips_to_the_image_and_skips_boxes_outside():
    image = np.random.default_rng(0).integers(0, 255, (50, 80), np.uint8)
    out = blur_faces(image, [(-10, -10, 20, 20), (200, 200, 300, 300)])
    assert out.shape == image.shape and not (out[:5, :5] == image[:5, :5]).all()
    assert (out[40:, 60:] == image[40:, 60:]).all()


class ScriptedDetector:
    """Reports the given boxes per frame, in order: a face the detector misses on frame 2."""

    def __init__(self, frames):
        self.frames = iter(frames)

    def detect(self, frame):
        return next(self.frames)


def test_a_missed_face_stays_blurred_at_its_track():
    face = FaceBox(100, 80, 160, 150, 0.95)
    moved = FaceBox(104, 80, 164, 150, 0.95)
    analyzer = FaceAnalyzer(
        with_heads(AnalyzerConfig(camera_motion=False), ()),
        detector=ScriptedDetector([[face], [moved], [], [], [moved]]),
    )
    anonymize = FrameAnonymizer(analyzer)
    frame = np.random.default_rng(1).integers(0, 255, (240, 320, 3), np.uint8)
    regions = [anonymize(frame)[1] for _ in range(5)]
    assert [len(r) for r in regions] == [1, 1, 1, 1, 1]
    for missed in regions[2:4]:  # the track's predicted box, near the face
        (box,) = missed
        assert abs(box.x_min - moved.x_min) < 15 and abs(box.y_min - moved.y_min) < 15
