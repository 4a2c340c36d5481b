"""The neighbourhood of a pixel on the padded grid (private Numba helpers).

The image lives in a grid padded by one cell on each side of every real
axis, so that neighbours never need bounds checks.  The *ring* of a pixel
is the 3**ndim - 1 cells around it (2 in 1D, 8 in 2D, 26 in 3D), listed by
ascending flat offset, so the first half precede the pixel in C order.

A *stencil* describes, for one connectivity, which ring cells are
neighbours of the pixel and which ring cells are adjacent to each other.
Given the mask of ring cells that are already *present* (earlier in the
filtration), the kernels need to know whether the present neighbours are
connected to each other through present ring cells (then adding the pixel
cannot merge components) and one neighbour per locally connected group.
For rings of at most 8 cells (1D, 2D) both answers are read from lookup
tables made once in plain Python (``_tables``); for the 26-cell ring of 3D
images ``classify_cube`` and ``representatives_cube`` compute them with
bit-parallel floods of the 3x3x3 cube.
"""

import functools
from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["Stencil", "Grid", "geometry", "grid", "ring", "neighbour_offsets", "stencil",
           "dual_connectivity", "classify_cube", "representatives_cube", "stencils_buffer",
           "stencils_from_buffer", "set_border", "set_row_padding", "first_neighbour_bit"]


# Everything the kernels need about the neighbourhood at one connectivity (see ``stencil``).
Stencil = namedtuple("Stencil", ["offsets", "neighbour_offsets", "neighbours", "adjacency",
                                 "kind_table", "rep_table", "steps", "outside", "merge_index",
                                 "connectivity"])
# The padded grid of a (D, H, W) image: its shape, the padded shape, the padding
# offsets (int64 arrays of 3), the number of real axes and of padded cells (the
# exterior cell of the top dimension is cell ``npad``).
Grid = namedtuple("Grid", ["shape3", "padded", "pad", "ndim", "npad"])


@njit(cache=True, nogil=True)
def geometry(shape3, ndim):
    """Padded shape and padding offsets of a (D, H, W) image whose last ``ndim`` axes are real."""
    pz = 1 if ndim >= 3 else 0
    py = 1 if ndim >= 2 else 0
    padded = np.array([shape3[0] + 2 * pz, shape3[1] + 2 * py, shape3[2] + 2], dtype=np.int64)
    pad = np.array([pz, py, 1], dtype=np.int64)
    return padded, pad


@njit(cache=True, nogil=True)
def grid(shape3, ndim):
    """The ``Grid`` of a (D, H, W) shape (int64 array) whose last ``ndim`` axes are real."""
    padded, pad = geometry(shape3, ndim)
    return Grid(shape3, padded, pad, np.int64(ndim), padded[0] * padded[1] * padded[2])


def dual_connectivity(ndim, connectivity):
    """Connectivity of the complement: 1 <-> ndim (as in digital topology)."""
    return ndim if connectivity == 1 else 1


def ring(ndim, padded):
    """The cells around a pixel: flat offsets (r,) ascending and coordinate steps (r, 3)."""
    Hp, Wp = padded[1], padded[2]
    zr = 1 if ndim >= 3 else 0
    yr = 1 if ndim >= 2 else 0
    steps = np.zeros((26, 3), dtype=np.int64)
    offsets = np.zeros(26, dtype=np.int64)
    n = 0
    for dz in range(-zr, zr + 1):
        for dy in range(-yr, yr + 1):
            for dx in range(-1, 2):
                if dz == 0 and dy == 0 and dx == 0:
                    continue
                steps[n, 0] = dz
                steps[n, 1] = dy
                steps[n, 2] = dx
                offsets[n] = (dz * Hp + dy) * Wp + dx
                n += 1
    return offsets[:n], steps[:n]


@njit(cache=True, nogil=True)
def neighbour_offsets(ndim, connectivity, padded):
    """Flat offsets (ascending) of the neighbours of a cell of a padded grid at ``connectivity``."""
    Hp, Wp = padded[1], padded[2]
    zr = 1 if ndim >= 3 else 0
    yr = 1 if ndim >= 2 else 0
    out = np.zeros(26, dtype=np.int64)
    n = 0
    for dz in range(-zr, zr + 1):
        for dy in range(-yr, yr + 1):
            for dx in range(-1, 2):
                hops = abs(dz) + abs(dy) + abs(dx)
                if hops == 0 or hops > connectivity:
                    continue
                out[n] = (dz * Hp + dy) * Wp + dx
                n += 1
    return out[:n]


def _relations(steps, connectivity):
    """Bit mask of the ring cells that are neighbours, and ring adjacency masks."""
    n = steps.shape[0]
    neighbours = np.uint32(0)
    adjacency = np.zeros(n, dtype=np.uint32)
    for r in range(n):
        if abs(steps[r, 0]) + abs(steps[r, 1]) + abs(steps[r, 2]) <= connectivity:
            neighbours |= np.uint32(1) << np.uint32(r)
        for s in range(n):
            d0 = abs(steps[r, 0] - steps[s, 0])
            d1 = abs(steps[r, 1] - steps[s, 1])
            d2 = abs(steps[r, 2] - steps[s, 2])
            if s != r and d0 <= 1 and d1 <= 1 and d2 <= 1 and d0 + d1 + d2 <= connectivity:
                adjacency[r] |= np.uint32(1) << np.uint32(s)
    return neighbours, adjacency


# 3x3x3 cube masks (bit 9 z + 3 y + x, centre = bit 13) for bit-parallel floods in 3D
_CUBE = (1 << 27) - 1
_NOT_X0 = sum(1 << (9 * z + 3 * y + x) for z in range(3) for y in range(3) for x in (1, 2))
_NOT_X2 = sum(1 << (9 * z + 3 * y + x) for z in range(3) for y in range(3) for x in (0, 1))
_NOT_Y0 = sum(1 << (9 * z + 3 * y + x) for z in range(3) for y in (1, 2) for x in range(3))
_NOT_Y2 = sum(1 << (9 * z + 3 * y + x) for z in range(3) for y in (0, 1) for x in range(3))
_FACES3 = sum(1 << (r - (r > 13)) for r in (4, 10, 12, 14, 16, 22))   # ring bits, 6-neighbours


@njit(inline="always")
def _to_cube(ring_mask):
    m = np.uint64(ring_mask)
    return (m & np.uint64(0x1FFF)) | ((m >> np.uint64(13)) << np.uint64(14))


@njit(inline="always")
def _dilate3(s, connectivity):
    """Cells of the 3x3x3 cube within ``connectivity`` of the cells in ``s``."""
    one, three, nine = np.uint64(1), np.uint64(3), np.uint64(9)
    xs = ((s & np.uint64(_NOT_X2)) << one) | ((s & np.uint64(_NOT_X0)) >> one)
    if connectivity == 3:
        a = s | xs
        b = a | ((a & np.uint64(_NOT_Y2)) << three) | ((a & np.uint64(_NOT_Y0)) >> three)
        return (b | (b << nine) | (b >> nine)) & np.uint64(_CUBE)
    ys = ((s & np.uint64(_NOT_Y2)) << three) | ((s & np.uint64(_NOT_Y0)) >> three)
    zs = ((s << nine) | (s >> nine)) & np.uint64(_CUBE)
    out = s | xs | ys | zs
    if connectivity == 2:
        out |= ((xs & np.uint64(_NOT_Y2)) << three) | ((xs & np.uint64(_NOT_Y0)) >> three)
        out |= ((xs << nine) | (xs >> nine)) | ((ys << nine) | (ys >> nine))
        out &= np.uint64(_CUBE)
    return out


@njit(inline="always")
def _flood_cube(seed, present, connectivity):
    """Ring cells of a 3D image connected to ``seed`` (a one-bit mask) through
    ``present`` cells: bit-parallel dilations of the 3x3x3 cube."""
    cube = _to_cube(present)
    comp = _to_cube(seed)
    while True:
        grow = _dilate3(comp, connectivity) & cube
        if grow == comp:
            break
        comp = grow
    return np.uint32((comp & np.uint64(0x1FFF)) | ((comp >> np.uint64(14)) << np.uint64(13)))


@njit(cache=True, nogil=True)
def classify_cube(present, neighbours, connectivity):
    """In the 26-cell ring of 3D images: 0 if no neighbour is present (a root), 1 if
    the present neighbours are locally connected, 2 otherwise (a candidate);
    rings of at most 8 cells read the stencil's lookup table instead.

    A call, not inlined: scalars only (no reference counting per pixel),
    and the scans compile it once instead of once per place that needs it.
    """
    m = np.uint32(present & neighbours)
    if m == 0:
        return 0
    if (m & (m - np.uint32(1))) == 0:
        return 1
    comp = _flood_cube(m & (~m + np.uint32(1)), np.uint32(present), connectivity)
    return 1 if (m & ~comp) == 0 else 2


@njit(cache=True, nogil=True)
def representatives_cube(present, neighbours, connectivity):
    """One present neighbour per locally connected group, in the 26-cell ring of 3D
    images, packed like the stencil's lookup table (byte i: ring position + 1
    of the lowest neighbour of group i).

    At most 8 groups (the 8 corners at connectivity 3; 6 otherwise), so a
    uint64 holds them.  A call with scalar arguments, as ``classify_cube``.
    """
    present = np.uint32(present)
    m = np.uint32(present & neighbours)
    code = np.uint64(0)
    shift = np.uint64(0)
    while m:
        low = m & (~m + np.uint32(1))
        comp = _flood_cube(low, present, connectivity)
        r = 0
        while (low >> np.uint32(r)) != np.uint32(1):
            r += 1
        code |= np.uint64(r + 1) << shift
        shift += np.uint64(8)
        m &= ~comp
    return code


@functools.lru_cache(maxsize=None)
def _tables(neighbours, adjacency, nring):
    """Lookup tables of ``classify`` and of ``representatives`` (packed r+1 bytes).

    Plain Python (no compilation; at most 256 masks): for every mask of
    present ring cells, flood each present neighbour's group through the
    present cells (``adjacency``: a tuple of ints), lowest ring position
    first.  ``tests/test_sorting.py`` checks them against the kernels'
    ``classify`` and ``representatives``.
    """
    size = 1 << nring
    kinds = np.zeros(size, dtype=np.int8)
    reps = np.zeros(size, dtype=np.uint32)
    for mask in range(size):
        rest = mask & neighbours
        code = count = 0
        while rest:
            low = rest & -rest
            comp = low
            while True:
                grow = comp
                for r in range(nring):
                    if comp >> r & 1:
                        grow |= adjacency[r] & mask
                if grow == comp:
                    break
                comp = grow
            code |= (low.bit_length()) << (8 * count)  # ring position + 1
            count += 1
            rest &= ~comp
        kinds[mask] = min(count, 2)
        reps[mask] = code
    return kinds, reps


def stencil(ndim, connectivity, padded):
    """Everything the kernels need about the neighbourhood, computed once per shape.

    Returns a ``Stencil``: ring offsets (ascending), the ascending offsets
    of the neighbours at ``connectivity`` (as
    ``scipy.ndimage.generate_binary_structure``), their bit mask in the
    ring, the ring adjacency masks, for rings of at most 8 cells the lookup
    tables of ``classify`` and ``representatives`` (size 1 otherwise), the
    (dz, dy, dx) step of each ring cell, and for each *border case* the
    mask of ring cells that fall in the padding.  The border case of a
    pixel has bit 0 set if x == 0, 1 if x == W-1, 2 if y == 0, 3 if
    y == H-1, 4 if z == 0 and 5 if z == D-1.  ``merge_index[r]`` is the
    position of ring cell r among the neighbours (-1 if it is not one).
    """
    steps, neighbours, adjacency, kinds, reps, outside, merge_index = _shape_free(ndim,
                                                                                connectivity)
    offsets = steps @ np.array([padded[1] * padded[2], padded[2], 1], dtype=np.int64)
    noff = offsets[merge_index >= 0]
    return Stencil(offsets, noff, neighbours, adjacency, kinds, reps, steps, outside, merge_index,
                   np.int64(connectivity))


@functools.lru_cache(maxsize=None)
def _shape_free(ndim, connectivity):
    """The parts of ``stencil`` that do not depend on the image's shape (kept once made)."""
    steps = ring(ndim, np.ones(3, dtype=np.int64))[1]
    neighbours, adjacency = _relations(steps, connectivity)
    nring = steps.shape[0]
    if nring <= 8:
        kinds, reps = _tables(int(neighbours), tuple(int(a) for a in adjacency), nring)
    else:
        kinds = np.zeros(1, dtype=np.int8)
        reps = np.zeros(1, dtype=np.uint32)
    cases = np.arange(64)[:, None]
    dz, dy, dx = steps[:, 0], steps[:, 1], steps[:, 2]
    out = (((dx == -1) & (cases & 1 > 0)) | ((dx == 1) & (cases & 2 > 0))
           | ((dy == -1) & (cases & 4 > 0)) | ((dy == 1) & (cases & 8 > 0))
           | ((dz == -1) & (cases & 16 > 0)) | ((dz == 1) & (cases & 32 > 0)))
    outside = (out.astype(np.uint32) << np.arange(nring, dtype=np.uint32)).sum(
        axis=1, dtype=np.uint32)
    is_neighbour = (int(neighbours) >> np.arange(nring)) & 1 == 1
    merge_index = np.full(nring, -1, dtype=np.int64)
    merge_index[is_neighbour] = np.arange(int(is_neighbour.sum()))
    return steps, neighbours, adjacency, kinds, reps, outside, merge_index


@njit(inline="always")
def first_neighbour_bit(present, neighbours, merge_index):
    """``1 << j`` for the first present neighbour j in ring order (0 if none)."""
    m = present & neighbours
    if m == 0:
        return 0
    r = 0
    while not (m >> np.uint32(r)) & np.uint32(1):
        r += 1
    return 1 << merge_index[r]


@njit(inline="always")
def set_row_padding(parent, padded, pad, shape3, z, y, value):
    """Write ``value`` into the padding cells that belong to image row (z, y).

    Every row owns its left and right padding cell; the first and last row
    of each plane own the padding row before/after it, and the first and
    last row of the volume own the padding plane before/after it.  Over all
    rows this covers the whole padding exactly once.
    """
    D, H = shape3[0], shape3[1]
    Hp, Wp = padded[1], padded[2]
    zp, yp = z + pad[0], y + pad[1]
    base = (zp * Hp + yp) * Wp
    parent[base] = value
    parent[base + Wp - 1] = value
    if pad[1] == 1:
        if y == 0:
            parent[base - Wp:base] = value
        if y == H - 1:
            parent[base + Wp:base + 2 * Wp] = value
    if pad[0] == 1:
        plane = Hp * Wp
        if z == 0 and y == 0:
            parent[0:plane] = value
        if z == D - 1 and y == H - 1:
            parent[(zp + 1) * plane:(zp + 2) * plane] = value


@njit(cache=True, nogil=True)
def set_border(parent, padded, pad, value):
    """Write ``value`` into every padding cell of the flat padded array ``parent``."""
    Dp, Hp, Wp = padded[0], padded[1], padded[2]
    for z in range(Dp):
        zb = pad[0] == 1 and (z == 0 or z == Dp - 1)
        for y in range(Hp):
            base = (z * Hp + y) * Wp
            if zb or (pad[1] == 1 and (y == 0 or y == Hp - 1)):
                parent[base:base + Wp] = value
            else:
                parent[base] = value
                parent[base + Wp - 1] = value


_PARTS = 8        # array sections of one stencil in a buffer
_HEAD = 2 + 2 * _PARTS  # words of one stencil's header


def stencils_buffer(st_f, st_r):
    """Both stencils of a shape in one int64 buffer (read back by ``stencils_from_buffer``).

    A kernel called from Python unboxes one array instead of two tuples of
    eight arrays: 2-4 us less of Numba dispatch per call, which counts for
    small images.  Every section is stored as int64 words (the uint32 and
    int8 ones widened: a few hundred words in all), so that reading them
    back takes slices and copies, not views, which are slow to compile.
    Layout: the start of each stencil, then per stencil a header
    (``neighbours``, ``connectivity``, then start and length of each
    section, in words) and the sections.
    """
    chunks = []
    for st in (st_f, st_r):
        offsets, noff, neighbours, adjacency, kinds, reps, steps, outside, merge_index, conn = st
        parts = [offsets, noff, adjacency, kinds, reps, steps.reshape(-1), outside, merge_index]
        head = np.zeros(_HEAD, dtype=np.int64)
        head[0], head[1] = int(neighbours), int(conn)
        at = _HEAD
        for i, part in enumerate(parts):
            head[2 + 2 * i] = at
            head[3 + 2 * i] = part.size
            at += part.size
        chunks.append(np.concatenate([head] + [part.astype(np.int64) for part in parts]))
    lead = np.array([2, 2 + chunks[0].size], dtype=np.int64)
    return np.concatenate([lead] + chunks)


@njit(inline="always")
def _section(buf, i):
    start = buf[2 + 2 * i]
    return buf[start:start + buf[3 + 2 * i]]


@njit(inline="always")
def _stencil_at(buf):
    offsets = _section(buf, 0)
    return Stencil(offsets, _section(buf, 1), np.uint32(buf[0]),
                   _section(buf, 2).astype(np.uint32), _section(buf, 3).astype(np.int8),
                   _section(buf, 4).astype(np.uint32),
                   np.ascontiguousarray(_section(buf, 5)).reshape((offsets.size, 3)),
                   _section(buf, 6).astype(np.uint32), _section(buf, 7), buf[1])


@njit(inline="always")
def stencils_from_buffer(buf):
    """``(st_f, st_r)`` as ``stencil`` returns them, from a ``stencils_buffer``."""
    return (_stencil_at(buf[buf[0]:buf[1]]), _stencil_at(buf[buf[1]:]))
