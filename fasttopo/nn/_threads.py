"""The engine's batch kernel driven by Python threads instead of Numba's OpenMP pool (private).

Inside a PyTorch program, a Numba ``parallel=True`` kernel leaves its OpenMP
workers spinning after it returns; they compete for the cores with
PyTorch's own OpenMP pool (a different runtime), and the backward pass that
follows slows down by an order of magnitude (measured: 0.5 ms -> 14 ms for
a 16x1x64x64 batch on 2 cores).  Here each thread of fasttopo's pool
(which sleeps when idle) runs the engine's serial per-image function on a
contiguous chunk of images, so the pairs are exactly those of
``fasttopo._engine.stack_pairs`` and do not depend on the thread count.
"""

import os

import numpy as np
from numba import njit

from .._engine import index_dtype, pool
from .._stencil import dual_connectivity, geometry, stencil
from .._union_find import image_pairs_with, workspace

__all__ = ["stack_pairs_threaded", "assemble"]


@njit(cache=True, nogil=True)
def _chunk_pairs(bits, kind, signbit, allones, superlevel, ndim, connectivity, top,
                 out_dim, out_b, out_d, counts, start, stop):
    """Pairs of images ``start:stop`` of a (B, D, H, W) stack, serially, without the GIL."""
    padded, _ = geometry(np.array(bits.shape[1:], dtype=np.int64), ndim)
    st_f = stencil(ndim, connectivity, padded)
    st_r = stencil(ndim, dual_connectivity(ndim, connectivity), padded) if top else st_f
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

    def run(i):
        _chunk_pairs(bits4, kind, signbit, allones, superlevel, ndim, connectivity, top,
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
