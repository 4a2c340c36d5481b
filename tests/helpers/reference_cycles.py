"""Slow, obviously-correct references for representative cycles (pure Python / NumPy).

* ``reference_component`` / ``reference_hole``: plain breadth-first
  searches on the pixel grid, in the filtration order (value, ties by flat
  index), for dimension 0 and the top dimension.
* ``separates``: whether a set of pixels cuts a pixel off from the image
  border under a connectivity.
* ``loop_class``: whether a closed walk of voxels represents the pair
  (b, d) in the voxel-level filtration of the V- or T-complex: its chain
  (edges of consecutive voxels (V); cube edges through corners shared by
  consecutive voxels (T)) is a cycle of the sublevel set at b that lies in
  (cycles before b) + (boundaries at d) and not in (cycles before b) +
  (boundaries before d).  Z/2 linear algebra on the whole complex, with
  Python ints as bit sets.
"""

import itertools
from collections import deque

import numpy as np

from helpers.reference import _cell_pixels, _cells


def filtration_rank(image, superlevel=False):
    """Position of every pixel in the filtration order (value, then flat index)."""
    values = np.asarray(image).reshape(-1).tolist()   # Python ints and floats: exact
    sign = -1 if superlevel else 1
    order = sorted(range(len(values)), key=lambda i: (sign * values[i], i))
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank.reshape(np.shape(image))


def offsets(ndim, connectivity):
    return [o for o in itertools.product((-1, 0, 1), repeat=ndim)
            if 0 < sum(abs(c) for c in o) <= connectivity]


def _neighbours(p, shape, steps):
    for o in steps:
        q = tuple(a + b for a, b in zip(p, o))
        yield q, all(0 <= c < s for c, s in zip(q, shape))


def reference_component(rank, connectivity, birth, death):
    """Pixels connected to ``birth`` through pixels before ``death`` (sorted coordinates)."""
    shape = rank.shape
    steps = offsets(rank.ndim, connectivity)
    limit = rank[death] if death is not None else rank.size
    seen = {birth}
    queue = deque([birth])
    while queue:
        p = queue.popleft()
        for q, inside in _neighbours(p, shape, steps):
            if inside and q not in seen and rank[q] < limit:
                seen.add(q)
                queue.append(q)
    return sorted(seen)


def reference_hole(rank, connectivity, birth, death):
    """``(hole, cycle)``: pixels after ``birth`` connected to ``death`` (dual connectivity),
    and the pixels at or before ``birth`` next to them (sorted coordinates)."""
    dual = rank.ndim if connectivity == 1 else 1
    steps = offsets(rank.ndim, dual)
    hole = {death}
    queue = deque([death])
    cycle = set()
    while queue:
        p = queue.popleft()
        for q, inside in _neighbours(p, rank.shape, steps):
            assert inside, "the hole reaches the border"
            if rank[q] > rank[birth]:
                if q not in hole:
                    hole.add(q)
                    queue.append(q)
            else:
                cycle.add(q)
    return sorted(hole), sorted(cycle)


def separates(shape, pixels, start, connectivity):
    """True if every path from ``start`` avoiding ``pixels`` stays off the image border."""
    blocked = {tuple(int(c) for c in p) for p in pixels}
    steps = offsets(len(shape), connectivity)
    seen = {start}
    queue = deque([start])
    while queue:
        p = queue.popleft()
        for q, inside in _neighbours(p, shape, steps):
            if not inside:
                return False
            if q not in blocked and q not in seen:
                seen.add(q)
                queue.append(q)
    return True


class Complex:
    """The V- or T-complex of a 3D image with the voxel-level entry of every cell."""

    def __init__(self, rank, construction):
        self.construction = construction
        shape = rank.shape
        _, cells = _cells(shape, construction)
        self.entry, self.dim, self.index = {}, {}, {}
        for cell in cells:
            pixels = _cell_pixels(cell, shape, construction)
            ranks = [rank[p] for p in pixels]
            self.entry[cell] = max(ranks) if construction == "V" else min(ranks)
            self.dim[cell] = sum(c % 2 for c in cell)   # odd coordinates span the cell
        self.edges = [c for c in cells if self.dim[c] == 1]
        self.squares = [c for c in cells if self.dim[c] == 2]
        self.bit = {c: i for i, c in enumerate(self.edges)}

    def boundary(self, square):
        out = 0
        for axis in range(3):
            if square[axis] % 2 == 1:
                for s in (-1, 1):
                    face = list(square)
                    face[axis] += s
                    out ^= 1 << self.bit[tuple(face)]
        return out

    def chain(self, walk):
        """The Z/2 1-chain of a closed walk of voxels."""
        out = 0
        if self.construction == "V":
            for a, b in zip(walk, walk[1:] + walk[:1]):
                out ^= 1 << self.bit[tuple(x + y for x, y in zip(a, b))]  # 2i + (i or i+1)
            return out
        # T: through a corner shared by consecutive voxels, along the cube's edges
        walk = [tuple(int(c) for c in v) for v in walk]
        shared = [self._shared(a, b) for a, b in zip(walk, walk[1:] + walk[:1])]
        for i, voxel in enumerate(walk):
            start, stop = shared[i - 1], shared[i]
            assert all(2 * v <= c <= 2 * v + 2 for v, c in zip(voxel, start + stop))
            out ^= self._path(start, stop)
        return out

    @staticmethod
    def _shared(a, b):
        assert max(abs(x - y) for x, y in zip(a, b)) == 1, f"{a} and {b} are not 26-adjacent"
        return tuple(2 * x + 2 if y > x else 2 * x for x, y in zip(a, b))

    def _path(self, start, stop):
        out, here = 0, list(start)
        for axis in range(3):
            while here[axis] != stop[axis]:
                step = 1 if stop[axis] > here[axis] else -1
                mid = list(here)
                mid[axis] += step
                out ^= 1 << self.bit[tuple(mid)]
                here[axis] += 2 * step
        return out

    def _reduced(self, vector, basis):
        while vector:
            top = vector.bit_length() - 1
            if top not in basis:
                return vector
            vector ^= basis[top]
        return 0

    def in_span(self, z, birth, t):
        """z in (cycles of cells entering before ``birth``) + (boundaries of cells by ``t``)."""
        old = sum(1 << self.bit[e] for e in self.edges if self.entry[e] < birth)
        basis = {}
        for square in self.squares:
            if self.entry[square] <= t:
                v = self._reduced(self.boundary(square) & ~old, basis)
                if v:
                    basis[v.bit_length() - 1] = v
        return self._reduced(z & ~old, basis) == 0

    def carries(self, walk, birth, death):
        """True if the closed walk represents the pair born at rank ``birth``, dead at ``death``."""
        z = self.chain(walk)
        if z == 0 or any(self.entry[e] > birth for e in self.edges if z >> self.bit[e] & 1):
            return False
        return self.in_span(z, birth, death) and not self.in_span(z, birth, death - 1)


def loop_class(image, walk, birth, death, connectivity, superlevel=False):
    """``Complex(...).carries`` for a walk of voxel coordinates and flat birth/death pixels."""
    rank = filtration_rank(image, superlevel)
    construction = "V" if connectivity == 1 else "T"
    cx = Complex(rank, construction)
    flat = rank.reshape(-1)
    return cx.carries([tuple(int(c) for c in v) for v in walk], flat[birth], flat[death])
