"""Numba union-find kernels: dimension 0 and the top dimension (private).

Dimension 0 (elder-rule union-find; Edelsbrunner & Harer 2010) is done in
two steps so that most of the work is a cache-friendly raster scan
(``scan.scan_rows``: roots, regular pixels linked once and for all, and
candidates), then ``sweep``: the candidates, sorted into filtration order,
are processed by union-find, one find per locally connected group of
earlier neighbours; when components meet, the one whose minimum comes
later dies at the candidate.  Finds from a candidate only visit earlier
cells, so the links regular pixels made ahead of time are exact.

The top dimension (``ndim - 1``) is dimension 0 of the complement, swept in
reverse filtration order with the complementary connectivity and one
exterior cell (all of the padding) older than every pixel, by Alexander
duality (Garin et al. 2020, arXiv:2005.04597).  A background component
born at pixel ``m`` and swallowed at pixel ``p`` is a hole born at ``p``
and filled at ``m``.

The drivers that run the scan, the sort and ``sweep`` are
``small_images`` (whole small images in one call) and ``large_images``.
"""

import numpy as np
from numba import njit

from .intrinsics import prefetch
from .keys import unpack
from .neighbourhood import representatives_cube, set_border
from .scan import PAD_DUAL, PAD_FORWARD

__all__ = ["sweep", "unpad", "sentinel_padding"]

_AHEAD = 8        # candidates prefetched ahead in the sweep
_CACHED = 1 << 15  # grids of at most this many cells stay in cache: no prefetching


@njit(inline="always")
def _find(parent, x):
    # most finds from a candidate end within three links (the scan links each
    # pixel past its settled best neighbour): test that without a loop
    p = parent[x]
    gp = parent[p]
    ggp = parent[gp]
    if parent[ggp] == ggp:
        parent[x] = ggp
        return ggp
    # path halving
    while True:
        p = parent[x]
        if p == x:
            return x
        gp = parent[p]
        parent[x] = gp
        x = gp


@njit(cache=True, nogil=True)
def sweep(keys, side, ncand, index_bits, reverse, exterior, out, start, rings, edges):
    """Union-find over the sorted candidates; writes pairs as padded indices.

    ``side`` is the direction's ``Side`` (its parent array as the scan left
    it, its stencil, its candidates sorted in filtration order, ``ncand`` of
    them).  Forward: a pair is (birth = minimum of the younger component,
    death = candidate).  Reverse: (birth = candidate, death = maximum of
    the younger background component).  Pairs of zero lifetime (equal
    keys) are skipped.  ``keys`` needs a slot at ``exterior``; ``out =
    (births, deaths)`` is written from ``start`` and needs one slot more
    than the pairs written.  If ``edges.record`` names this direction, the
    bits of the edges that joined components are set in ``edges.negative``
    (see ``scan_rows``).  ``rings`` holds the ring masks that ``scan_rows``
    stored.  Returns the new number of pairs, or -1 if ``out`` is full.
    """
    st = side.stencil
    parent = side.parent
    candidates = side.candidates
    out_b, out_d = out
    offsets, neighbours = st.offsets, st.neighbours
    rep_table, merge_index, conn = st.rep_table, st.merge_index, st.connectivity
    record = edges.record == (2 if reverse else 1)
    negative = edges.negative
    pad_value = PAD_DUAL if reverse else PAD_FORWARD
    nring = offsets.size
    half = nring // 2
    full = np.uint32((1 << nring) - 1)
    tables = rep_table.size > 1
    cnt = start
    cap = out_b.size
    row = offsets[nring - 1] - 1  # one row of the padded grid (2D/3D)
    ahead = ncand - _AHEAD if exterior > _CACHED else 0
    for i in range(ncand):
        if i < ahead:  # random positions in a large grid: ask for the next rows early
            f = unpack(candidates[i + _AHEAD], index_bits, reverse) >> 1
            prefetch(keys, f)
            prefetch(parent, f)
            prefetch(rings, f)
            if nring > 2:
                prefetch(parent, f - row)
                prefetch(parent, f + row)
        code = unpack(candidates[i], index_bits, reverse)
        s = code >> 1
        ks = keys[s]
        present = np.uint32(0)
        if code & 1:  # next to the padding: padding is absent (forward) or present (reverse)
            for r in range(nring):
                q = s + offsets[r]
                kq = keys[q]  # garbage on padding, masked below
                is_pad = parent[q] == pad_value
                if reverse:
                    bit = is_pad | (kq > ks) | ((kq == ks) & (r >= half))
                else:
                    bit = (not is_pad) & ((kq < ks) | ((kq == ks) & (r < half)))
                present |= np.uint32(bit) << np.uint32(r)
        else:  # stored by the scan
            earlier = np.uint32(rings[s])
            present = (full & ~earlier) if reverse else earlier
        # one representative neighbour per locally connected group of present
        # neighbours (packed bytes r + 1): from the table or computed (3D)
        if tables:
            rcode = np.uint64(rep_table[present])
        else:
            rcode = representatives_cube(present, neighbours, conn)
        r = np.int64(rcode & np.uint64(255)) - 1
        rcode >>= np.uint64(8)
        q = s + offsets[r]
        rs = exterior if parent[q] == pad_value else _find(parent, q)
        if record:
            negative[s] = 1 << merge_index[r]
        while rcode != 0:
            r = np.int64(rcode & np.uint64(255)) - 1
            rcode >>= np.uint64(8)
            q = s + offsets[r]
            rq = exterior if parent[q] == pad_value else _find(parent, q)
            # branch-free elder rule (keys has a slot for the exterior; equal
            # roots give young == old: a no-op union and no pair)
            kq = keys[rq]
            kr = keys[rs]
            if reverse:
                rq_elder = (rq == exterior) | ((rs != exterior)
                                               & ((kq > kr) | ((kq == kr) & (rq > rs))))
            else:
                rq_elder = (kq < kr) | ((kq == kr) & (rq < rs))
            young = rs if rq_elder else rq
            old = rq if rq_elder else rs
            if cnt >= cap:
                return -1
            out_b[cnt] = s if reverse else young
            out_d[cnt] = young if reverse else s
            cnt += (rq != rs) & (keys[young] != ks)
            if record and rq != rs:
                negative[s] |= 1 << merge_index[r]
            parent[young] = old
            rs = old
        parent[s] = rs  # later finds through the candidate go straight to its root
    return cnt


@njit(inline="always")
def _divide(v, d, inverse):
    """``v // d`` for 0 <= v < 2**52 through a float reciprocal (one correction step)."""
    q = np.int64(v * inverse)
    q -= q * d > v
    q += (q + 1) * d <= v
    return q


@njit(inline="always")
def _unpad_cell(v, padded, pad, shape3, inv_plane, inv_row):
    """One padded flat cell (>= 0) -> its flat C index in the image.

    ``inv_plane`` and ``inv_row`` are ``1 / (Hp * Wp)`` and ``1 / Wp``,
    computed once by the caller.
    """
    Wp = padded[2]
    plane = padded[1] * Wp
    z = _divide(v, plane, inv_plane)
    r = v - z * plane
    y = _divide(r, Wp, inv_row)
    x = r - y * Wp
    return ((z - pad[0]) * shape3[1] + (y - pad[1])) * shape3[2] + (x - pad[2])


@njit(cache=True, nogil=True)
def unpad(indices, padded, pad, shape3):
    """In place: padded flat indices -> flat C indices of the image (negatives kept)."""
    inv_plane = 1.0 / (padded[1] * padded[2])
    inv_row = 1.0 / padded[2]
    for i in range(indices.size):
        v = np.int64(indices[i])
        out = _unpad_cell(v, padded, pad, shape3, inv_plane, inv_row)
        indices[i] = v if v < 0 else out


@njit(cache=True, nogil=True)
def sentinel_padding(keys, g, kmax, top):
    """Write ``top``, the largest key of the dtype of ``keys``, into the padding if no
    pixel has it (``kmax`` is the largest pixel key); returns whether it did (see
    ``scan_rows``)."""
    if kmax >= np.uint64(top):
        return False
    set_border(keys, g.padded, g.pad, top)
    return True


