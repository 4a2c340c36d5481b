"""The engine's batch kernel driven by fasttopo's Python thread pool (private).

``fasttopo._engine.stack_pairs`` runs a Numba ``parallel=True`` kernel, i.e.
a second OpenMP runtime next to PyTorch's inside a training process.  Here
each thread of fasttopo's pool (idle threads sleep) runs the engine's serial
per-image function on a contiguous chunk of images instead, so the pairs
are exactly those of ``stack_pairs`` and do not depend on the thread
count.  Measured on the shared 2-core development machine (16x64x64,
dims 0+1, separate processes): OpenMP kernel best 2.0-2.7 ms but median
7.8-8.0 ms; these threads best 2.8-4.1 ms, median 3.0-5.7 ms.  A training
loop sees the median.
"""

import os

import numpy as np
from numba import njit

from .._engine import index_dtype, pool, stencils
from .._stencil import geometry
from .._union_find import image_pairs_with, workspace

__all__ = ["stack_pairs_threaded", "assemble"]


@njit(cache=True, nogil=True)
def _chunk_pairs(bits, kind, signbit, allones, superlevel, ndim, st_f, st_r, top,
                 out_dim, out_b, out_d, counts, start, stop):
    """Pairs of images ``start:stop`` of a (B, D, H, W) stack, serially, without the GIL."""
    ws = workspace(bits[0], top, out_b)
    for b in range(start, stop):
        counts[b] = image_pairs_with(bits[b], kind, signbit, allones, superlevel, ndim, top,
                                     st_f, st_r, ws, out_dim[b], out_b[b], out_d[b])


@njit(cache=True, nogil=True)
def assemble(counts, out_dim, out_b, out_d, flat, npix, superlevel):
    """Concatenate the pairs of every image and gather their values, in one pass.

    Returns ``(dims, births, deaths, item, gather, birth_values,
    death_values)``: local flat indices (death -1 if essential), the image
    of each pair, the global indices to gather from the batch (births, then
    deaths with the birth index standing in for an essential death, then
    the rows of the essential pairs) and the float64 values.
    """
    n = 0
    for i in range(counts.size):
        n += counts[i]
    dims = np.empty(n, np.int8)
    births = np.empty(n, np.int64)
    deaths = np.empty(n, np.int64)
    item = np.empty(n, np.int64)
    gather = np.empty(3 * n, np.int64)
    bvals = np.empty(n, np.float64)
    dvals = np.empty(n, np.float64)
    inf = -np.inf if superlevel else np.inf
    j = 0
    e = 2 * n
    for i in range(counts.size):
        off = i * npix
        for k in range(counts[i]):
            b = np.int64(out_b[i, k])
            d = np.int64(out_d[i, k])
            dims[j] = out_dim[i, k]
            births[j] = b
            deaths[j] = d
            item[j] = i
            gather[j] = off + b
            bvals[j] = flat[off + b]
            if d < 0:
                gather[n + j] = off + b
                gather[e] = j
                e += 1
                dvals[j] = inf
            else:
                gather[n + j] = off + d
                dvals[j] = flat[off + d]
            j += 1
    return dims, births, deaths, item, gather[:e], bvals, dvals


def stack_pairs_threaded(bits4, kind, signbit, allones, superlevel, ndim, connectivity, top,
                         n_threads=None):
    """Per-image pair buffers ``(counts, out_dim, out_b, out_d)`` of a (B, D, H, W) stack.

    Row ``i`` of the buffers holds the ``counts[i]`` pairs of image ``i``,
    exactly as ``stack_pairs`` computes them (flat local indices).
    """
    count = bits4.shape[0]
    n_threads = max(1, min(count, n_threads or os.cpu_count() or 1))
    per_image = bits4[0].size + 1
    idx = index_dtype(bits4.shape[1:])
    out_dim = np.empty((count, per_image), np.int8)
    out_b = np.empty((count, per_image), idx)
    out_d = np.empty((count, per_image), idx)
    counts = np.empty(count, np.int64)
    edges = [count * i // n_threads for i in range(n_threads + 1)]
    st_f, st_r = stencils(ndim, connectivity, geometry(np.array(bits4.shape[1:]), ndim)[0])

    def run(i):
        _chunk_pairs(bits4, kind, signbit, allones, superlevel, ndim, st_f, st_r, top,
                     out_dim, out_b, out_d, counts, edges[i], edges[i + 1])

    if n_threads == 1:
        run(0)
    else:
        futures = [pool().submit(run, i) for i in range(1, n_threads)]
        run(0)
        for future in futures:
            future.result()
    if (counts < 0).any():  # pragma: no cover - bounded by the pixel count
        raise RuntimeError("internal error: pair buffer overflow in the batch kernel")
    return counts, out_dim, out_b, out_d
