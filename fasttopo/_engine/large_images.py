"""Large images and volumes: the kernels run on whole arrays from Python threads (private).

Each direction (scan, sort, sweep) of an image runs in its own thread,
dimension 0 alone splits its scan into row blocks, and dimension 1 of a
volume comes from the cubical reduction (``volumes``).
"""

import numpy as np

from .buffers import index_dtype, pool, scratch, stencils
from .keys import fill_keys, fix_ties, keys_finite, packing, radix_sort_u64
from .neighbourhood import Grid, geometry
from .scan import NO_EDGES, NO_SWEEP_EDGES, Edges, Side, scan_rows, scan_rows_bordered
from .union_find import sentinel_padding, sweep, unpad
from .volumes import dimension_one, voxel_order

__all__ = ["threaded_pairs"]

_KEY_DTYPE = {1: np.uint32, 2: np.uint32}


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
        if scan is scan_rows:
            # the blocks queue their candidates by increasing cell (the index field counts
            # down in the reverse direction), so a stable radix sort on the bytes above it
            # gives the order of a full sort, in a third of the time for 1024 x 1024 noise
            radix_sort_u64(view, m, np.empty(m, dtype=np.uint64), pk.index_bits // 8, reverse)
        else:   # (the bordered scan queues the border cells apart)
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
        bm, dm = dimension_one(keys, padded, pad, shape3, negative, dual, voxels, n_threads,
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
