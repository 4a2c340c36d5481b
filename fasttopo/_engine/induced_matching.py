"""Numba kernels of Betti matching: filtration orders and union-find with images (private).

Betti matching compares three filtrations of one cubical complex: the
prediction P, the target G and the comparison image C = min(P, G)
(sublevel; keys are inverted for the superlevel filtration, so C is
always the smaller key).  Pixels are ordered by ``(key, flat index)`` in
each of them, as everywhere in the engine.

Dimension 0 is one union-find over C's order (``image_sweep``): each
component keeps, besides its birth pixel in C (its root), the first
pixel of P and of G it holds (its *image births*).  A pixel joins C at
its key in C, and joins P (or G) later if its key there is larger: the
two streams are merged on the fly.  When components meet, the younger in
C dies (a bar of C) and, for each of P and G, the younger image birth
dies (a bar of the image of H0(P) -> H0(C)).  Births of image bars are
P's pixels, deaths are C's.

The top dimension is dimension 0 of the complements by Alexander duality
(as in the engine): the complement of C is inside the complement of P,
so the image of H_top(P) -> H_top(C) is, reversed in time, the image of
H0(complement of C) -> H0(complement of P): the same sweep over P's
reverse order, with image births from C's, and one exterior cell older
than every pixel.
"""

import numpy as np
from numba import njit

from .keys import fix_ties, pack, packing, radix_sort_u64, unpack
from .neighbourhood import set_border

__all__ = ["sorted_cells", "image_sweep"]


@njit(cache=True, nogil=True)
def sorted_cells(keys, padded, pad, shape3, kmin, kmax, varying):
    """Padded indices (int32) of the pixels by increasing ``(key, index)``.

    ``keys`` is the flat padded key array of ``keys.fill_keys``; the
    packed values are radix-sorted above their index bytes (the pixels are
    enumerated in index order and the sort is stable), then runs of equal
    truncated keys are re-sorted on the full keys if bits were dropped.
    """
    npad = padded[0] * padded[1] * padded[2]
    pk = packing(np.uint64(kmin), np.uint64(kmax), np.uint64(varying), npad + 1, 64, True)
    n = shape3[0] * shape3[1] * shape3[2]
    packed = np.empty(n, dtype=np.uint64)
    Hp, Wp = padded[1], padded[2]
    i = 0
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                packed[i] = pack(keys[base + x], 2 * (base + x), pk.kmin, pk.kmax, pk.shift,
                                 pk.index_bits, False)
                i += 1
    radix_sort_u64(packed, n, np.empty(n, dtype=np.uint64), pk.index_bits // 8)
    if not pk.exact:
        fix_ties(packed, n, keys, pk.index_bits, False)
    out = np.empty(n, dtype=np.int32)
    for i in range(n):
        out[i] = unpack(packed[i], pk.index_bits, False) >> 1
    return out


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
def _before(ka, a, kb, b, reverse):
    """Whether (ka, a) comes before (kb, b) in the sweep's order."""
    if reverse:
        return ka > kb or (ka == kb and a > b)
    return ka < kb or (ka == kb and a < b)


@njit(inline="always")
def _next_late(keys_s, keys_t, order_s, i, step, stop):
    """The next position of ``order_s`` from ``i`` whose pixel is later in the source."""
    while i != stop and keys_s[order_s[i]] == keys_t[order_s[i]]:
        i += step
    return i


@njit(inline="always")
def _elder(k, a, b, reverse, exterior):
    """Whether root ``a`` is elder than root ``b`` by keys ``k`` (the exterior is eldest)."""
    if reverse:
        return a == exterior or (b != exterior and (k[a] > k[b] or (k[a] == k[b] and a > b)))
    return k[a] < k[b] or (k[a] == k[b] and a < b)


@njit(inline="always")
def _merge_images(born, keys_s, rx, rq, old, x, reverse, exterior, out, cnt):
    """Join the image births of roots ``rx`` and ``rq`` into ``old``; a younger one dies at
    ``x`` (written to ``out`` at ``cnt`` unless it is ``x`` itself); returns the count."""
    a, b = born[rx], born[rq]
    if a >= 0 and b >= 0:
        if _elder(keys_s, a, b, reverse, exterior):
            young, keep = b, a
        else:
            young, keep = a, b
        if young != x:
            out[0, cnt] = young
            out[1, cnt] = x
            cnt += 1
        born[old] = keep
    else:
        born[old] = a if a >= 0 else b
    return cnt


@njit(cache=True, nogil=True)
def image_sweep(keys_t, order_t, keys_a, order_a, keys_b, order_b, sources, reverse,
                offsets, padded, pad, negative):
    """Union-find over the target order with the image births of up to two sources.

    ``keys_*`` are flat padded key arrays with a slot for the exterior
    (cell ``npad``), ``order_*`` the pixels in increasing ``(key, index)``
    (``sorted_cells``); a pixel comes no earlier in a source than in the
    target (keys at least the target's forward, at most reverse).  ``sources`` is 0, 1 (``a``) or 2 (``a`` and ``b``).
    Forward (``reverse=False``): padding is absent; reverse: the sweep
    runs from the last pixel and the padding is the exterior, present
    from the start in the target and the sources.  ``offsets`` are the
    neighbours' flat offsets in ascending order; if ``negative`` has a
    slot per cell, bit j of a pixel is set when its edge to neighbour j
    joined two components.

    Returns ``(bars, counts)``: bars (3, 2, n) int32 padded indices --
    ``bars[0]`` the target's (birth = the younger root, death = the pixel
    that joined it), ``bars[1]`` and ``bars[2]`` the images' (birth = the
    younger image birth, death = the pixel) -- and their three counts.
    Bars whose birth is the joining pixel itself (zero length) are left
    out.
    """
    npad = padded[0] * padded[1] * padded[2]
    exterior = npad
    n = order_t.size
    parent = np.full(npad + 1, -1, dtype=np.int32)
    born_a = np.full(npad + 1 if sources >= 1 else 1, -1, dtype=np.int32)
    born_b = np.full(npad + 1 if sources >= 2 else 1, -1, dtype=np.int32)
    if reverse:
        set_border(parent, padded, pad, np.int32(exterior))
        parent[exterior] = exterior
        if sources >= 1:
            born_a[exterior] = exterior
        if sources >= 2:
            born_b[exterior] = exterior
    record = negative.size > 1
    bars = np.empty((3, 2, n + 1), dtype=np.int32)
    counts = np.zeros(3, dtype=np.int64)
    step = -1 if reverse else 1
    stop = -1 if reverse else n
    it = n - 1 if reverse else 0
    ia = _next_late(keys_a, keys_t, order_a, it, step, stop) if sources >= 1 else stop
    ib = _next_late(keys_b, keys_t, order_b, it, step, stop) if sources >= 2 else stop
    ct = ca = cb = 0
    while it != stop or ia != stop or ib != stop:
        # the next event: a pixel joins the target, or (later) source a or b
        kind = 0
        x = order_t[it] if it != stop else -1
        kx = keys_t[x] if it != stop else np.uint64(0)
        if ia != stop:
            y = order_a[ia]
            if it == stop or _before(keys_a[y], y, kx, x, reverse):
                kind, x, kx = 1, y, keys_a[y]
        if ib != stop:
            y = order_b[ib]
            if kind == 0 and (it == stop or _before(keys_b[y], y, kx, x, reverse)):
                kind, x = 2, y
            elif kind == 1 and _before(keys_b[y], y, kx, x, reverse):
                kind, x = 2, y
        if kind == 1:
            r = _find(parent, x)
            if born_a[r] < 0:
                born_a[r] = x
            ia = _next_late(keys_a, keys_t, order_a, ia + step, step, stop)
            continue
        if kind == 2:
            r = _find(parent, x)
            if born_b[r] < 0:
                born_b[r] = x
            ib = _next_late(keys_b, keys_t, order_b, ib + step, step, stop)
            continue
        it += step
        parent[x] = x
        if sources >= 1:
            born_a[x] = x if keys_a[x] == keys_t[x] else -1
        if sources >= 2:
            born_b[x] = x if keys_b[x] == keys_t[x] else -1
        for j in range(offsets.size):
            q = x + offsets[j]
            if parent[q] < 0:
                continue
            rq = _find(parent, q)
            rx = _find(parent, x)
            if rq == rx:
                continue
            if record:
                negative[x] |= np.uint8(1 << j)
            if _elder(keys_t, rq, rx, reverse, exterior):
                old, young = rq, rx
            else:
                old, young = rx, rq
            if young != x:
                bars[0, 0, ct] = young
                bars[0, 1, ct] = x
                ct += 1
            parent[young] = old
            if sources >= 1:
                ca = _merge_images(born_a, keys_a, rx, rq, old, x, reverse, exterior,
                                   bars[1], ca)
            if sources >= 2:
                cb = _merge_images(born_b, keys_b, rx, rq, old, x, reverse, exterior,
                                   bars[2], cb)
    counts[0], counts[1], counts[2] = ct, ca, cb
    return bars, counts
