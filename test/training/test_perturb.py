"""The camera perturbations of training.perturb (and the old-print effects of training only):
seeded, size- and type-preserving, each one doing what its name says, and each one degrading the
image more the stronger its level."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training.perturb import (  # noqa: E402
    EVAL_LEVELS,
    PERTURBATIONS,
    PRINT_EFFECTS,
    PRINT_RANGES,
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


# Each effect's levels, mildest first: its table levels (EVAL_LEVELS) with milder and stronger
# ones around them; gamma darkens above 1 and brightens below, so it has a ladder each way.
LADDERS = {
    "gaussian_noise": (2, 5, 10, 20, 40),
    "poisson_noise": (1000, 500, 200, 50, 20),
    "jpeg": (95, 80, 60, 40, 20, 5),
    "low_resolution": (40, 32, 24, 20, 16, 8),
    "motion_blur": (3, 5, 7, 9, 15),
    "gamma": (1.25, 1.5, 2.0, 3.0),
    "box_jitter": (0.02, 0.05, 0.1, 0.2, 0.3),
}
BRIGHTENING = (0.8, 0.65, 0.5, 0.35)
# PSNR steps between neighbouring levels are 0.3 dB and more on 32 synthetic faces; a level read
# the wrong way round turns a step negative.
LEAST_STEP_DB = 0.1


def psnr(clean: np.ndarray, degraded: np.ndarray) -> float:
    mse = np.mean((degraded.astype(float) - clean) ** 2)
    return float(10 * np.log10(255**2 / mse))


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


@pytest.mark.parametrize(
    "name, levels",
    [*LADDERS.items(), ("gamma", BRIGHTENING)],
    ids=[*LADDERS, "gamma_brightening"],
)
def test_stronger_levels_degrade_more(name, levels, synthetic_faces):
    """PSNR against the clean faces, over 32 faces and two seeds (random draws of the noise,
    blur angle, jitter), falls at every step of the effect's levels."""
    faces = synthetic_faces(32, size=48)[0]
    quality = [
        np.mean([psnr(faces, perturb_all(faces, name, level, seed)) for seed in (0, 1)])
        for level in levels
    ]
    steps = np.diff(quality)
    assert (steps <= -LEAST_STEP_DB).all(), list(zip(levels, np.round(quality, 2).tolist()))


@pytest.mark.parametrize("name", sorted(set(EVAL_LEVELS) - {"gamma"}))
def test_table_levels_are_listed_mildest_first(name):
    """The robustness tables' levels appear in the ladder above in the same order, so the
    ladder's ordering is theirs (gamma's two levels go opposite ways: neither is milder)."""
    ladder = LADDERS[name]
    assert all(level in ladder for level in EVAL_LEVELS[name])
    positions = [ladder.index(level) for level in EVAL_LEVELS[name]]
    assert positions == sorted(positions)


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


# the old-print effects, mildest first within their training ranges
PRINT_LADDERS = {
    "defocus": (0.5, 1.0, 1.5, 2.0),
    "fade": (0.9, 0.7, 0.55, 0.4),
    "grain": (3, 6, 10, 15),
}


def test_print_effects_are_trained_on_and_kept_out_of_the_robustness_tables():
    assert set(PRINT_RANGES) == set(PRINT_EFFECTS) == set(PRINT_LADDERS)
    assert not set(PRINT_EFFECTS) & set(EVAL_LEVELS)


@pytest.mark.parametrize("name", sorted(PRINT_LADDERS))
def test_print_effects_degrade_more_the_stronger_their_level(name, synthetic_faces):
    faces = synthetic_faces(16, size=64)[0]
    fn = PRINT_EFFECTS[name]
    quality = []
    for level in PRINT_LADDERS[name]:
        out = np.stack([fn(f, np.random.default_rng([0, i]), level) for i, f in enumerate(faces)])
        assert out.shape == faces.shape and out.dtype == np.uint8
        quality.append(psnr(faces, out))
    assert (np.diff(quality) <= -LEAST_STEP_DB).all(), list(zip(PRINT_LADDERS[name], quality))


def test_a_faded_print_keeps_its_mean_and_loses_contrast(faces):
    out = PRINT_EFFECTS["fade"](faces[0], None, 0.5)
    assert abs(out.mean() - faces[0].mean()) < 1.0
    assert out.std() == pytest.approx(0.5 * faces[0].std(), rel=0.05)


def test_grain_comes_in_clumps_unlike_sensor_noise():
    """Neighbouring pixels' noise is correlated in grain, not in gaussian_noise."""
    flat = np.full((64, 64), 128, np.uint8)

    def neighbour_correlation(out):
        noise = out.astype(float) - 128
        return np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]

    rng = np.random.default_rng
    assert neighbour_correlation(PRINT_EFFECTS["grain"](flat, rng(0), 10)) > 0.3
    assert abs(neighbour_correlation(PERTURBATIONS["gaussian_noise"](flat, rng(0), 10))) < 0.1


def test_print_augment_uses_only_the_print_effects(faces, monkeypatch):
    used = []
    import training.perturb as P

    for name in PRINT_EFFECTS:
        monkeypatch.setitem(P._EFFECTS, name, lambda img, rng, level, n=name: used.append(n) or img)
    CameraAugment(1.0, PRINT_RANGES)(_batch(faces), torch.Generator().manual_seed(0))
    assert set(used) == set(PRINT_EFFECTS) and len(used) == len(faces) * len(PRINT_EFFECTS)
