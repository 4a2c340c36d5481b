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
* Noise-like volumes are reduced with clearing on the rows as well (the
  squares that are dimension-2 births, ``cubical_clearing``) and with kept
  columns reduced past their pivot (see ``reduce_columns``).

The cells, keys, coboundaries and the radix heap are in ``cubical_cells.pxd``.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libcpp.vector cimport vector

from .cubical_cells cimport (AHEAD, Grid, RadixHeap, axis_of, bit_length, coboundary,
                             direction, edge_bit, edge_id, edge_key, key_between,
                             orientation, prefetch, push_row, rh_pivot, rh_push, rh_reset,
                             rh_take, row_local, row_owner, row_square_key, sign_of, square_id,
                             square_key)

import numpy as np


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
        face[d] = sign_of(d) * stride[axis_of(d)]
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
                    if axis_of(e) == axis_of(d):
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
                    if sign_of(hi) < 0:
                        m -= stride[axis_of(hi)]
                    if sign_of(e) < 0:
                        m -= stride[axis_of(e)]
                    pivots[3 * m + orientation(axis_of(hi) if axis_of(hi) < axis_of(e) else axis_of(e),
                                               axis_of(hi) if axis_of(hi) > axis_of(e) else axis_of(e))] = \
                        <int32_t>(3 * (v + face[d] if d < 3 else v) + axis_of(d))
                else:
                    columns.push_back(edge_key(pv, d))
    out = np.empty(columns.size(), dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(<Py_ssize_t>columns.size()):
        o[i] = columns[i]
    return out


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
        face[d] = sign_of(d) * g.stride[axis_of(d)]
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
                    if axis_of(e) == axis_of(d):
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
                        axis_of(d) if axis_of(d) < axis_of(best_e) else axis_of(best_e),
                        axis_of(d) if axis_of(d) > axis_of(best_e) else axis_of(best_e))] = \
                        <int32_t>(3 * (u if d < 3 else v) + axis_of(d))
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
                   const int32_t[::1] col_order=None, const uint8_t[::1] cleared=None,
                   bint flowing=False):
    """Reduce the coboundaries of ``columns`` (ascending keys) from the latest one.

    ``pivots`` must hold the apparent pairs (see ``apparent_pairs``).  The
    working column is a radix heap: the keys added are never below the
    current pivot, so the queue is monotone and pushes and pivot searches
    cost O(1) amortised.  Columns that needed additions are kept (sorted)
    to be added again; the others are recomputed from the coboundary.
    Returns ``births, deaths`` (int64): the owner voxels of the edge and of
    the square of every pair found (apparent pairs are not repeated).

    ``cleared`` (``cubical_clearing.square_births``) removes the squares
    that are dimension-2 births from every coboundary.  With ``flowing``
    the rest of a kept column past its pivot is reduced too: each entry
    that is already the pivot of a column is replaced by the rest of that
    column, so that kept columns hold only squares that are no pivot yet.
    Both pay on noise-like volumes, whose long-lived classes (between the
    percolation thresholds of the image and of its complement) need long
    chains of additions; on smoother volumes the entries flow down long
    gradient paths and the kept columns are seldom added again, so both
    cost more than they save (``volumes`` decides).  Neither changes the
    pairs: column operations from left to right do not, and a row that is
    never a pivot can be dropped (clearing).  Neither is used with
    ``cells`` or ``col_order``, whose reduced columns are read.

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
    plain = cells or col_order is not None
    g.clearing = not plain and cleared is not None and cleared.shape[0] > 0
    g.cleared = &cleared[0] if g.clearing else NULL
    flowing = flowing and not plain
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
    # reduced columns that needed additions live in one pool, each as its length (and
    # with ``cells`` its owner and cochain) then its keys; the pivot table refers to
    # them as -2 - offset (a column that needed none is its edge id)
    cdef vector[int64_t] pool
    cdef int head = 3 if cells else 1
    # cells=True: per pair (edge key, pivot key, cochain mask, column mask)
    cdef vector[int64_t] edge_keys
    cdef vector[int64_t] square_keys
    cdef vector[uint8_t] cochains
    cdef vector[uint64_t] column_masks
    cdef int64_t keys[4]
    cdef int64_t ekey, sid, pivot, other, eid, x, start, at, owner = 0
    cdef uint8_t cochain = 0
    cdef uint64_t cmask
    cdef int n, c
    cdef bint added, broken = False
    cdef Py_ssize_t i, t, u
    with nogil:
        for i in range(columns.shape[0] - 1, -1, -1):
            # the cells of the columns a few steps ahead are asked for early
            if i >= 2 * AHEAD:
                prefetch(&g.col_order[columns[i - 2 * AHEAD] >> 8])
            if i >= AHEAD:
                u = edge_id(&g, columns[i - AHEAD]) // 3
                prefetch(&g.pos[u])
                prefetch(&g.pos[u + g.stride[0]])
                prefetch(&g.pos[u - g.stride[0] if u >= g.stride[0] else 0])
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
                    deaths.push_back(g.order[row_owner(&g, pivot)])
                    pivots[sid] = <int32_t>eid
                    continue
            rh_reset(&heap, buckets)
            for c in range(n):
                push_row(&g, &heap, buckets, keys[c])
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
                    start = -2 - other
                    for t in range(start + head, start + head + pool[start]):
                        push_row(&g, &heap, buckets, pool[t])
                    if cells and pool[start + 1] == owner:
                        cochain ^= <uint8_t>pool[start + 2]
                else:
                    n = coboundary(&g, other, keys)
                    for c in range(n):
                        push_row(&g, &heap, buckets, keys[c])
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
            deaths.push_back(g.order[row_owner(&g, pivot)])
            if cells:
                edge_keys.push_back(ekey)
                square_keys.push_back(row_square_key(&g, pivot))
                cochains.push_back(cochain)
            if not added:
                pivots[sid] = <int32_t>eid
                if cells:               # the column is the edge's coboundary
                    cmask = 0
                    n = coboundary(&g, eid, keys)
                    for c in range(n):
                        if row_owner(&g, keys[c]) == row_owner(&g, pivot):
                            cmask |= (<uint64_t>1) << row_local(&g, keys[c])
                    column_masks.push_back(cmask)
                continue
            start = pool.size()
            if start > 2147483645:
                broken = True
                break
            pivots[sid] = <int32_t>(-2 - start)
            pool.push_back(0)
            if cells:
                pool.push_back(owner)
                pool.push_back(cochain)
            pool.push_back(pivot)
            cmask = (<uint64_t>1) << row_local(&g, pivot)
            rh_take(&heap, buckets)
            # the rest of the column; flowing, each entry that is the pivot of a reduced
            # column is replaced by the rest of that column (the entries move later)
            x = rh_pivot(&heap, buckets)
            while x >= 0:
                other = pivots[square_id(&g, x)] if flowing else -1
                if other >= 0:
                    n = coboundary(&g, other, keys)
                    for c in range(n):
                        push_row(&g, &heap, buckets, keys[c])
                elif other <= -2:
                    at = -2 - other
                    for t in range(at + head, at + head + pool[at]):
                        push_row(&g, &heap, buckets, pool[t])
                else:
                    pool.push_back(x)
                    if cells and row_owner(&g, x) == row_owner(&g, pivot):
                        cmask |= (<uint64_t>1) << row_local(&g, x)
                    rh_take(&heap, buckets)
                x = rh_pivot(&heap, buckets)
            pool[start] = pool.size() - start - head
            if cells:
                column_masks.push_back(cmask)
    if broken:
        raise RuntimeError("internal error in the cubical reduction: inconsistent pivot table "
                           "or more than 2**31 stored keys")
    out_b, out_d = _to_array(births), _to_array(deaths)
    if not cells:
        return out_b, out_d
    out_v = np.empty(births.size(), dtype=np.uint8)
    out_c = np.empty(births.size(), dtype=np.uint64)
    cdef uint8_t[::1] ov = out_v
    cdef uint64_t[::1] oc = out_c
    for i in range(<Py_ssize_t>births.size()):
        ov[i] = cochains[i]
        oc[i] = column_masks[i]
    return out_b, out_d, _to_array(edge_keys), _to_array(square_keys), out_v, out_c
