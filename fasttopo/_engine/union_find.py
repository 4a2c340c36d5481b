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

The small-image kernels (``image_pairs``, one direction or both, for one
image or a run of a stack, called from one thread or several;
``collect_pairs``, the canonical order and the values) run on
64-bit bits only (``keys.wide_bits``) and float64 values, whatever the
image's dtype: each compiles once, and every small-image path (one image,
its two directions in two threads, a stack) shares them.
"""

import numpy as np
from numba import njit

from .gather import gather_values
from .intrinsics import prefetch, read_only
from .keys import fill_keys, fix_ties, keys_finite, packing, radix_sort_u64, unpack
from .neighbourhood import grid, representatives_cube, set_border, stencils_from_buffer
from .scan import NO_EDGES, NO_SWEEP_EDGES, PAD_DUAL, PAD_FORWARD, Side, scan_rows

__all__ = ["NOT_FINITE", "NO_SENTINEL", "sweep", "unpad", "sentinel_padding", "image_pairs",
           "collect_pairs"]

_AHEAD = 8        # candidates prefetched ahead in the sweep
_CACHED = 1 << 15  # grids of at most this many cells stay in cache: no prefetching
_SMALL_WIDTH = 48  # bits of the packed keys of small images (radix passes: at most six)
# statuses of the small-image kernels (negative pair counts)
NOT_FINITE = -2    # a NaN or an infinity: nothing computed
NO_SENTINEL = -3   # no room for the sentinel key: the caller takes the threaded path


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


@njit(cache=True, nogil=True)
def _workspace(shape3):
    """Scratch arrays of ``image_pairs`` for (D, H, W) images of shape ``shape3``:
    ``(keys, parent, candidates, sort scratch, rings, pair births, pair deaths)``."""
    g = grid(shape3, 3)  # the 3D padding: an upper bound for any ndim
    npad = g.npad
    n = shape3[0] * shape3[1] * shape3[2]
    return (np.empty(npad + 1, dtype=np.uint64), np.empty(npad + 1, dtype=np.int32),
            np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint64),
            np.empty(npad, dtype=np.uint32), np.empty(n + 1, dtype=np.int32),
            np.empty(n + 1, dtype=np.int32))


@njit(cache=True, nogil=True)
def _keys_of(bits, kind, signbit, allones, superlevel, keys, g):
    """Keys of a small image and their ``Packing``; ``(packing, first, sentinel, finite)``."""
    kmin, kmax, varying, first = fill_keys(bits, kind, signbit, allones, superlevel, keys,
                                           g.padded, g.pad)
    finite = keys_finite(kind, kmin, kmax, superlevel, signbit, allones)
    pk = packing(kmin, kmax, varying, g.npad + 1, _SMALL_WIDTH, True)
    sentinel = sentinel_padding(keys, g, kmax, np.uint64(0xFFFFFFFFFFFFFFFF)) if finite else False
    return pk, first, sentinel, finite


@njit(cache=True, nogil=True)
def image_pairs(bits, image_kind, ndim, stencil_buf, directions, start, stop, out):
    """Union-find pairs of images ``start .. stop - 1`` of a (B, D, H, W) stack, serially.

    ``bits`` are 64-bit bits (``keys.wide_bits``), ``image_kind = (kind,
    signbit, allones, superlevel)``, ``stencil_buf`` both stencils
    (``stencils_buffer``).  ``directions``: 1 dimension 0 (and the
    essential class), 2 the top dimension, 3 both.  ``out = (counts,
    births, deaths)``: (B, 2) int64 and (B, cap) int32 rows, cap at least
    pixels + 1.  Row b receives flat C indices: from its start the finite
    dimension-0 pairs by increasing death then the essential class (death
    -1), ``counts[b, 0]`` of them; at its end the top-dimension pairs by
    increasing birth, ``counts[b, 1]`` of them.  The two directions of one
    image may run in two threads at once (they write different parts of
    the row).  A count is ``NOT_FINITE`` (a NaN or an infinity) or
    ``NO_SENTINEL`` (64-bit integers at their extremes: see
    ``scan.scan_rows_bordered``) when nothing was computed; a sum of both
    above cap means the parts overlap (cannot happen: each pixel ends at
    most one pair).
    """
    kind, signbit, allones, superlevel = image_kind
    counts, row_b, row_d = out
    cap = row_b.shape[1]
    # (a copy per call: the views' reference counts then stay in this core's cache)
    st_f, st_r = stencils_from_buffer(stencil_buf.copy())
    shape3 = np.array(bits.shape[1:], dtype=np.int64)
    keys, parent, cand, scratch, rings, pair_b, pair_d = _workspace(shape3)
    g = grid(shape3, ndim)
    rows = (np.int64(0), g.shape3[0] * g.shape3[1])
    for b in range(start, stop):
        pk, first, sentinel, finite = _keys_of(bits[b], kind, signbit, allones, superlevel,
                                               keys, g)
        if not (finite and sentinel):
            status = NOT_FINITE if not finite else NO_SENTINEL
            counts[b, 0] = status
            counts[b, 1] = status
            continue
        for reverse in (False, True):
            if not directions & (2 if reverse else 1):
                continue
            # scan, sort, sweep: the padding holds the sentinel key (``_keys_of``), so
            # the scan queues the candidates by increasing cell and the radix sort skips
            # the index field (whole bytes, ``packing(..., whole_bytes=True)``), keeping
            # ties in cell order (reversed for the reverse direction)
            parent[g.npad] = g.npad
            side = Side(np.bool_(True), parent, st_r if reverse else st_f, cand)
            idle = Side(np.bool_(False), parent, side.stencil, cand)
            if reverse:
                ncand = scan_rows(keys, g, pk, rows, idle, side, rings, NO_EDGES)[2]
            else:
                ncand = scan_rows(keys, g, pk, rows, side, idle, rings, NO_EDGES)[0]
            radix_sort_u64(cand, ncand, scratch, pk.index_bits // 8, reverse)
            if not pk.exact:
                fix_ties(cand, ncand, keys, pk.index_bits, reverse)
            n = sweep(keys, side, ncand, pk.index_bits, reverse, g.npad, (pair_b, pair_d),
                      np.int64(0), rings, NO_SWEEP_EDGES)
            if not reverse:
                pair_b[n] = first
                pair_d[n] = -1
                n += 1
            n = min(max(n, 0), cap)  # (cannot be cut: see above)
            unpad(pair_b[:n], g.padded, g.pad, g.shape3)
            unpad(pair_d[:n], g.padded, g.pad, g.shape3)
            if reverse:  # found by decreasing birth: the row's end, by increasing birth
                for i in range(n):
                    row_b[b, cap - 1 - i] = pair_b[i]
                    row_d[b, cap - 1 - i] = pair_d[i]
                counts[b, 1] = n
            else:
                for i in range(n):
                    row_b[b, i] = pair_b[i]
                    row_d[b, i] = pair_d[i]
                counts[b, 0] = n


@njit(cache=True, nogil=True)
def collect_pairs(counts, row_b, row_d, values, superlevel, ndim):
    """The pairs of ``image_pairs``' rows concatenated in the canonical order, with values.

    Returns ``(dim, birth, death, birth_index, death_index, per_image,
    item, status)``: int8 dimensions, float64 values read from ``values``
    (B, npix) (essential deaths +-inf), int64 flat indices within each
    image (essential death -1), the number of pairs of each image and the
    image of each pair, all but ``item`` read-only; ``status`` is 0, or the
    first negative count of ``image_pairs`` (then nothing is collected),
    or -1 if a row's two parts overlap (cannot happen).
    """
    nimg = counts.shape[0]
    cap = row_b.shape[1]
    per_image = np.empty(nimg, dtype=np.int64)
    total = 0
    status = 0
    for b in range(nimg):
        per_image[b] = counts[b, 0] + counts[b, 1]
        total += per_image[b]
        if status == 0 and (counts[b, 0] < 0 or counts[b, 1] < 0):
            status = min(counts[b, 0], counts[b, 1])
        elif status == 0 and per_image[b] > cap:
            status = -1
    if status < 0:
        per_image[:] = 0
        total = 0
        counts = np.zeros((0, 2), dtype=np.int64)
    dims = np.empty(total, dtype=np.int8)
    births = np.empty(total, dtype=np.int64)
    deaths = np.empty(total, dtype=np.int64)
    item = np.empty(total, dtype=np.int64)
    j = 0
    for b in range(counts.shape[0]):
        for i in range(counts[b, 0]):
            dims[j] = 0
            births[j] = row_b[b, i]
            deaths[j] = row_d[b, i]
            item[j] = b
            j += 1
        c1 = counts[b, 1]
        for i in range(cap - c1, cap):
            dims[j] = ndim - 1
            births[j] = row_b[b, i]
            deaths[j] = row_d[b, i]
            item[j] = b
            j += 1
    birth, death = gather_values(values, per_image, births, deaths, superlevel)
    return (read_only(dims), read_only(birth), read_only(death), read_only(births),
            read_only(deaths), read_only(per_image), item, status)
