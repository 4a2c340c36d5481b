"""The raster scan of the union-find: roots, regular pixels and candidates (private).

``keys`` holds the order-preserving key of each cell of the padded grid
(see ``keys`` and ``neighbourhood``); the filtration order is ``(key,
padded index)``, the same as ``(value, flat C index)``.

Each pixel compares itself with its ring.  With no earlier neighbour it is
a local minimum (a root).  If its earlier neighbours are connected to each
other through earlier ring cells, adding it cannot merge components: it is
*regular* and is linked to its lowest earlier neighbour once and for all.
Otherwise it is a *candidate* and is queued with its packed sort key for
the sweep (``union_find.sweep``).  Both directions (dimension 0 forward,
the top dimension on the complement in reverse) are classified by the same
scan: a ring cell is later than the pixel exactly when it is not earlier.

The helpers of ``scan_rows`` are inlined into it: a call costs reference
counting of every array it is passed, and the stencils' arrays are shared
by the threads of the parallel kernels (their counts would bounce between
cores); the direction reaches them as a literal ``True``/``False``, so its
branches fold out of the vectorised loops.

The kernels take their arrays grouped: a ``Grid`` (the padded geometry), a
``Packing`` (how sort keys are packed), one ``Side`` per direction (its
parent array, stencil and candidate buffer) and ``Edges`` (where the
negative edges of one direction are recorded for the cubical reduction).
"""

from collections import namedtuple

import numpy as np
from numba import njit
from numba.core import types
from numba.extending import overload

from .keys import pack
from .neighbourhood import classify_cube, first_neighbour_bit, set_row_padding

__all__ = ["PAD_FORWARD", "PAD_DUAL", "Side", "Edges", "NO_EDGES", "NO_SWEEP_EDGES", "record_row",
           "scan_rows", "scan_rows_bordered"]

PAD_FORWARD = -1  # padding is never part of the sublevel set
PAD_DUAL = -2     # padding is the exterior cell, present from the start
_SEGMENT = 2048   # cells per vectorised pass of the scan

# One direction of the scan: whether it runs, its parent array (a slot per padded
# cell, plus the exterior), its ``Stencil`` and its candidate buffer.
Side = namedtuple("Side", ["active", "parent", "stencil", "candidates"])
# Negative edges: ``record`` 0 (none), 1 (forward) or 2 (reverse) direction's bits
# go into ``negative`` (a slot per padded cell), or nowhere if it is None (``NO_EDGES``).
Edges = namedtuple("Edges", ["negative", "record"])
# Edges recorded nowhere, for ``scan_rows``: it compiles without its recording code
# (only dimension 1 of volumes needs it; ``record_row`` is a no-op for them).  The
# sweep and the bordered scan take ``NO_SWEEP_EDGES`` (their recording code is short).
NO_EDGES = Edges(None, 0)
NO_SWEEP_EDGES = Edges(np.zeros(1, dtype=np.uint8), 0)
# A run of rows handled in one vectorised pass: padded cell of its first pixel,
# offset of that pixel in the pass buffers, row count, padded row length, the
# pixels lo..hi-1 of each row, the first cell of the block (``lowest``) and the
# exterior cell.
_Segment = namedtuple("_Segment", ["base", "offset", "nrows", "row_length", "lo", "hi",
                                   "lowest", "exterior"])


def record_row(negative, masks, rows, pixels, full, reverse, stencil, kinds):
    """Record the negative edges of one row of the scan (see the overload; kernels only)."""
    raise NotImplementedError("record_row runs inside the kernels only")


@overload(record_row)
def _record_row(negative, masks, rows, pixels, full, reverse, stencil, kinds):
    """The scan's recording code, typed away when ``negative`` is None (``NO_EDGES``).

    ``rows = (uo, ub)``: the row's offset in ``masks`` and its padded cell;
    ``pixels = (lo, hi)``.  A regular pixel (``kinds[x]`` 1) records the
    bit of its first present neighbour, the others 0.  One call per row.
    """
    if isinstance(negative, types.NoneType):
        return lambda negative, masks, rows, pixels, full, reverse, stencil, kinds: None

    def record(negative, masks, rows, pixels, full, reverse, stencil, kinds):
        uo, ub = rows
        for x in range(pixels[0], pixels[1]):
            m = masks[uo + np.uint64(x)]
            bit = first_neighbour_bit((full & ~m) if reverse else m, stencil.neighbours,
                                      stencil.merge_index)
            negative[ub + np.uint64(x)] = bit if kinds[x] == 1 else 0
    return record


@njit(inline="always")
def _border_verdict(keys, p, kp, earlier, outside, st, reverse, exterior):
    """Kind, best neighbour and present-ring mask of a pixel next to the padding.

    ``earlier`` is the pixel's ring mask computed as for interior pixels
    (garbage on the padding), ``outside`` the ring cells in the padding.
    """
    full = np.uint32((1 << st.offsets.size) - 1)
    if reverse:
        present = (full & ~earlier & ~outside) | outside
    else:
        present = earlier & ~outside
    kind = (st.kind_table[present] if st.kind_table.size > 1
            else classify_cube(np.uint32(present), st.neighbours, st.connectivity))
    if reverse and (outside & st.neighbours):
        return kind, exterior, present
    m = present & st.neighbours
    best = 0
    kbest = kp
    found = False
    r = 0
    while m:
        if m & np.uint32(1):
            q = p + st.offsets[r]
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
def _settle_rows(keys, side, reverse, seg, masks, best, packing, ncand, kinds, edges):
    """Settle the pixels x = lo .. hi-1 of ``seg.nrows`` consecutive rows of one plane.

    Row i starts at padded cell ``seg.base + i * row_length``;
    ``masks[seg.offset + i * row_length + x]`` and ``best[...]`` are its
    pixels' ring masks and best neighbours.  Rows are addressed by unsigned
    offsets into the whole arrays, not by views, and a whole segment is
    settled in one call: the loops vectorise and the arrays are counted
    once per call, not per row.  If this direction records, ``negative[p]``
    gets the bit of the edge that joins a regular pixel to its component
    (its first present neighbour; candidates get theirs in ``sweep``).
    Returns ``(n_candidates, n_roots)``.
    """
    st = side.stencil
    parent = side.parent
    candidates = side.candidates
    table = st.kind_table
    full = np.uint32((1 << st.offsets.size) - 1)
    record = edges.record == (2 if reverse else 1)
    negative = edges.negative
    Wp, lo, hi = seg.row_length, seg.lo, seg.hi
    lowest, exterior = seg.lowest, seg.exterior
    roots = 0
    for i in range(seg.nrows):
        base = seg.base + i * Wp
        ub = np.uint64(base)
        uo = np.uint64(seg.offset + i * Wp)
        if table.size > 1:
            for x in range(lo, hi):
                m = masks[uo + np.uint64(x)]
                kinds[x] = table[(full & ~m) if reverse else m]
        else:
            for x in range(lo, hi):
                m = masks[uo + np.uint64(x)]
                kinds[x] = classify_cube(np.uint32((full & ~m) if reverse else m),
                                         st.neighbours, st.connectivity)
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
            candidates[c] = pack(keys[ub + x], 2 * (base + np.int64(x)), packing.kmin,
                                 packing.kmax, packing.shift, packing.index_bits, reverse)
        if record:
            record_row(negative, masks, (uo, ub), (lo, hi), full, reverse, st, kinds)
    return ncand, roots


@njit(inline="always")
def _settle_border(keys, side, reverse, p, case, earlier, seg, packing, ncand, edges):
    """Settle one pixel next to the padding (the scalar path); returns (root?, ncand)."""
    st = side.stencil
    kp = keys[p]
    kind, best, present = _border_verdict(keys, p, kp, earlier, st.outside[case], st, reverse,
                                          seg.exterior)
    parent = side.parent
    best = _jump(parent, best, seg.lowest, p, seg.exterior)
    parent[p] = p if kind == 0 else best
    side.candidates[ncand] = pack(kp, 2 * p + 1, packing.kmin, packing.kmax, packing.shift,
                                  packing.index_bits, reverse)
    if edges.record == (2 if reverse else 1):  # (bordered scans always get an array)
        bit = first_neighbour_bit(present, st.neighbours, st.merge_index)
        edges.negative[p] = bit if kind == 1 else 0
    return kind == 0, ncand + (kind == 2)


@njit(inline="always")
def _segment_masks(keys, offsets, seg, length, earlier, rings):
    """Ring masks of the ``length`` cells from padded cell ``seg`` (bit r set if ring
    cell r is earlier, computed as if there were no padding: garbage on the padding
    cells and where the ring reaches into the padding), branch-free so that the
    loops vectorise; also stored into ``rings`` for the sweep."""
    nring = offsets.size
    half = nring // 2
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
    for x in range(length):  # (the padding cells in between get unused values)
        rings[np.uint64(seg + x)] = earlier[np.uint64(x)]


@njit(inline="always")
def _scan_setup(keys, grid, forward, reverse, rows):
    """``(seg_rows, lowest, scratch)`` of a scan of ``rows``.

    Rows are handled in segments of consecutive rows of one plane (at most
    ``seg_rows``), so that the vectorised loops run over about ``_SEGMENT``
    cells even when rows are short; ``lowest`` is the first padded cell of
    the rows; ``scratch``: ring masks, best neighbours of each side, their
    keys, the kinds of a row.
    """
    H, W = grid.shape3[1], grid.shape3[2]
    Hp, Wp, pad = grid.padded[1], grid.padded[2], grid.pad
    seg_rows = max(1, _SEGMENT // Wp)
    lowest = ((rows[0] // H + pad[0]) * Hp + (rows[0] % H + pad[1])) * Wp
    cells = min(seg_rows, rows[1] - rows[0]) * Wp
    return seg_rows, lowest, (np.empty(cells, dtype=np.uint32),
            np.empty(cells if forward.active else 1, dtype=np.int64),
            np.empty(cells if reverse.active else 1, dtype=np.int64),
            np.empty(cells, dtype=keys.dtype), np.empty(W, dtype=np.int8))


@njit(inline="always")
def _next_segment(grid, row0, row_stop, seg_rows):
    """``(row1, seg, length)``: the segment of rows row0 .. row1-1 (within one plane),
    the padded cell of its first pixel and the cells it spans."""
    H, W = grid.shape3[1], grid.shape3[2]
    Hp, Wp, pad = grid.padded[1], grid.padded[2], grid.pad
    z0 = row0 // H
    row1 = min(row_stop, row0 + seg_rows, (z0 + 1) * H)  # stay within the plane
    seg = ((z0 + pad[0]) * Hp + (row0 - z0 * H + pad[1])) * Wp + pad[2]
    return row1, seg, (row1 - row0 - 1) * Wp + W


@njit(inline="always")
def _pad_rows(forward, reverse, grid, row0, row1, dual_pad):
    """The padding cells owned by rows row0 .. row1-1 in each active side's parent."""
    shape3, padded, pad = grid.shape3, grid.padded, grid.pad
    H = shape3[1]
    for row in range(row0, row1):
        z = row // H
        y = row - z * H
        if forward.active:
            set_row_padding(forward.parent, padded, pad, shape3, z, y, PAD_FORWARD)
        if reverse.active:
            set_row_padding(reverse.parent, padded, pad, shape3, z, y, dual_pad)


@njit(cache=True, nogil=True)
def scan_rows(keys, grid, packing, rows, forward, reverse, rings, edges):
    """Raster scan of rows ``rows = (start, stop)`` (row = z * H + y) for both directions.

    The caller has written a key above every pixel key into all padding
    cells of ``keys`` (``set_border``; every image but those of 64-bit
    integers holding the extreme values has room for it, see
    ``scan_rows_bordered`` for those): the padding is then never earlier
    and always later than a pixel, so every pixel is settled in the
    vectorised passes, and the padding of the reverse direction links to
    the exterior cell (``grid.npad``), whose parent must be itself on
    entry (``_jump`` reads it).

    Writes the links of the pixels of these rows into the ``parent`` of
    each active ``Side`` and PAD_FORWARD / the exterior into the padding
    cells these rows own (see ``set_row_padding``); nothing needs to be
    initialised.  Forward: a ring cell is present if earlier in the
    filtration.  Reverse: present if later.  Candidates are written from
    index 0 of each side's ``candidates`` (capacity: pixels in the rows),
    by increasing cell.  ``edges`` asks for the negative edges (those
    joining components in dimension 0) of one direction, one bit per
    neighbour in ring order, for the cubical reduction.  Returns
    ``(n_candidates_f, n_roots_f, n_candidates_r, n_roots_r)``.

    The ring mask of every pixel (bit r set if ring cell r is earlier) is
    stored in ``rings`` (a slot per padded cell), so that ``sweep`` reads a
    candidate's neighbourhood in one load instead of comparing its ring
    again.
    """
    row_start, row_stop = rows
    W, Wp, exterior = grid.shape3[2], grid.padded[2], grid.npad
    offsets = forward.stencil.offsets
    seg_rows, lowest, scratch = _scan_setup(keys, grid, forward, reverse, rows)
    earlier, best_f, best_r, kbest, kinds = scratch
    nc_f = nr_f = nc_r = nr_r = 0
    row0 = row_start
    while row0 < row_stop:
        row1, seg, length = _next_segment(grid, row0, row_stop, seg_rows)
        _segment_masks(keys, offsets, seg, length, earlier, rings)
        if forward.active:
            _best_row(keys, seg, length, forward.stencil.neighbour_offsets, False, best_f, kbest)
        if reverse.active:
            _best_row(keys, seg, length, reverse.stencil.neighbour_offsets, True, best_r, kbest)
        _pad_rows(forward, reverse, grid, row0, row1, exterior)
        # every pixel in vectorised passes, the whole segment at once
        whole = _Segment(seg, np.int64(0), row1 - row0, Wp, np.int64(0), W, lowest, exterior)
        if forward.active:
            nc_f, roots = _settle_rows(keys, forward, False, whole, earlier, best_f, packing,
                                       nc_f, kinds, edges)
            nr_f += roots
        if reverse.active:
            nc_r, roots = _settle_rows(keys, reverse, True, whole, earlier, best_r, packing,
                                       nc_r, kinds, edges)
            nr_r += roots
        row0 = row1
    return nc_f, nr_f, nc_r, nr_r


@njit(cache=True, nogil=True)
def scan_rows_bordered(keys, grid, packing, rows, forward, reverse, rings, edges):
    """``scan_rows`` for images with no room for a sentinel key in the padding.

    Only images of 64-bit integers that hold the largest key (the dtype's
    maximum, or its minimum for the superlevel filtration) come here, so
    this kernel compiles only when one is met.  The padding's keys are not
    read: interior pixels take the vectorised passes, pixels next to the
    padding mask out the ring cells that fall in it (the stencil's border
    cases) and are flagged in their packed key (lowest bit) for the sweep.
    The padding of the reverse direction gets PAD_DUAL (the exterior
    cell); candidates are not in cell order.  Same arguments and result as
    ``scan_rows``.
    """
    row_start, row_stop = rows
    shape3, padded, pad, ndim, exterior = grid.shape3, grid.padded, grid.pad, grid.ndim, grid.npad
    offsets = forward.stencil.offsets
    D, H, W = shape3[0], shape3[1], shape3[2]
    Hp, Wp = padded[1], padded[2]
    seg_rows, lowest, scratch = _scan_setup(keys, grid, forward, reverse, rows)
    earlier, best_f, best_r, kbest, kinds = scratch
    lo, hi = 1, W - 1
    nc_f = nr_f = nc_r = nr_r = 0
    row0 = row_start
    while row0 < row_stop:
        row1, seg, length = _next_segment(grid, row0, row_stop, seg_rows)
        _segment_masks(keys, offsets, seg, length, earlier, rings)
        if hi > lo:
            if forward.active:
                _best_row(keys, seg, length, forward.stencil.neighbour_offsets, False, best_f,
                          kbest)
            if reverse.active:
                _best_row(keys, seg, length, reverse.stencil.neighbour_offsets, True, best_r,
                          kbest)
        _pad_rows(forward, reverse, grid, row0, row1, PAD_DUAL)
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
                one = _Segment(base, o, np.int64(1), Wp, lo, hi, lowest, exterior)
                if forward.active:
                    nc_f, roots = _settle_rows(keys, forward, False, one, earlier,
                                              best_f, packing, nc_f, kinds, edges)
                    nr_f += roots
                if reverse.active:
                    nc_r, roots = _settle_rows(keys, reverse, True, one, earlier,
                                              best_r, packing, nc_r, kinds, edges)
                    nr_r += roots
                border_step = W - 1
            else:
                border_step = 1
            here = _Segment(base, o, np.int64(1), Wp, lo, hi, lowest, exterior)
            for x in range(0, W, border_step):
                case = rowcase | (1 if x == 0 else 0) | (2 if x == W - 1 else 0)
                p = base + x
                if forward.active:
                    root, nc_f = _settle_border(keys, forward, False, p, case,
                                                earlier[o + x], here, packing, nc_f, edges)
                    nr_f += root
                if reverse.active:
                    root, nc_r = _settle_border(keys, reverse, True, p, case,
                                                earlier[o + x], here, packing, nc_r, edges)
                    nr_r += root
        row0 = row1
    return nc_f, nr_f, nc_r, nr_r
