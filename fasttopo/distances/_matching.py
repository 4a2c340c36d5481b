"""Optimal matchings between the finite parts of two persistence diagrams (private).

Both distances are solved on the usual bipartite graph: rows are the points
of A followed by one diagonal copy per point of B, columns the points of B
followed by one diagonal copy per point of A.  A point may go to its own
diagonal copy at the cost of its distance to the diagonal; two diagonal
copies are matched at cost 0.  Only the diagonal-diagonal edges that mirror
a kept A-B edge are needed (given any matching, its A-B pairs (i, j) free
exactly the copies of j and i, which the mirrored edge joins), so the graph
has ``2 E + n + m`` edges for ``E`` kept A-B edges.

An A-B edge is kept only if it can beat sending both points to the
diagonal, which prunes most edges of real diagrams (points close to the
diagonal have few partners):

* bottleneck: ``c(a, b) < max(d(a), d(b))``;
* p-Wasserstein: ``c(a, b)**p < d(a)**p + d(b)**p``.

Any optimal matching using a pruned edge stays optimal when that edge is
replaced by the two diagonal edges (and the freed diagonal copies are
matched to each other), so the optimum is unchanged.

For Wasserstein the kept edges split the points into independent
sub-problems (connected components, small ones packed together); a sparse
one is solved by SciPy's LAPJVsp (``min_weight_full_bipartite_matching``),
a dense one as a transport problem by POT (:mod:`fasttopo._transport`).
The bottleneck distance is a
binary search over the candidate values with a Hopcroft-Karp maximum
matching at each step, written here because SciPy's
``maximum_bipartite_matching`` does not retire dead-end vertices in its
depth-first searches and takes minutes on dense threshold graphs of 2,000
points; ours also warm-starts each step from the matching of the last
infeasible threshold (still valid at larger thresholds).
"""

import numpy as np
from numba import njit

from .._engine.keys import _stable_order  # (a merge sort: Numba's takes seconds to compile)
from ._transport import transport_pairs

# SciPy's sparse, csgraph and spatial modules are imported where used: they
# take a few hundred milliseconds to import and ``import fasttopo`` must stay
# fast.

__all__ = ["bottleneck_matching", "wasserstein_matching", "diagonal_distance"]


def diagonal_distance(points, internal_p=np.inf):
    """Distance of each point to the diagonal in the L^internal_p norm."""
    gap = np.abs(points[:, 1] - points[:, 0])
    if np.isinf(internal_p):
        return gap / 2.0
    return gap * 2.0 ** (1.0 / internal_p - 1.0)


_SLACK = 8 * np.finfo(np.float64).eps


@njit(cache=True, nogil=True, boundscheck=False)
def _bisect(values, x, right):
    """``np.searchsorted(values, x, side="right" if right else "left")`` for sorted
    finite ``values`` (NumPy's, compiled by Numba, adds a second to the first call)."""
    lo, hi = 0, values.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x or (right and values[mid] == x):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True, boundscheck=False)
def _count_or_fill(a, ra, b, rb, b_order, b_sorted, a_order, a_sorted, out_i, out_j, fill):
    """Pairs (i, j) with Linf(a_i, b_j) < ra[i], or < rb[j] (and not < ra[i]).

    ``*_sorted`` are the births sorted increasingly, ``*_order`` the
    permutation that sorts them.  With ``fill`` False only counts.
    """
    count = 0
    for i in range(a.shape[0]):
        r = ra[i]
        if r <= 0.0:
            continue
        # the window is widened by a few ulps: the exact test is below
        w = r + _SLACK * (abs(a[i, 0]) + r)
        lo = _bisect(b_sorted, a[i, 0] - w, False)
        hi = _bisect(b_sorted, a[i, 0] + w, True)
        for s in range(lo, hi):
            j = b_order[s]
            if abs(a[i, 1] - b[j, 1]) < r and abs(a[i, 0] - b[j, 0]) < r:
                if fill:
                    out_i[count] = i
                    out_j[count] = j
                count += 1
    for j in range(b.shape[0]):
        r = rb[j]
        if r <= 0.0:
            continue
        w = r + _SLACK * (abs(b[j, 0]) + r)
        lo = _bisect(a_sorted, b[j, 0] - w, False)
        hi = _bisect(a_sorted, b[j, 0] + w, True)
        for s in range(lo, hi):
            i = a_order[s]
            linf = max(abs(a[i, 0] - b[j, 0]), abs(a[i, 1] - b[j, 1]))
            if linf < r and not linf < ra[i]:
                if fill:
                    out_i[count] = i
                    out_j[count] = j
                count += 1
    return count


class _NearPairs:
    """Pairs (i, j) with Linf distance below ``ra[i]`` or ``rb[j]``, and <= ``cap``.

    ``count`` is known before the index arrays are filled by ``pairs()``.
    """

    def __init__(self, a, ra, b, rb, cap=np.inf):
        if cap < np.inf:
            # d < nextafter(cap) <=> d <= cap
            limit = np.nextafter(cap, np.inf)
            ra, rb = np.minimum(ra, limit), np.minimum(rb, limit)
        a_order = np.argsort(a[:, 0], kind="stable")
        b_order = np.argsort(b[:, 0], kind="stable")
        self.args = (a, ra, b, rb, b_order, np.ascontiguousarray(b[b_order, 0]), a_order,
                     np.ascontiguousarray(a[a_order, 0]))
        empty = np.empty(0, dtype=np.int64)
        self.count = _count_or_fill(*self.args, empty, empty, False)

    def pairs(self):
        ii = np.empty(self.count, dtype=np.int64)
        jj = np.empty(self.count, dtype=np.int64)
        _count_or_fill(*self.args, ii, jj, True)
        return ii, jj


def _near_pairs(a, ra, b, rb, cap=np.inf):
    """Index arrays of the pairs with Linf distance below ra[i] or rb[j] and <= cap."""
    return _NearPairs(a, ra, b, rb, cap).pairs()


def _pairs_from_rows(row_to_col, n, m):
    """Matching of the doubled graph -> (k, 2) pairs with -1 for the diagonal."""
    rows_a = row_to_col[:n]
    to_b = rows_a < m
    a_idx = np.arange(n, dtype=np.int64)
    pairs_ab = np.column_stack([a_idx[to_b], rows_a[to_b]])
    pairs_a = np.column_stack([a_idx[~to_b], np.full((~to_b).sum(), -1, dtype=np.int64)])
    matched_b = np.zeros(m, dtype=bool)
    matched_b[rows_a[to_b]] = True
    b_free = np.flatnonzero(~matched_b)
    pairs_b = np.column_stack([np.full(len(b_free), -1, dtype=np.int64), b_free])
    return np.concatenate([pairs_ab, pairs_a, pairs_b]).astype(np.int64)


def _doubled_graph(n, m, ii, jj, a_to_diag, b_to_diag):
    """Row and column indices of the doubled graph's edges (A-B edges first)."""
    a_diag = np.flatnonzero(a_to_diag)
    b_diag = np.flatnonzero(b_to_diag)
    rows = np.concatenate([ii, a_diag, n + b_diag, n + jj])
    cols = np.concatenate([jj, m + a_diag, b_diag, m + ii])
    return rows, cols


@njit(cache=True, nogil=True, boundscheck=False)
def _row_limits(indptr, cost, t, limit):
    """``limit[v]``: end of the edges of row ``v`` that cost at most ``t`` (rows sorted)."""
    for v in range(indptr.shape[0] - 1):
        s, e = indptr[v], indptr[v + 1]
        limit[v] = s + _bisect(cost[s:e], t, True)


@njit(cache=True, nogil=True, boundscheck=False)
def _hopcroft_karp(indptr, indices, limit, match_row, match_col):
    """Maximum matching by Hopcroft-Karp, augmenting the given matching in place.

    Row ``v`` has the edges ``indices[indptr[v]:limit[v]]``.  Returns the
    size of the matching.  Depth-first searches keep a per-row edge pointer
    and retire rows from which no augmenting path exists (``dist = -1``),
    so every phase is O(E).
    """
    n_rows = match_row.shape[0]
    dist = np.empty(n_rows, dtype=np.int64)
    queue = np.empty(n_rows, dtype=np.int64)
    stack = np.empty(n_rows, dtype=np.int64)
    edge = np.empty(n_rows, dtype=np.int64)
    size = 0
    for v in range(n_rows):
        if match_row[v] >= 0:
            size += 1
    while True:
        # BFS from the free rows: layers of alternating paths
        head, tail = 0, 0
        for v in range(n_rows):
            if match_row[v] < 0:
                dist[v] = 0
                queue[tail] = v
                tail += 1
            else:
                dist[v] = -1
        found = -1
        while head < tail:
            v = queue[head]
            head += 1
            if found >= 0 and dist[v] >= found:
                break
            for e in range(indptr[v], limit[v]):
                w = match_col[indices[e]]
                if w < 0:
                    if found < 0:
                        found = dist[v] + 1
                elif dist[w] < 0:
                    dist[w] = dist[v] + 1
                    queue[tail] = w
                    tail += 1
        if found < 0:
            return size
        # DFS along the layers from every free row
        for v in range(n_rows):
            edge[v] = indptr[v]
        for root in range(n_rows):
            if match_row[root] >= 0 or dist[root] != 0:
                continue
            depth = 0
            stack[0] = root
            while depth >= 0:
                v = stack[depth]
                advanced = False
                while edge[v] < limit[v]:
                    c = indices[edge[v]]
                    w = match_col[c]
                    if w < 0:
                        if dist[v] + 1 == found:
                            # augment along the stack
                            for k in range(depth, -1, -1):
                                u = stack[k]
                                c = indices[edge[u]]
                                match_col[c] = u
                                match_row[u] = c
                                dist[u] = -1
                            size += 1
                            depth = -1
                            advanced = True
                            break
                    elif dist[w] == dist[v] + 1:
                        depth += 1
                        stack[depth] = w
                        advanced = True
                        break
                    edge[v] += 1
                if not advanced:
                    dist[v] = -1   # dead end for this phase
                    depth -= 1
                    if depth >= 0:
                        edge[stack[depth]] += 1


@njit(cache=True, nogil=True, boundscheck=False)
def _doubled_csr(n, m, ii, jj, cost, da, db):
    """CSR arrays of the doubled graph, each row's edges sorted by increasing cost.

    Rows: ``a_i`` (edges to ``b_j`` and to its own diagonal copy ``m + i``),
    then ``n + j`` for the diagonal copy of ``b_j`` (edges to ``b_j`` and,
    mirroring the A-B edges, to ``m + i``).
    """
    size = n + m
    indptr = np.zeros(size + 1, dtype=np.int64)
    for e in range(ii.shape[0]):
        indptr[ii[e] + 1] += 1
        indptr[n + jj[e] + 1] += 1
    for v in range(size):
        indptr[v + 1] += indptr[v] + 1
    fill = indptr[:-1].copy()
    indices = np.empty(indptr[size], dtype=np.int64)
    weight = np.empty(indptr[size], dtype=np.float64)
    for i in range(n):
        indices[fill[i]] = m + i
        weight[fill[i]] = da[i]
        fill[i] += 1
    for j in range(m):
        indices[fill[n + j]] = j
        weight[fill[n + j]] = db[j]
        fill[n + j] += 1
    for e in range(ii.shape[0]):
        i, j = ii[e], jj[e]
        indices[fill[i]] = j
        weight[fill[i]] = cost[e]
        fill[i] += 1
        indices[fill[n + j]] = m + i
        weight[fill[n + j]] = cost[e]
        fill[n + j] += 1
    for v in range(size):
        s, e = indptr[v], indptr[v + 1]
        order = _stable_order(weight[s:e])
        row_i = indices[s:e].copy()
        row_w = weight[s:e].copy()
        for k in range(e - s):  # (element by element: a fancy-indexed assignment
            indices[s + k] = row_i[order[k]]  # compiles its shape-error messages)
            weight[s + k] = row_w[order[k]]
    return indptr, indices, weight


def bottleneck_matching(a, b):
    """Bottleneck distance (Linf ground metric) of two finite off-diagonal point sets.

    Returns ``(value, pairs)`` with ``pairs`` an ``(n + m - k, 2)`` array
    of indices into ``a`` and ``b`` (-1 = diagonal).
    """
    n, m = len(a), len(b)
    da = diagonal_distance(a)
    db = diagonal_distance(b)
    if n == 0 or m == 0:
        value = float(max(da.max(initial=0.0), db.max(initial=0.0)))
        return value, _pairs_from_rows(np.full(n, m, dtype=np.int64), n, m)
    from scipy.spatial import cKDTree

    # every point needs a partner: the diagonal or its nearest neighbour
    near_b = cKDTree(b).query(a, k=1, p=np.inf)[0]
    near_a = cKDTree(a).query(b, k=1, p=np.inf)[0]
    lower = max(np.minimum(da, near_b).max(), np.minimum(db, near_a).max())
    upper = max(da.max(), db.max())
    state = _Threshold(a, b, da, db)
    # bracket the distance by doubling from the lower bound, so that only the
    # edges up to about twice the distance are ever built
    t_low, t = np.nextafter(lower, -np.inf), lower if lower > 0 else upper / 1024.0
    growth = 2.0       # grows too, so that any range of magnitudes takes few steps
    while True:
        t = min(t, upper)
        state.build(t)
        ok, match_row, match_col = state.matching_at(t)
        if ok:
            break
        state.keep(match_row, match_col)
        t_low, t, growth = t, growth * t, 1.5 * growth
    best = match_row
    values = state.values(t_low, t)
    # binary search for the smallest feasible candidate in (t_low, t]
    lo, hi = 0, len(values) - 2        # values[-1] == t is feasible
    while lo <= hi:
        mid = (lo + hi) // 2
        ok, match_row, match_col = state.matching_at(values[mid])
        if ok:
            best, hi = match_row, mid - 1
        else:
            state.keep(match_row, match_col)
            lo = mid + 1
    return float(values[lo]), _pairs_from_rows(best, n, m)


class _Threshold:
    """The doubled graph of the edges up to a cap, sorted by cost within each row.

    A maximum matching found at an infeasible threshold stays valid at every
    larger threshold (the graph only grows) and seeds the next search.
    """

    def __init__(self, a, b, da, db):
        self.a, self.b, self.da, self.db = a, b, da, db
        size = len(a) + len(b)
        self.limit = np.empty(size, dtype=np.int64)
        self.row = np.full(size, -1, dtype=np.int64)
        self.col = np.full(size, -1, dtype=np.int64)

    def build(self, cap):
        a, b, da, db = self.a, self.b, self.da, self.db
        n, m = len(a), len(b)
        ii, jj = _near_pairs(a, da, b, db, cap)
        cost = np.maximum(np.abs(a[ii, 0] - b[jj, 0]), np.abs(a[ii, 1] - b[jj, 1]))
        self.indptr, self.indices, self.cost = _doubled_csr(n, m, ii, jj, cost, da, db)
        self.edge_values = cost

    def values(self, low, high):
        """Sorted distinct candidate values in ``(low, high]``."""
        values = np.concatenate([self.edge_values, self.da, self.db, [high]])
        return np.unique(values[(values > low) & (values <= high)])

    def matching_at(self, t):
        _row_limits(self.indptr, self.cost, t, self.limit)
        match_row, match_col = self.row.copy(), self.col.copy()
        size = _hopcroft_karp(self.indptr, self.indices, self.limit, match_row, match_col)
        return size == len(match_row), match_row, match_col

    def keep(self, match_row, match_col):
        self.row, self.col = match_row, match_col


def ground_cost(a, b, ii, jj, internal_p):
    db_ = np.abs(a[ii, 0] - b[jj, 0])
    dd_ = np.abs(a[ii, 1] - b[jj, 1])
    if np.isinf(internal_p):
        return np.maximum(db_, dd_)
    if internal_p == 1:
        return db_ + dd_
    if internal_p == 2:
        return np.hypot(db_, dd_)
    return (db_ ** internal_p + dd_ ** internal_p) ** (1.0 / internal_p)


def wasserstein_matching(a, b, order, internal_p, diagonal_cost=None):
    """Optimal p-Wasserstein matching of two finite off-diagonal point sets.

    Returns ``(cost, pairs)`` where ``cost`` is the sum of the matched
    costs raised to the power ``order`` (not yet its root).

    ``diagonal_cost``, a pair of arrays ``(da, db)``, replaces the cost of
    sending each point to the diagonal (default ``diagonal_distance **
    order``); the pair cost stays ``||a - b||_internal_p ** order``.  The
    torch losses use it for the localized loss of Oner et al. (squared pair
    cost, unmatched points paying their distance to the diagonal).  The
    pruning ``c(a, b) < da + db`` holds for any diagonal costs; the
    geometric pre-filter of the candidates does not, so with custom costs
    every pair is a candidate.
    """
    n, m = len(a), len(b)
    if diagonal_cost is None:
        da = diagonal_distance(a, internal_p) ** order
        db = diagonal_distance(b, internal_p) ** order
    else:
        da, db = (np.asarray(c, dtype=np.float64) for c in diagonal_cost)
    if n == 0 or m == 0:
        return float(da.sum() + db.sum()), _pairs_from_rows(np.full(n, m, dtype=np.int64), n, m)
    if n + m <= _SMALL_POINTS:
        return _dense_assignment(a, b, da, db, order, internal_p)
    if diagonal_cost is None:
        # Linf <= L^q, so c**p < da + db needs Linf < 2**(1/p) * max(d(a), d(b))
        reach = 2.0 ** (1.0 / order)
        near = _NearPairs(a, reach * diagonal_distance(a, internal_p), b,
                          reach * diagonal_distance(b, internal_p))
        dense = near.count >= _DENSE_NEAR_FRACTION * n * m
    else:
        near, dense = None, True
    if dense and n * m >= _DENSE_MIN_PAIRS:
        # most pairs are worth matching: one transport problem (POT, if installed)
        pairs = transport_pairs(a, b, da, db, order, internal_p)
        if pairs is not None:
            return _total_cost(a, b, pairs, order, internal_p, da, db), pairs
    if near is None:
        ii, jj = np.divmod(np.arange(n * m, dtype=np.int64), m)
    else:
        ii, jj = near.pairs()
    cost = ground_cost(a, b, ii, jj, internal_p) ** order
    keep = cost < da[ii] + db[jj]
    ii, jj, cost = ii[keep], jj[keep], cost[keep]
    lone_a = np.flatnonzero(np.bincount(ii, minlength=n) == 0)
    lone_b = np.flatnonzero(np.bincount(jj, minlength=m) == 0)
    pairs = [np.column_stack([lone_a, np.full(len(lone_a), -1, dtype=np.int64)]),
             np.column_stack([np.full(len(lone_b), -1, dtype=np.int64), lone_b])]
    for ia, ib, li, lj, c in _batches(n, m, ii, jj, cost):
        local = None
        size = len(ia) * len(ib)
        if size >= _DENSE_MIN_PAIRS and len(li) >= _DENSE_FRACTION * size:
            local = transport_pairs(a[ia], b[ib], da[ia], db[ib], order, internal_p)
        if local is None:
            local = _assignment(len(ia), len(ib), li, lj, c, da[ia], db[ib])
        pairs.append(np.column_stack([_take(ia, local[:, 0]), _take(ib, local[:, 1])]))
    pairs = np.concatenate(pairs).astype(np.int64)
    return _total_cost(a, b, pairs, order, internal_p, da, db), pairs


def _dense_assignment(a, b, da, db, order, internal_p):
    """``(cost, pairs)`` of a small problem: one dense assignment on the doubled matrix.

    Rows are the points of ``a`` then one diagonal copy per point of ``b``;
    columns the points of ``b`` then one diagonal copy per point of ``a``.
    A point may go to its own diagonal copy only (a prohibitive cost
    elsewhere); diagonal copies match each other at no cost.  Without the
    candidate bookkeeping of the sparse path, this is ~10x cheaper on the
    diagrams of small patches (tens of points).
    """
    n, m = len(a), len(b)
    ii, jj = np.divmod(np.arange(n * m, dtype=np.int64), m)
    pair_cost = ground_cost(a, b, ii, jj, internal_p) ** order
    big = 1.0 + 2.0 * (float(pair_cost.max()) + float(da.sum()) + float(db.sum()))
    cost = np.full((n + m, m + n), big)
    cost[:n, :m] = pair_cost.reshape(n, m)
    cost[np.arange(n), m + np.arange(n)] = da
    cost[n + np.arange(m), np.arange(m)] = db
    cost[n:, m:] = 0.0
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum()), _pairs_from_rows(cols.astype(np.int64), n, m)


def _total_cost(a, b, pairs, order, internal_p, da, db):
    """Sum of the pair costs: ground distance**order, or ``da``/``db`` for the diagonal."""
    i, j = pairs[:, 0], pairs[:, 1]
    both = (i >= 0) & (j >= 0)
    total = np.sum(ground_cost(a, b, i[both], j[both], internal_p) ** order)
    total += np.sum(da[i[(i >= 0) & (j < 0)]]) + np.sum(db[j[(i < 0) & (j >= 0)]])
    return float(total)


def _take(index, positions):
    """``index[positions]`` with -1 (the diagonal) kept as -1."""
    out = np.full(len(positions), -1, dtype=np.int64)
    real = positions >= 0
    out[real] = index[positions[real]]
    return out


#: a sub-problem in which at least this fraction of the pairs are kept edges
#: is solved as a transport problem by POT (if installed): measured on
#: 300-2,000-point diagrams, LAPJVsp is about 2x faster at 0.07-0.1, POT 2-5x
#: faster from 0.3 on
_DENSE_FRACTION = 0.15
_DENSE_MIN_PAIRS = 2500
#: the same test on the whole problem, before any edge is built, counts the
#: candidate pairs (a superset: measured 1.5-2x the kept edges when p = 1)
_DENSE_NEAR_FRACTION = 0.3

#: up to this many points in both diagrams together, one dense assignment
#: (SciPy's LAPJV on the doubled (n + m)^2 matrix) beats building candidates
_SMALL_POINTS = 96

#: connected components are packed into LAPJVsp calls of at most this many
#: points: SciPy's LAPJVsp scans all columns to find each minimum, so small
#: independent problems are much cheaper solved apart than together
_BATCH_POINTS = 256


def _batches(n, m, ii, jj, cost):
    """Sub-problems: the points joined by kept edges, one group of components each.

    Yields ``(ia, ib, li, lj, cost)``: the global indices of the points of A
    and of B in the group and the group's edges in local indices.  Points
    without edges are left out (they go to the diagonal).
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    graph = csr_array((np.ones(len(ii), dtype=np.int8), (ii, n + jj)), shape=(n + m, n + m))
    _, label = connected_components(graph, directed=False)
    size = np.bincount(label)
    batch_of = np.empty(len(size), dtype=np.int64)
    batch, filled = 0, 0
    for comp in np.argsort(size, kind="stable"):
        if size[comp] < 2:
            batch_of[comp] = -1
            continue
        if filled and filled + size[comp] > _BATCH_POINTS:
            batch, filled = batch + 1, 0
        batch_of[comp] = batch
        filled += size[comp]
    node_batch = batch_of[label]
    a_batch, b_batch = node_batch[:n], node_batch[n:]
    edge_batch = a_batch[ii]
    a_order = np.argsort(a_batch, kind="stable")
    b_order = np.argsort(b_batch, kind="stable")
    e_order = np.argsort(edge_batch, kind="stable")
    count = batch + 1
    a_start = np.searchsorted(a_batch[a_order], np.arange(count + 1))
    b_start = np.searchsorted(b_batch[b_order], np.arange(count + 1))
    e_start = np.searchsorted(edge_batch[e_order], np.arange(count + 1))
    local_a = np.empty(n, dtype=np.int64)
    local_b = np.empty(m, dtype=np.int64)
    for k in range(count):
        ia = a_order[a_start[k]:a_start[k + 1]]
        ib = b_order[b_start[k]:b_start[k + 1]]
        local_a[ia] = np.arange(len(ia))
        local_b[ib] = np.arange(len(ib))
        edges = e_order[e_start[k]:e_start[k + 1]]
        if not len(edges):
            continue
        yield ia, ib, local_a[ii[edges]], local_b[jj[edges]], cost[edges]


def _assignment(n, m, ii, jj, cost, da, db):
    """Optimal matching of one sub-problem by LAPJVsp, as (k, 2) local pairs."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    rows, cols = _doubled_graph(n, m, ii, jj, np.ones(n, dtype=bool), np.ones(m, dtype=bool))
    weights = np.concatenate([cost, da, db, np.zeros(len(ii))])
    # LAPJVsp needs nonzero weights: a constant added to every edge shifts every
    # perfect matching by the same amount and leaves the optimum unchanged.
    # One extra column without edges makes the problem rectangular, which
    # makes SciPy skip the augmenting-row-reduction start; in floating point
    # that start can cycle forever when weights span many magnitudes, while
    # the shortest-augmenting-path phase always terminates.
    shift = (float(weights.max()) or 1.0) * 2.0 ** -40
    graph = csr_array((weights + shift, (rows, cols)), shape=(n + m, n + m + 1))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    row_to_col = np.empty(n + m, dtype=np.int64)
    row_to_col[row_ind] = col_ind
    return _pairs_from_rows(row_to_col, n, m)
