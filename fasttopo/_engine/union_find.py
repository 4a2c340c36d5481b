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

The small-image kernels (``small_pairs``, ``small_pairs_split``,
``batch_pairs``) run on 64-bit keys only (``keys.wide_bits``) and float64
values, whatever the image's dtype: each compiles once.
"""

import numpy as np
from numba import njit, prange

from .gather import gather_values
from .intrinsics import prefetch, read_only
from .keys import Packing, fill_keys, fix_ties, keys_finite, packing, radix_sort_u64, unpack
from .neighbourhood import grid, representatives, set_border, stencils_from_buffer
from .scan import PAD_DUAL, PAD_FORWARD, Edges, Side, scan_rows

__all__ = ["sweep", "unpad", "small_pairs", "small_pairs_split", "batch_pairs"]

_AHEAD = 8        # candidates prefetched ahead in the sweep
_CACHED = 1 << 15  # grids of at most this many cells stay in cache: no prefetching
_SMALL_WIDTH = 48  # bits of the packed keys of small images (radix passes: at most six)


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
    offsets, neighbours, adjacency = st.offsets, st.neighbours, st.adjacency
    rep_table, merge_index, conn = st.rep_table, st.merge_index, st.connectivity
    record = edges.record == (2 if reverse else 1)
    negative = edges.negative
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


@njit(inline="always")
def _sentinel_padding(keys, g, kmax, allones):
    """Write the largest key into the padding if no pixel has it (see ``scan_rows``)."""
    if kmax >= np.uint64(allones):
        return False
    set_border(keys, g.padded, g.pad, allones)
    return True


@njit(cache=True, nogil=True)
def _stencils(stencil_buf):
    """``stencils_from_buffer`` behind a call (the parallel kernels' array analysis trips
    over the inlined views)."""
    return stencils_from_buffer(stencil_buf)


@njit(cache=True, nogil=True)
def _workspace(shape3, top):
    """Scratch arrays for ``_image_pairs`` on (D, H, W) images of shape ``shape3``."""
    g = grid(shape3, 3)  # the 3D padding: an upper bound for any ndim
    npad = g.npad
    n = shape3[0] * shape3[1] * shape3[2]
    keys = np.empty(npad + 1, dtype=np.uint64)
    parent_f = np.empty(npad + 1, dtype=np.int32)
    parent_r = np.empty(npad + 1 if top else 1, dtype=np.int32)
    cand_f = np.empty(n, dtype=np.uint64)
    cand_r = np.empty(n if top else 1, dtype=np.uint64)
    scratch = np.empty(n, dtype=np.uint64)
    rings = np.empty(npad, dtype=np.uint32)
    return keys, parent_f, parent_r, cand_f, cand_r, scratch, rings


@njit(cache=True, nogil=True)
def _keys_of(bits, kind, signbit, allones, superlevel, keys, g):
    """Keys of a small image and their ``Packing``; ``(packing, first, sentinel, finite)``."""
    kmin, kmax, varying, first = fill_keys(bits, kind, signbit, allones, superlevel, keys,
                                           g.padded, g.pad)
    finite = keys_finite(kind, kmin, kmax, superlevel, signbit, allones)
    pk = packing(kmin, kmax, varying, g.npad + 1, _SMALL_WIDTH, True)
    sentinel = _sentinel_padding(keys, g, kmax, allones) if finite else False
    return pk, first, sentinel, finite


@njit(cache=True, nogil=True)
def _direction(keys, g, pk, side, reverse, scratch, rings, sentinel, out, start):
    """Scan, sort and sweep one direction of a small image; returns the new pair count.

    The sort is a radix sort; when the scan queued the candidates by
    increasing cell (it does when the padding holds a sentinel key), it
    skips the index field (whole bytes, ``packing(..., whole_bytes=True)``)
    and keeps ties in cell order, reversed for the reverse direction.
    """
    no_edges = Edges(np.zeros(1, dtype=np.uint8), np.int64(0))
    side.parent[g.npad] = g.npad
    rows = (np.int64(0), g.shape3[0] * g.shape3[1])
    idle = Side(np.bool_(False), side.parent, side.stencil, side.candidates)
    if reverse:
        ncand = scan_rows(keys, g, pk, rows, idle, side, rings, no_edges, sentinel)[2]
    else:
        ncand = scan_rows(keys, g, pk, rows, side, idle, rings, no_edges, sentinel)[0]
    cand = side.candidates
    if sentinel:
        radix_sort_u64(cand, ncand, scratch, pk.index_bits // 8, reverse)
    else:
        radix_sort_u64(cand, ncand, scratch, np.int64(0), np.bool_(False))
    if not pk.exact:
        fix_ties(cand, ncand, keys, pk.index_bits, reverse)
    return sweep(keys, side, ncand, pk.index_bits, reverse, g.npad, out, start, rings, no_edges)


@njit(cache=True, nogil=True)
def _image_pairs(bits, kind, signbit, allones, superlevel, ndim, top, stencils, ws, out):
    """All union-find pairs of one (D, H, W) small image, serially.

    ``out = (dims, births, deaths)`` (capacity at least ``bits.size + 1``)
    gets flat C indices and dimensions: finite dimension-0 pairs by
    increasing death, the essential class, then (if ``top``) top-dimension
    pairs by increasing birth.  Returns the number of pairs, -1 on
    overflow, -2 if the image has a NaN or an infinity (nothing computed).
    """
    g = grid(np.array(bits.shape, dtype=np.int64), ndim)
    keys, parent_f, parent_r, cand_f, cand_r, scratch, rings = ws
    out_dim, out_b, out_d = out
    pk, first, sentinel, finite = _keys_of(bits, kind, signbit, allones, superlevel, keys, g)
    if not finite:
        return -2
    st_f, st_r = stencils
    n0 = _direction(keys, g, pk, Side(np.bool_(True), parent_f, st_f, cand_f), np.bool_(False),
                    scratch, rings, sentinel, (out_b, out_d), np.int64(0))
    if n0 < 0 or n0 >= out_b.size:
        return -1
    out_dim[:n0] = 0
    out_b[n0] = first
    out_d[n0] = -1
    out_dim[n0] = 0
    count = n0 + 1
    if top:
        end = _direction(keys, g, pk, Side(np.bool_(True), parent_r, st_r, cand_r), np.bool_(True),
                         scratch, rings, sentinel, (out_b, out_d), count)
        if end < 0:
            return -1
        out_dim[count:end] = ndim - 1
        out_b[count:end] = out_b[count:end][::-1].copy()
        out_d[count:end] = out_d[count:end][::-1].copy()
        count = end
    unpad(out_b[:count], g.padded, g.pad, g.shape3)
    unpad(out_d[:count], g.padded, g.pad, g.shape3)
    return count


@njit(cache=True, nogil=True)
def small_pairs(bits, values, kind, signbit, allones, superlevel, ndim, stencil_buf, top):
    """The whole diagram of one small (D, H, W) image, serially, in one call.

    ``bits`` are the image's 64-bit bits (``keys.wide_bits``), ``values``
    the flat image as float64.  Returns ``(dim, birth, death, birth_index,
    death_index, finite)`` in the order of ``_image_pairs`` (flat C
    indices), the arrays read-only; if ``finite`` is false the image has a
    NaN or an infinity and the arrays are empty.  ``stencil_buf`` holds
    both stencils (``stencils_buffer``).  Grids must have fewer than 2**31
    padded cells.
    """
    ws = _workspace(np.array(bits.shape, dtype=np.int64), top)
    cap = bits.size + 1
    dims = np.empty(cap, dtype=np.int8)
    births = np.empty(cap, dtype=np.int32)
    deaths = np.empty(cap, dtype=np.int32)
    count = _image_pairs(bits, kind, signbit, allones, superlevel, ndim, top,
                         stencils_from_buffer(stencil_buf), ws, (dims, births, deaths))
    finite = count != -2
    count = max(count, 0)
    births64 = births[:count].astype(np.int64)
    deaths64 = deaths[:count].astype(np.int64)
    birth, death = gather_values(values.reshape((1, values.size)),
                                 np.full(1, count, dtype=np.int64), births64, deaths64,
                                 superlevel)
    return (read_only(dims[:count]), read_only(birth), read_only(death), read_only(births64),
            read_only(deaths64), finite)


@njit(cache=True, parallel=True)
def small_pairs_split(bits, values, kind, signbit, allones, superlevel, ndim, stencil_buf, top):
    """``small_pairs`` with the two directions (dimension 0, top dimension) as two parallel
    tasks (``top`` must be true); same result."""
    g = grid(np.array(bits.shape, dtype=np.int64), ndim)
    npad = g.npad
    n = bits.size
    keys = np.empty(npad + 1, dtype=np.uint64)
    pk, first, sentinel, finite = _keys_of(bits, kind, signbit, allones, superlevel, keys, g)
    if not finite:
        nothing = read_only(np.empty(0, dtype=np.int64))
        return (read_only(np.empty(0, dtype=np.int8)), read_only(np.empty(0, dtype=np.float64)),
                read_only(np.empty(0, dtype=np.float64)), nothing, nothing, False)
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
    # (the parallel loop's body sees plain tuples only: Numba's parfors cannot pass
    # named tuples into the loop; _split_task builds them back)
    packed = (pk.kmin, pk.kmax, pk.shift, pk.index_bits, pk.exact)
    buffers = (parent, cand, spare, out_b, out_d, rings)
    final = (index_b, index_d, value_b, value_d)
    shape3 = g.shape3
    for task in prange(2):
        counts[task] = _split_task(np.int64(task), keys, shape3, ndim, packed, stencil_buf,
                                   sentinel, values, buffers, final)
    # the order of _image_pairs: dimension 0 by increasing death, the essential
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
    essential = _unpad_cell(np.int64(first), g.padded, g.pad, g.shape3,
                            1.0 / (g.padded[1] * g.padded[2]), 1.0 / g.padded[2])
    dims[c0] = 0
    births[c0] = essential
    deaths[c0] = -1
    birth[c0] = values[essential]
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


@njit(cache=True, nogil=True)
def _split_task(task, keys, shape3, ndim, packed, stencil_buf, sentinel, values, buffers, final):
    """Task 0 (dimension 0) or 1 (the top dimension) of ``small_pairs_split``: the pair count.

    The task's pairs end in row ``task`` of the ``final`` arrays (image
    indices and values, by increasing birth for the top dimension).
    """
    parent, cand, spare, out_b, out_d, rings = buffers
    reverse = task == 1
    g = grid(shape3, ndim)
    # (a copy per task: the views' reference counts then stay in this core's cache)
    stencil = _stencils(stencil_buf.copy())[task]
    side = Side(np.bool_(True), parent[task], stencil, cand[task])
    count = _direction(keys, g, Packing(*packed), side, reverse, spare[task], rings[task],
                       sentinel, (out_b[task], out_d[task]), np.int64(0))
    if count > 0:
        index_b, index_d, value_b, value_d = final
        _finish_pairs(out_b[task], out_d[task], count, reverse, g, values,
                      (index_b[task], index_d[task], value_b[task], value_d[task]))
    return count


@njit(inline="always")
def _finish_pairs(out_b, out_d, count, reverse, g, values, final):
    """Padded pair cells -> image indices and values (in reverse order if ``reverse``).

    ``final = (index_b, index_d, value_b, value_d)`` receives them.
    """
    index_b, index_d, value_b, value_d = final
    padded, pad, shape3 = g.padded, g.pad, g.shape3
    inv_plane = 1.0 / (padded[1] * padded[2])
    inv_row = 1.0 / padded[2]
    for i in range(count):
        j = count - 1 - i if reverse else i
        b = _unpad_cell(np.int64(out_b[i]), padded, pad, shape3, inv_plane, inv_row)
        d = _unpad_cell(np.int64(out_d[i]), padded, pad, shape3, inv_plane, inv_row)
        index_b[j] = b
        index_d[j] = d
        value_b[j] = values[b]
        value_d[j] = values[d]


@njit(cache=True, parallel=True)
def batch_pairs(bits, kind, signbit, allones, superlevel, ndim, stencil_buf, top, out, chunks):
    """``_image_pairs`` over a (B, D, H, W) stack of 64-bit bits (``keys.wide_bits``).

    ``out = (counts, dims, births, deaths)``: ``counts[b]`` pairs of image
    b are written into row b of the (B, n + 1) others.  The stack is cut
    into ``chunks`` contiguous chunks (one per thread); each chunk has its
    own scratch arrays and handles its images in order, so results do not
    depend on the thread count.
    """
    nimg = bits.shape[0]
    chunks = max(1, min(nimg, chunks))
    image_kind = (kind, signbit, allones, superlevel)
    for c in prange(chunks):
        _batch_chunk(bits, nimg * c // chunks, nimg * (c + 1) // chunks, image_kind, ndim,
                     stencil_buf, top, out)


@njit(cache=True, nogil=True)
def _batch_chunk(bits, start, stop, image_kind, ndim, stencil_buf, top, out):
    """Images ``start .. stop - 1`` of ``batch_pairs``, with their own scratch arrays."""
    counts, out_dim, out_b, out_d = out
    kind, signbit, allones, superlevel = image_kind
    stencils = _stencils(stencil_buf.copy())  # a copy per thread, as in _split_task
    ws = _workspace(np.array(bits.shape[1:], dtype=np.int64), top)
    for b in range(start, stop):
        counts[b] = _image_pairs(bits[b], kind, signbit, allones, superlevel, ndim, top,
                                 stencils, ws, (out_dim[b], out_b[b], out_d[b]))
