"""Numba kernels for object marking (private).

Marking needs the components of the sublevel set just below each selected
death pixel.  Those are properties of *sets* of pixels, so the pixels need
not be sorted into the full filtration order: it is enough to know, for
every pixel, how many selected death pixels come before it (or are it) in
the filtration order ``(value, flat index)``.  ``bucket_pixels`` finds this
bucket by binary search among the k death pixels (O(n log k), a sequential
pass over the image) and groups the pixels by bucket with a counting sort,
keeping raster order inside each bucket.

``mark_sweep`` then adds the buckets one after the other to a union-find
forest (in raster order, so that neighbours are close in memory).  Every
component keeps a circular linked list of its *unmarked* pixels; when two
components meet, their lists are spliced in O(1).  Between two buckets,
the component of each pair's birth pixel is exactly "the component of the
birth pixel in the sublevel set just below the death" (the death pixel
excluded, as it opens the next bucket): its unmarked pixels are labelled
and its list is emptied.  Each pixel is labelled at most once, so marking
costs O(n log k + n alpha(n)) however many objects are marked and however
deeply they are nested.
"""

import numpy as np
from numba import njit

from .entry import filtration_keys
from .neighbourhood import neighbour_offsets

__all__ = ["filtration_keys", "bucket_pixels", "mark_sweep"]


@njit(inline="always")
def _bucket(ky, y, dkeys, dindex, m):
    """Number of death pixels at or before pixel y (key ky) in the filtration order."""
    kd = dkeys[0]
    if ky < kd or (ky == kd and y < dindex[0]):
        return 0
    kd = dkeys[m - 1]
    if ky > kd or (ky == kd and y >= dindex[m - 1]):
        return m
    lo = 1
    hi = m - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        kd = dkeys[mid]
        if kd < ky or (kd == ky and dindex[mid] <= y):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def bucket_pixels(keys, dkeys, dindex, shape3, ndim, order, starts):
    """Group the pixels by the number of death pixels at or before them.

    ``dkeys``/``dindex`` (m >= 1,) are the distinct death pixels' keys and
    flat indices in ascending filtration order.  Pixels of bucket ``j``
    (after ``j`` death pixels, ``j < m``) are written to
    ``order[starts[j]:starts[j + 1]]`` as indices into the padded grid of
    ``mark_sweep``, in raster order; pixels after the last death pixel are
    dropped.  ``starts`` has m + 1 entries.  Returns the number of pixels
    kept.
    """
    D, H, W = shape3[0], shape3[1], shape3[2]
    pz = 1 if ndim >= 3 else 0
    py = 1 if ndim >= 2 else 0
    Hp, Wp = H + 2 * py, W + 2
    n = keys.size
    m = dkeys.size
    bucket = np.empty(n, dtype=np.int32)
    counts = np.zeros(m + 1, dtype=np.int64)
    for y in range(n):
        j = _bucket(keys[y], y, dkeys, dindex, m)
        bucket[y] = j
        counts[j] += 1
    total = 0
    for j in range(m):
        starts[j] = total
        total += counts[j]
    starts[m] = total
    fill = starts[:m].copy()
    i = 0
    for z in range(D):
        for r in range(H):
            base = ((z + pz) * Hp + (r + py)) * Wp + 1
            for x in range(W):
                j = bucket[i]
                if j < m:
                    order[fill[j]] = base + x
                    fill[j] += 1
                i += 1
    return total


@njit(inline="always")
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@njit(inline="always")
def _to_padded(i, H, W, pz, py, Hp, Wp):
    z = i // (H * W)
    r = i - z * (H * W)
    y = r // W
    x = r - y * W
    return ((z + pz) * Hp + (y + py)) * Wp + (x + 1)


@njit(inline="always")
def _to_flat(q, H, W, pz, py, Hp, Wp):
    z = q // (Hp * Wp)
    r = q - z * (Hp * Wp)
    y = r // Wp
    x = r - y * Wp
    return ((z - pz) * H + (y - py)) * W + (x - 1)


@njit(cache=True, nogil=True)
def mark_sweep(order, starts, shape3, ndim, connectivity, pairs, out, scratch):
    """Label, for each selected pair, the component of its birth pixel just before its death.

    ``order``/``starts`` come from ``bucket_pixels`` (padded indices).  ``pairs =
    (births, groups, labels)``: ``births`` (k,) are the flat birth indices of
    the selected pairs sorted by the filtration position of their death
    pixel, ``groups`` (k,) the rank of that death pixel among the distinct
    ones (pairs ending at the same pixel share it), ``labels`` (k,) their
    labels.  ``out`` (n,) int32 is zero on entry and receives the labels: a
    pixel gets the label of the first pair (in this order) whose component
    contains it.  ``scratch = (parent, head, nxt, rank)`` (padded size) is
    the union-find's scratch.  Returns the number of pairs
    marked, or ``-(i + 1)`` if the birth pixel of pair ``i`` had not entered
    before its death pixel (a diagram that does not belong to the image).
    """
    births, groups, labels = pairs
    parent, head, nxt, rank = scratch
    D, H, W = shape3[0], shape3[1], shape3[2]
    pz = 1 if ndim >= 3 else 0
    py = 1 if ndim >= 2 else 0
    Dp, Hp, Wp = D + 2 * pz, H + 2 * py, W + 2
    padded = np.array([Dp, Hp, Wp], dtype=np.int64)
    offsets = neighbour_offsets(ndim, connectivity, padded)
    for i in range(parent.size):
        parent[i] = -1
    k = births.size
    m = starts.size - 1
    ptr = 0
    for j in range(m):
        for t in range(starts[j], starts[j + 1]):
            q = order[t]
            parent[q] = q
            head[q] = q
            nxt[q] = q
            rank[q] = 0
            rq = q
            for o in range(offsets.size):
                s = q + offsets[o]
                ps = parent[s]
                if ps < 0 or ps == rq:
                    continue
                rs = _find(parent, ps)
                if rs == rq:
                    continue
                # splice the two circular lists of unmarked pixels
                hq, hs = head[rq], head[rs]
                if hq >= 0 and hs >= 0:
                    tmp = nxt[hq]
                    nxt[hq] = nxt[hs]
                    nxt[hs] = tmp
                merged = hq if hq >= 0 else hs
                if rank[rq] < rank[rs]:
                    parent[rq] = rs
                    rq = rs
                else:
                    parent[rs] = rq
                    if rank[rq] == rank[rs]:
                        rank[rq] += 1
                head[rq] = merged
        while ptr < k and groups[ptr] == j:
            b = _to_padded(births[ptr], H, W, pz, py, Hp, Wp)
            if parent[b] < 0:
                return -(ptr + 1)
            r = _find(parent, b)
            h = head[r]
            if h >= 0:
                x = h
                while True:
                    out[_to_flat(x, H, W, pz, py, Hp, Wp)] = labels[ptr]
                    x = nxt[x]
                    if x == h:
                        break
                head[r] = -1
            ptr += 1
    return ptr
