# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Clearing on the rows of the cubical reduction: the squares that are dimension-2 births (private).

In the cohomology of dimension 1 (``cubical_reduction``), a square that is
paired with a cube (a dimension-2 birth) is never the pivot of an edge's
coboundary, so it can be left out of every coboundary without changing
the pairs: clearing (Bauer 2021, doi:10.1007/s41468-021-00071-5) read on
the rows, or by the anti-transpose duality of de Silva, Morozov and
Vejdemo-Johansson (2011, doi:10.1088/0266-5611/27/12/124003) clearing of
the squares' columns in homology.  On noise-like volumes it leaves a third
of the squares out, and the kept columns of the reduction shrink tenfold.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t
from libcpp.vector cimport vector

from .cubical_cells cimport (AHEAD, axis_of, bit_length, direction, local_code, orientation,
                             prefetch, sign_of)

import numpy as np

# the 12 squares around a voxel: axes p < q and the steps along them
cdef int[12][4] SQUARES = [[0, 1, -1, -1], [0, 1, -1, 1], [0, 1, 1, -1], [0, 1, 1, 1],
                           [0, 2, -1, -1], [0, 2, -1, 1], [0, 2, 1, -1], [0, 2, 1, 1],
                           [1, 2, -1, -1], [1, 2, -1, 1], [1, 2, 1, -1], [1, 2, 1, 1]]


cdef inline Py_ssize_t _find(int32_t* parent, Py_ssize_t x) noexcept nogil:
    cdef Py_ssize_t p
    while parent[x] != x:       # path halving
        p = parent[parent[x]]
        parent[x] = <int32_t>p
        x = p
    return x


cdef inline bint cube_exists(const int32_t* P, Py_ssize_t c, Py_ssize_t* stride) noexcept nogil:
    """Whether the cube of min corner ``c`` has its eight corners present."""
    cdef int k
    for k in range(8):
        if P[c + (k >> 2) * stride[0] + ((k >> 1) & 1) * stride[1] + (k & 1) * stride[2]] < 0:
            return False
    return True


def square_births(const int32_t[::1] pos, const int32_t[::1] order, const int32_t[::1] pivots,
                  uint8_t[::1] cleared, int32_t[::1] parent, Py_ssize_t Dp, Py_ssize_t Hp,
                  Py_ssize_t Wp, int32_t first_real):
    """Mark the squares that are dimension-2 births (``cleared``): the rows of clearing.

    A square that gives birth to a void (it joins two components of the
    cubes after it, the dual graph swept in reverse filtration order) is
    paired with a cube and is never the pivot of an edge's coboundary, so
    it can be left out of every coboundary without changing the pairs
    (clearing, Bauer 2021, read on the rows).  The latest face of a cube
    joins that cube, still alone, to the other side: a birth found
    locally, in a raster pass that also links the cube to its other side
    (such links only hang leaves on the dual graph: the components met by
    later squares stay the same).  The other squares that are neither such
    faces nor apparent deaths (``pivots`` holds the apparent pairs) are
    then swept in reverse filtration order with union-find.

    ``cleared`` (Dp * Hp * Wp,) receives bit o of voxel m for square
    3 * m + o; ``parent`` (Dp * Hp * Wp + 1,) int32 is scratch.  Returns the
    number of squares swept with union-find.
    """
    cdef Py_ssize_t stride[3]
    stride[0] = Hp * Wp
    stride[1] = Wp
    stride[2] = 1
    cdef Py_ssize_t npad = Dp * Hp * Wp, exterior = npad
    cdef const int32_t* P = &pos[0]
    cdef int32_t* parent_ = &parent[0]
    cdef uint8_t* flags = &cleared[0]
    cdef Py_ssize_t z, y, x, c, m, sm, other, t, v, a, b, d, r0, r1
    cdef int k, best, hz, hy, hx, dz, dy, dx, c0, c1, c2, o, r, p, q, sp, sq, hi, lo, local
    cdef int32_t top, value, pv
    cdef vector[int64_t] unknown
    cdef int64_t key
    # keys hold the square's min corner when they have room (see ``row_key``)
    cdef int bits = bit_length(<unsigned long long>npad)
    if 2 * bits + 6 > 63:
        bits = 0
    cdef int64_t mask = (<int64_t>1 << bits) - 1
    with nogil:
        for c in range(npad + 1):
            parent_[c] = <int32_t>c
            if c < npad:
                flags[c] = 0
        # pass 1: the latest face of every cube, and the cube's link through it
        for z in range(Dp - 1):
            for y in range(Hp - 1):
                c = (z * Hp + y) * Wp
                for x in range(Wp - 1):
                    top = -1
                    best = 0
                    for k in range(8):
                        value = P[c + x + (k >> 2) * stride[0] + ((k >> 1) & 1) * stride[1]
                                  + (k & 1)]
                        if value < 0:
                            top = -2
                            break
                        if value > top:
                            top = value
                            best = k
                    if top < first_real:
                        continue
                    hz = (best >> 2) & 1
                    hy = (best >> 1) & 1
                    hx = best & 1
                    # the owner's edges into the cube, per axis (z, y, x)
                    dz = direction(0, -1 if hz else 1)
                    dy = direction(1, -1 if hy else 1)
                    dx = direction(2, -1 if hx else 1)
                    c0 = local_code(dz, dy)      # the (z, y) face: orientation 0, normal x
                    c1 = local_code(dz, dx)      # (z, x): orientation 1, normal y
                    c2 = local_code(dy, dx)      # (y, x): orientation 2, normal z
                    m = c + x
                    if c0 > c1 and c0 > c2:
                        o = 0
                        sm = m + hx
                        r = 2
                    elif c1 > c2:
                        o = 1
                        sm = m + hy * stride[1]
                        r = 1
                    else:
                        o = 2
                        sm = m + hz * stride[0]
                        r = 0
                    flags[sm] |= <uint8_t>(1 << o)
                    # the cube's other side through that face
                    other = sm - stride[r] if sm == m else sm
                    if not cube_exists(P, other, stride):
                        other = exterior
                    elif other < m and parent_[other] == m:
                        continue        # the face is the latest of both: one link
                    parent_[m] = <int32_t>other
        # pass 2: the squares whose role is not known yet (not such a face, not an
        # apparent death), by their keys
        for v in range(npad):
            pv = P[v]
            if pv < first_real:
                continue
            for t in range(12):
                p = SQUARES[t][0]
                q = SQUARES[t][1]
                sp = SQUARES[t][2]
                sq = SQUARES[t][3]
                a = v + sp * stride[p]
                b = v + sq * stride[q]
                d = a + sq * stride[q]
                if P[a] < 0 or P[a] > pv or P[b] < 0 or P[b] > pv or P[d] < 0 or P[d] > pv:
                    continue
                sm = v - (stride[p] if sp < 0 else 0) - (stride[q] if sq < 0 else 0)
                o = orientation(p, q)
                if (flags[sm] >> o) & 1 or pivots[3 * sm + o] != -1:
                    continue
                unknown.push_back(((<int64_t>pv << 6) | local_code(direction(p, sp),
                                                                   direction(q, sq)))
                                  << bits | (sm if bits else 0))
    keys = np.empty(unknown.size(), dtype=np.int64)
    cdef int64_t[::1] kv = keys
    for t in range(<Py_ssize_t>unknown.size()):
        kv[t] = unknown[t]
    unknown.clear()
    keys.sort()
    with nogil:
        # pass 3: union-find over the dual graph, latest square first (the cells of a
        # square a few keys ahead are asked for early: the keys jump around the volume)
        for t in range(kv.shape[0] - 1, -1, -1):
            if bits and t >= AHEAD:
                m = kv[t - AHEAD] & mask
                prefetch(&parent_[m])
                prefetch(&P[m])
            key = kv[t]
            local = <int>((key >> bits) & 63)
            hi = local // 6
            lo = local % 6
            if bits:
                m = key & mask
            else:
                m = order[key >> 6]
                if sign_of(hi) < 0:
                    m -= stride[axis_of(hi)]
                if sign_of(lo) < 0:
                    m -= stride[axis_of(lo)]
            p = axis_of(hi) if axis_of(hi) < axis_of(lo) else axis_of(lo)
            q = axis_of(hi) if axis_of(hi) > axis_of(lo) else axis_of(lo)
            r = 3 - p - q
            r0 = _find(parent_, m if cube_exists(P, m, stride) else exterior)
            other = m - stride[r]
            r1 = _find(parent_, other if cube_exists(P, other, stride) else exterior)
            if r0 != r1:
                flags[m] |= <uint8_t>(1 << orientation(p, q))
                parent_[r0] = <int32_t>r1
    return kv.shape[0]
