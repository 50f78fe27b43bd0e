"""The camera perturbations of training.perturb: seeded, size- and type-preserving, and each one
doing what its name says."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.perturb import (  # noqa: E402
    EVAL_LEVELS,
    PERTURBATIONS,
    TRAIN_RANGES,
    CameraAugment,
    perturb_all,
)

# a clearly visible level of each effect
STRONG = {
    "gaussian_noise": 20,
    "poisson_noise": 50,
    "jpeg": 20,
    "low_resolution": 16,
    "motion_blur": 9,
    "gamma": 2.0,
    "box_jitter": 0.2,
}


@pytest.fixture
def faces(synthetic_faces):
    return synthetic_faces(6, size=48)[0]


def test_every_effect_has_table_levels_and_a_strong_level_here():
    assert set(EVAL_LEVELS) == set(PERTURBATIONS) == set(STRONG)
    assert set(TRAIN_RANGES) <= set(PERTURBATIONS)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_keeps_shape_and_type_is_seeded_and_changes_the_image(name, faces):
    fn, img = PERTURBATIONS[name], faces[0]
    before = img.copy()
    a = fn(img, np.random.default_rng(5), STRONG[name])
    b = fn(img, np.random.default_rng(5), STRONG[name])
    assert a.shape == img.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - img).mean() > 1.0
    np.testing.assert_array_equal(img, before)  # the input is left alone


@pytest.mark.parametrize("name", ["gaussian_noise", "poisson_noise", "box_jitter"])
def test_random_effects_differ_between_seeds(name, faces):
    fn = PERTURBATIONS[name]
    a = fn(faces[0], np.random.default_rng(1), STRONG[name])
    b = fn(faces[0], np.random.default_rng(2), STRONG[name])
    assert (a != b).any()


@pytest.mark.parametrize("pixels", [48, 64])
def test_low_resolution_at_or_above_the_native_side_is_identity(pixels, faces):
    out = PERTURBATIONS["low_resolution"](faces[0], np.random.default_rng(0), pixels)
    np.testing.assert_array_equal(out, faces[0])


def test_smaller_faces_lose_more(faces):
    def err(pixels):
        out = PERTURBATIONS["low_resolution"](faces[0], np.random.default_rng(0), pixels)
        return np.abs(out.astype(int) - faces[0]).mean()

    assert err(16) > err(32) > 0


def test_lower_jpeg_quality_loses_more(faces):
    def err(q):
        return np.abs(PERTURBATIONS["jpeg"](faces[0], None, q).astype(int) - faces[0]).mean()

    assert err(20) > err(60) > err(95)


def test_neutral_levels_are_identity(faces):
    rng = np.random.default_rng(0)
    for name, level in (("gamma", 1.0), ("gaussian_noise", 0.0), ("motion_blur", 1)):
        np.testing.assert_array_equal(PERTURBATIONS[name](faces[0], rng, level), faces[0])


def test_gamma_below_one_brightens(faces):
    rng = np.random.default_rng(0)
    assert PERTURBATIONS["gamma"](faces[0], rng, 0.5).mean() > faces[0].mean()
    assert PERTURBATIONS["gamma"](faces[0], rng, 2.0).mean() < faces[0].mean()


def test_perturb_all_row_depends_only_on_its_image_index_and_seed(faces):
    full = perturb_all(faces, "gaussian_noise", 20, seed=3)
    assert full.shape == faces.shape and full.dtype == np.uint8
    # other rows replaced or dropped: row i is unchanged
    others = faces.copy()
    others[[0, 1, 3, 4, 5]] = 255 - others[[0, 1, 3, 4, 5]]
    np.testing.assert_array_equal(perturb_all(others, "gaussian_noise", 20, seed=3)[2], full[2])
    np.testing.assert_array_equal(perturb_all(faces[:3], "gaussian_noise", 20, seed=3), full[:3])
    # the documented stream: rng(seed, i)
    one = PERTURBATIONS["gaussian_noise"](faces[2], np.random.default_rng([3, 2]), 20)
    np.testing.assert_array_equal(full[2], one)
    assert (perturb_all(faces, "gaussian_noise", 20, seed=4) != full).any()


def _batch(faces):
    return torch.from_numpy(faces[:, None].copy())


def test_camera_augment_prob_0_is_identity(faces):
    x = _batch(faces)
    out = CameraAugment(0.0)(x, torch.Generator().manual_seed(0))
    assert torch.equal(out, x)


def test_camera_augment_prob_1_changes_every_image(faces):
    x = _batch(faces)
    before = x.clone()
    out = CameraAugment(1.0)(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == torch.uint8
    assert all((out[i] != x[i]).any() for i in range(len(x)))
    assert torch.equal(x, before)  # the input batch is left alone


def test_camera_augment_is_seeded_by_the_torch_generator(faces):
    x = _batch(faces)
    aug = CameraAugment(0.5)
    a = aug(x, torch.Generator().manual_seed(7))
    b = aug(x, torch.Generator().manual_seed(7))
    c = aug(x, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("prob", [-0.1, 1.5])
def test_camera_augment_refuses_a_probability_outside_0_1(prob):
    with pytest.raises(ValueError, match="not in"):
        CameraAugment(prob)
