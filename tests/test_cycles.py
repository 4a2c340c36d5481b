"""representative_cycles: each meaning checked against plain searches and Z/2 linear algebra."""

import numpy as np
import pytest
import skimage.data
import skimage.transform
from hypothesis import given
from hypothesis import strategies as st

from fasttopo import PersistenceDiagram, persistence, representative_cycles
from helpers.reference_cycles import (Complex, filtration_rank, reference_component,
                                      reference_hole, separates)

# (shape, connectivity) of every construction of 1D, 2D and 3D images
CONSTRUCTIONS = [((40,), 1), ((11, 13), 1), ((11, 13), 2), ((5, 6, 5), 1), ((5, 6, 5), 3),
                 ((5, 6, 5), 2)]


def _image(rng, shape, ties):
    return rng.integers(0, 4, size=shape) if ties else rng.random(shape)


def _dual(ndim, connectivity):
    return ndim if connectivity == 1 else 1


def _expected(image, dgm, i):
    """The reference cycle of row i of ``dgm`` (sorted coordinate tuples)."""
    rank = filtration_rank(image, dgm.superlevel)
    birth = tuple(int(c) for c in dgm.birth_coordinates()[i])
    if dgm.dim[i] == 0:
        death = (None if dgm.is_essential[i]
                 else tuple(int(c) for c in dgm.death_coordinates()[i]))
        return reference_component(rank, dgm.connectivity, birth, death)
    death = tuple(int(c) for c in dgm.death_coordinates()[i])
    return reference_hole(rank, dgm.connectivity, birth, death)[1]


def _as_tuples(coords):
    return [tuple(int(c) for c in row) for row in coords]


def _check_rows(image, dgm, cycles):
    """Dimension 0 and the top dimension: the references; the top cycle cuts d off."""
    ndim = image.ndim
    rank = filtration_rank(image, dgm.superlevel)
    for i in range(len(dgm)):
        if dgm.dim[i] not in (0, ndim - 1):
            continue
        got = _as_tuples(cycles[i])
        assert got == _expected(image, dgm, i), f"row {i} of {dgm}"
        birth = tuple(int(c) for c in dgm.birth_coordinates()[i])
        assert birth in got
        assert all(rank[p] <= rank[birth] for p in got) or dgm.dim[i] == 0
        if dgm.dim[i] == ndim - 1 and ndim > 1:
            death = tuple(int(c) for c in dgm.death_coordinates()[i])
            assert separates(image.shape, got, death, _dual(ndim, dgm.connectivity))


@pytest.mark.parametrize("shape, connectivity", CONSTRUCTIONS)
@pytest.mark.parametrize("superlevel", [False, True])
@pytest.mark.parametrize("ties", [False, True])
def test_components_and_holes_match_plain_searches(shape, connectivity, superlevel, ties):
    rng = np.random.default_rng(len(shape) * 10 + connectivity + 2 * superlevel + 5 * ties)
    image = _image(rng, shape, ties)
    max_dim = 0 if connectivity == 2 and len(shape) == 3 else None
    dgm = persistence(image, connectivity=connectivity, superlevel=superlevel, max_dim=max_dim)
    cycles = representative_cycles(image, dgm)
    assert len(cycles) == len(dgm)
    assert all(c.dtype == np.int64 and c.shape[1:] == (image.ndim,) for c in cycles)
    _check_rows(image, dgm, cycles)
    essential = int(np.flatnonzero(dgm.is_essential)[0])
    assert len(cycles[essential]) == image.size


@given(st.integers(2, 9), st.integers(2, 9), st.integers(1, 2), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_hypothesis_few_levels(rows, cols, connectivity, superlevel, seed):
    image = np.random.default_rng(seed).integers(0, 3, size=(rows, cols))
    dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
    _check_rows(image, dgm, representative_cycles(image, dgm))


def _walk_ok(image, dgm, i, walk):
    """A dimension-1 walk: from b, adjacent steps (6 or 26), closed, at or before b."""
    rank = filtration_rank(image, dgm.superlevel)
    birth = tuple(int(c) for c in dgm.birth_coordinates()[i])
    steps = np.abs(np.diff(np.vstack([walk, walk[:1]]), axis=0))
    if dgm.connectivity == 1:
        adjacent = steps.sum(axis=1) == 1
    else:
        adjacent = (steps.max(axis=1) == 1)
    return (len(walk) >= 3 and tuple(walk[0]) == birth and adjacent.all()
            and all(rank[tuple(v)] <= rank[birth] for v in walk))


@pytest.mark.parametrize("connectivity", [1, 3])
@pytest.mark.parametrize("superlevel", [False, True])
@pytest.mark.parametrize("ties", [False, True])
def test_loops_of_volumes_represent_their_pairs(connectivity, superlevel, ties):
    construction = "V" if connectivity == 1 else "T"
    checked = shared = 0
    for seed in range(3):
        rng = np.random.default_rng(100 * seed + connectivity + 7 * superlevel + 3 * ties)
        image = _image(rng, (4, 5, 5), ties)
        dgm = persistence(image, connectivity=connectivity, superlevel=superlevel).select(1)
        walks = representative_cycles(image, dgm)
        rank = filtration_rank(image, superlevel).reshape(-1)
        cx = Complex(filtration_rank(image, superlevel), construction)
        for i, walk in enumerate(walks):
            assert _walk_ok(image, dgm, i, walk), f"row {i}: {walk.tolist()}"
            assert cx.carries(_as_tuples(walk), rank[dgm.birth_index[i]],
                              rank[dgm.death_index[i]]), f"row {i}: {walk.tolist()}"
            checked += 1
            shared += int((dgm.birth_index == dgm.birth_index[i]).sum() > 1)
    assert checked > 10


def test_the_class_check_needs_the_sums_over_sibling_loops(monkeypatch):
    """With each pair's own loop only (no sum over the loops born at the same voxel), the
    Z/2 check fails on some pairs: the check can fail, and the sums are needed."""
    from fasttopo._engine import loops
    own_v = loops._solve_v
    own_t = loops._positive_locals
    monkeypatch.setattr(loops, "_solve_v", lambda own, sib, dirs, co: 1 << int(dirs[own]))
    monkeypatch.setattr(loops, "_positive_locals",
                        lambda column, b, pivots, faces: own_t(column & -column, b, pivots,
                                                               faces))
    for connectivity, seeds in ((1, range(8, 12)), (3, range(0, 12))):
        failures = 0
        construction = "V" if connectivity == 1 else "T"
        for seed in seeds:
            rng = np.random.default_rng(seed)
            image = rng.random((5, 5, 5)) if connectivity == 3 else rng.random((4, 4, 5))
            dgm = persistence(image, connectivity=connectivity).select(1)
            shared = [i for i in range(len(dgm))
                      if (dgm.birth_index == dgm.birth_index[i]).sum() > 1]
            if not shared:
                continue
            dgm = dgm[shared]
            rank = filtration_rank(image)
            cx = Complex(rank, construction)
            for i, walk in enumerate(representative_cycles(image, dgm)):
                failures += not cx.carries(_as_tuples(walk), rank.flat[dgm.birth_index[i]],
                                           rank.flat[dgm.death_index[i]])
        assert failures > 0, construction
    assert own_v is not loops._solve_v


def _small(image, side):
    return skimage.transform.resize(image, (side, side), anti_aliasing=True,
                                    preserve_range=True)


@pytest.mark.parametrize("name", ["coins", "retina"])
@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("superlevel", [False, True])
def test_real_images(name, connectivity, superlevel):
    if name == "coins":
        image = _small(skimage.data.coins(), 64)
    else:  # the green channel of the fundus photograph, around the optic disc: vessels
        image = _small(skimage.data.retina()[400:1000, 700:1300, 1], 64)
    dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
    rows = np.concatenate([np.flatnonzero(dgm.dim == d)[np.argsort(-dgm.select(d).lifetime,
                                                                   kind="stable")[:6]]
                           for d in (0, 1)])
    subset = dgm[rows]
    cycles = representative_cycles(image, subset)
    _check_rows(image, subset, cycles)
    # a subset gives the same cycles as the whole diagram
    whole = representative_cycles(image, dgm)
    assert all(np.array_equal(whole[r], c) for r, c in zip(rows.tolist(), cycles))


def _voids_and_loops(image, k):
    """The top dimension against the references, dimension-1 walks well formed, V and T."""
    for connectivity in (1, 3):
        dgm = persistence(image, connectivity=connectivity)
        top = dgm.select(2).top_k(k)
        _check_rows(image, top, representative_cycles(image, top))
        loops = dgm.select(1).top_k(k)
        for i, walk in enumerate(representative_cycles(image, loops)):
            assert _walk_ok(image, loops, i, walk)


def test_volume_voids_and_loops():
    _voids_and_loops(np.round(np.random.default_rng(3).random((9, 10, 8)) * 20), 8)


def test_mni_voids_and_loops():
    from helpers.data import volume
    _voids_and_loops(volume("mni152_t1_1mm.npz")[80:104, 100:124, 80:104], 4)


def test_superlevel_equals_sublevel_of_the_negation():
    image = np.random.default_rng(4).integers(-5, 5, size=(4, 5, 6)).astype(np.int64)
    for connectivity in (1, 3):
        up = persistence(image, connectivity=connectivity, superlevel=True)
        down = persistence(-image, connectivity=connectivity)
        assert np.array_equal(up.birth_index, down.birth_index)
        for a, b in zip(representative_cycles(image, up), representative_cycles(-image, down)):
            assert np.array_equal(a, b)


def test_ring_cycle_is_the_ring():
    image = np.full((7, 9), 9.0)
    ring = [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (5, 5),
            (5, 4), (5, 3), (5, 2), (4, 2), (3, 2), (2, 2)]
    for k, p in enumerate(ring):
        image[p] = 1 + 0.01 * k
    image[2:5, 3:6] = [[7, 7.2, 7.4], [7.6, 8.5, 7.8], [8, 8.1, 8.2]]
    image[0, 0] = 0
    loop = persistence(image, connectivity=1).select(1)
    assert loop.to_array().tolist() == [[1.0, 1.15, 8.5]]
    assert _as_tuples(representative_cycles(image, loop)[0]) == sorted(ring)
    # T-construction: the 4-neighbours of the 4-connected hole (no corners)
    loop = persistence(image, connectivity=2).top_k(1, dim=1)
    assert _as_tuples(representative_cycles(image, loop)[0]) == sorted(
        p for p in ring if p not in [(1, 2), (1, 6), (5, 2), (5, 6)])


def test_cripser_loops_of_rings_coincide():
    """Where the definitions coincide: a thin 4-connected ring around a hole without
    islands is the only cycle of its sublevel set, so cripser's V-construction cycle
    (edges between pixels) has exactly our pixels."""
    cripser = pytest.importorskip("cripser")
    rng = np.random.default_rng(5)
    image = rng.random((30, 30)) + 10
    for top, left, h, w in [(2, 2, 6, 8), (12, 4, 9, 5), (3, 15, 10, 12), (18, 17, 8, 9)]:
        ring = [(top, x) for x in range(left, left + w)] + \
               [(top + h - 1, x) for x in range(left, left + w)] + \
               [(y, left) for y in range(top, top + h)] + \
               [(y, left + w - 1) for y in range(top, top + h)]
        for p in ring:
            image[p] = rng.random()
        image[top + 1:top + h - 1, left + 1:left + w - 1] += 5
    dgm = persistence(image, connectivity=1).select(1).top_k(4)
    ours = {(tuple(b), tuple(d)): set(_as_tuples(c)) for b, d, c in
            zip(dgm.birth_coordinates().tolist(), dgm.death_coordinates().tolist(),
                representative_cycles(image, dgm))}
    pairs, cycles = cripser.compute_ph(image, filtration="V", representatives=True)
    found = 0
    for row, cells in zip(pairs, cycles):
        key = ((int(row[3]), int(row[4])), (int(row[6]), int(row[7])))
        if row[0] != 1 or key not in ours:
            continue
        pixels = set()
        for x, y, _, t in np.asarray(cells):
            pixels |= {(int(x), int(y)), (int(x) + (t == 0), int(y) + (t == 1))}
        assert pixels == ours[key]
        found += 1
    assert found == 4


def test_subsets_duplicates_and_empty():
    image = np.random.default_rng(6).random((12, 12))
    dgm = persistence(image)
    every = representative_cycles(image, dgm)
    picked = dgm[[3, 3, 0]]
    got = representative_cycles(image, picked)
    assert [c.tolist() for c in got] == [c.tolist() for c in (every[3], every[3], every[0])]
    assert representative_cycles(image, dgm[np.zeros(len(dgm), dtype=bool)]) == []
    volume = np.random.default_rng(7).random((4, 5, 5))
    loops = persistence(volume).select(1)
    twice = representative_cycles(volume, loops[[0, 0]])
    assert np.array_equal(twice[0], twice[1])


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int16, np.float32, np.int64])
def test_dtypes_and_inputs_untouched(dtype):
    rng = np.random.default_rng(8)
    image = (rng.random((10, 11)) * 50).astype(dtype)
    if dtype == np.int64:
        image = image + (2**62)   # beyond 2**53: compared exactly
    before = image.copy()
    dgm = persistence(image)
    view = np.asfortranarray(image)   # any memory layout
    cycles = representative_cycles(view, dgm)
    assert np.array_equal(image, before)
    _check_rows(image, dgm, cycles)


def test_errors_name_the_problem():
    image = np.random.default_rng(9).random((8, 9))
    dgm = persistence(image)
    with pytest.raises(TypeError, match="diagram must be a PersistenceDiagram"):
        representative_cycles(image, dgm.to_array())
    with pytest.raises(ValueError, match=r"shape \(9, 8\)"):
        representative_cycles(image.T, dgm)
    with pytest.raises(ValueError, match="not computed from this image"):
        representative_cycles(image[::-1].copy(), dgm)
    bad = image.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        representative_cycles(bad, dgm)
    # the options of a diagram are part of it: a V-construction diagram called T
    v = persistence(image, connectivity=1)
    relabelled = PersistenceDiagram(v.dim, v.birth, v.death, v.birth_index, v.death_index,
                                    shape=v.shape, connectivity=2)
    with pytest.raises(ValueError, match=r"diagram row \d+ .* not a pair of this image"):
        representative_cycles(image, relabelled)
    swapped = PersistenceDiagram(dgm.dim, dgm.birth, dgm.death, dgm.birth_index,
                                 dgm.death_index, shape=dgm.shape, connectivity=2,
                                 superlevel=True)
    with pytest.raises(ValueError, match="superlevel filtration"):
        representative_cycles(image, swapped)
    out_of_range = PersistenceDiagram([1], [0.5], [0.7], [0], [-1], shape=(8, 9),
                                      connectivity=2)
    with pytest.raises(ValueError, match="cannot be a pair"):
        representative_cycles(image, out_of_range)
    volume = np.random.default_rng(10).random((4, 5, 5))
    loops = persistence(volume, connectivity=1).select(1)
    as_t = PersistenceDiagram(loops.dim, loops.birth, loops.death, loops.birth_index,
                              loops.death_index, shape=loops.shape, connectivity=3)
    with pytest.raises(ValueError, match="no pair of the image has this birth and death"):
        representative_cycles(volume, as_t)


def test_gallery_quick(tmp_path):
    """The gallery's quick runs; its --cripser counts check, on dimension 1 of volumes, that
    cripser finds the same pairs, that our walks die at their death voxel, and that where
    a voxel gives birth to one loop only, cripser's cycle and ours differ by cycles born
    earlier and boundaries (V_b is one-dimensional)."""
    from helpers.examples import load_example
    ex = load_example("representative_cycles")
    figure = tmp_path / "cycles.png"
    results = ex.main(["--quick", "--out", str(figure)])
    assert {"coins", "retina vessels"} <= set(results)
    for r in results.values():
        assert r["pairs"] > 0 and r["pixels"] >= r["pairs"] and r["cycles_ms"] > 0
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "cycles / persistence" in ex.table(results)
    loops, counts = ex.main(["--cripser", "--quick"])
    assert loops["loops"] > 0 and loops["equal"] + loops["ours inside theirs"] <= loops["loops"]
    for c in counts.values():
        assert c["pairs"] == c["same pairs"] == c["ours die at d"] > 0
        assert c["homologous"] == c["one loop at b"]
