"""The sorting kernels of the small-image path: radix sort against np.sort, exact ties."""

import functools

import numpy as np
import pytest

from fasttopo._engine.keys import fix_ties, radix_sort_u64


def distributions(rng, n):
    """uint64 samples: spread, narrow, float keys, skewed, tied, sorted, reversed."""
    big = np.uint64(1) << np.uint64(40)
    yield "uniform", rng.integers(0, 2**63, n, dtype=np.uint64)
    yield "narrow", rng.integers(0, 2**20, n, dtype=np.uint64)
    floats = rng.random(n)
    yield "float keys", floats.view(np.uint64)
    outlier = floats.copy()
    outlier[n // 2:n // 2 + 1] = 1e300          # one huge key, the others close together
    yield "outlier", outlier.view(np.uint64)
    yield "two outliers", np.where(np.arange(n) % 97 == 0, big * np.uint64(1000),
                                   rng.integers(0, 1000, n, dtype=np.uint64))
    yield "equal", np.full(n, 12345, dtype=np.uint64)
    yield "two values", np.where(rng.random(n) < 0.5, np.uint64(3), big)
    yield "geometric", (np.uint64(1) << rng.integers(0, 63, n).astype(np.uint64))
    yield "sorted", np.arange(n, dtype=np.uint64) * np.uint64(2**30)
    yield "reversed", np.arange(n, 0, -1, dtype=np.uint64) * np.uint64(2**30)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 47, 48, 49, 300, 5000])
def test_radix_sort_equals_np_sort(rng, n):
    for name, values in distributions(rng, n):
        work = np.concatenate([values, np.full(3, 7, np.uint64)])  # count < size
        scratch = np.empty(n, dtype=np.uint64)
        radix_sort_u64(work, n, scratch)
        np.testing.assert_array_equal(work[:n], np.sort(values), err_msg=name)
        np.testing.assert_array_equal(work[n:], 7)


@pytest.mark.parametrize("backwards", [False, True])
@pytest.mark.parametrize("skip", [1, 2])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 300, 3000])
def test_radix_sort_skipping_low_bytes_is_stable(rng, n, skip, backwards):
    # the small kernels sort candidates queued in cell order on their key field only:
    # equal keys must keep the input order (reversed with ``backwards``)
    for name, values in distributions(rng, n):
        values = values >> np.uint64(8)  # room for a tie-heavy variant below
        for variant in (values, values & ~np.uint64((1 << (8 * skip + 3)) - 1)):
            work = np.concatenate([variant, np.full(3, 7, np.uint64)])
            scratch = np.empty(n, dtype=np.uint64)
            radix_sort_u64(work, n, scratch, skip, backwards)
            high = variant >> np.uint64(8 * skip)
            position = np.arange(n)
            order = np.lexsort((-position if backwards else position, high))
            np.testing.assert_array_equal(work[:n], variant[order], err_msg=name)
            np.testing.assert_array_equal(work[n:], 7)


def test_fix_ties_orders_runs_by_full_key():
    keys = np.array([5, 3, 9, 3, 1], dtype=np.uint64)     # full keys of cells 0..4
    index_bits = 4
    # truncated key 0 for every cell: one run, to be ordered by (key, 2 * cell)
    packed = np.array([2 * c for c in range(5)], dtype=np.uint64)
    fix_ties(packed, 5, keys, index_bits, False)
    assert [int(p) >> 1 for p in packed] == [4, 1, 3, 0, 2]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("levels", [3, 1000, 2**40])
@pytest.mark.parametrize("cells", [5, 17, 400])
def test_fix_ties_short_and_long_runs_match_lexsort(rng, reverse, levels, cells):
    # a few truncated keys shared by many cells: runs shorter and longer than the
    # insertion-sort limit, full keys with ties of their own (then the cell decides)
    from fasttopo._engine.keys import pack

    index_bits = 12
    keys = rng.integers(0, levels, cells).astype(np.uint64) + np.uint64(2**41)
    shift = 41  # keeps one or two truncated levels
    kmin, kmax = keys.min(), keys.max()
    packed = np.array([pack(keys[c], 2 * c, kmin, kmax, shift, index_bits, reverse)
                       for c in range(cells)], dtype=np.uint64)
    packed.sort()
    fix_ties(packed, cells, keys, index_bits, reverse)
    mask = (1 << index_bits) - 1
    got = [((mask - (int(p) & mask)) if reverse else int(p) & mask) >> 1 for p in packed]
    cell = np.arange(cells)
    want = np.lexsort((cell, keys))  # by key, then cell
    assert got == (want[::-1] if reverse else want).tolist()


@pytest.mark.parametrize("superlevel", [False, True])
def test_fill_keys_range_and_first_pixel(rng, superlevel):
    # kmin/kmax/varying and the padded cell of the first minimum in C order,
    # against NumPy on the same keys (ties on purpose)
    from fasttopo._engine import as_3d
    from fasttopo._engine.keys import fill_keys, image_bits
    from fasttopo._engine.neighbourhood import geometry

    for trial in range(60):
        ndim = 1 + trial % 3
        shape = tuple(int(s) for s in rng.integers(1, 7, ndim))
        image = [rng.integers(0, 3, shape).astype(np.uint8),
                 rng.integers(-2, 2, shape).astype(np.int64),
                 np.round(rng.standard_normal(shape), 1),
                 np.full(shape, np.iinfo(np.uint64).max, dtype=np.uint64)][trial % 4]
        bits, kind, signbit, allones = image_bits(image)
        bits3 = as_3d(bits)
        padded, pad = geometry(np.array(bits3.shape, dtype=np.int64), ndim)
        keys = np.zeros(int(np.prod(padded)) + 1, dtype=bits.dtype)
        kmin, kmax, varying, first = fill_keys(bits3, kind, signbit, allones, superlevel,
                                                     keys, padded, pad)
        cells = (np.indices(bits3.shape).reshape(3, -1).T + pad) @ np.array(
            [padded[1] * padded[2], padded[2], 1])
        flat = keys[cells].astype(np.uint64)
        assert (kmin, kmax) == (flat.min(), flat.max())
        assert varying == np.bitwise_or.reduce(flat ^ flat[0])
        assert first == cells[np.flatnonzero(flat == flat.min())[0]]
        # the keys order the values (sublevel) or reverse them (superlevel)
        order = np.lexsort((np.arange(flat.size), flat))
        values = image.reshape(-1)[order].astype(np.float64)
        assert np.all(np.diff(values) <= 0) if superlevel else np.all(np.diff(values) >= 0)


@functools.cache
def _stencils_back():
    """An uncached kernel that reads both stencils back from their buffer (made once)."""
    from numba import njit

    from fasttopo._engine.neighbourhood import stencils_from_buffer

    @njit
    def back(buf):
        return stencils_from_buffer(buf)

    return back


@pytest.mark.parametrize("shape, ndim, connectivity", [
    ((1, 1, 9), 1, 1), ((1, 64, 64), 2, 1), ((1, 5, 7), 2, 2), ((4, 5, 6), 3, 1),
    ((4, 5, 6), 3, 2), ((2, 3, 4), 3, 3)])
def test_stencils_buffer_round_trip(shape, ndim, connectivity):
    # the small-image kernels take both stencils as one buffer: the views must have the
    # tuple's exact Numba types (else every kernel compiles a second time) and values
    import numba

    from fasttopo._engine.buffers import stencil_buffer, stencils

    back = _stencils_back()   # one dispatcher for every case: compiled once, not six times
    st_f, st_r = stencils(shape, ndim, connectivity)
    got = back(stencil_buffer(shape, ndim, connectivity))
    assert back.nopython_signatures[-1].return_type == numba.typeof((st_f, st_r))
    for want, have in zip(st_f + st_r, got[0] + got[1]):
        assert np.array_equal(np.asarray(want), np.asarray(have))


def _groups(present, neighbours, steps, connectivity):
    """Reference: the groups of present neighbours connected through present ring
    cells, each as its lowest ring position, by a plain flood."""
    def adjacent(r, q):
        d = np.abs(steps[r] - steps[q])
        return d.max() <= 1 and d.sum() <= connectivity
    cells = [r for r in range(len(steps)) if present >> r & 1]
    left = [r for r in cells if neighbours >> r & 1]
    groups = []
    while left:
        seen, todo = {left[0]}, [left[0]]
        while todo:
            r = todo.pop()
            for q in cells:
                if q not in seen and adjacent(r, q):
                    seen.add(q)
                    todo.append(q)
        groups.append(left[0])
        left = [r for r in left if r not in seen]
    return groups


def _kind(groups):
    return min(len(groups), 2)


def _packed(groups):
    return sum((r + 1) << (8 * i) for i, r in enumerate(groups))


@pytest.mark.parametrize("ndim, connectivity", [(1, 1), (2, 1), (2, 2)])
def test_lookup_tables_match_a_flood(ndim, connectivity):
    from fasttopo._engine.neighbourhood import stencil

    st = stencil(ndim, connectivity, np.array([1, 5, 6], dtype=np.int64))
    for mask in range(st.kind_table.size):
        groups = _groups(mask, int(st.neighbours), st.steps, connectivity)
        assert st.kind_table[mask] == _kind(groups)
        assert int(st.rep_table[mask]) == _packed(groups)


@pytest.mark.parametrize("connectivity", [1, 2, 3])
def test_cube_kernels_match_a_flood(rng, connectivity):
    # the 26-cell ring of 3D images has no tables: the kernels flood the 3x3x3 cube
    from fasttopo._engine.neighbourhood import classify_cube, representatives_cube, stencil

    st = stencil(3, connectivity, np.array([5, 6, 7], dtype=np.int64))
    masks = [0, (1 << 26) - 1, 0b101] + [int(m) for m in rng.integers(0, 1 << 26, 300)]
    masks += [int(m) & int(rng.integers(0, 1 << 26)) for m in rng.integers(0, 1 << 26, 300)]
    for mask in masks:
        groups = _groups(mask, int(st.neighbours), st.steps, connectivity)
        assert classify_cube(np.uint32(mask), st.neighbours, st.connectivity) == _kind(groups)
        assert representatives_cube(np.uint32(mask), st.neighbours,
                                    st.connectivity) == _packed(groups)


@pytest.mark.parametrize("levels", [1, 2, 7, 1 << 40])
def test_stable_order_matches_numpy(rng, levels):
    # fix_ties' merge sort of long runs: NumPy's stable argsort is the reference
    from fasttopo._engine.keys import _stable_order

    for n in (0, 1, 2, 3, 16, 17, 100, 1025):
        values = rng.integers(0, levels, n).astype(np.uint64)
        np.testing.assert_array_equal(_stable_order(values), np.argsort(values, kind="stable"))
