"""Dimension 1 of volumes: closed walks of voxels that represent loops (private).

The pairs come from the cubical reduction that ``persistence`` runs
(``cubical_reduction.pyx``, on the 6-connected V-complex of the image for
the V-construction, of its complement in reverse order for the
T-construction), run again here with ``cells=True`` so that each pair
also gives its birth cell and a little of its reduction:

* V-construction: the birth edge e = (b, u) (u earlier) and the reduced
  cochain c_e of its column, restricted to the edges of b.  The loop of an
  edge e of b is e, a shortest 6-connected path from u through voxels
  before b to the voxel t at the end of the negative edge f of b into the
  component of u, and f: ``z_e = e + path + f``.
* T-construction: by duality the complement's reduced coboundary of the
  pair's column is a cycle R of the T-complex (cube edges) whose latest
  edge is the birth edge; ``column`` lists its edges among the new edges
  of b.  The loop of a positive new edge g of b is g and a shortest path
  of cube edges between its two ends through cube edges older than b and
  negative new edges of b (those whose dual square is no pivot), written
  as the voxels that carry its edges.

Correctness (see ``fasttopo.cycles``, Notes): when b gives birth to one
loop, ``z_e`` is a cycle of the sublevel set at b through e whose other
cells come before e, which represents the pair.  When b gives birth to
several loops (one positive edge each), the new classes at b are told
apart by their coefficients on b's positive edges (a cycle with none is
older: its latest edge would be negative, which cannot close a cycle).
The walk of a pair is the sum of the loops of the positive edges with
coefficient 1 in a cycle that dies exactly at the pair's death voxel:

* T: the coefficients of R (a homology representative, a boundary at the
  death, hence right at voxel level);
* V: the solution of ``<c_i, w> = delta_ij`` over the siblings i (b's
  pairs whose death voxel is not b): each c_i is a cocycle of the
  sublevel sets before its death, so a cycle that dies at the death
  voxel of pair j is annihilated by the c_i of later deaths, and the
  matrix ``<c_i, z_k>`` is unit upper triangular (c_i holds e_i and later
  edges only; z_k holds e_k, a negative edge and earlier cells).

The sum is walked as one closed walk: each loop starts and ends at b.
"""

import numpy as np
from numba import njit

from .cubical_reduction import apparent_pairs, reduce_columns
from .pixel_lists import coordinates, grown

__all__ = ["middle_cycles"]

_AXIS = np.array([0, 1, 2, 2, 1, 0], dtype=np.int64)   # direction -> axis (z, y, x)
_SIGN = np.array([-1, -1, -1, 1, 1, 1], dtype=np.int64)
_NO_PAIR = 8  # ``cycles._NO_PAIR``


def _grid(shape):
    """Padded shape (one cell each side), strides and the padded index of every voxel."""
    D, H, W = shape
    Dp, Hp, Wp = D + 2, H + 2, W + 2
    strides = np.array([Hp * Wp, Wp, 1], dtype=np.int64)
    interior = ((np.arange(1, D + 1, dtype=np.int64)[:, None, None] * Hp
                 + np.arange(1, H + 1, dtype=np.int64)[None, :, None]) * Wp
                + np.arange(1, W + 1, dtype=np.int64)[None, None, :])
    return (Dp, Hp, Wp), strides, interior.reshape(-1)


def _positions(keys, padded, interior, dual):
    """Filtration positions as ``voxel_order`` gives them, and the forward rank of each cell.

    Returns ``(pos, order, first_real, rank)``: ``pos`` (int32, -1 absent)
    and ``order`` of the 6-connected complex that the reduction works on
    (the image; or, for ``dual``, the padding first then the voxels in
    reverse order), ``rank`` (int64) the forward position of each voxel
    (past the end for the padding).
    """
    npad = int(np.prod(padded))
    n = keys.size
    forward = interior[np.argsort(keys, kind="stable")]   # ties by flat index
    rank = np.full(npad, n + 1, dtype=np.int64)
    rank[forward] = np.arange(n)
    pos = np.full(npad, -1, dtype=np.int32)
    if not dual:
        pos[forward] = np.arange(n, dtype=np.int32)
        return pos, forward.astype(np.int32), 0, rank
    border = np.ones(npad, dtype=bool)
    border[interior] = False
    order = np.concatenate([np.flatnonzero(border), forward[::-1]]).astype(np.int32)
    pos[order] = np.arange(npad, dtype=np.int32)
    return pos, order, npad - n, rank


@njit(inline="always")
def _root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True)
def negative_edges(pos, order, first_real, faces):
    """Bit d of ``negative[v]``: the edge of v in direction d merged two components.

    Edges enter by (position of their later voxel, direction), as in the
    reduction; the cells before ``first_real`` (the padding) are one
    component.  (The negative edges of an order are unique: any union-find
    finds the same ones as the engine's scan.)
    """
    npad = pos.size
    negative = np.zeros(npad, dtype=np.uint8)
    parent = np.arange(npad, dtype=np.int64)
    if first_real > 0:
        for k in range(first_real):
            parent[order[k]] = order[0]
    for k in range(first_real, order.size):
        v = order[k]
        for d in range(6):
            u = v + faces[d]
            pu = pos[u]
            if pu < 0 or pu > k:
                continue
            ru = _root(parent, u)
            rv = _root(parent, v)
            if ru != rv:
                parent[rv] = ru
                negative[v] |= np.uint8(1 << d)
    return negative


@njit(cache=True, nogil=True)
def _path_back(parent, end, out, cnt):
    """Append the search path from its start to ``end`` (``parent`` links) to ``out``."""
    length = 0
    x = end
    while x >= 0:
        length += 1
        x = parent[x]
    out = grown(out, cnt + length)
    x = end
    for i in range(length):
        out[cnt + length - 1 - i] = x
        x = parent[x]
    return out, cnt + length


# A* over the padded grid: the heap holds (f << _NODE_BITS) | cell, smallest first (ties by
# cell: deterministic); ``state`` per cell: ``stamp`` open (``cost`` valid), ``-1 - stamp``
# closed, anything else unseen
_NODE_BITS = 40
_NODE_MASK = (1 << _NODE_BITS) - 1


@njit(inline="always")
def _push(heap, size, key):
    heap = grown(heap, size + 1)
    i = size
    while i > 0:
        up = (i - 1) >> 1
        if heap[up] <= key:
            break
        heap[i] = heap[up]
        i = up
    heap[i] = key
    return heap, size + 1


@njit(inline="always")
def _pop(heap, size):
    top = heap[0]
    size -= 1
    last = heap[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap[child + 1] < heap[child]:
            child += 1
        if heap[child] >= last:
            break
        heap[i] = heap[child]
        i = child
    if size > 0:
        heap[i] = last
    return top, size


@njit(inline="always")
def _distance(p, q, strides):
    """Manhattan distance between two cells of the padded grid."""
    pz, qz = p // strides[0], q // strides[0]
    pr, qr = p - pz * strides[0], q - qz * strides[0]
    py, qy = pr // strides[1], qr // strides[1]
    return abs(pz - qz) + abs(py - qy) + abs((pr - py * strides[1]) - (qr - qy * strides[1]))


@njit(inline="always")
def _reach(state, cost, parent, heap, size, stamp, p, q, goal, strides, offset):
    """Relax the step p -> q of an A* search towards ``goal`` (Manhattan distance - offset)."""
    if state[q] == -1 - stamp:
        return heap, size
    g = cost[p] + 1
    if state[q] != stamp or g < cost[q]:
        state[q] = stamp
        cost[q] = g
        parent[q] = p
        h = max(_distance(q, goal, strides) - offset, 0)
        heap, size = _push(heap, size, ((g + h) << _NODE_BITS) | q)
    return heap, size


@njit(cache=True, nogil=True)
def _v_loop(pos, negative, faces, strides, b, direction, stamp, scratch, out, cnt):
    """Append the loop b, u, ..., t of b's edge in ``direction`` (V) to ``out``.

    u = b + faces[direction]; t is the end of the negative edge of b into
    the component of u before b, reached by a shortest 6-connected path
    through voxels before b (A*, Manhattan distance to b).  Returns
    ``(out, heap, new count)``, count -1 if no path (the edge is not positive).
    """
    state, cost, parent, heap = scratch
    pb = pos[b]
    u = b + faces[direction]
    targets = np.full(6, -1, dtype=np.int64)
    for f in range(6):
        if f != direction and (negative[b] >> f) & 1:
            targets[f] = b + faces[f]
    state[u] = stamp
    cost[u] = 0
    parent[u] = -1
    heap, size = _push(heap, 0, u)
    found = -1
    while size > 0 and found < 0:
        key, size = _pop(heap, size)
        p = key & _NODE_MASK
        if state[p] == -1 - stamp:
            continue
        state[p] = -1 - stamp
        for f in range(6):
            if targets[f] == p:
                found = p
        if found >= 0:
            break
        for f in range(6):
            q = p + faces[f]
            pq = pos[q]
            if pq >= 0 and pq < pb:
                heap, size = _reach(state, cost, parent, heap, size, stamp, p, q, b, strides, 1)
    if found < 0:
        return out, heap, -1
    out = grown(out, cnt + 1)
    out[cnt] = b
    out, cnt = _path_back(parent, found, out, cnt + 1)
    return out, heap, cnt


@njit(inline="always")
def _edge_voxel(c, a, i, strides):
    """Voxel i (0..3) of the four around the cube edge from corner c along axis a."""
    p = 1 if a == 0 else 0
    q = 1 if a == 2 else 2
    return c - (i & 1) * strides[p] - ((i >> 1) & 1) * strides[q]


@njit(inline="always")
def _usable(rank, pivots, c, a, fb, strides):
    """Whether the cube edge from corner c along axis a is on the search's grid: older than
    b, or a negative new edge of b (its dual square is no pivot)."""
    low = rank.size
    for i in range(4):
        r = rank[_edge_voxel(c, a, i, strides)]
        if r < low:
            low = r
    if low < fb:
        return True
    if low == fb:
        p = 1 if a == 0 else 0
        q = 1 if a == 2 else 2
        return pivots[3 * _edge_voxel(c, a, 3, strides) + p + q - 1] == -1
    return False


@njit(inline="always")
def _holds(w, c, a, strides):
    for i in range(4):
        if _edge_voxel(c, a, i, strides) == w:
            return True
    return False


@njit(cache=True, nogil=True)
def _t_loop(rank, pivots, strides, b, local, stamp, scratch, out, cnt):
    """Append the voxels that carry the loop of b's new cube edge dual to square ``local``.

    The loop is the edge (corners v1 -> v2) and a shortest path of usable
    cube edges (``_usable``) from v2 back to v1 (A*, corners indexed by the
    voxel they are the lowest corner of); each edge is carried by a voxel
    at or before b that holds it, kept while it holds the next edges.
    Returns ``(out, heap, new count)``, count -1 if no path.
    """
    state, cost, parent, heap = scratch
    hi, lo = local // 6, local % 6
    ah, al = _AXIS[hi], _AXIS[lo]
    a3 = 3 - ah - al
    v1 = b + (strides[ah] if _SIGN[hi] > 0 else 0) + (strides[al] if _SIGN[lo] > 0 else 0)
    v2 = v1 + strides[a3]
    fb = rank[b]
    state[v2] = stamp
    cost[v2] = 0
    parent[v2] = -1
    heap, size = _push(heap, 0, v2)
    while size > 0:
        key, size = _pop(heap, size)
        c = key & _NODE_MASK
        if state[c] == -1 - stamp:
            continue
        state[c] = -1 - stamp
        if c == v1:
            break
        for a in range(3):
            if _usable(rank, pivots, c, a, fb, strides):
                heap, size = _reach(state, cost, parent, heap, size, stamp, c, c + strides[a],
                                    v1, strides, 0)
            if _usable(rank, pivots, c - strides[a], a, fb, strides):
                heap, size = _reach(state, cost, parent, heap, size, stamp, c, c - strides[a],
                                    v1, strides, 0)
    if state[v1] != -1 - stamp:
        return out, heap, -1
    # the path's corners, v2 .. v1, then the voxels carrying its edges
    corners = np.empty(0, dtype=np.int64)
    corners, length = _path_back(parent, v1, corners, 0)
    out = grown(out, cnt + length + 1)
    out[cnt] = b
    cnt += 1
    cur = b
    for i in range(1, length):
        start = min(corners[i - 1], corners[i])
        a = _axis(abs(corners[i] - corners[i - 1]), strides)
        if _holds(cur, start, a, strides):
            continue
        best, run = -1, -1
        for j in range(4):
            w = _edge_voxel(start, a, j, strides)
            if rank[w] > fb:
                continue
            r = 1
            while i + r < length:
                x2, y2 = corners[i + r - 1], corners[i + r]
                if not _holds(w, min(x2, y2), _axis(abs(y2 - x2), strides), strides):
                    break
                r += 1
            if r > run:
                best, run = w, r
        cur = best
        out[cnt] = cur
        cnt += 1
    if cnt > 1 and out[cnt - 1] == b:
        cnt -= 1
    return out, heap, cnt


@njit(inline="always")
def _axis(step, strides):
    return 0 if step == strides[0] else 1 if step == strides[1] else 2


@njit(cache=True, nogil=True)
def walks(rank, pos, negative, pivots, strides, dual, births, masks):
    """The closed walk of each row: the loops of the bits of ``masks[i]``, through births[i].

    V (``dual`` False): bit d is b's edge in direction d; T: bit l is b's
    new cube edge dual to its square of local index l.  Returns
    ``(cells, starts, ok)`` (padded voxel indices).
    """
    npad = rank.size
    faces = np.empty(6, dtype=np.int64)
    for d in range(6):
        faces[d] = _SIGN[d] * strides[_AXIS[d]]
    scratch = (np.full(npad, -2**31, dtype=np.int32), np.empty(npad, dtype=np.int32),
               np.empty(npad, dtype=np.int32), np.empty(1024, dtype=np.int64))
    out = np.empty(1024, dtype=np.int64)
    k = births.size
    starts = np.zeros(k + 1, dtype=np.int64)
    ok = np.ones(k, dtype=np.bool_)
    cnt = 0
    stamp = 0
    for i in range(k):
        start = cnt
        for bit in range(64):
            if not (masks[i] >> np.uint64(bit)) & np.uint64(1):
                continue
            if dual:
                out, heap, cnt = _t_loop(rank, pivots, strides, births[i], bit, stamp, scratch,
                                         out, cnt)
            else:
                out, heap, cnt = _v_loop(pos, negative, faces, strides, births[i], bit, stamp,
                                         scratch, out, cnt)
            scratch = (scratch[0], scratch[1], scratch[2], heap)
            stamp += 1
            if cnt < 0:
                ok[i] = False
                cnt = start
                break
        starts[i + 1] = cnt
    return out[:cnt], starts, ok


def _solve_v(own, siblings, directions, cochains):
    """Directions of the loops summed for pair ``own``: ``<c_i, w> = delta(i, own)``."""
    chosen = {}
    for i in sorted(siblings, key=lambda s: -directions[s]):
        value = i == own
        for k, a_k in chosen.items():
            if a_k and directions[k] > directions[i] and (cochains[i] >> directions[k]) & 1:
                value = not value
        chosen[i] = value
    return sum(1 << int(directions[k]) for k, a_k in chosen.items() if a_k)


def _positive_locals(column, b, pivots, faces):
    """Bits of ``column`` (squares of b by local index) whose dual cube edge is positive.

    A square of the complement that is a pivot killed a loop of the
    complement: its dual cube edge gave birth to a loop of the image.
    """
    mask = 0
    for local in range(36):
        if not (column >> local) & 1:
            continue
        hi, lo = divmod(local, 6)
        low = b + (faces[hi] if _SIGN[hi] < 0 else 0) + (faces[lo] if _SIGN[lo] < 0 else 0)
        if pivots[3 * low + _AXIS[hi] + _AXIS[lo] - 1] != -1:
            mask |= 1 << local
    return mask


def middle_cycles(keys, shape, connectivity, births, deaths):
    """Closed walks of voxels for dimension-1 rows ``(births, deaths)`` of a volume.

    Returns ``(walks, status)``: one (k, 3) int64 coordinate array per row
    (the walk from the birth voxel; consecutive voxels, and the last and
    the first, are 6-adjacent for ``connectivity=1``, 26-adjacent for 3)
    and a status per row (0, or ``_NO_PAIR``).
    """
    dual = connectivity != 1
    padded, strides, interior = _grid(shape)
    n = keys.size
    pos, order, first_real, rank = _positions(keys, padded, interior, dual)
    faces = _SIGN * strides[_AXIS]
    negative = negative_edges(pos, order, first_real, faces)
    pivots = np.full(3 * pos.size, -1, dtype=np.int32)
    columns = apparent_pairs(pos, negative, pivots, padded[1], padded[2], first_real, 0,
                             pos.size)
    columns.sort()
    owner_e, owner_s, edges, squares, cochains, column = reduce_columns(
        pos, order, pivots, columns, padded[1], padded[2], True)
    birth_cell, death_cell = (owner_s, owner_e) if dual else (owner_e, owner_s)
    flat = np.full(pos.size, -1, dtype=np.int64)
    flat[interior] = np.arange(n)
    pair_code = flat[birth_cell] * n + flat[death_cell]
    by_code = np.argsort(pair_code, kind="stable")
    sorted_code = pair_code[by_code]
    row_code = np.asarray(births, dtype=np.int64) * n + np.asarray(deaths, dtype=np.int64)
    lo = np.searchsorted(sorted_code, row_code, side="left")
    hi = np.searchsorted(sorted_code, row_code, side="right")
    status = np.where(hi > lo, 0, _NO_PAIR).astype(np.int64)
    # the j-th row with the same (birth, death) takes the j-th such pair
    seen = {}
    picks = np.zeros(len(row_code), dtype=np.int64)
    for r in np.flatnonzero(status == 0).tolist():
        j = seen.get(int(row_code[r]), 0)
        seen[int(row_code[r])] = j + 1
        picks[r] = by_code[lo[r] + j % (hi[r] - lo[r])]
    masks = np.zeros(len(row_code), dtype=np.uint64)
    if dual:  # the positive new edges of b in the homology representative R
        for r in np.flatnonzero(status == 0).tolist():
            j = picks[r]
            masks[r] = _positive_locals(int(column[j]), int(birth_cell[j]), pivots, faces)
    else:
        owner_key = edges >> 8
        by_owner = np.argsort(owner_key, kind="stable")
        sorted_owner = owner_key[by_owner]
        directions = (edges & 63).astype(np.int64)
        for r in np.flatnonzero(status == 0).tolist():
            j = picks[r]
            a, z = np.searchsorted(sorted_owner, [owner_key[j], owner_key[j] + 1])
            siblings = [int(s) for s in by_owner[a:z] if owner_s[s] != owner_e[s] or s == j]
            masks[r] = _solve_v(int(j), siblings, directions, cochains)
    valid = np.flatnonzero(status == 0)
    cells, starts, ok = walks(rank, pos, negative, pivots, strides, dual,
                              birth_cell[picks[valid]].astype(np.int64), masks[valid])
    if not ok.all():  # pragma: no cover - every birth edge of a pair is positive
        raise RuntimeError("internal error: no loop through the birth edge of a pair")
    coords = coordinates(flat[cells], np.array(shape, dtype=np.int64), 3)
    out = [np.empty((0, 3), dtype=np.int64) for _ in range(len(row_code))]
    for i, r in enumerate(valid.tolist()):
        out[r] = coords[starts[i]:starts[i + 1]]
    return out, status
