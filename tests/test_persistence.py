"""persistence(): exactness against the slow reference and the GUDHI / cripser oracles."""

import numpy as np
import pytest
import skimage.data

from fasttopo import persistence
from fasttopo._engine import as_3d
from fasttopo._engine.keys import image_bits, wide_bits
from fasttopo._engine.large_images import threaded_pairs
from fasttopo._engine.small_images import small_buffers
from fasttopo._engine.small_images import collect_pairs


def small_diagram(image, superlevel, ndim, connectivity, top, how):
    """The small-image kernels on one image, as the engine calls them: ``how`` is
    "serial" or "tasks" (the two directions in two threads)."""
    bits, kind, signbit, allones = wide_bits(image)
    bits4 = bits.reshape((1,) + as_3d(bits).shape)
    tasks = np.array([[0, 1, 1], [0, 1, 2]], dtype=np.int64) if how == "tasks" else None
    rows = small_buffers(bits4, kind, signbit, allones, superlevel, ndim, connectivity,
                         3 if top else 1, tasks)
    return collect_pairs(*rows, image.astype(np.float64).reshape(1, -1), superlevel, ndim)

from helpers.oracles import cripser_pairs, gudhi_pairs, ours
from helpers.reference import reference_dim0, reference_persistence
from helpers.data import volume



def ref_multiset(pairs, max_dim=None):
    return sorted((int(d), float(b), float(e)) for d, b, e, *_ in pairs
                  if max_dim is None or d <= max_dim)


def random_image(rng, shape, levels):
    if levels is None:
        return rng.random(shape)
    return rng.integers(0, levels, size=shape).astype(np.int64)


def full_dims_3d(image, connectivity, superlevel):
    """All dimensions of a 3D image through the public API, as a multiset."""
    return ours(persistence(image, connectivity=connectivity, superlevel=superlevel))


# --------------------------------------------------------------- reference ---
@pytest.mark.parametrize("ndim", [1, 2])
@pytest.mark.parametrize("levels", [2, 3, 4, None])
def test_matches_reference_reduction_1d_2d(rng, ndim, levels):
    for _ in range(25):
        shape = tuple(rng.integers(1, 7, size=ndim))
        image = random_image(rng, shape, levels)
        for connectivity in sorted({1, ndim}):
            for superlevel in (False, True):
                dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
                expected = reference_persistence(image, connectivity, superlevel)
                assert ours(dgm) == ref_multiset(expected), (shape, connectivity, superlevel)


@pytest.mark.parametrize("levels", [2, 3, None])
def test_matches_reference_reduction_3d_all_dims(rng, levels):
    for _ in range(12):
        shape = tuple(rng.integers(1, 5, size=3))
        image = random_image(rng, shape, levels)
        for connectivity in (1, 3):
            for superlevel in (False, True):
                expected = ref_multiset(reference_persistence(image, connectivity, superlevel))
                assert full_dims_3d(image, connectivity, superlevel) == expected
                for max_dim in (0, 1):
                    dgm = persistence(image, max_dim=max_dim, connectivity=connectivity,
                                      superlevel=superlevel)
                    assert ours(dgm) == [p for p in expected if p[0] <= max_dim]


@pytest.mark.parametrize("ndim, trials", [(2, 20), (3, 10)])
def test_distinct_values_give_the_reference_pixels(rng, ndim, trials):
    """With distinct values the birth and death pixels are unique: compare them too."""
    for _ in range(trials):
        shape = tuple(rng.integers(2, 7 if ndim == 2 else 5, size=ndim))
        image = rng.permutation(np.prod(shape)).reshape(shape)
        for connectivity in (1, ndim):
            dgm = persistence(image, connectivity=connectivity)
            got = sorted(zip(dgm.dim.tolist(), dgm.birth_index.tolist(),
                             dgm.death_index.tolist()))
            want = sorted((d, bp, dp) for d, b, e, bp, dp in
                          reference_persistence(image, connectivity))
            assert got == want


def test_dimension_zero_union_find_reference(rng):
    """The plain union-find reference agrees pixel for pixel (ties included)."""
    for _ in range(30):
        shape = tuple(rng.integers(1, 8, size=int(rng.integers(1, 4))))
        image = rng.integers(0, 3, size=shape)
        for connectivity in range(1, image.ndim + 1):
            for superlevel in (False, True):
                dgm = persistence(image, max_dim=0, connectivity=connectivity,
                                  superlevel=superlevel)
                got = sorted(zip(dgm.birth_index.tolist(), dgm.death_index.tolist()))
                want = sorted((bp, dp) for _, _, _, bp, dp in
                              reference_dim0(image, connectivity, superlevel))
                assert got == want


# ----------------------------------------------------------------- oracles ---
@pytest.mark.parametrize("shape", [(37, 41), (1, 50), (50, 1), (1, 1), (2, 2), (3, 97)])
@pytest.mark.parametrize("levels", [2, 4, None])
def test_2d_matches_gudhi_and_cripser(rng, shape, levels):
    image = random_image(rng, shape, levels)
    for connectivity in (1, 2):
        for superlevel in (False, True):
            dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
            expected = gudhi_pairs(image, connectivity, superlevel)
            assert ours(dgm) == expected
            if not (connectivity == 1 and 1 in shape):  # cripser's V bug on 1 x n
                assert cripser_pairs(image, connectivity, superlevel) == expected


@pytest.mark.parametrize("n", [1, 2, 3, 200])
def test_1d_matches_gudhi(rng, n):
    for levels in (2, None):
        signal = random_image(rng, (n,), levels)
        for superlevel in (False, True):
            dgm = persistence(signal, superlevel=superlevel)
            assert ours(dgm) == gudhi_pairs(signal, 1, superlevel)


@pytest.mark.parametrize("shape", [(9, 10, 11), (1, 12, 13), (12, 1, 9), (1, 1, 30), (2, 2, 2),
                                   (3, 20, 2)])
@pytest.mark.parametrize("levels", [2, 3, None])
def test_3d_all_dims_match_gudhi_and_cripser(rng, shape, levels):
    image = random_image(rng, shape, levels)
    for connectivity in (1, 3):
        for superlevel in (False, True):
            got = full_dims_3d(image, connectivity, superlevel)
            expected = gudhi_pairs(image, connectivity, superlevel)
            assert got == expected
            if shape[0] > 1 or connectivity == 3:
                assert cripser_pairs(image, connectivity, superlevel) == expected


def test_large_image_threaded_path_matches_small_image_kernels(rng):
    """The threaded path and the small-image kernels (serial, two threads): same arrays."""
    skewed = rng.random((64, 64))
    skewed[5, 7] = 1e30                    # one outlier: truncated keys, ties for fix_ties
    for image in (rng.random((300, 400)), rng.integers(0, 3, (256, 300)).astype(np.uint8),
                  skimage.data.coins(), skewed, rng.random((64, 64)),
                  rng.integers(0, 3, (64, 64)).astype(np.float32) / 2):
        bits, kind, signbit, allones = image_bits(image)
        bits3 = as_3d(bits)
        for connectivity in (1, 2):
            for superlevel in (False, True):
                small = [small_diagram(image, superlevel, 2, connectivity, True, how)
                         for how in ("serial", "tasks")]
                for threads in (1, 2, 3):
                    threaded = threaded_pairs(bits3, kind, signbit, allones, superlevel, 2,
                                              connectivity, True, threads)
                    for dims, _, _, births, deaths, _, _, status in small:
                        assert status == 0
                        for a, b in zip((dims, births, deaths), threaded):
                            np.testing.assert_array_equal(a, b)


REAL_2D = {
    "camera": lambda: skimage.data.camera(),
    "coins": lambda: skimage.data.coins(),
    "text": lambda: skimage.data.text(),
    "cell": lambda: skimage.data.cell(),
    "retina_green": lambda: skimage.data.retina()[400:900, 500:1000, 1],
    "moon": lambda: skimage.data.moon(),
    "microaneurysms": lambda: skimage.data.microaneurysms(),
}


@pytest.mark.parametrize("name", sorted(REAL_2D))
def test_real_images_match_oracles(name):
    image = REAL_2D[name]()
    for connectivity in (1, 2):
        for superlevel in (False, True):
            dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
            expected = cripser_pairs(image, connectivity, superlevel)
            assert ours(dgm) == expected
    assert ours(persistence(image)) == gudhi_pairs(image, 2)


@pytest.mark.slow
def test_full_retina_channel_matches_gudhi():
    image = skimage.data.retina()[..., 1]
    for connectivity in (1, 2):
        assert ours(persistence(image, connectivity=connectivity)) == gudhi_pairs(image,
                                                                                  connectivity)


@pytest.mark.parametrize("name,crop", [
    ("mni152_t1_1mm.npz", (slice(80, 112), slice(90, 130), slice(70, 100))),
    ("neurovault_10426_stat.npz", (slice(10, 40), slice(10, 50), slice(5, 35))),
])
def test_real_volume_crops_all_dims(name, crop):
    crop_ = volume(name)[crop]
    for connectivity in (1, 3):
        for superlevel in (False, True):
            expected = cripser_pairs(crop_, connectivity, superlevel)
            assert full_dims_3d(crop_, connectivity, superlevel) == expected


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mni152_t1_1mm.npz", "neurovault_10426_stat.npz"])
def test_full_real_volumes_match_cripser(name):
    vol = volume(name)
    for connectivity in (1, 3):
        assert full_dims_3d(vol, connectivity, False) == cripser_pairs(vol, connectivity)


def test_random_volume_above_the_small_cutoff_matches_cripser(rng):
    volume = rng.random((40, 45, 50))
    for connectivity in (1, 3):
        assert full_dims_3d(volume, connectivity, False) == cripser_pairs(volume, connectivity)


def test_contract_values_at_pixels(rng):
    for image in (rng.random((40, 30)), rng.integers(0, 4, (20, 20, 20)).astype(np.uint16),
                  skimage.data.camera()):
        for superlevel in (False, True):
            dgm = persistence(image, max_dim=None if image.ndim == 2 else 0,
                              superlevel=superlevel)
            finite = dgm.death_index >= 0
            np.testing.assert_array_equal(image.flat[dgm.birth_index], dgm.birth)
            np.testing.assert_array_equal(image.flat[dgm.death_index[finite]],
                                          dgm.death[finite])
            assert np.all(dgm.lifetime > 0)
            assert dgm.is_essential.sum() == 1
            if superlevel:
                assert np.all(dgm.birth[finite] > dgm.death[finite])
                assert np.isneginf(dgm.death[~finite]).all()
            else:
                assert np.all(dgm.birth[finite] < dgm.death[finite])


def test_order_of_pairs_is_documented(rng):
    """Dimension 0 by filtration order of the death pixel, then the essential class;
    the top dimension by filtration order of the birth pixel."""
    image = rng.random((60, 70))
    dgm = persistence(image)
    d0 = dgm.select(0)
    assert np.isinf(d0.death[-1]) and np.all(np.isfinite(d0.death[:-1]))
    assert np.all(np.diff(d0.death[:-1]) >= 0)
    d1 = dgm.select(1)
    assert np.all(np.diff(d1.birth) >= 0)
    assert np.all(np.diff(dgm.dim) >= 0)


def test_tie_breaking_by_flat_index():
    """Equal values: the pixel with the smaller flat index comes first, in both directions."""
    image = np.array([[0, 1, 0]])
    dgm = persistence(image, connectivity=1)
    # two minima of value 0: index 0 is older, index 2 dies at the 1
    assert dgm.to_gudhi() == [(0, (0.0, 1.0)), (0, (0.0, float("inf")))]
    assert dgm.birth_index.tolist() == [2, 0]
    sup = persistence(-image, connectivity=1, superlevel=True)
    assert sup.birth_index.tolist() == [2, 0]


def test_exact_int64_beyond_float_precision():
    """Values that float64 cannot tell apart still pair as their ranks do."""
    base = np.int64(2**60)
    ranks = np.array([[3, 0, 2], [1, 4, 1]])
    image = base + ranks.astype(np.int64)
    dgm = persistence(image, connectivity=1)
    rank_dgm = persistence(ranks, connectivity=1)
    np.testing.assert_array_equal(dgm.birth_index, rank_dgm.birth_index)
    np.testing.assert_array_equal(dgm.death_index, rank_dgm.death_index)
    # uint64 above 2**63 too
    image_u = np.uint64(2**64 - 100) + ranks.astype(np.uint64)
    dgm_u = persistence(image_u, connectivity=1)
    np.testing.assert_array_equal(dgm_u.birth_index, rank_dgm.birth_index)


def test_negative_zero_equals_zero():
    a = persistence(np.array([[-0.0, 1.0, 0.0]]), connectivity=1)
    b = persistence(np.array([[0.0, 1.0, 0.0]]), connectivity=1)
    assert a == b


def test_directions_without_pairs_on_the_threaded_path():
    """A ramp has no loops: a direction with zero pairs must give zero pairs."""
    ramp = np.add.outer(np.arange(300), np.arange(260)).astype(float)
    dgm = persistence(ramp)
    assert dgm.counts() == {0: 1}
    volume = np.add.outer(np.add.outer(np.arange(40), np.arange(41)), np.arange(42))
    assert persistence(volume.astype(float), connectivity=1).counts() == {0: 1}
    assert persistence(volume.astype(float), connectivity=3).counts() == {0: 1}
