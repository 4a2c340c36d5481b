"""Dimension 1 of volumes: clearing and flowing change nothing but the time."""

import itertools

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

import fasttopo
from fasttopo._engine import volumes
from fasttopo._engine.cubical_clearing import square_births
from fasttopo._engine.cubical_reduction import apparent_pairs
from fasttopo._engine.keys import packing
from fasttopo._engine.neighbourhood import geometry

from helpers.oracles import cripser_pairs, ours
from helpers.reference import reference_persistence


def _modes(image, connectivity, superlevel, monkeypatch):
    """The diagram with and without clearing and flowing (``volumes._NOISY``)."""
    out = []
    for noisy in (0.0, np.inf):
        monkeypatch.setattr(volumes, "_NOISY", noisy)
        out.append(fasttopo.persistence(image, connectivity=connectivity,
                                        superlevel=superlevel))
    return out


@pytest.mark.parametrize("kind", ["noise", "smooth", "levels"])
def test_clearing_and_flowing_give_the_same_pairs(rng, monkeypatch, kind):
    image = rng.random((24, 21, 26))
    if kind == "smooth":
        image = gaussian_filter(image, 2)
    elif kind == "levels":   # ties everywhere
        image = rng.integers(0, 4, image.shape).astype(np.uint8)
    for connectivity, superlevel in itertools.product((1, 3), (False, True)):
        with_, without = _modes(image, connectivity, superlevel, monkeypatch)
        assert with_ == without, (connectivity, superlevel)
        assert ours(with_) == cripser_pairs(image, connectivity, superlevel)


@pytest.mark.parametrize("levels", [2, 3, None])
def test_both_modes_match_the_reference_reduction(rng, monkeypatch, levels):
    for _ in range(6):
        shape = tuple(rng.integers(2, 6, size=3))
        image = rng.random(shape) if levels is None else rng.integers(0, levels, shape)
        for connectivity, superlevel in itertools.product((1, 3), (False, True)):
            expected = sorted((int(d), float(b), float(e)) for d, b, e, *_ in
                              reference_persistence(image, connectivity, superlevel))
            for diagram in _modes(image, connectivity, superlevel, monkeypatch):
                assert ours(diagram) == expected


def _squares(pos, shape):
    """Every square of the V-complex on the padded grid: (key, id, coface ids).

    The key orders squares as the reduction does (owner's position, then the
    local number of ``square_key``); a coface is the id of a cube whose eight
    corners are present, else -1 (the exterior).
    """
    D, H, W = shape
    present = (pos >= 0).reshape(shape)
    order3 = pos.reshape(shape)

    def direction(axis, sign):
        return axis if sign < 0 else 5 - axis

    out = []
    for z, y, x in itertools.product(range(D), range(H), range(W)):
        for o, (p, q) in enumerate([(0, 1), (0, 2), (1, 2)]):
            m = [z, y, x]
            corners = []
            for a, b in [(0, 0), (1, 0), (0, 1), (1, 1)]:
                c = list(m)
                c[p] += a
                c[q] += b
                corners.append(tuple(c))
            if any(c[i] >= shape[i] for c in corners for i in range(3)):
                continue
            if not all(present[c] for c in corners):
                continue
            owner = max(corners, key=lambda c: order3[c])
            dp = direction(p, -1 if owner[p] > m[p] else 1)
            dq = direction(q, -1 if owner[q] > m[q] else 1)
            key = (int(order3[owner]), max(dp, dq) * 6 + min(dp, dq))
            r = 3 - p - q
            cofaces = []
            for shift in (0, -1):
                lo = list(m)
                lo[r] += shift
                cube = [tuple(lo[i] + d[i] for i in range(3))
                        for d in itertools.product((0, 1), repeat=3)]
                inside = all(0 <= c[i] < shape[i] for c in cube for i in range(3))
                cofaces.append(np.ravel_multi_index(lo, shape)
                               if inside and all(present[c] for c in cube) else -1)
            out.append((key, 3 * int(np.ravel_multi_index(m, shape)) + o, cofaces))
    return out


def test_square_births_are_the_dimension_2_births(rng):
    # the squares marked by square_births are exactly those that join two components
    # of the cubes after them (union-find over all squares, latest first)
    for levels in (None, 3):
        image = rng.random((7, 6, 8)) if levels is None else rng.integers(0, levels, (7, 6, 8))
        keys = fasttopo._engine.filtration_keys(image, False)
        shape3 = np.array(image.shape, dtype=np.int64)
        padded, pad = geometry(shape3, 3)
        npad = int(np.prod(padded))
        grid_keys = np.zeros(npad + 1, dtype=np.uint64)
        inner = grid_keys[:npad].reshape(tuple(padded))
        inner[1:-1, 1:-1, 1:-1] = keys.reshape(image.shape)
        varying = np.bitwise_or.reduce(keys ^ keys[0])
        pk = packing(np.uint64(keys.min()), np.uint64(keys.max()), np.uint64(varying), npad + 1)
        pos, order, first = volumes.voxel_order(grid_keys, padded, pad, shape3, False, pk)
        pivots = np.full(3 * npad, -1, dtype=np.int32)
        apparent_pairs(pos, np.zeros(npad, dtype=np.uint8), pivots, int(padded[1]),
                       int(padded[2]), first, 0, npad)
        cleared = np.empty(npad, dtype=np.uint8)
        square_births(pos, order, pivots, cleared, np.empty(npad + 1, dtype=np.int32),
                      int(padded[0]), int(padded[1]), int(padded[2]), first)
        parent = {}

        def find(a):
            while parent.setdefault(a, a) != a:
                a = parent[a]
            return a

        births = set()
        for key, sid, (c0, c1) in sorted(_squares(pos, tuple(padded)), reverse=True):
            r0, r1 = find(c0), find(c1)
            if r0 != r1:
                births.add(sid)
                parent[r0] = r1
        marked = {3 * m + o for m in range(npad) for o in range(3) if cleared[m] >> o & 1}
        assert marked == births
