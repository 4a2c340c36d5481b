"""Betti numbers, Euler characteristic and Betti error against flood fills and scikit-image."""

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.measure
from hypothesis import given
from hypothesis import strategies as st

from fasttopo import betti_error, betti_numbers, euler_characteristic, persistence
from helpers.data import volume



def flood_betti(image, connectivity):
    """b0 and the top Betti number by scipy.ndimage.label (complement padded, dual structure)."""
    ndim = image.ndim
    b0 = ndi.label(image, ndi.generate_binary_structure(ndim, connectivity))[1]
    if ndim == 1:
        return b0, None
    dual = ndim if connectivity == 1 else 1
    outside = np.pad(~image, 1, constant_values=True)
    top = ndi.label(outside, ndi.generate_binary_structure(ndim, dual))[1] - 1
    return b0, top


@st.composite
def binary_images(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 9 if ndim < 3 else 6), min_size=ndim,
                                max_size=ndim)))
    density = draw(st.floats(0.1, 0.9))
    seed = draw(st.integers(0, 2**32 - 1))
    image = np.random.default_rng(seed).random(shape) < density
    connectivity = draw(st.sampled_from([1, ndim]))
    return image, connectivity


@given(binary_images())
def test_betti_numbers_against_flood_fills_and_euler_number(case):
    image, connectivity = case
    betti = betti_numbers(image, connectivity=connectivity)
    assert len(betti) == image.ndim
    b0, top = flood_betti(image, connectivity)
    assert betti[0] == b0
    if image.ndim >= 2:
        assert betti[-1] == top
        chi = skimage.measure.euler_number(image, connectivity)
        signs = (1, -1, 1)[:image.ndim]
        assert sum(s * b for s, b in zip(signs, betti)) == chi
        assert euler_characteristic(image, connectivity=connectivity) == chi
    else:
        assert euler_characteristic(image) == b0


def test_betti_numbers_of_known_shapes():
    torus = np.zeros((7, 9, 9), dtype=bool)
    torus[2:5, 1:8, 1:8] = True
    torus[2:5, 3:6, 3:6] = False                      # a square ring: b1 = 1
    assert betti_numbers(torus) == (1, 1, 0)
    shell = np.ones((5, 5, 5), dtype=bool)
    shell[2, 2, 2] = False
    assert betti_numbers(shell) == (1, 0, 1)
    assert betti_numbers(shell, connectivity=1) == (1, 0, 1)
    assert betti_numbers(np.array([1, 0, 1, 1, 0, 1])) == (3,)
    assert betti_numbers(np.zeros((4, 4))) == (0, 0)
    diagonal = np.eye(4, dtype=bool)
    assert betti_numbers(diagonal, connectivity=1) == (4, 0)
    assert betti_numbers(diagonal, connectivity=2) == (1, 0)


def test_betti_numbers_of_a_real_volume():
    stat_map = volume("neurovault_10426_stat.npz")
    mask = stat_map > 2.0
    for connectivity in (1, 3):
        betti = betti_numbers(mask, connectivity=connectivity)
        b0, b2 = flood_betti(mask, connectivity)
        assert (betti[0], betti[2]) == (b0, b2)
        assert betti[0] - betti[1] + betti[2] == skimage.measure.euler_number(mask,
                                                                               connectivity)


@pytest.mark.parametrize("connectivity", [1, 3])
def test_betti_one_in_3d_against_persistence(rng, connectivity):
    # b1 from the Euler characteristic (skimage) against dimension 1 of the diagram
    for _ in range(5):
        image = rng.random((6, 7, 5)) < 0.6
        dgm = persistence((~image).astype(np.uint8), connectivity=connectivity)
        b1 = int(np.count_nonzero((dgm.dim == 1) & (dgm.birth == 0)))
        assert betti_numbers(image, connectivity=connectivity)[1] == b1


@pytest.mark.parametrize("call, exc, match", [
    (lambda: betti_numbers(np.array([[0, 2], [1, 0]])), ValueError, "binary"),
    (lambda: betti_numbers(np.zeros((3, 3, 3)), connectivity=2), ValueError, "18-neighbour"),
    (lambda: betti_numbers(np.zeros((3, 3)), connectivity=3), ValueError, "between 1 and"),
    (lambda: betti_numbers(np.zeros((2, 2, 2, 2))), ValueError, "ndim=4"),
    (lambda: euler_characteristic(np.array([0.5, 1.0])), ValueError, "binary"),
])
def test_metric_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --------------------------------------------------------------- betti_error ---
def slow_betti_error(prediction, target, patch, n_patches, dims, connectivity, seed):
    """Patch by patch with flood fills (same draws as betti_error: one axis after the other)."""
    rng = np.random.default_rng(seed)
    starts = [rng.integers(0, s - p + 1, size=n_patches) for s, p in zip(prediction.shape, patch)]
    errors = []
    for i in range(n_patches):
        window = tuple(slice(s[i], s[i] + p) for s, p in zip(starts, patch))
        a, b = prediction[window], target[window]
        betti_a = _flood_all(a, connectivity)
        betti_b = _flood_all(b, connectivity)
        errors.append(sum(abs(betti_a[d] - betti_b[d]) for d in dims))
    return float(np.mean(errors))


def _flood_all(image, connectivity):
    b0, top = flood_betti(image, connectivity)
    if image.ndim == 2:
        return (b0, top)
    chi = skimage.measure.euler_number(image, connectivity)
    return (b0, b0 + top - chi, top)


def test_betti_error_matches_patchwise_flood_fills(rng):
    target = ndi.gaussian_filter(rng.random((96, 80)), 2) > 0.5
    prediction = target ^ (rng.random(target.shape) < 0.03)
    for patch, dims, connectivity in [(32, (0, 1), 2), (16, (0,), 1), ((20, 40), (1,), 1)]:
        patch_t = (patch, patch) if isinstance(patch, int) else patch
        got = betti_error(prediction, target, patch_size=patch, n_patches=40, dims=dims,
                          connectivity=connectivity, rng=5)
        assert got == slow_betti_error(prediction, target, patch_t, 40, dims, connectivity, 5)
        assert got > 0
    volume_t = ndi.gaussian_filter(rng.random((24, 24, 24)), 1.5) > 0.5
    volume_p = volume_t ^ (rng.random(volume_t.shape) < 0.02)
    got = betti_error(volume_p, volume_t, patch_size=12, n_patches=10, dims=(0, 1, 2), rng=1)
    assert got == slow_betti_error(volume_p, volume_t, (12,) * 3, 10, (0, 1, 2), 3, 1)


def test_betti_error_basic_properties(rng):
    target = rng.random((50, 60)) < 0.5
    assert betti_error(target, target, rng=0) == 0.0
    other = rng.random((50, 60)) < 0.5
    assert betti_error(other, target, rng=3) == betti_error(target, other, rng=3)
    assert betti_error(other.astype(np.uint8), target, patch_size=500, n_patches=2) == \
        sum(abs(a - b) for a, b in zip(betti_numbers(other), betti_numbers(target)))
    with pytest.raises(ValueError, match="same shape"):
        betti_error(target[:, :5], target)
    with pytest.raises(ValueError, match="dims must be between"):
        betti_error(target, target, dims=(2,))
    with pytest.raises(ValueError, match="n_patches"):
        betti_error(target, target, n_patches=0)
    with pytest.raises(ValueError, match="prediction must be binary"):
        betti_error(target * 0.7, target)
    with pytest.raises(ValueError, match="patch_size"):
        betti_error(target, target, patch_size=(3, 3, 3))


def test_betti_error_beta1_on_64x64_patches_is_one_argument_away(rng):
    """Oner et al.'s protocol: beta_1 only, 64x64 patches (``dims=1``, default patch)."""
    target = ndi.gaussian_filter(rng.random((160, 150)), 3) > 0.5
    prediction = target ^ (rng.random(target.shape) < 0.01)
    got = betti_error(prediction, target, dims=1, n_patches=30, rng=2)
    assert got == slow_betti_error(prediction, target, (64, 64), 30, (1,), 2, 2)
    both = betti_error(prediction, target, n_patches=30, rng=2)
    assert both == slow_betti_error(prediction, target, (64, 64), 30, (0, 1), 2, 2) > got
