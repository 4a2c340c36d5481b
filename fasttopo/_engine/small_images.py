"""The small-image kernels: whole images in one serial Numba call (private).

``image_pairs`` (one direction or both, for one image or a run of a stack,
called from one thread or several) and ``collect_pairs`` (the canonical
order and the values) run on 64-bit bits only (``keys.wide_bits``) and
float64 values, whatever the image's dtype: each compiles once, and every
small-image path (one image, its two directions in two threads, a stack)
shares them.  ``small_buffers`` runs ``image_pairs`` serially or in the
pool's threads (it releases the GIL); ``chunk_tasks`` cuts a stack into runs.
"""

import numpy as np
from numba import njit

from .buffers import pool, scratch, stencil_buffer
from .gather import gather_values
from .intrinsics import read_only
from .keys import fill_keys, fix_ties, keys_finite, packing, radix_sort_u64
from .neighbourhood import grid, stencils_from_buffer
from .scan import NO_EDGES, NO_SWEEP_EDGES, Side, scan_rows
from .union_find import sentinel_padding, sweep, unpad

__all__ = ["NOT_FINITE", "NO_SENTINEL", "image_pairs", "collect_pairs", "small_buffers",
           "chunk_tasks"]

_SMALL_WIDTH = 48  # bits of the packed keys of small images (radix passes: at most six)
# statuses of the small-image kernels (negative pair counts)
NOT_FINITE = -2    # a NaN or an infinity: nothing computed
NO_SENTINEL = -3   # no room for the sentinel key: the caller takes the threaded path


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


def small_buffers(bits4, kind, signbit, allones, superlevel, ndim, connectivity, directions,
                  tasks=None):
    """``image_pairs`` rows ``(counts, births, deaths)`` of a (B, D, H, W) stack of small images.

    ``bits4`` are 64-bit bits (``keys.wide_bits``).  Serially with
    ``tasks=None``; otherwise the (T, 3) int64 ``tasks`` (start, stop,
    directions; e.g. ``chunk_tasks``, or the two directions of one image)
    run in T threads: this one and the pool's (``image_pairs`` releases the
    GIL).  The rows are this thread's scratch arrays: read them
    (``collect_pairs``) before the next call.  The pairs do not depend on
    the tasks.
    """
    count = bits4.shape[0]
    cap = bits4[0].size + 1
    buf = stencil_buffer(bits4.shape[1:], ndim, connectivity)
    out = (np.zeros((count, 2), dtype=np.int64), scratch("rows_birth", (count, cap), np.int32),
           scratch("rows_death", (count, cap), np.int32))
    image_kind = (kind, signbit, allones, superlevel)
    if tasks is None:
        image_pairs(bits4, image_kind, ndim, buf, directions, 0, count, out)
        return out
    others = [pool().submit(image_pairs, bits4, image_kind, ndim, buf, int(task[2]),
                            int(task[0]), int(task[1]), out) for task in tasks[1:]]
    start, stop, mine = (int(v) for v in tasks[0])
    image_pairs(bits4, image_kind, ndim, buf, mine, start, stop, out)
    for other in others:
        other.result()
    return out


def chunk_tasks(count, chunks, directions):
    """(T, 3) tasks of ``image_pairs_parallel``: ``chunks`` runs of consecutive images."""
    chunks = max(1, min(count, chunks))
    cuts = [count * i // chunks for i in range(chunks + 1)]
    return np.array([(cuts[i], cuts[i + 1], directions) for i in range(chunks)], dtype=np.int64)
