"""Numba kernels of Betti matching: union-find with image births, filtration orders (private).

Betti matching compares three filtrations of one cubical complex: the
prediction P, the target G and the comparison image C = min(P, G)
(sublevel; keys are inverted for the superlevel filtration, so C is
always the smaller key).  Pixels are ordered by ``(key, flat index)`` in
each of them, as everywhere in the engine.

Dimension 0 is one union-find over C (the engine's raster scan, then
``image_sweep`` over the candidates in C's order).  Each component keeps,
besides its birth pixel in C (its root), its first pixel in P's order
and in G's (its *image births*, ``aggregate_roots`` then unions).  At a
pixel x of C, that first pixel y is in P already iff it comes before x
(its key in P is at least its key in C, so a pixel is in C no later than
in P): the component then holds a class of P's image.  When components
meet at x, the younger in C dies (a bar of C) and, for each of P and G,
the younger image birth dies if it is in already (a bar of the image of
H0(P) -> H0(C), from P's pixel y to C's pixel x).  Pixels not yet in P
that the scan has linked into a component (it links every pixel in
advance) come after x in P too, so they never decide that test.

The top dimension is dimension 0 of the complements by Alexander duality
(as in the engine): the complement of C is inside the complement of P,
so the image of H_top(P) -> H_top(C) is, reversed in time, the image of
H0(complement of C) -> H0(complement of P): the same sweep over P's
reverse order, with image births from C's, and one exterior cell older
than every pixel (and in both from the start).
"""

import numpy as np
from numba import njit

from .keys import fix_ties, radix_sort_u64, unpack
from .neighbourhood import representatives_cube, set_border

__all__ = ["pair_keys", "sorted_cells", "aggregate_roots", "image_sweep", "sort_candidates",
           "group_ranks"]


@njit(cache=True, nogil=True)
def pair_keys(kp, kg, kc, padded, pad, shape3):
    """Keys of (own value, other image's value) pairs, in place, for keys of <= 32 bits.

    ``kp`` and ``kg`` hold the engine's keys of P and G (``fill_keys``,
    flat padded); they become ``kp << 32 | kg`` and ``kg << 32 | kp``, and
    ``kc`` their minimum (C's).  The padding and the exterior slot get the
    largest key.  Returns ``(stats, room)``: per filtration (P, G, C) the
    smallest and largest pixel key, the bits that vary and the padded index
    of the first pixel; ``room`` is False if a pixel holds the largest key.
    """
    top = np.uint64(0xFFFFFFFFFFFFFFFF)
    stats = np.zeros((3, 4), dtype=np.uint64)
    for f in range(3):
        stats[f, 0] = top
    first = np.zeros(3, dtype=np.int64)
    Hp, Wp = padded[1], padded[2]
    k0 = np.zeros(3, dtype=np.uint64)
    start = True
    room = True
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                c = base + x
                a, b = kp[c], kg[c]
                p = (a << np.uint64(32)) | b
                q = (b << np.uint64(32)) | a
                m = p if p < q else q
                kp[c], kg[c], kc[c] = p, q, m
                room &= (p != top) & (q != top)
                if start:
                    k0[0], k0[1], k0[2] = p, q, m
                    start = False
                for f, v in ((0, p), (1, q), (2, m)):
                    if v < stats[f, 0]:
                        stats[f, 0] = v
                        first[f] = c
                    if v > stats[f, 1]:
                        stats[f, 1] = v
                    stats[f, 2] |= v ^ k0[f]
    for f in range(3):
        stats[f, 3] = np.uint64(first[f])
    for keys in (kp, kg, kc):
        set_border(keys, padded, pad, top)
        keys[keys.size - 1] = top
    return stats, room


@njit(cache=True, nogil=True)
def sorted_cells(keys, cells):
    """``cells`` (increasing) ordered by increasing ``(keys[cell], cell)``, as int32.

    A stable LSD radix sort of the cells by their keys, 16-bit digits
    (digits on which all keys agree are skipped): equal keys keep the
    cells' increasing order.
    """
    n = cells.size
    key = np.empty(n, dtype=np.uint64)
    for i in range(n):
        key[i] = keys[cells[i]]
    src = cells.astype(np.int32)
    dst = np.empty(n, dtype=np.int32)
    ksrc = key
    kdst = np.empty(n, dtype=np.uint64)
    count = np.empty(1 << 16, dtype=np.int64)
    for d in range(4):
        shift = np.uint64(16 * d)
        first = (ksrc[0] >> shift) & np.uint64(0xFFFF) if n else np.uint64(0)
        same = True
        for i in range(n):
            if ((ksrc[i] >> shift) & np.uint64(0xFFFF)) != first:
                same = False
                break
        if same:
            continue
        count[:] = 0
        for i in range(n):
            count[np.intp((ksrc[i] >> shift) & np.uint64(0xFFFF))] += 1
        total = 0
        for b in range(1 << 16):
            c = count[b]
            count[b] = total
            total += c
        for i in range(n):
            b = np.intp((ksrc[i] >> shift) & np.uint64(0xFFFF))
            at = count[b]
            dst[at] = src[i]
            kdst[at] = ksrc[i]
            count[b] = at + 1
        src, dst = dst, src
        ksrc, kdst = kdst, ksrc
    return src


@njit(cache=True, nogil=True)
def sort_candidates(candidates, count, keys, index_bits, reverse, exact):
    """Sort the scan's packed candidates (queued by increasing cell) into sweep order."""
    radix_sort_u64(candidates, count, np.empty(count, dtype=np.uint64), index_bits // 8,
                   reverse)
    if not exact:
        fix_ties(candidates, count, keys, index_bits, reverse)


@njit(inline="always")
def _find(parent, x):
    while True:  # path halving
        p = parent[x]
        if p == x:
            return x
        gp = parent[p]
        parent[x] = gp
        x = gp


@njit(inline="always")
def _elder(k, a, b, reverse, exterior):
    """Whether cell ``a`` comes before cell ``b`` by keys ``k`` (the exterior first)."""
    if reverse:
        return a == exterior or (b != exterior and (k[a] > k[b] or (k[a] == k[b] and a > b)))
    return k[a] < k[b] or (k[a] == k[b] and a < b)


@njit(inline="always")
def _root(parent, x):
    """The root of ``x``, every cell on the way linked to it (full path compression)."""
    r = x
    while parent[r] != r:
        r = parent[r]
    while parent[x] != r:
        nxt = parent[x]
        parent[x] = r
        x = nxt
    return r


@njit(inline="always")
def _take_first(born, keys_s, r, p, reverse, exterior):
    b = born[r]
    if b < 0 or _elder(keys_s, p, b, reverse, exterior):
        born[r] = p


@njit(cache=True, nogil=True)
def aggregate_roots(parent, padded, pad, shape3, reverse, keys_a, born_a, keys_b, born_b,
                    n_src):
    """``born[root]`` = the first pixel, in a source's order, of each tree of ``parent``.

    ``parent`` is the forest the raster scan leaves (every pixel linked to
    an earlier neighbour, roots to themselves; reverse: the padding to
    the exterior cell ``npad``); the ``born`` arrays (one or two sources)
    have a slot per cell.
    """
    npad = padded[0] * padded[1] * padded[2]
    exterior = npad
    born_a[:] = -1
    born_a[exterior] = exterior
    if n_src >= 2:
        born_b[:] = -1
        born_b[exterior] = exterior
    Hp, Wp = padded[1], padded[2]
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                p = base + x
                r = _root(parent, p)
                _take_first(born_a, keys_a, r, p, reverse, exterior)
                if n_src >= 2:
                    _take_first(born_b, keys_b, r, p, reverse, exterior)


@njit(inline="always")
def _merge_images(born, keys_s, rx, rq, old, s, ks, reverse, exterior, out, cnt):
    """Join the image births of roots ``rx`` and ``rq`` into ``old``: the younger one dies at
    ``s`` (key ``ks`` in the target) if it is in already and is not ``s`` itself (written
    to ``out`` at ``cnt``); returns the new count."""
    a, b = born[rx], born[rq]
    if _elder(keys_s, a, b, reverse, exterior):
        young, keep = b, a
    else:
        young, keep = a, b
    ky = keys_s[young]
    if reverse:
        present = ky > ks or (ky == ks and young >= s)
    else:
        present = ky < ks or (ky == ks and young <= s)
    if present and young != s:
        out[0, cnt] = young
        out[1, cnt] = s
        cnt += 1
    born[old] = keep
    return cnt


@njit(cache=True, nogil=True)
def image_sweep(keys, side, ncand, index_bits, reverse, rings, edges, sources, n_src, out):
    """Union-find over the sorted candidates with the image births of up to two sources.

    As the engine's ``union_find.sweep`` (``side``: the parent array the
    scan left, the stencil, the sorted candidates; ``rings``: the scan's
    ring masks; ``edges``: where to record the negative edges), but every
    bar of the total order is kept, zero length in value included, and
    ``sources = (keys_a, born_a, keys_b, born_b)`` are the first
    ``n_src`` (0 to 2) sources' keys and image births (``born`` from
    ``aggregate_roots``).  ``out`` is a (3, 2, cap) int32 array: bars of
    the target (birth = the younger root, death = the candidate), of each
    source's image (birth = the younger image birth, death = the
    candidate).  Returns the three counts.
    """
    st = side.stencil
    parent = side.parent
    candidates = side.candidates
    offsets, neighbours = st.offsets, st.neighbours
    rep_table, merge_index, conn = st.rep_table, st.merge_index, st.connectivity
    record = edges.record == (2 if reverse else 1)
    negative = edges.negative
    exterior = parent.size - 1
    full = np.uint32((1 << offsets.size) - 1)
    tables = rep_table.size > 1
    counts = np.zeros(3, dtype=np.int64)
    ct = 0
    for i in range(ncand):
        s = unpack(candidates[i], index_bits, reverse) >> 1
        ks = keys[s]
        earlier = np.uint32(rings[s])
        present = (full & ~earlier) if reverse else earlier
        if tables:
            rcode = np.uint64(rep_table[present])
        else:
            rcode = representatives_cube(present, neighbours, conn)
        r = np.int64(rcode & np.uint64(255)) - 1
        rcode >>= np.uint64(8)
        rs = _find(parent, s + offsets[r])
        if record:
            negative[s] = 1 << merge_index[r]
        while rcode != 0:
            r = np.int64(rcode & np.uint64(255)) - 1
            rcode >>= np.uint64(8)
            rq = _find(parent, s + offsets[r])
            if rq == rs:
                continue
            if record:
                negative[s] |= 1 << merge_index[r]
            if _elder(keys, rq, rs, reverse, exterior):
                old, young = rq, rs
            else:
                old, young = rs, rq
            out[0, 0, ct] = young
            out[0, 1, ct] = s
            ct += 1
            if n_src >= 1:
                counts[1] = _merge_images(sources[1], sources[0], rs, rq, old, s, ks, reverse,
                                          exterior, out[1], counts[1])
            if n_src >= 2:
                counts[2] = _merge_images(sources[3], sources[2], rs, rq, old, s, ks, reverse,
                                          exterior, out[2], counts[2])
            parent[young] = old
            rs = old
        parent[s] = rs
    counts[0] = ct
    return counts


@njit(cache=True, nogil=True)
def group_ranks(by_group, group, keys, cells, late):
    """Rank of each element within its group, the groups' elements ordered by
    ``(keys[cell], cell)`` (decreasing if ``late``), ties by position.

    ``by_group`` is a stable argsort of ``group``; groups are small (most
    of one element): an insertion sort per group.
    """
    n = by_group.size
    rank = np.empty(n, dtype=np.int64)
    run = np.empty(n, dtype=np.int64)
    i = 0
    while i < n:
        j = i + 1
        while j < n and group[by_group[j]] == group[by_group[i]]:
            j += 1
        m = j - i
        for a in range(m):
            v = by_group[i + a]
            kv, cv = keys[cells[v]], cells[v]
            b = a - 1
            while b >= 0:
                w = run[b]
                kw, cw = keys[cells[w]], cells[w]
                if late:
                    after = kw < kv or (kw == kv and cw < cv)
                else:
                    after = kw > kv or (kw == kv and cw > cv)
                if not after:
                    break
                run[b + 1] = w
                b -= 1
            run[b + 1] = v
        for a in range(m):
            rank[run[a]] = a
        i = j
    return rank
