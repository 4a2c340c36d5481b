# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Cubical reduction for dimension 1 of 3D images (private).

Persistent cohomology of the V-complex on a padded voxel grid (vertices =
voxels, edges = 6-neighbour pairs, squares = 2x2 plaquettes), following
the cohomology + clearing + apparent-pair strategy of Ripser (Bauer 2021,
doi:10.1007/s41468-021-00071-5) and CubicalRipser (Kaji, Sudo, Ahara 2020,
arXiv:2005.12692), written for this engine:

* The filtration order of voxels is given by ``pos`` (int32, -1 = absent).
  A cell enters with its last vertex (its *owner*); cells are ordered by
  the packed 64-bit key ``pos(owner) << 8 | dim << 6 | local`` where
  ``local`` numbers the cells of one owner.  Edges of one owner are ordered
  by direction (-z, -y, -x, +x, +y, +z), the order in which the union-find
  of dimension 0 joined them, so ``negative`` (the edges that merged
  components, one bit per direction) clears exactly those columns.
* Columns are edges in decreasing key order; the pivot of a coboundary is
  its earliest square.  An edge whose earliest coface has it as latest
  face forms an *apparent pair*: such pairs are pairs of every reduction,
  so they are found first in a raster pass, without sorting; all of them
  have zero persistence (edge and square share their owner).
* The remaining columns are sorted and reduced from the latest; a working
  column is a radix heap (a monotone priority queue, Z/2 by parity); the
  pivot table is a flat int32 array over square ids and reduced
  columns that needed additions are kept to be added again.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t
from cython.operator cimport dereference as deref
from libcpp.unordered_map cimport unordered_map
from libcpp.vector cimport vector

import numpy as np

cdef int _AHEAD = 8                         # keys prefetched ahead in the union-find
cdef int[6] AXIS = [0, 1, 2, 2, 1, 0]       # axis of each direction (z, y, x)
cdef int[6] SIGN = [-1, -1, -1, 1, 1, 1]
# the 12 squares around a voxel: axes p < q and the steps along them
cdef int[12][4] SQUARES = [[0, 1, -1, -1], [0, 1, -1, 1], [0, 1, 1, -1], [0, 1, 1, 1],
                           [0, 2, -1, -1], [0, 2, -1, 1], [0, 2, 1, -1], [0, 2, 1, 1],
                           [1, 2, -1, -1], [1, 2, -1, 1], [1, 2, 1, -1], [1, 2, 1, 1]]


cdef struct Grid:
    Py_ssize_t stride[3]
    const int32_t* pos
    const int32_t* order
    const uint8_t* cleared     # bit o of voxel m: square 3 * m + o is a dimension-2 birth
    bint clearing              # whether ``cleared`` is used (else it may be empty)
    int bits                   # low bits of a row key holding the square's min corner (or 0)
    int64_t mask
    const int32_t* pivots


cdef inline int direction(int axis, int sign) noexcept nogil:
    return axis if sign < 0 else 5 - axis


cdef inline int orientation(int p, int q) noexcept nogil:
    # p < q: (0, 1) -> 0, (0, 2) -> 1, (1, 2) -> 2
    return p + q - 1


cdef inline int64_t square_key(int32_t owner_pos, int da, int db) noexcept nogil:
    """Key of the square of an owner spanned by its edges in directions da and db.

    Squares of one owner are numbered by the direction of their later edge
    (then of the other one): an edge is then the latest face of the first
    of its cofaces that it is the later edge of, so every positive edge with
    such a coface forms an apparent pair.
    """
    cdef int hi = da if da > db else db, lo = da if da < db else db
    return (<int64_t>owner_pos << 8) | (2 << 6) | (hi * 6 + lo)


cdef inline int64_t edge_key(int32_t owner_pos, int d) noexcept nogil:
    return (<int64_t>owner_pos << 8) | (1 << 6) | d


cdef inline int coboundary(Grid* g, int64_t edge, int64_t* keys) noexcept nogil:
    """Keys of the squares containing edge id ``edge`` (3 * min vertex + axis)."""
    cdef Py_ssize_t u = edge // 3, m
    cdef Py_ssize_t corner[4]
    cdef int a = <int>(edge % 3), b, p, q, s, n = 0, c, best
    cdef int32_t top, value
    for b in range(3):
        if b == a:
            continue
        p = a if a < b else b
        q = b if a < b else a
        for s in range(2):
            m = u if s == 0 else u - g.stride[b]
            corner[0] = m                                  # (0, 0)
            corner[1] = m + g.stride[p]                    # (1, 0)
            corner[2] = m + g.stride[q]                    # (0, 1)
            corner[3] = m + g.stride[p] + g.stride[q]      # (1, 1)
            top = -1
            best = 0
            for c in range(4):
                value = g.pos[corner[c]]
                if value < 0:
                    top = -2
                    break
                if value > top:
                    top = value
                    best = c
            if top < 0 or (g.clearing and (g.cleared[m] >> orientation(p, q)) & 1):
                continue
            # the owner's two edges point into the square
            keys[n] = row_key(g, top, direction(p, -1 if best & 1 else 1),
                              direction(q, -1 if best & 2 else 1), m)
            n += 1
    return n


cdef inline int64_t row_key(Grid* g, int32_t owner_pos, int da, int db, Py_ssize_t m) noexcept nogil:
    """Key of a square in the reduction: its filtration order (owner, local number as in
    ``square_key``) above its min corner ``m`` when the key has room (``g.bits``), so
    that its id needs no look-up of the owner (a cache miss on large volumes)."""
    cdef int hi = da if da > db else db, lo = da if da < db else db
    return ((((<int64_t>owner_pos) << 6) | (hi * 6 + lo)) << g.bits) | (m if g.bits else 0)


cdef inline int64_t row_owner(Grid* g, int64_t key) noexcept nogil:
    """Filtration position of the owner of a square's row key."""
    return key >> (g.bits + 6)


cdef inline int64_t square_id(Grid* g, int64_t key) noexcept nogil:
    """Id (3 * min corner + orientation) of a square's row key."""
    cdef int local = <int>((key >> g.bits) & 63), hi = local // 6, lo = local % 6
    cdef Py_ssize_t m
    if g.bits:
        m = key & g.mask
    else:
        m = g.order[key >> 6]
        if SIGN[hi] < 0:
            m -= g.stride[AXIS[hi]]
        if SIGN[lo] < 0:
            m -= g.stride[AXIS[lo]]
    cdef int p = AXIS[hi] if AXIS[hi] < AXIS[lo] else AXIS[lo]
    cdef int q = AXIS[hi] if AXIS[hi] > AXIS[lo] else AXIS[lo]
    return 3 * m + orientation(p, q)


cdef inline int64_t edge_id(Grid* g, int64_t key) noexcept nogil:
    cdef int j = <int>(key & 63)
    cdef Py_ssize_t owner = g.order[key >> 8]
    cdef Py_ssize_t other = owner + SIGN[j] * g.stride[AXIS[j]]
    cdef Py_ssize_t u = owner if owner < other else other
    return 3 * u + AXIS[j]


cdef extern from *:
    """
    static inline int fasttopo_bit_length(unsigned long long x) {
        return x ? 64 - __builtin_clzll(x) : 0;
    }
    """
    int bit_length "fasttopo_bit_length"(unsigned long long x) noexcept nogil
    void prefetch "__builtin_prefetch"(const void* address) noexcept nogil



cdef struct RadixHeap:
    # a monotone priority queue: every key pushed is >= the last minimum taken;
    # bucket b holds keys whose highest bit differing from ``last`` is b - 1
    int64_t last
    Py_ssize_t size


cdef inline void rh_reset(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    cdef int b
    for b in range(65):
        buckets[b].clear()
    h.last = 0
    h.size = 0


cdef inline void rh_push(RadixHeap* h, vector[int64_t]* buckets, int64_t key) noexcept nogil:
    buckets[bit_length(<unsigned long long>(key ^ h.last))].push_back(key)
    h.size += 1


cdef inline int64_t rh_pivot(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    """Smallest key present an odd number of times (Z/2), left in the heap once; -1 if none."""
    cdef int b
    cdef Py_ssize_t t, count
    cdef int64_t low, x
    while h.size > 0:
        if buckets[0].size() == 0:
            b = 1
            while buckets[b].size() == 0:
                b += 1
            low = buckets[b][0]
            for t in range(1, <Py_ssize_t>buckets[b].size()):
                if buckets[b][t] < low:
                    low = buckets[b][t]
            h.last = low
            for t in range(<Py_ssize_t>buckets[b].size()):
                x = buckets[b][t]
                buckets[bit_length(<unsigned long long>(x ^ low))].push_back(x)
            buckets[b].clear()
        count = buckets[0].size()
        if count & 1:
            h.size -= count - 1
            buckets[0].resize(1)
            return h.last
        h.size -= count
        buckets[0].clear()
    return -1


cdef inline void rh_take(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    """Remove the (single) copy of the current pivot."""
    buckets[0].clear()
    h.size -= 1


cdef inline void push_row(Grid* g, RadixHeap* h, vector[int64_t]* buckets, int64_t key) noexcept nogil:
    """Push a square's row key, asking for its pivot-table entry ahead (it is read when
    the key reaches the front, a cache miss on large volumes otherwise)."""
    cdef Py_ssize_t m
    if g.bits:
        m = key & g.mask
        prefetch(&g.pivots[3 * m])
    rh_push(h, buckets, key)



def apparent_pairs(const int32_t[::1] pos, const uint8_t[::1] negative, int32_t[::1] pivots,
                   Py_ssize_t Hp, Py_ssize_t Wp, int32_t first_real, Py_ssize_t start,
                   Py_ssize_t stop):
    """Raster pass over voxels ``[start, stop)``: record apparent pairs, return the other columns.

    Parameters
    ----------
    pos : (Dp * Hp * Wp,) int32
        Filtration position of each voxel (0 first), -1 if absent.  Every
        voxel at or after position ``first_real`` must have its 26
        neighbours inside the grid.
    negative : (Dp * Hp * Wp,) uint8
        Bit j set if the edge from the voxel in direction j (-z, -y, -x, +x,
        +y, +z) merged two components in dimension 0 (cleared).
    pivots : (3 * Dp * Hp * Wp,) int32
        Pivot table over square ids (3 * min corner + orientation), -1 when
        free; the apparent pairs found are written into it (distinct entries
        for distinct voxels, so disjoint ranges may run in parallel).
    first_real : int
        Voxels at earlier positions own no columns (the exterior padding).

    Returns
    -------
    columns : (k,) int64
        Keys of the positive edges that are not in an apparent pair.
    """
    cdef Py_ssize_t stride[3]
    stride[0] = Hp * Wp
    stride[1] = Wp
    stride[2] = 1
    cdef Py_ssize_t face[6]
    cdef int d, e, hi, best_dir_a, best_dir_b
    for d in range(6):
        face[d] = SIGN[d] * stride[AXIS[d]]
    cdef const int32_t* P = &pos[0]
    cdef vector[int64_t] columns
    cdef Py_ssize_t v, m
    cdef int32_t pv, pd, pe, pde, top
    cdef int32_t pf[6]
    cdef int64_t key, best
    cdef uint8_t neg
    with nogil:
        for v in range(start, stop):
            pv = P[v]
            if pv < first_real:
                continue
            neg = negative[v]
            for d in range(6):
                pf[d] = P[v + face[d]]
            for d in range(6):
                pd = pf[d]
                if pd < 0 or pd > pv or (neg >> d) & 1:
                    continue
                # the edge (v, v + face[d]) is positive: find its earliest coface
                best = -1
                for e in range(6):
                    if AXIS[e] == AXIS[d]:
                        continue
                    pe = pf[e]
                    if pe < 0:
                        continue
                    pde = P[v + face[d] + face[e]]
                    if pde < 0:
                        continue
                    # owner = latest corner; its two edges point into the square
                    top = pv
                    best_dir_a = d
                    best_dir_b = e
                    if pd > top:
                        top = pd
                        best_dir_a = 5 - d
                        best_dir_b = e
                    if pe > top:
                        top = pe
                        best_dir_a = d
                        best_dir_b = 5 - e
                    if pde > top:
                        top = pde
                        best_dir_a = 5 - d
                        best_dir_b = 5 - e
                    key = square_key(top, best_dir_a, best_dir_b)
                    if best < 0 or key < best:
                        best = key
                if best < 0:
                    continue
                if (best >> 8) == pv and <int>(best & 63) // 6 == d:
                    # apparent: v owns the square and the edge is its latest face
                    hi = <int>(best & 63) // 6
                    e = <int>(best & 63) % 6
                    m = v
                    if SIGN[hi] < 0:
                        m -= stride[AXIS[hi]]
                    if SIGN[e] < 0:
                        m -= stride[AXIS[e]]
                    pivots[3 * m + orientation(AXIS[hi] if AXIS[hi] < AXIS[e] else AXIS[e],
                                               AXIS[hi] if AXIS[hi] > AXIS[e] else AXIS[e])] = \
                        <int32_t>(3 * (v + face[d] if d < 3 else v) + AXIS[d])
                else:
                    columns.push_back(edge_key(pv, d))
    out = np.empty(columns.size(), dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(<Py_ssize_t>columns.size()):
        o[i] = columns[i]
    return out


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


cdef inline int local_code(int da, int db) noexcept nogil:
    return (da if da > db else db) * 6 + (da if da < db else db)


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
            if bits and t >= _AHEAD:
                m = kv[t - _AHEAD] & mask
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
                if SIGN[hi] < 0:
                    m -= stride[AXIS[hi]]
                if SIGN[lo] < 0:
                    m -= stride[AXIS[lo]]
            p = AXIS[hi] if AXIS[hi] < AXIS[lo] else AXIS[lo]
            q = AXIS[hi] if AXIS[hi] > AXIS[lo] else AXIS[lo]
            r = 3 - p - q
            r0 = _find(parent_, m if cube_exists(P, m, stride) else exterior)
            other = m - stride[r]
            r1 = _find(parent_, other if cube_exists(P, other, stride) else exterior)
            if r0 != r1:
                flags[m] |= <uint8_t>(1 << orientation(p, q))
                parent_[r0] = <int32_t>r1
    return kv.shape[0]


def reduce_columns(const int32_t[::1] pos, const int32_t[::1] order, int32_t[::1] pivots,
                   const uint8_t[::1] cleared, const int64_t[::1] columns, Py_ssize_t Hp,
                   Py_ssize_t Wp, bint flowing):
    """Reduce the coboundaries of ``columns`` (ascending keys) from the latest one.

    ``pivots`` must hold the apparent pairs (see ``apparent_pairs``).  The
    working column is a radix heap: the keys added are never below the
    current pivot, so the queue is monotone and pushes and pivot searches
    cost O(1) amortised.  Columns that needed additions are kept (sorted)
    to be added again; the others are recomputed from the coboundary.
    ``cleared`` (``square_births``, or empty: no clearing) removes the
    squares that are dimension-2 births from every coboundary.  With
    ``flowing`` the rest of a kept column past its pivot is reduced too:
    each entry that is already the pivot of a column is replaced by the
    rest of that column, so that kept columns hold only squares that are
    no pivot yet.  Both pay on noise-like volumes, whose long-lived classes
    (between the percolation thresholds of the image and of its
    complement) need long chains of additions; on smoother volumes the
    entries flow down long gradient paths and the kept columns are seldom
    added again, so both cost more than they save (``volumes`` decides).
    Neither changes the pairs: any column operation from left to right
    does not, and a row that is never a pivot can be dropped (clearing).
    Returns ``births, deaths`` (int64): the owner voxels of the edge and of
    the square of every pair found (apparent pairs are not repeated).
    """
    cdef Grid g
    g.stride[0] = Hp * Wp
    g.stride[1] = Wp
    g.stride[2] = 1
    g.pos = &pos[0]
    g.order = &order[0]
    g.clearing = cleared.shape[0] > 0
    g.cleared = &cleared[0] if g.clearing else NULL
    # row keys hold the min corner when owner, local number and corner fit in 63 bits
    g.bits = bit_length(<unsigned long long>pos.shape[0])
    if 2 * g.bits + 6 > 63:
        g.bits = 0
    g.mask = (<int64_t>1 << g.bits) - 1
    g.pivots = &pivots[0]
    cdef vector[int64_t] buckets[65]
    cdef RadixHeap heap
    cdef vector[int64_t] births
    cdef vector[int64_t] deaths
    # reduced columns that needed additions live in one pool, each as its length
    # then its keys; the pivot table refers to them as -2 - offset (a column that
    # needed none is its edge id)
    cdef vector[int64_t] pool
    cdef int64_t keys[4]
    cdef int64_t ekey, sid, pivot, other, eid, x, start, at
    cdef int n, c
    cdef bint added, broken = False
    cdef Py_ssize_t i, t, u
    with nogil:
        for i in range(columns.shape[0] - 1, -1, -1):
            # the cells of the columns a few steps ahead are asked for early
            if i >= 2 * _AHEAD:
                prefetch(&g.order[columns[i - 2 * _AHEAD] >> 8])
            if i >= _AHEAD:
                u = edge_id(&g, columns[i - _AHEAD]) // 3
                prefetch(&g.pos[u])
                prefetch(&g.pos[u + g.stride[0]])
                prefetch(&g.pos[u - g.stride[0] if u >= g.stride[0] else 0])
            ekey = columns[i]
            eid = edge_id(&g, ekey)
            rh_reset(&heap, buckets)
            n = coboundary(&g, eid, keys)
            for c in range(n):
                push_row(&g, &heap, buckets, keys[c])
            added = False
            pivot = rh_pivot(&heap, buckets)
            while pivot >= 0:
                sid = square_id(&g, pivot)
                other = pivots[sid]
                if other == -1:
                    break
                added = True
                if other <= -2:
                    start = -2 - other
                    for t in range(start + 1, start + 1 + pool[start]):
                        push_row(&g, &heap, buckets, pool[t])
                else:
                    n = coboundary(&g, other, keys)
                    for c in range(n):
                        push_row(&g, &heap, buckets, keys[c])
                x = pivot
                pivot = rh_pivot(&heap, buckets)
                if pivot == x:          # the added column did not cancel the pivot
                    broken = True
                    break
            if broken:
                break
            if pivot < 0:
                continue                # an essential class: impossible in a box
            births.push_back(g.order[ekey >> 8])
            deaths.push_back(g.order[row_owner(&g, pivot)])
            if not added:
                pivots[sid] = <int32_t>eid
                continue
            start = pool.size()
            if start > 2147483645:
                broken = True
                break
            pivots[sid] = <int32_t>(-2 - start)
            pool.push_back(0)
            # the rest of the column, each entry that is the pivot of a reduced column
            # replaced by the rest of that column (the entries move later): stored
            # columns hold only squares that are no pivot yet
            pool.push_back(pivot)
            rh_take(&heap, buckets)
            x = rh_pivot(&heap, buckets)
            while x >= 0:
                other = pivots[square_id(&g, x)] if flowing else -1
                if other >= 0:
                    n = coboundary(&g, other, keys)
                    for c in range(n):
                        push_row(&g, &heap, buckets, keys[c])
                elif other <= -2:
                    at = -2 - other
                    for t in range(at + 1, at + 1 + pool[at]):
                        push_row(&g, &heap, buckets, pool[t])
                else:
                    pool.push_back(x)
                    rh_take(&heap, buckets)
                x = rh_pivot(&heap, buckets)
            pool[start] = pool.size() - start - 1
    if broken:
        raise RuntimeError("internal error in the cubical reduction: inconsistent pivot table "
                           "or more than 2**31 stored keys")
    out_b = np.empty(births.size(), dtype=np.int64)
    out_d = np.empty(deaths.size(), dtype=np.int64)
    cdef int64_t[::1] ob = out_b
    cdef int64_t[::1] od = out_d
    for i in range(<Py_ssize_t>births.size()):
        ob[i] = births[i]
        od[i] = deaths[i]
    return out_b, out_d
