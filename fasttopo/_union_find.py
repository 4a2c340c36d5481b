"""Numba union-find kernels: dimension 0 and the top dimension (private).

``keys`` holds the order-preserving key of each cell of the padded grid
(see ``_sorting`` and ``_stencil``); the filtration order is ``(key,
padded index)``, the same as ``(value, flat C index)``.

Dimension 0 (elder-rule union-find; Edelsbrunner & Harer 2010) is done in
two steps so that most of the work is a cache-friendly raster scan:

1. ``scan_rows``: each pixel compares itself with its ring.  With no
   earlier neighbour it is a local minimum (a root).  If its earlier
   neighbours are connected to each other through earlier ring cells,
   adding it cannot merge components: it is *regular* and is linked to its
   lowest earlier neighbour once and for all.  Otherwise it is a
   *candidate* and is queued with its packed sort key.
2. ``sweep``: the candidates, sorted into filtration order, are processed
   by union-find, one find per locally connected group of earlier
   neighbours; when components meet, the one whose minimum comes later
   dies at the candidate.  Finds from a candidate only visit earlier
   cells, so the links regular pixels made ahead of time are exact.

The top dimension (``ndim - 1``) is dimension 0 of the complement, swept in
reverse filtration order with the complementary connectivity and one
exterior cell (all of the padding) older than every pixel, by Alexander
duality (Garin et al. 2020, arXiv:2005.04597).  A background component
born at pixel ``m`` and swallowed at pixel ``p`` is a hole born at ``p``
and filled at ``m``.  Both directions are classified by the same scan:
a ring cell is later than the pixel exactly when it is not earlier.
"""

import numpy as np
from numba import njit, prange

from ._prefetch import prefetch
from ._readonly import read_only
from ._sorting import fill_keys, fix_ties, keys_finite, pack, packing, radix_sort_u64, unpack
from ._stencil import (classify, first_neighbour_bit, geometry, representatives, set_border,
                       set_row_padding, stencils_from_buffer)

__all__ = ["PAD_FORWARD", "PAD_DUAL", "scan_rows", "sweep", "unpad", "workspace",
           "image_pairs_with", "small_pairs", "small_pairs_split", "batch_pairs", "compact_batch",
           "gather_values"]

PAD_FORWARD = -1  # padding is never part of the sublevel set
PAD_DUAL = -2     # padding is the exterior cell, present from the start
_AHEAD = 8        # candidates prefetched ahead in the sweep
_SEGMENT = 2048   # cells per vectorised pass of the scan
_CACHED = 1 << 15  # grids of at most this many cells stay in cache: no prefetching
_SMALL_WIDTH = 48  # bits of the packed keys of small images (radix passes: at most six)


@njit(inline="always")
def _border_verdict(keys, p, kp, earlier, outside, offsets, neighbours, adjacency, table, conn,
                    reverse, full, exterior):
    """Kind, best neighbour and present-ring mask of a pixel next to the padding.

    ``earlier`` is the pixel's ring mask computed as for interior pixels
    (garbage on the padding), ``outside`` the ring cells in the padding;
    the stencil's pieces are passed one by one (see ``_settle_rows``).
    """
    if reverse:
        present = (full & ~earlier & ~outside) | outside
    else:
        present = earlier & ~outside
    kind = (table[present] if table.size > 1
            else classify(present, neighbours, adjacency, conn))
    if reverse and (outside & neighbours):
        return kind, exterior, present
    m = present & neighbours
    best = 0
    kbest = kp
    found = False
    r = 0
    while m:
        if m & np.uint32(1):
            q = p + offsets[r]
            kq = keys[q]
            if not found:
                better = True
            elif reverse:
                better = kq > kbest or (kq == kbest and q > best)
            else:
                better = kq < kbest or (kq == kbest and q < best)
            if better:
                best, kbest, found = q, kq, True
        m >>= np.uint32(1)
        r += 1
    return kind, best, present


@njit(inline="always")
def _jump(parent, b, lowest, limit, exterior):
    """``parent[b]`` if cell b was settled by this block (lowest <= b < limit), else b.

    A neighbour already scanned in this block has its final link: a new
    pixel links past it.  Written without a branch on the position of
    ``b`` (a coin flip on random images that LLVM would otherwise make a
    jump around the load): the load always happens, from ``exterior``
    (whose parent is itself) when b is outside the range.
    """
    inside = (b >= lowest) & (b < limit)
    at = b if inside else exterior
    return b + (np.int64(parent[at]) - at)


@njit(inline="always")
def _settle(parent, p, kind, best, lowest, exterior, kp, kmin, kmax, shift, index_bits, reverse,
            candidates, ncand):
    """Record the scan's verdict for pixel p; returns (root?, new candidate count)."""
    best = _jump(parent, best, lowest, p, exterior)
    parent[p] = p if kind == 0 else best
    candidates[ncand] = pack(kp, 2 * p + 1, kmin, kmax, shift, index_bits, reverse)
    return kind == 0, ncand + (kind == 2)


@njit(inline="always")
def _best_row(keys, base, W, moff, reverse, best, kbest):
    """best[x] = lowest (highest if reverse) neighbour by (key, index) of pixel base + x.

    Neighbour rows are taken as slices so that the loops vectorise.
    """
    first = keys[base + moff[0]:base + moff[0] + W]
    for x in range(W):
        best[x] = base + x + moff[0]
        kbest[x] = first[x]
    for j in range(1, moff.size):
        off = moff[j]
        row = keys[base + off:base + off + W]
        for x in range(W):
            kq = row[x]
            better = (kq >= kbest[x]) if reverse else (kq < kbest[x])
            best[x] = base + x + off if better else best[x]
            kbest[x] = kq if better else kbest[x]


@njit(inline="always")
def _settle_rows(parent, keys, base0, o0, nrows, Wp, lo, hi, masks, flip, full, neighbours,
                 adjacency, table, conn, merge_index, best, lowest, exterior, kmin, kmax, shift,
                 index_bits, reverse, candidates, ncand, kinds, negative, record):
    """Settle the pixels x = lo .. hi-1 of ``nrows`` consecutive rows of one plane.

    Row i starts at padded cell ``base0 + i * Wp``; ``masks[o0 + i * Wp + x]``
    and ``best[o0 + i * Wp + x]`` are its pixels' ring masks and best
    neighbours.  Rows are addressed by unsigned offsets into the whole
    arrays, not by views, and a whole segment is settled in one call: the
    loops vectorise and the arrays are counted once per call, not per row.
    If ``record``, ``negative[p]`` gets the bit of the edge that joins a
    regular pixel to its component (its first present neighbour;
    candidates get theirs in ``sweep``).  Returns ``(n_candidates,
    n_roots)``.
    """
    roots = 0
    for i in range(nrows):
        base = base0 + i * Wp
        ub = np.uint64(base)
        uo = np.uint64(o0 + i * Wp)
        if table.size > 1:
            for x in range(lo, hi):
                m = masks[uo + np.uint64(x)]
                kinds[x] = table[(full & ~m) if flip else m]
        else:
            for x in range(lo, hi):
                m = masks[uo + np.uint64(x)]
                kinds[x] = classify((full & ~m) if flip else m, neighbours, adjacency, conn)
        # one pass: link (jumping over neighbours in earlier rows of this block, whose
        # links are final), count roots, queue candidates; keys are packed afterwards
        first = ncand
        for x in range(lo, hi):
            kind = kinds[x]
            b = best[uo + np.uint64(x)]
            # whole rows (lo == 0): the pixels to the left are settled too
            b = _jump(parent, b, lowest, base + (np.int64(x) if lo == 0 else 0), exterior)
            parent[ub + np.uint64(x)] = base + x if kind == 0 else b
            roots += kind == 0
            candidates[ncand] = x
            ncand += kind == 2
        for c in range(first, ncand):
            x = candidates[c]
            candidates[c] = pack(keys[ub + x], 2 * (base + np.int64(x)), kmin, kmax, shift,
                                 index_bits, reverse)
        if record:
            for x in range(lo, hi):
                m = masks[uo + np.uint64(x)]
                bit = first_neighbour_bit((full & ~m) if flip else m, neighbours, merge_index)
                negative[ub + np.uint64(x)] = bit if kinds[x] == 1 else 0
    return ncand, roots


@njit(cache=True, nogil=True)
def scan_rows(keys, padded, pad, shape3, ndim, row_start, row_stop, exterior,
              kmin, kmax, shift, index_bits,
              forward, parent_f, st_f, cand_f, reverse, parent_r, st_r, cand_r,
              negative, record, sentinel, rings):
    """Raster scan of rows ``[row_start, row_stop)`` (row = z * H + y) for both directions.

    Writes the links of the pixels of these rows into ``parent_f`` /
    ``parent_r`` and PAD_FORWARD / PAD_DUAL into the padding cells these
    rows own (see ``set_row_padding``); nothing needs to be initialised.
    Forward: a ring cell is present if earlier in the filtration, padding
    is absent.  Reverse: present if later, padding is present and is the
    ``exterior``, whose parent must be itself on entry (``_jump`` reads
    it).  Candidates are written
    from index 0 of ``cand_f``/``cand_r`` (capacity: pixels in the rows).
    ``record`` (0: none, 1: forward, 2: reverse) asks for the negative
    edges (those joining components in dimension 0) of one direction in
    ``negative``, one bit per neighbour in ring order, for the cubical
    reduction.  Returns ``(n_candidates_f, n_roots_f, n_candidates_r,
    n_roots_r)``.

    Ring masks are computed a row at a time (the loops over a row
    vectorise); pixels next to the padding then mask out the ring cells
    that fall in the padding (``stencil``'s border cases).

    With ``sentinel``, the caller has written a key above every pixel key
    into all padding cells of ``keys`` (``set_border``): the padding is then
    never earlier and always later than a pixel, so border pixels take the
    vectorised path too, and reverse-direction padding links to the
    ``exterior`` (the sweep finds it from there).  Nothing is flagged.

    The ring mask of every pixel (bit r set if ring cell r is earlier,
    computed as if there were no padding) is stored in ``rings`` (a slot
    per padded cell), so that ``sweep`` reads a candidate's neighbourhood
    in one load instead of comparing its ring again.
    """
    # the stencils unpacked once (unpacking a tuple of arrays counts references)
    offsets, moff_f, nb_f, adj_f, table_f, _, _, outside, merge_f, conn_f = st_f
    _, moff_r, nb_r, adj_r, table_r, _, _, _, merge_r, conn_r = st_r
    nring = offsets.size
    half = nring // 2
    full = np.uint32((1 << nring) - 1)
    D, H, W = shape3[0], shape3[1], shape3[2]
    Hp, Wp = padded[1], padded[2]
    # rows are handled in segments of consecutive rows of one plane, so that the
    # vectorised loops run over ~_SEGMENT cells even when rows are short
    seg_rows = max(1, _SEGMENT // Wp)
    cells = min(seg_rows, row_stop - row_start) * Wp
    earlier = np.empty(cells, dtype=np.uint32)
    best_f = np.empty(cells if forward else 1, dtype=np.int64)
    best_r = np.empty(cells if reverse else 1, dtype=np.int64)
    kbest = np.empty(cells, dtype=keys.dtype)
    kinds = np.empty(W, dtype=np.int8)
    dual_pad = exterior if sentinel else PAD_DUAL
    lo, hi = (0, W) if sentinel else (1, W - 1)
    nc_f = nr_f = nc_r = nr_r = 0
    lowest = ((row_start // H + pad[0]) * Hp + (row_start % H + pad[1])) * Wp
    row0 = row_start
    while row0 < row_stop:
        z0 = row0 // H
        row1 = min(row_stop, row0 + seg_rows, (z0 + 1) * H)  # stay within the plane
        seg = ((z0 + pad[0]) * Hp + (row0 - z0 * H + pad[1])) * Wp + pad[2]
        length = (row1 - row0 - 1) * Wp + W
        # ring masks of the whole segment, branch-free (garbage on the padding
        # cells and where the ring reaches into the padding; masked below)
        centre = keys[seg:seg + length]
        earlier[:length] = 0
        for r in range(nring):
            off = offsets[r]
            ring_cells = keys[seg + off:seg + off + length]
            bit = np.uint32(r)
            if r < half:
                for x in range(length):
                    earlier[x] |= np.uint32(ring_cells[x] <= centre[x]) << bit
            else:
                for x in range(length):
                    earlier[x] |= np.uint32(ring_cells[x] < centre[x]) << bit
        if hi > lo:
            if forward:
                _best_row(keys, seg, length, moff_f, False, best_f, kbest)
            if reverse:
                _best_row(keys, seg, length, moff_r, True, best_r, kbest)
        for x in range(length):  # (the padding cells in between get unused values)
            rings[np.uint64(seg + x)] = earlier[np.uint64(x)]
        for row in range(row0, row1):
            z = row // H
            y = row - z * H
            if forward:
                set_row_padding(parent_f, padded, pad, shape3, z, y, PAD_FORWARD)
            if reverse:
                set_row_padding(parent_r, padded, pad, shape3, z, y, dual_pad)
        if sentinel:  # every pixel in vectorised passes, the whole segment at once
            nrows = row1 - row0
            if forward:
                nc_f, roots = _settle_rows(parent_f, keys, seg, 0, nrows, Wp, 0, W, earlier,
                                           False, full, nb_f, adj_f, table_f, conn_f, merge_f,
                                           best_f, lowest, exterior, kmin, kmax, shift, index_bits,
                                           False, cand_f, nc_f, kinds, negative, record == 1)
                nr_f += roots
            if reverse:
                nc_r, roots = _settle_rows(parent_r, keys, seg, 0, nrows, Wp, 0, W, earlier,
                                           True, full, nb_r, adj_r, table_r, conn_r, merge_r,
                                           best_r, lowest, exterior, kmin, kmax, shift, index_bits,
                                           True, cand_r, nc_r, kinds, negative, record == 2)
                nr_r += roots
            row0 = row1
            continue
        for row in range(row0, row1):
            z = row // H
            y = row - z * H
            rowcase = 0
            if ndim >= 2:
                rowcase |= (4 if y == 0 else 0) | (8 if y == H - 1 else 0)
            if ndim >= 3:
                rowcase |= (16 if z == 0 else 0) | (32 if z == D - 1 else 0)
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            o = base - seg
            if rowcase == 0 and hi > lo:
                if forward:
                    nc_f, roots = _settle_rows(parent_f, keys, base, o, 1, Wp, lo, hi, earlier,
                                               False, full, nb_f, adj_f, table_f, conn_f,
                                               merge_f, best_f, lowest, exterior, kmin, kmax, shift,
                                               index_bits, False, cand_f, nc_f, kinds, negative,
                                               record == 1)
                    nr_f += roots
                if reverse:
                    nc_r, roots = _settle_rows(parent_r, keys, base, o, 1, Wp, lo, hi, earlier,
                                               True, full, nb_r, adj_r, table_r, conn_r,
                                               merge_r, best_r, lowest, exterior, kmin, kmax, shift,
                                               index_bits, True, cand_r, nc_r, kinds, negative,
                                               record == 2)
                    nr_r += roots
                border_step = W - 1
            else:
                border_step = 1
            for x in range(0, W, border_step):
                case = rowcase | (1 if x == 0 else 0) | (2 if x == W - 1 else 0)
                p = base + x
                kp = keys[p]
                if forward:
                    kind, best, present = _border_verdict(keys, p, kp, earlier[o + x],
                                                          outside[case], offsets, nb_f, adj_f,
                                                          table_f, conn_f, False, full,
                                                          exterior)
                    root, nc_f = _settle(parent_f, p, kind, best, lowest, exterior, kp, kmin,
                                         kmax, shift, index_bits, False, cand_f, nc_f)
                    nr_f += root
                    if record == 1:
                        bit = first_neighbour_bit(present, nb_f, merge_f)
                        negative[p] = bit if kind == 1 else 0
                if reverse:
                    kind, best, present = _border_verdict(keys, p, kp, earlier[o + x],
                                                          outside[case], offsets, nb_r, adj_r,
                                                          table_r, conn_r, True, full,
                                                          exterior)
                    root, nc_r = _settle(parent_r, p, kind, best, lowest, exterior, kp, kmin,
                                         kmax, shift, index_bits, True, cand_r, nc_r)
                    nr_r += root
                    if record == 2:
                        bit = first_neighbour_bit(present, nb_r, merge_r)
                        negative[p] = bit if kind == 1 else 0
        row0 = row1
    return nc_f, nr_f, nc_r, nr_r


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
def sweep(keys, parent, candidates, ncand, index_bits, reverse, st, exterior, out_b, out_d,
          start, negative, record, rings):
    """Union-find over the sorted candidates; writes pairs as padded indices.

    Forward: a pair is (birth = minimum of the younger component, death =
    candidate).  Reverse: (birth = candidate, death = maximum of the younger
    background component).  Pairs of zero lifetime (equal keys) are
    skipped.  ``keys`` needs a slot at ``exterior``; the outputs need one
    slot more than the pairs written.  If ``record``, the bits of the edges
    that joined components are set in ``negative`` (see ``scan_rows``).
    ``rings`` holds the ring masks that ``scan_rows`` stored.  Returns the
    new number of pairs, or -1 if ``out_*`` are full.
    """
    offsets, _, neighbours, adjacency, _, rep_table, _, _, merge_index, conn = st
    pad_value = PAD_DUAL if reverse else PAD_FORWARD
    nring = offsets.size
    half = nring // 2
    full = np.uint32((1 << nring) - 1)
    tables = rep_table.size > 1
    reps = np.empty(26, dtype=np.int64)
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
        # neighbours: from the table (packed bytes r + 1) or computed
        if tables:
            rcode = rep_table[present]
            r = np.int64(rcode & np.uint32(255)) - 1
            rcode >>= np.uint32(8)
            nrep = 0
        else:
            nrep = representatives(present, neighbours, adjacency, conn, reps)
            rcode = np.uint32(0)
            r = reps[0]
        q = s + offsets[r]
        rs = exterior if parent[q] == pad_value else _find(parent, q)
        if record:
            negative[s] = 1 << merge_index[r]
        j = 1
        while True:
            if tables:
                if rcode == 0:
                    break
                r = np.int64(rcode & np.uint32(255)) - 1
                rcode >>= np.uint32(8)
            else:
                if j >= nrep:
                    break
                r = reps[j]
                j += 1
            q = s + offsets[r]
            rq = exterior if parent[q] == pad_value else _find(parent, q)
            # branch-free elder rule (keys has a slot for the exterior; equal
            # roots give young == old: a no-op union and no pair)
            kq = keys[rq]
            kr = keys[rs]
            if reverse:
                rq_elder = (rq == exterior) | ((rs != exterior) & ((kq > kr) | ((kq == kr) & (rq > rs))))
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


@njit(inline="always")
def _sentinel_padding(keys, padded, pad, kmax, allones):
    """Write the largest key into the padding if no pixel has it (see ``scan_rows``)."""
    if kmax >= np.uint64(allones):
        return False
    set_border(keys, padded, pad, allones)
    return True


@njit(cache=True, nogil=True)
def workspace(bits, top, index_example):
    """Scratch arrays for ``image_pairs_with`` on images shaped like ``bits`` (D, H, W)."""
    padded, _ = geometry(np.array(bits.shape, dtype=np.int64), 3)
    npad = padded[0] * padded[1] * padded[2]  # an upper bound for any ndim
    n = bits.size
    keys = np.empty(npad + 1, dtype=bits.dtype)
    parent_f = np.empty(npad + 1, dtype=index_example.dtype)
    parent_r = np.empty(npad + 1 if top else 1, dtype=index_example.dtype)
    cand_f = np.empty(n, dtype=np.uint64)
    cand_r = np.empty(n if top else 1, dtype=np.uint64)
    scratch = np.empty(n, dtype=np.uint64)
    rings = np.empty(npad, dtype=np.uint32)
    return keys, parent_f, parent_r, cand_f, cand_r, scratch, rings


@njit(cache=True, nogil=True)
def image_pairs_with(bits, kind, signbit, allones, superlevel, ndim, top, st_f, st_r, ws,
                     out_dim, out_b, out_d):
    """All union-find pairs of one (D, H, W) image, computed serially in Numba.

    Writes flat C indices and dimensions into the outputs (capacity at
    least ``bits.size + 1``): finite dimension-0 pairs by increasing death,
    the essential class, then (if ``top``) top-dimension pairs by
    increasing birth.  Returns the number of pairs, -1 on overflow, -2 if
    the image has a NaN or an infinity (nothing computed).
    """
    shape3 = np.array(bits.shape, dtype=np.int64)
    padded, pad = geometry(shape3, ndim)
    npad = padded[0] * padded[1] * padded[2]
    keys, parent_f, parent_r, cand_f, cand_r, scratch, rings = ws
    no_record = np.zeros(1, dtype=np.uint8)
    kmin, kmax, varying, first, last = fill_keys(bits, kind, signbit, allones, superlevel,
                                                 keys, padded, pad)
    if not keys_finite(kind, kmin, kmax, superlevel, signbit, allones):
        return -2
    shift, index_bits, exact = packing(kmin, kmax, varying, npad + 1, _SMALL_WIDTH, True)
    sentinel = _sentinel_padding(keys, padded, pad, kmax, allones)
    parent_f[npad] = npad
    if top:
        parent_r[npad] = npad
    nc_f, _, nc_r, _ = scan_rows(keys, padded, pad, shape3, ndim, 0, shape3[0] * shape3[1],
                                 npad, kmin, kmax, shift, index_bits,
                                 True, parent_f, st_f, cand_f, top, parent_r, st_r, cand_r,
                                 no_record, 0, sentinel, rings)
    n0 = _sort_and_sweep(keys, parent_f, cand_f, nc_f, scratch, exact, index_bits, False, st_f,
                         npad, out_b, out_d, 0, rings, sentinel)
    if n0 < 0 or n0 >= out_b.size:
        return -1
    out_dim[:n0] = 0
    out_b[n0] = first
    out_d[n0] = -1
    out_dim[n0] = 0
    count = n0 + 1
    if top:
        end = _sort_and_sweep(keys, parent_r, cand_r, nc_r, scratch, exact, index_bits, True,
                              st_r, npad, out_b, out_d, count, rings, sentinel)
        if end < 0:
            return -1
        out_dim[count:end] = ndim - 1
        out_b[count:end] = out_b[count:end][::-1].copy()
        out_d[count:end] = out_d[count:end][::-1].copy()
        count = end
    unpad(out_b[:count], padded, pad, shape3)
    unpad(out_d[:count], padded, pad, shape3)
    return count


@njit(cache=True, nogil=True)
def _one_direction(keys, padded, pad, shape3, ndim, npad, kmin, kmax, shift, index_bits, exact,
                   reverse, st, parent, cand, scratch, out_b, out_d, sentinel, rings):
    """Scan, sort and sweep one direction of a small image; returns the pair count."""
    no_record = np.zeros(1, dtype=np.uint8)
    parent[npad] = npad
    res = scan_rows(keys, padded, pad, shape3, ndim, 0, shape3[0] * shape3[1], npad, kmin, kmax,
                    shift, index_bits, not reverse, parent, st, cand, reverse, parent, st, cand,
                    no_record, 0, sentinel, rings)
    ncand = res[2] if reverse else res[0]
    return _sort_and_sweep(keys, parent, cand, ncand, scratch, exact, index_bits, reverse, st,
                           npad, out_b, out_d, 0, rings, sentinel)


@njit(inline="always")
def _sort_and_sweep(keys, parent, cand, ncand, scratch, exact, index_bits, reverse, st, npad,
                    out_b, out_d, start, rings, in_order):
    """Sort a small image's candidates (radix, then exact ties) and sweep them.

    ``in_order``: the scan queued the candidates by increasing cell (it
    does when the padding holds a sentinel key), so the radix sort need
    not sort on the index field (whole bytes, ``packing(...,
    whole_bytes=True)``): it keeps ties in cell order, reversed for the
    reverse direction.
    """
    if in_order:
        radix_sort_u64(cand, ncand, scratch, index_bits // 8, reverse)
    else:
        radix_sort_u64(cand, ncand, scratch)
    if not exact:
        fix_ties(cand, ncand, keys, index_bits, reverse)
    return sweep(keys, parent, cand, ncand, index_bits, reverse, st, npad, out_b, out_d, start,
                 np.zeros(1, dtype=np.uint8), False, rings)


@njit(cache=True, nogil=True)
def small_pairs(bits, values, kind, signbit, allones, superlevel, ndim, stencil_buf, top):
    """The whole diagram of one small (D, H, W) image, serially, in one call.

    ``values`` is the flat image in its own dtype (bool as uint8).  Returns
    ``(dim, birth, death, birth_index, death_index, finite)`` in the order of
    ``image_pairs_with`` (flat C indices), the arrays read-only; if
    ``finite`` is false the image has a NaN or an infinity and the arrays
    are empty.  ``stencil_buf`` holds both stencils (``stencils_buffer``).
    Grids must have fewer than 2**31 padded cells.
    """
    st_f, st_r = stencils_from_buffer(stencil_buf)
    ws = workspace(bits, top, np.empty(0, dtype=np.int32))
    cap = bits.size + 1
    dims = np.empty(cap, dtype=np.int8)
    births = np.empty(cap, dtype=np.int64)
    deaths = np.empty(cap, dtype=np.int64)
    count = image_pairs_with(bits, kind, signbit, allones, superlevel, ndim, top, st_f, st_r,
                             ws, dims, births, deaths)
    finite = count != -2
    count = max(count, 0)
    dims, birth, death, births, deaths = _with_values(dims[:count], births[:count],
                                                      deaths[:count], values, superlevel)
    return (read_only(dims), read_only(birth), read_only(death), read_only(births),
            read_only(deaths), finite)


@njit(cache=True, parallel=True)
def small_pairs_split(bits, values, kind, signbit, allones, superlevel, ndim, stencil_buf, top):
    """``small_pairs`` with the two directions (dimension 0, top dimension) as two parallel
    tasks (``top`` must be true); same result."""
    st_f, st_r = stencils_from_buffer(stencil_buf)
    shape3 = np.array(bits.shape, dtype=np.int64)
    padded, pad = geometry(shape3, ndim)
    npad = padded[0] * padded[1] * padded[2]
    n = bits.size
    keys = np.empty(npad + 1, dtype=bits.dtype)
    kmin, kmax, varying, first, last = fill_keys(bits, kind, signbit, allones, superlevel,
                                                 keys, padded, pad)
    if not keys_finite(kind, kmin, kmax, superlevel, signbit, allones):
        nothing = read_only(np.empty(0, dtype=np.int64))
        return (read_only(np.empty(0, dtype=np.int8)), read_only(np.empty(0, dtype=np.float64)),
                read_only(np.empty(0, dtype=np.float64)), nothing, nothing, False)
    shift, index_bits, exact = packing(kmin, kmax, varying, npad + 1, _SMALL_WIDTH, True)
    sentinel = _sentinel_padding(keys, padded, pad, kmax, allones)
    parent = np.empty((2, npad + 1), dtype=np.int32)
    cand = np.empty((2, n), dtype=np.uint64)
    spare = np.empty((2, n), dtype=np.uint64)
    out_b = np.empty((2, n + 1), dtype=np.int32)
    out_d = np.empty((2, n + 1), dtype=np.int32)
    rings = np.empty((2, npad), dtype=np.uint32)
    # each task also converts its pairs to the final form (image indices and values,
    # the top dimension by increasing birth), so that only copies remain after it
    index_b = np.empty((2, n), dtype=np.int64)
    index_d = np.empty((2, n), dtype=np.int64)
    value_b = np.empty((2, n), dtype=np.float64)
    value_d = np.empty((2, n), dtype=np.float64)
    counts = np.zeros(2, dtype=np.int64)
    for task in prange(2):
        reverse = task == 1
        count = _one_direction(keys, padded, pad, shape3, ndim, npad, kmin, kmax, shift,
                               index_bits, exact, reverse, st_r if reverse else st_f,
                               parent[task], cand[task], spare[task], out_b[task],
                               out_d[task], sentinel, rings[task])
        counts[task] = count
        if count > 0:
            _finish_pairs(out_b[task], out_d[task], count, reverse, padded, pad, shape3, values,
                          index_b[task], index_d[task], value_b[task], value_d[task])
    # the order of image_pairs_with: dimension 0 by increasing death, the essential
    # class, the top dimension by increasing birth
    c0, c1 = counts[0], counts[1]
    total = c0 + 1 + c1
    dims = np.empty(total, dtype=np.int8)
    births = np.empty(total, dtype=np.int64)
    deaths = np.empty(total, dtype=np.int64)
    birth = np.empty(total, dtype=np.float64)
    death = np.empty(total, dtype=np.float64)
    for i in range(c0):
        dims[i] = 0
        births[i] = index_b[0, i]
        deaths[i] = index_d[0, i]
        birth[i] = value_b[0, i]
        death[i] = value_d[0, i]
    essential = _unpad_cell(np.int64(first), padded, pad, shape3,
                            1.0 / (padded[1] * padded[2]), 1.0 / padded[2])
    dims[c0] = 0
    births[c0] = essential
    deaths[c0] = -1
    birth[c0] = np.float64(values[essential])
    death[c0] = -np.inf if superlevel else np.inf
    for i in range(c1):
        j = c0 + 1 + i
        dims[j] = ndim - 1
        births[j] = index_b[1, i]
        deaths[j] = index_d[1, i]
        birth[j] = value_b[1, i]
        death[j] = value_d[1, i]
    return (read_only(dims), read_only(birth), read_only(death), read_only(births),
            read_only(deaths), True)


@njit(inline="always")
def _finish_pairs(out_b, out_d, count, reverse, padded, pad, shape3, values,
                  index_b, index_d, value_b, value_d):
    """Padded pair cells -> image indices and values (in reverse order if ``reverse``)."""
    inv_plane = 1.0 / (padded[1] * padded[2])
    inv_row = 1.0 / padded[2]
    for i in range(count):
        j = count - 1 - i if reverse else i
        b = _unpad_cell(np.int64(out_b[i]), padded, pad, shape3, inv_plane, inv_row)
        d = _unpad_cell(np.int64(out_d[i]), padded, pad, shape3, inv_plane, inv_row)
        index_b[j] = b
        index_d[j] = d
        value_b[j] = np.float64(values[b])
        value_d[j] = np.float64(values[d])


@njit(inline="always")
def _with_values(dims, births, deaths, values, superlevel):
    """``(dim, birth, death, birth_index, death_index)`` of one image's pairs."""
    counts = np.full(1, births.size, dtype=np.int64)
    birth, death = gather_values(values.reshape((1, values.size)), counts, births, deaths,
                                 superlevel)
    return dims, birth, death, births, deaths


@njit(cache=True, parallel=True)
def batch_pairs(bits, kind, signbit, allones, superlevel, ndim, st_f, st_r, top,
                out_dim, out_b, out_d, counts, chunks):
    """``image_pairs_with`` over a (B, D, H, W) stack.

    The stack is cut into ``chunks`` contiguous chunks (one per thread); each chunk has
    its own scratch arrays and handles its images in order, so results do
    not depend on the thread count.
    """
    nimg = bits.shape[0]
    chunks = max(1, min(nimg, chunks))
    for c in prange(chunks):
        ws = workspace(bits[0], top, out_b)
        for b in range(nimg * c // chunks, nimg * (c + 1) // chunks):
            counts[b] = image_pairs_with(bits[b], kind, signbit, allones, superlevel, ndim, top,
                                         st_f, st_r, ws, out_dim[b], out_b[b], out_d[b])


@njit(cache=True, nogil=True)
def compact_batch(out_dim, out_b, out_d, counts):
    """Concatenate the first ``counts[i]`` entries of each row (int64 indices)."""
    total = 0
    for i in range(counts.size):
        total += counts[i]
    dims = np.empty(total, dtype=np.int8)
    births = np.empty(total, dtype=np.int64)
    deaths = np.empty(total, dtype=np.int64)
    j = 0
    for i in range(counts.size):
        for k in range(counts[i]):
            dims[j] = out_dim[i, k]
            births[j] = out_b[i, k]
            deaths[j] = out_d[i, k]
            j += 1
    return dims, births, deaths


@njit(cache=True, nogil=True)
def gather_values(values, counts, births, deaths, superlevel):
    """Pixel values (float64) of concatenated batch pairs; ``values`` is (B, npix).

    Essential deaths (index -1) get -inf if ``superlevel`` else +inf.
    """
    birth = np.empty(births.size, dtype=np.float64)
    death = np.empty(births.size, dtype=np.float64)
    essential = -np.inf if superlevel else np.inf
    j = 0
    for i in range(counts.size):
        row = values[i]
        for _ in range(counts[i]):
            birth[j] = np.float64(row[births[j]])
            d = deaths[j]
            death[j] = essential if d < 0 else np.float64(row[d])
            j += 1
    return birth, death
