"""Representative cycles of persistence pairs (private; ``fasttopo.representative_cycles``).

Every pair of a diagram is given pixels that carry its class, found from
the filtration order alone (``filtration_keys``: value, ties by flat
index), so the cost of the cycles of k pairs is one pass over the keys
plus a search that visits the pixels the cycles hold and their
neighbours:

* dimension 0, finite pair (b, d): the pixels connected to b through
  pixels before d (breadth-first search from b, ``connectivity``);
  essential class: every pixel (the image is connected);
* top dimension, pair (b, d): the hole at birth, the component of the
  pixels after b that holds d under the dual connectivity (searched from
  d), and the cycle, the pixels at or before b next to the hole under the
  dual connectivity (``region_cycles``);
* dimension 1 of volumes: a closed walk of voxels through b built from
  the cubical reduction (``loops.middle_cycles``).

The searches also check that the row belongs to the image with these
options (b the oldest pixel of its component, d next to it; the hole
bounded, d its last pixel, b next to it): a row that fails gets a status
and the caller raises.
"""

import numpy as np
from numba import njit

from .keys import fill_keys, image_bits
from .loops import middle_cycles
from .neighbourhood import dual_connectivity
from .pixel_lists import coordinates, grown, position as _position

__all__ = ["COMPONENT", "ESSENTIAL", "HOLE", "LOOP", "steps", "order_keys", "region_cycles",
           "representatives"]

# what each row asks for
COMPONENT, ESSENTIAL, HOLE, LOOP = 0, 1, 2, 3
# statuses of a row (0: found)
_BIRTH_AFTER_DEATH = 1
_OLDER_PIXEL = 2
_DEATH_NOT_ADJACENT = 3
_NOT_FIRST = 4
_OPEN_HOLE = 5
_LATER_PIXEL = 6
_BIRTH_NOT_ADJACENT = 7
_NO_PAIR = 8  # (``loops._NO_PAIR``)
STATUS_TEXT = {
    _BIRTH_AFTER_DEATH: "its birth pixel does not come before its death pixel",
    _OLDER_PIXEL: "a pixel older than its birth pixel is in its component before the death "
                  "pixel (the birth pixel is not the oldest of its component)",
    _DEATH_NOT_ADJACENT: "its death pixel is not next to the component of its birth pixel",
    _NOT_FIRST: "its birth pixel is not the first pixel of the filtration (an essential class "
                "is born there)",
    _OPEN_HOLE: "the pixels after its birth pixel that are connected to its death pixel reach "
                "the image border (no hole there)",
    _LATER_PIXEL: "its hole holds a pixel that comes after its death pixel (the death pixel is "
                  "not the last of the hole)",
    _BIRTH_NOT_ADJACENT: "its birth pixel is not next to the hole of its death pixel",
    _NO_PAIR: "no pair of the image has this birth and death voxel in dimension 1",
}


def steps(ndim, connectivity):
    """(m, 3) int64 (dz, dy, dx) steps to the neighbours at ``connectivity`` (last ndim axes)."""
    ranges = [range(-1, 2) if axis >= 3 - ndim else range(0, 1) for axis in range(3)]
    out = [(dz, dy, dx) for dz in ranges[0] for dy in ranges[1] for dx in ranges[2]
           if 0 < abs(dz) + abs(dy) + abs(dx) <= connectivity]
    return np.array(out, dtype=np.int64).reshape(-1, 3)


def order_keys(image, superlevel):
    """Flat uint64 keys of an image: ``(keys[i], i)`` sorts like the filtration."""
    bits, kind, signbit, allones = image_bits(image)
    bits3 = bits.reshape((1,) * (3 - image.ndim) + bits.shape)
    keys = np.empty(bits3.size, dtype=np.uint64)
    fill_keys(bits3, kind, signbit, allones, bool(superlevel), keys,
              np.array(bits3.shape, dtype=np.int64), np.zeros(3, dtype=np.int64))
    return keys


@njit(inline="always")
def _before(keys, p, q):
    """Pixel p comes before pixel q in the filtration order."""
    kp = keys[p]
    kq = keys[q]
    return kp < kq or (kp == kq and p < q)


@njit(inline="always")
def _neighbour(p, z, y, x, step, shape3):
    """Flat index of the neighbour of p = (z, y, x) one ``step`` away, -1 outside."""
    z2, y2, x2 = z + step[0], y + step[1], x + step[2]
    if z2 < 0 or z2 >= shape3[0] or y2 < 0 or y2 >= shape3[1] or x2 < 0 or x2 >= shape3[2]:
        return -1
    return p + (step[0] * shape3[1] + step[1]) * shape3[2] + step[2]


@njit(cache=True, nogil=True)
def _component(keys, shape3, nbrs, b, d, stamp, seen, out, cnt):
    """Pixels connected to b through pixels before d, appended to ``out`` from ``cnt``.

    Returns ``(out, new count, status)``.
    """
    if not _before(keys, b, d):
        return out, cnt, _BIRTH_AFTER_DEATH
    start = cnt
    seen[b] = stamp
    out = grown(out, cnt + 1)
    out[cnt] = b
    cnt += 1
    head = start
    touched = False
    while head < cnt:
        p = out[head]
        head += 1
        z, y, x = _position(p, shape3)
        for s in range(nbrs.shape[0]):
            q = _neighbour(p, z, y, x, nbrs[s], shape3)
            if q < 0 or seen[q] == stamp:
                continue
            if q == d:
                touched = True
                continue
            if _before(keys, q, d):
                if _before(keys, q, b):
                    return out, cnt, _OLDER_PIXEL
                seen[q] = stamp
                out = grown(out, cnt + 1)
                out[cnt] = q
                cnt += 1
    if not touched:
        return out, cnt, _DEATH_NOT_ADJACENT
    return out, cnt, 0


@njit(cache=True, nogil=True)
def _hole(keys, shape3, dual, b, d, stamp, seen, near, queue, out, cnt):
    """The pixels at or before b next to the hole of d (pixels after b, ``dual`` steps).

    Appended to ``out`` from ``cnt``; ``queue`` holds the hole.  Returns
    ``(out, queue, new count, status)``.
    """
    if not _before(keys, b, d):
        return out, queue, cnt, _BIRTH_AFTER_DEATH
    seen[d] = stamp
    queue[0] = d
    size = 1
    head = 0
    while head < size:
        p = queue[head]
        head += 1
        z, y, x = _position(p, shape3)
        for s in range(dual.shape[0]):
            q = _neighbour(p, z, y, x, dual[s], shape3)
            if q < 0:
                return out, queue, cnt, _OPEN_HOLE
            if seen[q] == stamp or near[q] == stamp:
                continue
            if _before(keys, b, q):  # after the birth pixel: in the hole
                if _before(keys, d, q):
                    return out, queue, cnt, _LATER_PIXEL
                seen[q] = stamp
                queue = grown(queue, size + 1)
                queue[size] = q
                size += 1
            else:  # in the sublevel set at birth: on the cycle
                near[q] = stamp
                out = grown(out, cnt + 1)
                out[cnt] = q
                cnt += 1
    if near[b] != stamp:
        return out, queue, cnt, _BIRTH_NOT_ADJACENT
    return out, queue, cnt, 0


@njit(cache=True, nogil=True)
def _sort_stamped(segment, stamps, stamp):
    """Sort ``segment``, the pixels with ``stamps == stamp``, in place.

    When they span few more indices than they are (compact regions, the
    usual case), a scan of ``stamps`` over their range lists them in
    order, faster than sorting; otherwise ``np.sort``.
    """
    if segment.size < 32:
        segment[:] = np.sort(segment)
        return
    lo = segment.min()
    hi = segment.max()
    if hi - lo > 8 * segment.size:
        segment[:] = np.sort(segment)
        return
    j = 0
    for p in range(lo, hi + 1):
        if stamps[p] == stamp:
            segment[j] = p
            j += 1


@njit(cache=True, nogil=True)
def region_cycles(keys, shape3, nbrs, dual, kinds, births, deaths):
    """Flat pixel indices of the cycles of rows of kind COMPONENT, ESSENTIAL or HOLE.

    ``nbrs``/``dual``: the steps of the connectivity and of the dual one
    (``steps``).  Rows of another kind get an empty cycle.  Returns
    ``(pixels, starts, status)``: the cycle of row i is
    ``pixels[starts[i]:starts[i + 1]]`` in increasing flat order, and
    ``status[i]`` is 0 or why the row does not belong to the image.
    """
    n = keys.size
    k = kinds.size
    searched = (kinds == COMPONENT).any() or (kinds == HOLE).any()
    seen = np.full(n if searched else 1, -1, dtype=np.int32)
    near = np.full(n if searched else 1, -1, dtype=np.int32)
    out = np.empty(1024, dtype=np.int64)
    queue = np.empty(1024, dtype=np.int64)
    starts = np.zeros(k + 1, dtype=np.int64)
    status = np.zeros(k, dtype=np.int64)
    cnt = 0
    first = 0
    if k > 0 and (kinds == ESSENTIAL).any():
        for p in range(1, n):
            if _before(keys, p, first):
                first = p
    for i in range(k):
        start = cnt
        kind = kinds[i]
        if kind == ESSENTIAL:
            if births[i] != first:
                status[i] = _NOT_FIRST
            else:
                out = grown(out, cnt + n)
                for p in range(n):
                    out[cnt + p] = p
                cnt += n
        elif kind == COMPONENT:
            out, cnt, status[i] = _component(keys, shape3, nbrs, births[i], deaths[i], i,
                                             seen, out, cnt)
        elif kind == HOLE:
            out, queue, cnt, status[i] = _hole(keys, shape3, dual, births[i], deaths[i], i,
                                               seen, near, queue, out, cnt)
        if status[i] != 0:
            cnt = start
        elif kind != ESSENTIAL:
            _sort_stamped(out[start:cnt], seen if kind == COMPONENT else near, i)
        starts[i + 1] = cnt
    return out[:cnt], starts, status


def _split(coords, starts):
    return [coords[s:e] for s, e in zip(starts[:-1].tolist(), starts[1:].tolist())]


def representatives(image, dims, births, deaths, connectivity, superlevel):
    """Representative cycles of the rows ``(dims, births, deaths)`` of a validated image.

    Returns ``(cycles, problems)``: a list of (k, ndim) int64 coordinate
    arrays, one per row, and a list of ``(row, reason)`` for the rows that
    do not belong to the image with these options (their cycle is empty).
    """
    ndim = image.ndim
    dims = np.asarray(dims, dtype=np.int64)
    births = np.ascontiguousarray(births, dtype=np.int64)
    deaths = np.ascontiguousarray(deaths, dtype=np.int64)
    kinds = np.where(dims == 0, np.where(deaths < 0, ESSENTIAL, COMPONENT),
                     np.where(dims == ndim - 1, HOLE, LOOP)).astype(np.int64)
    keys = order_keys(image, superlevel)
    shape3 = np.array((1,) * (3 - ndim) + image.shape, dtype=np.int64)
    pixels, starts, status = region_cycles(
        keys, shape3, steps(ndim, connectivity),
        steps(ndim, dual_connectivity(ndim, connectivity)), kinds, births, deaths)
    found = _split(coordinates(pixels, shape3, ndim), starts)
    loops = np.flatnonzero(kinds == LOOP)
    if loops.size:
        walks, loop_status = middle_cycles(keys, image.shape, connectivity, births[loops],
                                           deaths[loops])
        for j, row in enumerate(loops.tolist()):
            found[row] = walks[j]
            status[row] = loop_status[j]
    problems = [(int(i), STATUS_TEXT[int(status[i])]) for i in np.flatnonzero(status)]
    return found, problems
