"""Running the kernels on large images with threads; scratch buffers and stencils (private)."""

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .keys import fill_keys, fix_ties, keys_finite, packing
from .middle_dimension import middle_dimension, voxel_order
from .neighbourhood import Grid, dual_connectivity, geometry, stencil, stencils_buffer
from .scan import NO_EDGES, NO_SWEEP_EDGES, Edges, Side, scan_rows, scan_rows_bordered
from .union_find import image_pairs, sentinel_padding, sweep, unpad

__all__ = ["cores", "pool", "scratch", "as_3d", "index_dtype", "stencils", "stencil_buffer",
           "threaded_pairs", "small_buffers", "chunk_tasks"]

_INT32_LIMIT = 2**31 - 16
_KEY_DTYPE = {1: np.uint32, 2: np.uint32}
# scratch buffers up to this size are kept per thread between calls (no page faults
# when many images of moderate size are processed, as in a training loop)
_KEEP_BYTES = 4 << 20
_POOL = None
_LOCAL = threading.local()
_STENCILS = {}


_CORES = None


def cores():
    """Number of CPUs (``os.cpu_count()``, asked once: it reads /sys each time)."""
    global _CORES
    if _CORES is None:
        _CORES = os.cpu_count() or 1
    return _CORES


def pool():
    """The shared thread pool (created on first use)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1),
                                   thread_name_prefix="fasttopo")
    return _POOL


def scratch(name, shape, dtype):
    """An uninitialised array; small ones are reused by the same thread between calls."""
    dtype = np.dtype(dtype)
    size = (shape if isinstance(shape, int) else math.prod(shape)) * dtype.itemsize
    if size > _KEEP_BYTES:
        return np.empty(shape, dtype=dtype)
    cache = getattr(_LOCAL, "buffers", None)
    if cache is None:
        cache = _LOCAL.buffers = {}
    buf = cache.get(name)
    if buf is None or buf.nbytes < size:
        buf = cache[name] = np.empty(max(size, 1 << 12), dtype=np.uint8)
    return buf[:size].view(dtype).reshape(shape)


def as_3d(array):
    """View a 1D/2D/3D array as (D, H, W)."""
    return array.reshape((1,) * (3 - array.ndim) + array.shape)


def index_dtype(shape):
    """int32 indices unless the padded grid needs int64."""
    padded = math.prod(int(s) + 2 for s in shape)
    return np.int32 if padded < _INT32_LIMIT else np.int64


def threaded_pairs(bits3, kind, signbit, allones, superlevel, ndim, connectivity, top,
                   n_threads, middle=False):
    """Pairs of one image computed with threads; returns (dims, births, deaths), flat C indices.

    Union-find gives dimension 0 and (if ``top``) the top dimension; with two
    threads or more each direction (scan, sort, sweep) runs in its own
    thread, and dimension 0 alone splits its scan into row blocks.  With
    ``middle`` (3D only) dimension 1 comes from the cubical reduction, fed
    with the negative edges of the 6-connected direction.  The result does
    not depend on ``n_threads``.  Returns None, having computed nothing
    more than the keys, if the image has a NaN or an infinity.
    """
    shape3 = np.array(bits3.shape, dtype=np.int64)
    padded, pad = geometry(shape3, ndim)
    npad = int(np.prod(padded))
    g = Grid(shape3, padded, pad, int(ndim), npad)
    n = bits3.size
    width = int(shape3[2])
    rows = int(shape3[0] * shape3[1])
    idx = index_dtype(bits3.shape)
    # uint32 keys for 8- and 16-bit dtypes (room for the sentinel key; a quarter of
    # the memory traffic of uint64 keys: 5-10 % faster on large images), uint64 for
    # the others (+ a slot for the exterior cell): two specialisations of the kernels
    kdtype = _KEY_DTYPE.get(bits3.dtype.itemsize, np.uint64)
    keys = scratch("keys", npad + 1, kdtype)
    kmin, kmax, varying, first = fill_keys(bits3, kind, signbit, allones, superlevel, keys,
                                           padded, pad)
    kmin, kmax, varying = np.uint64(kmin), np.uint64(kmax), np.uint64(varying)
    if not keys_finite(kind, kmin, kmax, superlevel, signbit, allones):
        return None
    # a sentinel key in the padding (room for it unless 64-bit integers hold their
    # extremes): every pixel is then scanned in the vectorised passes
    sentinel = kdtype(np.iinfo(kdtype).max)
    scan = scan_rows if sentinel_padding(keys, g, kmax, sentinel) else scan_rows_bordered
    pk = packing(kmin, kmax, varying, npad + 1)
    # NumPy scalars for the keys (Numba boxes them as Python ints): the types the
    # small-image kernels use, so the kernels compile once for both paths
    pk = pk._replace(kmin=np.uint64(pk.kmin), kmax=np.uint64(pk.kmax))
    # the reduction works on the 6-connected side: the image (V) or its complement (T)
    dual = middle and connectivity != 1
    negative = np.zeros(npad + 1 if middle else 1, dtype=np.uint8)

    def direction(reverse, blocks):
        st = stencils(bits3.shape, ndim, connectivity)[1 if reverse else 0]
        recording = middle and reverse == dual
        edges = Edges(negative, 2 if reverse else 1) if recording else None
        # (scan_rows compiles without its recording code for NO_EDGES)
        scan_edges = (edges if edges is not None
                      else NO_EDGES if scan is scan_rows else NO_SWEEP_EDGES)
        parent = scratch("parent", npad + 1, idx)
        parent[npad] = npad
        cand = scratch("candidates", n, np.uint64)
        # the ring mask of each pixel, stored by the scan for the sweep (uint32 as in
        # the small-image kernels: the scan and the sweep compile once for both)
        rings = scratch("rings", npad, np.uint32)
        cuts = [rows * i // blocks for i in range(blocks + 1)]

        def scan_block(i):
            r0, r1 = cuts[i], cuts[i + 1]
            side = Side(True, parent, st, cand[r0 * width:])
            idle = Side(False, parent, st, cand[r0 * width:])
            res = scan(keys, g, pk, (r0, r1), idle if reverse else side,
                       side if reverse else idle, rings, scan_edges)
            return res[2:] if reverse else res[:2]

        if blocks == 1:
            results = [scan_block(0)]
        else:
            results = list(pool().map(scan_block, range(blocks)))
        m = 0
        for i, (count, _) in enumerate(results):
            start = cuts[i] * width
            if start != m:
                cand[m:m + count] = cand[start:start + count]
            m += count
        roots = sum(res[1] for res in results)
        view = cand[:m]
        view.sort()
        if not pk.exact:
            fix_ties(view, m, keys, pk.index_bits, reverse)
        out_b = scratch("births", roots + 2, idx)
        out_d = scratch("deaths", roots + 2, idx)
        count = sweep(keys, Side(True, parent, st, view), m, pk.index_bits, reverse, npad,
                      (out_b, out_d), 0, rings, NO_SWEEP_EDGES if edges is None else edges)
        if count < 0:  # pragma: no cover - bounded by the number of roots
            raise RuntimeError("internal error: pair buffer overflow in the union-find sweep")
        if reverse:  # found by decreasing birth; report increasing
            out_b, out_d = out_b[:count][::-1].copy(), out_d[:count][::-1].copy()
        else:
            out_b, out_d = out_b[:count].copy(), out_d[:count].copy()
        unpad(out_b, padded, pad, shape3)
        unpad(out_d, padded, pad, shape3)
        return out_b, out_d

    def ordering():
        return voxel_order(keys, padded, pad, shape3, dual, pk)

    need_reverse = top or dual
    empty = np.empty(0, dtype=idx)
    b1 = d1 = bm = dm = empty
    if need_reverse and n_threads > 1:
        future = pool().submit(direction, True, 1)
        order_future = pool().submit(ordering) if middle else None
        b0, d0 = direction(False, 1)
        b1, d1 = future.result()
        voxels = order_future.result() if middle else None
    else:
        b0, d0 = direction(False, min(n_threads, rows))
        if need_reverse:
            b1, d1 = direction(True, 1)
        voxels = ordering() if middle else None
    if middle:
        bm, dm = middle_dimension(keys, padded, pad, shape3, negative, dual, voxels, n_threads,
                                  pool().map if n_threads > 1 else None)
        bm, dm = bm.astype(idx), dm.astype(idx)
        unpad(bm, padded, pad, shape3)
        unpad(dm, padded, pad, shape3)
    if not top:
        b1 = d1 = empty
    essential = np.array([first], dtype=idx)
    unpad(essential, padded, pad, shape3)
    births = np.concatenate([b0, essential, bm, b1])
    deaths = np.concatenate([d0, np.array([-1], dtype=idx), dm, d1])
    dims = np.zeros(births.size, dtype=np.int8)
    dims[b0.size + 1:b0.size + 1 + bm.size] = 1
    dims[b0.size + 1 + bm.size:] = ndim - 1
    return dims, births, deaths


def stencils(shape3, ndim, connectivity):
    """The (forward, reverse) stencils of a (D, H, W) shape, computed once and kept."""
    return _stencil_entry(shape3, ndim, connectivity)[0]


def stencil_buffer(shape3, ndim, connectivity):
    """Both stencils of a shape in one array (``stencils_buffer``), computed once and kept."""
    return _stencil_entry(shape3, ndim, connectivity)[1]


def _stencil_entry(shape3, ndim, connectivity):
    key = (shape3, ndim, connectivity)
    found = _STENCILS.get(key)
    if found is None:
        if len(_STENCILS) >= 64:
            _STENCILS.clear()
        padded = geometry(np.array(shape3, dtype=np.int64), ndim)[0]
        # ``neighbours`` as a NumPy uint32, as the kernels build it from the buffer:
        # the same types, so the kernels compile once for both paths
        pair = tuple(st._replace(neighbours=np.uint32(st.neighbours))
                     for st in (stencil(ndim, connectivity, padded),
                                stencil(ndim, dual_connectivity(ndim, connectivity), padded)))
        found = _STENCILS[key] = (pair, stencils_buffer(*pair))
    return found


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
