"""Betti matching against the slow reference written from the definition, and its properties."""

import pickle

import numpy as np
import pytest
import scipy.ndimage as ndi

import fasttopo
from fasttopo import (betti_matching, betti_matching_batch, betti_matching_error,
                      betti_numbers, persistence)
from helpers.betti_matching import image_barcode_two_ways, reference_betti_matching

SHAPES = {1: (9,), 2: (5, 6), 3: (3, 3, 4)}


def pair(kind, shape, rng):
    """(prediction, target) of one kind: random, smooth, binary-like or tie-heavy."""
    if kind == "random":
        return rng.random(shape), rng.random(shape)
    if kind == "smooth":
        p = ndi.gaussian_filter(rng.random(shape), 1.0)
        return p, ndi.gaussian_filter(rng.random(shape), 1.0)
    if kind == "binary":  # a likelihood against a binary target, as in training
        p = ndi.gaussian_filter(rng.random(shape), 1.0)
        return p.astype(np.float32), (rng.random(shape) > 0.5).astype(np.float32)
    return rng.integers(0, 3, shape), rng.integers(0, 3, shape)   # ties everywhere


def rows(m):
    """The matching as sorted lists of flat indices, like the reference's."""
    pm, tm = m.prediction_matched, m.target_matched
    matched = sorted(zip(pm.dim.tolist(), pm.birth_index.tolist(), pm.death_index.tolist(),
                         tm.birth_index.tolist(), tm.death_index.tolist()))
    un = [sorted(zip(d.dim.tolist(), d.birth_index.tolist(), d.death_index.tolist()))
          for d in (m.prediction_unmatched, m.target_unmatched)]
    return matched, un[0], un[1]


def multiset(dgm):
    return sorted(zip(dgm.dim.tolist(), dgm.birth.tolist(), dgm.death.tolist()))


def concat(a, b):
    return sorted(multiset(a) + multiset(b))


@pytest.mark.parametrize("kind", ["random", "smooth", "binary", "ties"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("superlevel", [False, True])
def test_equals_reference(rng, kind, ndim, superlevel):
    for connectivity in sorted({1, ndim}):
        p, g = pair(kind, SHAPES[ndim], rng)
        expected = reference_betti_matching(p, g, connectivity, superlevel)
        found = betti_matching(p, g, connectivity=connectivity, superlevel=superlevel)
        assert rows(found) == expected, (kind, connectivity, p.tolist(), g.tolist())


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["random", "smooth", "binary", "ties"])
@pytest.mark.parametrize("shape", [(4, 4, 4), (2, 5, 6), (8, 9), (1, 7), (17,)])
def test_equals_reference_sweep(kind, shape):
    rng = np.random.default_rng(hash((kind, shape)) % 2**32)
    for _ in range(6):
        p, g = pair(kind, shape, rng)
        for connectivity in sorted({1, len(shape)}):
            for superlevel in (False, True):
                assert rows(betti_matching(p, g, connectivity=connectivity,
                                           superlevel=superlevel)) == \
                    reference_betti_matching(p, g, connectivity, superlevel)


@pytest.mark.parametrize("connectivity", [1, 2])
def test_reference_image_barcode_is_the_rank_definition(rng, connectivity):
    # the reference's image persistence (a reduction, rows in P's order) equals the
    # barcode of im(H_k(P) -> H_k(C)) read from its rank function
    for _ in range(4):
        p, g = rng.integers(0, 3, (3, 3)), rng.integers(0, 3, (3, 3))
        for k in (0, 1):
            reduced, ranked = image_barcode_two_ways(p, g, connectivity, False, k)
            assert reduced == ranked


@pytest.mark.slow
@pytest.mark.parametrize("connectivity", [1, 3])
def test_reference_image_barcode_is_the_rank_definition_3d(connectivity):
    rng = np.random.default_rng(3)
    for _ in range(5):
        p, g = rng.integers(0, 3, (2, 2, 3)), rng.integers(0, 3, (2, 2, 3))
        for k in (0, 1, 2):
            reduced, ranked = image_barcode_two_ways(p, g, connectivity, True, k)
            assert reduced == ranked


@pytest.mark.parametrize("shape,connectivity", [((40, 50), 1), ((40, 50), 2), ((9, 10, 11), 1),
                                                ((9, 10, 11), 3), ((300,), 1)])
def test_identical_images_match_everything_to_itself(rng, shape, connectivity):
    p = ndi.gaussian_filter(rng.random(shape), 1.5)
    m = betti_matching(p, p.copy(), connectivity=connectivity)
    assert len(m.prediction_unmatched) == 0 and len(m.target_unmatched) == 0
    pm, tm = m.prediction_matched, m.target_matched
    np.testing.assert_array_equal(pm.birth_index, tm.birth_index)
    np.testing.assert_array_equal(pm.death_index, tm.death_index)
    assert multiset(pm) == multiset(persistence(p, connectivity=connectivity))


@pytest.mark.parametrize("connectivity", [1, 3])
def test_swapping_swaps_roles(rng, connectivity):
    p, g = pair("binary", (8, 9, 10), rng)
    a = betti_matching(p, g, connectivity=connectivity, superlevel=True)
    b = betti_matching(g, p, connectivity=connectivity, superlevel=True)
    ma, ua, va = rows(a)
    mb, ub, vb = rows(b)
    assert sorted((r[0], r[3], r[4], r[1], r[2]) for r in ma) == mb
    assert (ua, va) == (vb, ub)


def test_increasing_map_changes_only_values(rng):
    p, g = pair("ties", (7, 8), rng)
    a = betti_matching(p, g)
    b = betti_matching(np.exp(p.astype(float)), np.exp(g.astype(float)))
    assert rows(a) == rows(b)
    np.testing.assert_allclose(b.prediction_matched.birth, np.exp(a.prediction_matched.birth))
    c = betti_matching(-p, -g, superlevel=True)   # decreasing map, other direction
    assert rows(a) == rows(c)


def test_bars_are_the_images_diagrams(rng):
    for connectivity in (1, 3):
        p, g = pair("binary", (9, 8, 10), rng)
        m = betti_matching(p, g, connectivity=connectivity, superlevel=True)
        dp = persistence(p, connectivity=connectivity, superlevel=True)
        dg = persistence(g, connectivity=connectivity, superlevel=True)
        assert concat(m.prediction_matched, m.prediction_unmatched) == multiset(dp)
        assert concat(m.target_matched, m.target_unmatched) == multiset(dg)
        # no ties in the prediction: its pixels are those of persistence
        pixels = sorted(zip(np.r_[m.prediction_matched.birth_index,
                                  m.prediction_unmatched.birth_index].tolist(),
                            np.r_[m.prediction_matched.death_index,
                                  m.prediction_unmatched.death_index].tolist()))
        assert pixels == sorted(zip(dp.birth_index.tolist(), dp.death_index.tolist()))
        assert np.all(m.prediction_matched.dim == m.target_matched.dim)


def test_dtypes_agree(rng):
    p, g = rng.integers(0, 6, (2, 12, 13))
    base = rows(betti_matching(p, g, superlevel=True))
    for dtype in (np.uint8, np.int16, np.int32, np.int64, np.float32, np.float64):
        assert rows(betti_matching(p.astype(dtype), g.astype(dtype), superlevel=True)) == base
    assert rows(betti_matching(p.astype(np.float32), g.astype(np.uint8), superlevel=True)) == base
    mask = rng.random((12, 13)) > 0.5
    as_int = betti_matching(mask.astype(np.uint8), (~mask).astype(np.uint8))
    assert rows(betti_matching(mask, ~mask)) == rows(as_int)


def test_int64_beyond_float_precision(rng):
    p, g = rng.integers(0, 5, (2, 9, 10))
    big = np.int64(2**62)
    a = betti_matching(p, g)
    b = betti_matching(p.astype(np.int64) + big, g.astype(np.int64) + big)
    assert rows(a) == rows(b)
    d = b.prediction_matched.finite()
    np.testing.assert_array_equal(d.exact_birth - big, a.prediction_matched.finite().birth)
    top = np.iinfo(np.int64).max   # no room for the engine's sentinel key: ranks
    c = betti_matching(top - p.astype(np.int64), top - g.astype(np.int64), superlevel=True)
    assert rows(a) == rows(c)


def test_max_dim_and_result_type(rng):
    p, g = pair("binary", (6, 7, 8), rng)
    full = betti_matching(p, g, superlevel=True)
    low = betti_matching(p, g, superlevel=True, max_dim=1)
    assert low.max_dim == 1 and full.max_dim == 2
    assert rows(low) == tuple([r for r in part if r[0] <= 1] for part in rows(full))
    assert full.n_matched.shape == (3,)
    np.testing.assert_array_equal(full.error, full.n_prediction_unmatched
                                  + full.n_target_unmatched)
    assert "BettiMatching(matched=" in repr(full)
    again = pickle.loads(pickle.dumps(full))
    assert rows(again) == rows(full)
    with pytest.raises(AttributeError):
        full.max_dim = 3
    only0 = betti_matching(p, g, max_dim=0, connectivity=2)   # 18-neighbour: dimension 0
    assert only0.max_dim == 0


def test_essential_classes_are_matched(rng):
    p, g = pair("random", (10, 11), rng)
    m = betti_matching(p, g)
    ess = m.prediction_matched.is_essential
    assert ess.sum() == 1 and m.target_matched.is_essential[ess].all()
    assert m.prediction_matched.birth[ess][0] == p.min()
    assert m.target_matched.birth[ess][0] == g.min()


def test_batch_does_not_depend_on_threads(rng):
    pairs = [pair("binary", (20, 21), rng) for _ in range(5)]
    ps, gs = np.stack([a for a, _ in pairs]), np.stack([b for _, b in pairs])
    single = [rows(betti_matching(a, b, superlevel=True)) for a, b in pairs]
    for n_jobs in (1, 2, 3, -1, None):
        found = betti_matching_batch(ps, gs, superlevel=True, n_jobs=n_jobs)
        assert [rows(m) for m in found] == single
    shapes = [pair("smooth", s, rng) for s in ((5, 6), (7, 4), (9, 9))]   # a list, shapes vary
    found = betti_matching_batch([a for a, _ in shapes], [b for _, b in shapes], n_jobs=2)
    assert [rows(m) for m in found] == [rows(betti_matching(a, b)) for a, b in shapes]
    assert betti_matching_batch([], []) == []


def test_batch_errors(rng):
    p = rng.random((3, 5, 5))
    with pytest.raises(ValueError, match="same length"):
        betti_matching_batch(p, p[:2])
    with pytest.raises(ValueError, match=r"predictions\[1\] and targets\[1\]"):
        betti_matching_batch([p[0], p[1]], [p[0], p[1, :4]])
    with pytest.raises(ValueError, match="same ndim"):
        betti_matching_batch([p[0], p], [p[0], p])
    with pytest.raises(TypeError, match="n_jobs"):
        betti_matching_batch(p, p, n_jobs=1.5)


def test_bad_inputs(rng):
    p = rng.random((6, 6))
    with pytest.raises(ValueError, match="same shape"):
        betti_matching(p, p[:5])
    bad = p.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"target contains NaN at index \(2, 3\)"):
        betti_matching(p, bad)
    with pytest.raises(TypeError, match="superlevel"):
        betti_matching(p, p, superlevel="yes")
    with pytest.raises(ValueError, match="connectivity"):
        betti_matching(p, p, connectivity=3)
    with pytest.raises(ValueError, match="connectivity=2"):
        betti_matching(rng.random((3, 3, 3)), rng.random((3, 3, 3)), connectivity=2)
    with pytest.raises(TypeError, match="dtype"):
        betti_matching(p.astype(complex), p)
    with pytest.raises(ValueError, match="dimensions"):
        betti_matching(rng.random((2, 2, 2, 2)), rng.random((2, 2, 2, 2)))
    q = p.copy()
    betti_matching(q, q)
    np.testing.assert_array_equal(q, p)   # the input is not modified


def test_error_on_masks(rng):
    for shape, connectivity in (((40, 40), 1), ((40, 40), 2), ((12, 13, 14), 1),
                                ((12, 13, 14), 3)):
        target = ndi.gaussian_filter(rng.random(shape), 2) > 0.5
        prediction = ndi.gaussian_filter(rng.random(shape), 2) > 0.5
        assert not betti_matching_error(target, target, connectivity=connectivity).any()
        error = betti_matching_error(prediction, target, connectivity=connectivity)
        assert error.shape == (len(shape),) and error.dtype == np.int64
        bp = np.array(betti_numbers(prediction, connectivity=connectivity))
        bt = np.array(betti_numbers(target, connectivity=connectivity))
        assert (error >= np.abs(bp - bt)).all()
        assert ((error - np.abs(bp - bt)) % 2 == 0).all()   # unmatched come in excess pairs
    empty = np.zeros((10, 10), dtype=bool)
    blob = empty.copy()
    blob[2:5, 2:5] = True
    np.testing.assert_array_equal(betti_matching_error(empty, blob), [1, 0])
    np.testing.assert_array_equal(betti_matching_error(blob, empty), [1, 0])
    probabilities = np.where(blob, 0.9, 0.2)
    np.testing.assert_array_equal(betti_matching_error(probabilities, blob), [0, 0])
    np.testing.assert_array_equal(betti_matching_error(probabilities, blob, threshold=0.95),
                                  [1, 0])
    with pytest.raises(ValueError, match="connectivity=2"):
        betti_matching_error(np.zeros((3, 3, 3), bool), np.zeros((3, 3, 3), bool),
                             connectivity=2)
    with pytest.raises(TypeError, match="threshold"):
        betti_matching_error(blob, blob, threshold="0.5")


def test_public_names():
    for name in ("betti_matching", "betti_matching_batch", "betti_matching_error",
                 "BettiMatching"):
        assert name in fasttopo.__all__


def test_a_class_not_yet_born_is_not_in_the_image():
    # C = [0, 9, 1, 1]: the component of pixels 2-3 is born in C at 1 (from G) and joins
    # pixel 0's at 9; P's bar [20, 30) of pixel 3 is born after that, so it has no image
    # in C and cannot be matched to the bar of C killed at 9, nor to G's bar [5, 9).
    # (Taking the first pixel of P in a component of C without checking that it is in P
    # already would match them.)
    p, g = np.array([0, 9, 30, 20.]), np.array([5, 9, 1, 1.])
    m = betti_matching(p, g)
    assert m.n_matched.tolist() == [1] and m.error.tolist() == [2]
    assert m.prediction_unmatched.to_array().tolist() == [[0, 20, 30]]
    assert m.target_unmatched.to_array().tolist() == [[0, 5, 9]]
    assert rows(m) == reference_betti_matching(p, g, 1, False)
