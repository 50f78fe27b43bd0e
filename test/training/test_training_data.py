"""Loader tests: FER-2013 npz + csv, UTKFace npz + image folder, with the bad-input errors."""

import cv2
import numpy as np
import pytest

from training import data as D


def write_fer_csv(path, rows):
    with open(path, "w") as f:
        f.write("emotion,pixels,Usage\n")
        for label, pixels, usage in rows:
            f.write(f"{label},{' '.join(map(str, pixels))},{usage}\n")


def test_fer_npz(fer_npz):
    a = D.load_fer(fer_npz)
    assert a.images.shape == (240, 48, 48) and a.images.dtype == np.uint8
    assert set(np.unique(a.labels)) <= {0, 3}
    assert (a.split == 0).sum() == 160 and "ferplus_votes" in a.extras


def test_fer_csv_roundtrip(tmp_path, synthetic_faces):
    images, labels = synthetic_faces(6)
    rows = [
        (int(label), img.ravel(), u)
        for label, img, u in zip(labels, images, ["Training"] * 4 + ["PublicTest", "PrivateTest"])
    ]
    path = tmp_path / "fer2013.csv"
    write_fer_csv(path, rows)
    a = D.load_fer(path)
    np.testing.assert_array_equal(a.images, images)
    np.testing.assert_array_equal(a.labels, labels)
    np.testing.assert_array_equal(a.split, [0, 0, 0, 0, 1, 2])
    assert D.load_fer(tmp_path).labels.shape == (6,)  # folder holding fer2013.csv


@pytest.mark.parametrize(
    "row, message",
    [
        ((3, np.zeros(2303, int), "Training"), "line 3: 2303 pixels, expected 2304"),
        ((9, np.zeros(2304, int), "Training"), "line 3: unknown emotion label 9"),
        ((3, np.zeros(2304, int), "Validation"), "line 3: unknown Usage 'Validation'"),
        (("x", np.zeros(2304, int), "Training"), "line 3: emotion 'x' is not an integer"),
        ((3, np.full(2304, 300), "Training"), "line 3: pixel values outside 0..255"),
    ],
)
def test_fer_csv_bad_rows(tmp_path, row, message):
    path = tmp_path / "bad.csv"
    write_fer_csv(path, [(0, np.zeros(2304, int), "Training"), row])
    with pytest.raises(D.DatasetError, match=message.replace("(", r"\(").replace(".", r"\.")):
        D.load_fer(path)


def test_fer_csv_bad_header_and_missing(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("label,pixels,Usage\n0,1 2,Training\n")
    with pytest.raises(D.DatasetError, match="lacks column 'emotion'"):
        D.load_fer_csv(path)
    with pytest.raises(D.DatasetError, match="file not found"):
        D.load_fer(tmp_path / "nope.csv")
    (tmp_path / "d").mkdir()
    with pytest.raises(D.DatasetError, match="no fer2013.npz or fer2013.csv"):
        D.load_fer(tmp_path / "d")


def test_npz_errors(tmp_path):
    bad = tmp_path / "fer2013.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(D.DatasetError, match="not a readable .npz"):
        D.load_fer_npz(bad)
    np.savez(
        tmp_path / "x.npz",
        images=np.zeros((2, 48, 48), np.uint8),
        labels=np.array([0, 7]),
        usage=np.array([0, 0]),
    )
    with pytest.raises(D.DatasetError, match="row 1: unknown emotion label 7"):
        D.load_fer_npz(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", images=np.zeros((2, 48, 48), np.uint8), labels=np.array([0, 1]))
    with pytest.raises(D.DatasetError, match=r"missing array\(s\) \['usage'\]"):
        D.load_fer_npz(tmp_path / "y.npz")


def test_utk_npz(utk_npz):
    a = D.load_utk(utk_npz)
    assert a.images.shape == (120, 64, 64) and set(np.unique(a.labels)) <= {0, 1}
    assert {"age", "race", "gender_conflict"} <= set(a.extras)


def test_utk_npz_bad_gender(tmp_path):
    np.savez(
        tmp_path / "u.npz",
        images=np.zeros((2, 64, 64), np.uint8),
        gender=np.array([1, 2]),
        split=np.array([0, 0]),
    )
    with pytest.raises(D.DatasetError, match="row 1: unknown gender label 2"):
        D.load_utk(tmp_path / "u.npz")


def test_utk_folder(tmp_path, synthetic_faces):
    images, _ = synthetic_faces(3, size=100, n_classes=2)
    names = [
        "25_0_1_20170116174525125.jpg.chip.jpg",
        "3_1_2_20161219140530307.jpg.chip.jpg",
        "61_1_20170109142408075.jpg.chip.jpg",
    ]  # last one lacks the race field
    for img, name in zip(images, names):
        cv2.imwrite(str(tmp_path / name), img)
    a = D.load_utk(tmp_path)
    assert a.images.shape == (3, 64, 64)
    order = list(a.extras["source_name"])
    rec = {
        n: (int(a.labels[i]), int(a.extras["age"][i]), int(a.extras["race"][i]))
        for i, n in enumerate(order)
    }
    assert (
        rec[names[0]] == (0, 25, 1) and rec[names[1]] == (1, 3, 2) and rec[names[2]] == (1, 61, -1)
    )
    assert set(a.split) <= {0, 1, 2}


@pytest.mark.parametrize(
    "name, message",
    [
        ("25_2_1_20170116174525125.jpg.chip.jpg", "unknown gender label 2"),
        ("abc_0_1_20170116174525125.jpg", "age/gender fields are not integers"),
        ("face.jpg", "does not follow"),
        ("25_0_7_20170116174525125.jpg", "unknown race label 7"),
    ],
)
def test_utk_folder_bad_names(tmp_path, name, message):
    cv2.imwrite(str(tmp_path / name), np.zeros((10, 10), np.uint8))
    with pytest.raises(D.DatasetError, match=message) as exc:
        D.load_utk_folder(tmp_path)
    assert name in str(exc.value)


def test_utk_folder_undecodable_and_empty(tmp_path):
    (tmp_path / "30_0_0_20170116174525125.jpg.chip.jpg").write_bytes(b"garbage")
    with pytest.raises(
        D.DatasetError, match="30_0_0_20170116174525125.jpg.chip.jpg: cannot be decoded"
    ):
        D.load_utk_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(D.DatasetError, match="no .jpg/.png images"):
        D.load_utk_folder(tmp_path / "empty")
    with pytest.raises(D.DatasetError, match="folder not found"):
        D.load_utk_folder(tmp_path / "missing")


def test_to_model_pixels_uses_resize_face(synthetic_faces):
    from face_analysis.core.preprocess import resize_face

    images, _ = synthetic_faces(3, size=64)
    px = D.to_model_pixels(images, 48)
    for a, b in zip(px, images):
        np.testing.assert_array_equal(a, resize_face(b, 48))


def test_soft_targets():
    votes = np.zeros((2, 10), np.uint8)
    votes[0, 1] = 10  # FER+ happiness -> FER happy (3)
    t = D.soft_targets(np.array([0, 4]), votes, 0.5)
    np.testing.assert_allclose(t.sum(1), 1)
    assert t[0, 0] == pytest.approx(0.5) and t[0, 3] == pytest.approx(0.5)
    assert t[1, 4] == pytest.approx(1.0)  # no votes: one-hot kept


def test_batch_augment():
    torch = pytest.importorskip("torch")
    x = torch.rand(8, 1, 48, 48) * 255
    ident = D.BatchAugment(rotation=0, shift=0, zoom=0, flip=False)(x)
    assert torch.allclose(ident, x, atol=1e-3)
    g = torch.Generator().manual_seed(0)
    y = D.BatchAugment()(x, g)
    assert y.shape == x.shape and not torch.allclose(y, x)
    flip = D.BatchAugment(rotation=0, shift=0, zoom=0, flip=True)(
        x, torch.Generator().manual_seed(1)
    )
    for a, b in zip(flip, x):
        assert torch.allclose(a, b, atol=1e-3) or torch.allclose(a, torch.flip(b, [2]), atol=1e-3)
