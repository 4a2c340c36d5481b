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

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from cython.operator cimport dereference as deref
from libcpp.unordered_map cimport unordered_map
from libcpp.vector cimport vector

import numpy as np

cdef int[6] AXIS = [0, 1, 2, 2, 1, 0]       # axis of each direction (z, y, x)
cdef int[6] SIGN = [-1, -1, -1, 1, 1, 1]


cdef struct Grid:
    Py_ssize_t stride[3]
    const int32_t* pos
    const int32_t* order
    const int32_t* col_order    # the edges' order (``order`` but for image persistence)


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
            if top < 0:
                continue
            # the owner's two edges point into the square
            keys[n] = square_key(top, direction(p, -1 if best & 1 else 1),
                                 direction(q, -1 if best & 2 else 1))
            n += 1
    return n


cdef inline int64_t square_id(Grid* g, int64_t key) noexcept nogil:
    cdef int local = <int>(key & 63), hi = local // 6, lo = local % 6
    cdef Py_ssize_t m = g.order[key >> 8]
    if SIGN[hi] < 0:
        m -= g.stride[AXIS[hi]]
    if SIGN[lo] < 0:
        m -= g.stride[AXIS[lo]]
    cdef int p = AXIS[hi] if AXIS[hi] < AXIS[lo] else AXIS[lo]
    cdef int q = AXIS[hi] if AXIS[hi] > AXIS[lo] else AXIS[lo]
    return 3 * m + orientation(p, q)


cdef inline int64_t edge_id(Grid* g, int64_t key) noexcept nogil:
    cdef int j = <int>(key & 63)
    cdef Py_ssize_t owner = g.col_order[key >> 8]
    cdef Py_ssize_t other = owner + SIGN[j] * g.stride[AXIS[j]]
    cdef Py_ssize_t u = owner if owner < other else other
    return 3 * u + AXIS[j]


cdef inline uint8_t edge_bit(Grid* g, int64_t eid, int64_t owner_pos) noexcept nogil:
    """Bit of edge id ``eid`` among the edges of the voxel at ``owner_pos`` (0 if not its)."""
    cdef Py_ssize_t u = eid // 3
    cdef int axis = <int>(eid % 3)
    cdef Py_ssize_t w = u + g.stride[axis]
    # the owner is the later end; the direction points from it to the other end
    if g.pos[w] > g.pos[u]:
        return <uint8_t>(1 << direction(axis, -1)) if g.pos[w] == owner_pos else 0
    return <uint8_t>(1 << direction(axis, 1)) if g.pos[u] == owner_pos else 0


cdef extern from *:
    """
    static inline int fasttopo_bit_length(unsigned long long x) {
        return x ? 64 - __builtin_clzll(x) : 0;
    }
    """
    int bit_length "fasttopo_bit_length"(unsigned long long x) noexcept nogil


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


cdef inline int64_t key_between(int32_t pa, int32_t pb, int d) noexcept nogil:
    """Key of the edge between voxels at positions ``pa`` and ``pb`` (``b`` = ``a`` + direction
    ``d``): its owner is the later one."""
    return edge_key(pa, d) if pa > pb else edge_key(pb, 5 - d)


def image_columns(const int32_t[::1] pos_s, const int32_t[::1] pos_t,
                  const int32_t[::1] order_t, const uint8_t[::1] negative,
                  int32_t[::1] pivots, Py_ssize_t Hp, Py_ssize_t Wp, int32_t first_real,
                  Py_ssize_t start, Py_ssize_t stop):
    """``apparent_pairs`` for the image of H1 of the source into H1 of the target.

    The cohomology matrix of image persistence (Bauer & Schmahl 2023,
    arXiv:2201.04170; anti-transposed, as ``reduce_columns`` reduces it):
    columns are the edges in decreasing order of the *source* ``pos_s``,
    the pivot of a column is its earliest square in the *target* order
    ``pos_t``.  Edges that are negative in the source (``negative``, bit
    per direction) create no class of the source, hence none of the image:
    they are skipped (clearing).  An edge whose earliest square has it as
    its latest face in the source order is an apparent pair (no earlier
    column can hold that square); unlike ``apparent_pairs`` its two cells
    may have different owners, so the pair is returned when they do (one
    owner: a bar of zero length, or none).

    Returns
    -------
    columns : (k,) int64
        Source keys of the other columns (to ``reduce_columns`` with
        ``col_order`` = the source order).
    births, deaths : (m,) int64
        Source owner of the edge and target owner of the square of the
        apparent pairs whose owners differ.
    """
    cdef Grid g
    g.stride[0] = Hp * Wp
    g.stride[1] = Wp
    g.stride[2] = 1
    g.pos = &pos_t[0]
    g.order = &order_t[0]
    g.col_order = &order_t[0]
    cdef Py_ssize_t face[6]
    cdef int d, e, c, best_e, best_c
    for d in range(6):
        face[d] = SIGN[d] * g.stride[AXIS[d]]
    cdef const int32_t* S = &pos_s[0]
    cdef const int32_t* T = &pos_t[0]
    cdef vector[int64_t] columns
    cdef vector[int64_t] out_b
    cdef vector[int64_t] out_d
    cdef Py_ssize_t v, u, w, low
    cdef int32_t sn[6]
    cdef int32_t tn[6]
    cdef int32_t sv, tv, su, tu, tw, tz, sz, top
    cdef int64_t key, best, mine
    cdef uint8_t neg
    with nogil:
        for v in range(start, stop):
            sv = S[v]
            if sv < first_real:
                continue
            tv = T[v]
            for d in range(6):
                sn[d] = S[v + face[d]]
                tn[d] = T[v + face[d]]
            neg = negative[v]
            for d in range(6):
                su = sn[d]
                if su < 0 or su > sv or (neg >> d) & 1:
                    continue
                # the edge (v, u) is a column: its earliest square in the target order,
                # whose owner (latest corner) has its two edges pointing into the square
                u = v + face[d]
                tu = tn[d]
                best = -1
                best_e = 0
                best_c = 0
                for e in range(6):
                    if AXIS[e] == AXIS[d]:
                        continue
                    tw = tn[e]
                    tz = T[u + face[e]]
                    if tw < 0 or tz < 0 or tu < 0:
                        continue
                    top, c = tv, 0
                    if tu > top:
                        top, c = tu, 1
                    if tw > top:
                        top, c = tw, 2
                    if tz > top:
                        top, c = tz, 3
                    key = square_key(top, d if (c & 1) == 0 else 5 - d, e if c < 2 else 5 - e)
                    if best < 0 or key < best:
                        best = key
                        best_e = e
                        best_c = c
                if best < 0:
                    continue
                # apparent if (v, u) is the square's latest edge in the source order
                mine = edge_key(sv, d)
                sz = S[u + face[best_e]]
                if (key_between(sn[best_e], sz, d) < mine and key_between(sv, sn[best_e], best_e)
                        < mine and key_between(su, sz, best_e) < mine):
                    # the square's id from its lowest corner (no lookup in ``order_t``)
                    w = v + face[best_e]
                    low = v
                    if u < low:
                        low = u
                    if w < low:
                        low = w
                    if u + face[best_e] < low:
                        low = u + face[best_e]
                    pivots[3 * low + orientation(
                        AXIS[d] if AXIS[d] < AXIS[best_e] else AXIS[best_e],
                        AXIS[d] if AXIS[d] > AXIS[best_e] else AXIS[best_e])] = \
                        <int32_t>(3 * (u if d < 3 else v) + AXIS[d])
                    if best_c != 0:  # one owner: no bar (zero or negative length)
                        out_b.push_back(v)
                        out_d.push_back(u if best_c == 1 else w if best_c == 2
                                        else u + face[best_e])
                else:
                    columns.push_back(mine)
    return (_to_array(columns), _to_array(out_b), _to_array(out_d))


cdef _to_array(vector[int64_t]& values):
    out = np.empty(values.size(), dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(<Py_ssize_t>values.size()):
        o[i] = values[i]
    return out


def reduce_columns(const int32_t[::1] pos, const int32_t[::1] order, int32_t[::1] pivots,
                   const int64_t[::1] columns, Py_ssize_t Hp, Py_ssize_t Wp, bint cells=False,
                   const int32_t[::1] col_order=None):
    """Reduce the coboundaries of ``columns`` (ascending keys) from the latest one.

    ``pivots`` must hold the apparent pairs (see ``apparent_pairs``).  The
    working column is a radix heap: the keys added are never below the
    current pivot, so the queue is monotone and pushes and pivot searches
    cost O(1) amortised.  Columns that needed additions are kept (sorted)
    to be added again; the others are recomputed from the coboundary.
    Returns ``births, deaths`` (int64): the owner voxels of the edge and of
    the square of every pair found (apparent pairs are not repeated).

    With ``cells=True`` (representative cycles, ``_engine.cycles``) four
    more arrays describe each pair: ``edges`` and ``squares`` (int64), the
    keys of the column's edge and of its pivot square; ``cochain`` (uint8),
    bit d set when the edge of the column's owner in direction d is in the
    column's reduced cochain (the edges whose coboundaries were added, its
    own included); ``column`` (uint64), bit ``local`` set for each square
    of the pivot's owner in the reduced coboundary.

    For image persistence (``image_columns``) the columns' keys are
    positions in another order, ``col_order`` (default ``order``); ``pos``
    and ``order`` then order the squares (the pivots).  Columns that reduce
    to zero are then the edges that create no class of the image.
    """
    cdef Grid g
    g.stride[0] = Hp * Wp
    g.stride[1] = Wp
    g.stride[2] = 1
    g.pos = &pos[0]
    g.order = &order[0]
    g.col_order = &order[0] if col_order is None else &col_order[0]
    cdef vector[int64_t] buckets[65]
    cdef RadixHeap heap
    cdef vector[int64_t] births
    cdef vector[int64_t] deaths
    # reduced columns that needed additions live in one pool; the pivot table
    # refers to them as -2 - slot (a column that needed none is its edge id)
    cdef vector[int64_t] pool
    cdef vector[int64_t] starts
    # cells=True: per pair (edge key, pivot key, cochain mask, column mask), and the
    # owner and cochain mask of each pooled column
    cdef vector[int64_t] edge_keys
    cdef vector[int64_t] square_keys
    cdef vector[uint8_t] cochains
    cdef vector[uint64_t] column_masks
    cdef vector[int64_t] slot_owner
    cdef vector[uint8_t] slot_cochain
    cdef int64_t keys[4]
    cdef int64_t ekey, sid, pivot, other, eid, x, slot, owner
    cdef uint8_t cochain = 0
    cdef uint64_t cmask
    cdef int n, c
    cdef bint added, broken = False
    cdef Py_ssize_t i, t
    with nogil:
        for i in range(columns.shape[0] - 1, -1, -1):
            ekey = columns[i]
            eid = edge_id(&g, ekey)
            n = coboundary(&g, eid, keys)
            if n == 0:
                continue
            if not cells:
                # emergent pair: the earliest square is nobody's pivot yet, the column
                # is reduced as it is
                pivot = keys[0]
                for c in range(1, n):
                    if keys[c] < pivot:
                        pivot = keys[c]
                sid = square_id(&g, pivot)
                if pivots[sid] == -1:
                    births.push_back(g.col_order[ekey >> 8])
                    deaths.push_back(g.order[pivot >> 8])
                    pivots[sid] = <int32_t>eid
                    continue
            rh_reset(&heap, buckets)
            for c in range(n):
                rh_push(&heap, buckets, keys[c])
            added = False
            if cells:
                owner = ekey >> 8
                cochain = <uint8_t>(1 << (ekey & 63))
            pivot = rh_pivot(&heap, buckets)
            while pivot >= 0:
                sid = square_id(&g, pivot)
                other = pivots[sid]
                if other == -1:
                    break
                added = True
                if other <= -2:
                    slot = -2 - other
                    for t in range(starts[slot], starts[slot + 1]):
                        rh_push(&heap, buckets, pool[t])
                    if cells and slot_owner[slot] == owner:
                        cochain ^= slot_cochain[slot]
                else:
                    n = coboundary(&g, other, keys)
                    for c in range(n):
                        rh_push(&heap, buckets, keys[c])
                    if cells:
                        cochain ^= edge_bit(&g, other, owner)
                x = pivot
                pivot = rh_pivot(&heap, buckets)
                if pivot == x:          # the added column did not cancel the pivot
                    broken = True
                    break
            if broken:
                break
            if pivot < 0:
                continue                # essential (impossible in a box), or no image class
            births.push_back(g.col_order[ekey >> 8])
            deaths.push_back(g.order[pivot >> 8])
            if cells:
                edge_keys.push_back(ekey)
                square_keys.push_back(pivot)
                cochains.push_back(cochain)
            if not added:
                pivots[sid] = <int32_t>eid
                if cells:               # the column is the edge's coboundary
                    cmask = 0
                    n = coboundary(&g, eid, keys)
                    for c in range(n):
                        if keys[c] >> 8 == pivot >> 8:
                            cmask |= (<uint64_t>1) << (keys[c] & 63)
                    column_masks.push_back(cmask)
                continue
            if starts.size() == 0:
                starts.push_back(0)
            pivots[sid] = <int32_t>(-1 - <int64_t>starts.size())
            cmask = 0
            x = pivot
            while x >= 0:
                pool.push_back(x)
                if x >> 8 == pivot >> 8:
                    cmask |= (<uint64_t>1) << (x & 63)
                rh_take(&heap, buckets)
                x = rh_pivot(&heap, buckets)
            starts.push_back(pool.size())
            if cells:
                column_masks.push_back(cmask)
                slot_owner.push_back(owner)
                slot_cochain.push_back(cochain)
    if broken:
        raise RuntimeError("internal error in the cubical reduction: inconsistent pivot table")
    out_b = np.empty(births.size(), dtype=np.int64)
    out_d = np.empty(deaths.size(), dtype=np.int64)
    cdef int64_t[::1] ob = out_b
    cdef int64_t[::1] od = out_d
    for i in range(<Py_ssize_t>births.size()):
        ob[i] = births[i]
        od[i] = deaths[i]
    if not cells:
        return out_b, out_d
    out_e = np.empty(births.size(), dtype=np.int64)
    out_s = np.empty(births.size(), dtype=np.int64)
    out_v = np.empty(births.size(), dtype=np.uint8)
    out_c = np.empty(births.size(), dtype=np.uint64)
    cdef int64_t[::1] oe = out_e
    cdef int64_t[::1] os_ = out_s
    cdef uint8_t[::1] ov = out_v
    cdef uint64_t[::1] oc = out_c
    for i in range(<Py_ssize_t>births.size()):
        oe[i] = edge_keys[i]
        os_[i] = square_keys[i]
        ov[i] = cochains[i]
        oc[i] = column_masks[i]
    return out_b, out_d, out_e, out_s, out_v, out_c
