"""sensor_msgs/Image <-> numpy without cv_bridge: every camera encoding, step padding, byte order,
and a typed error for each kind of bad message."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from face_analysis.core.image_codec import (
    ImageEncodingError,
    decode_compressed,
    decode_image,
    encode_image,
)

RNG = np.random.default_rng(0)
BGR = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def message(encoding, pixels: np.ndarray, pad: int = 0, big_endian=False):
    height, width = pixels.shape[:2]
    rows = (
        pixels.reshape(height, -1).view(np.uint8)
        if pixels.dtype != np.uint8
        else pixels.reshape(height, -1)
    )
    rows = np.hstack([rows, np.zeros((height, pad), np.uint8)])  # step > row bytes
    return SimpleNamespace(
        encoding=encoding,
        height=height,
        width=width,
        step=rows.shape[1],
        is_bigendian=big_endian,
        data=rows.tobytes(),
    )


@pytest.mark.parametrize("pad", [0, 5])
def test_colour_encodings_decode_to_the_same_bgr(pad):
    assert np.array_equal(decode_image(message("bgr8", BGR, pad)), BGR)
    assert np.array_equal(decode_image(message("rgb8", BGR[..., ::-1].copy(), pad)), BGR)
    bgra = cv2.cvtColor(BGR, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(decode_image(message("bgra8", bgra, pad)), BGR)
    rgba = cv2.cvtColor(BGR, cv2.COLOR_BGR2RGBA)
    assert np.array_equal(decode_image(message("rgba8", rgba, pad)), BGR)


def test_mono_encodings_and_byte_order():
    gray = RNG.integers(0, 256, (6, 8), dtype=np.uint8)
    assert np.array_equal(decode_image(message("mono8", gray, 3)), gray)
    wide = gray.astype(np.uint16) * 256 + 7
    assert np.array_equal(decode_image(message("mono16", wide.astype("<u2"))), gray)
    assert np.array_equal(
        decode_image(message("mono16", wide.astype(">u2"), big_endian=True)), gray
    )


def test_packed_yuv_encodings():
    uyvy = RNG.integers(0, 256, (6, 8, 2), dtype=np.uint8)
    expected = cv2.cvtColor(uyvy, cv2.COLOR_YUV2BGR_UYVY)
    assert np.array_equal(decode_image(message("yuv422", uyvy)), expected)
    assert np.array_equal(decode_image(message("uyvy", uyvy, 4)), expected)
    expected = cv2.cvtColor(uyvy, cv2.COLOR_YUV2BGR_YUY2)
    assert np.array_equal(decode_image(message("yuyv", uyvy)), expected)


def test_encode_then_decode_round_trips():
    for encoding in ("bgr8", "rgb8"):
        msg = encode_image(BGR, SimpleNamespace(), encoding)
        assert np.array_equal(decode_image(msg), BGR)
    msg = encode_image(BGR, SimpleNamespace(), "mono8")
    assert np.array_equal(decode_image(msg), cv2.cvtColor(BGR, cv2.COLOR_BGR2GRAY))


@pytest.mark.parametrize(
    "change,kind",
    [
        (dict(encoding="bayer_rggb8"), "unsupported encoding"),
        (dict(step=10), "bad step"),
        (dict(data=b"\0" * 20), "truncated data"),
        (dict(width=0, height=0), "zero size"),
    ],
)
def test_bad_messages_raise_a_typed_error_naming_the_problem(change, kind):
    msg = message("bgr8", BGR)
    for key, value in change.items():
        setattr(msg, key, value)
    with pytest.raises(ImageEncodingError) as info:
        decode_image(msg)
    assert info.value.kind == kind


def test_compressed_images():
    jpeg = cv2.imencode(".png", BGR)[1].tobytes()
    assert np.array_equal(decode_compressed(SimpleNamespace(format="png", data=jpeg)), BGR)
    for data in (b"", b"\xff\xd8 not really a jpeg"):
        with pytest.raises(ImageEncodingError) as info:
            decode_compressed(SimpleNamespace(format="jpeg", data=data))
        assert info.value.kind == "corrupt compressed"
