"""Concatenating a batch's pair buffers and gathering their values (private).

The pairs come from the engine's batch kernel (``fasttopo._engine.batch_buffers``,
one parallel Numba call).  An earlier version drove the serial per-image
kernel from fasttopo's Python thread pool, to keep a second OpenMP runtime
out of the way of PyTorch's; measured again once the kernel got faster
(16x1x64x64, dims 0+1, forward and backward alternated with the cripser torch
loop in one process), the OpenMP kernel won on both counts: best 3.2 vs
4.6-5.1 ms, median 4.2 vs 7.9-9.0 ms.
"""

import numpy as np
from numba import njit

__all__ = ["assemble"]


@njit(cache=True, nogil=True)
def assemble(counts, out_dim, out_b, out_d, flat, npix, superlevel):
    """Concatenate the pairs of every image and gather their values, in one pass.

    Returns ``(dims, births, deaths, item, birth_cells, death_cells,
    birth_values, death_values)``: local flat indices (death -1 if
    essential), the image of each pair, the indices of the birth and death
    cells in the flattened batch (the birth cell standing in for an
    essential death) and the float64 values.
    """
    n = 0
    for i in range(counts.size):
        n += counts[i]
    dims = np.empty(n, np.int8)
    births = np.empty(n, np.int64)
    deaths = np.empty(n, np.int64)
    item = np.empty(n, np.int64)
    birth_cells = np.empty(n, np.int64)
    death_cells = np.empty(n, np.int64)
    bvals = np.empty(n, np.float64)
    dvals = np.empty(n, np.float64)
    inf = -np.inf if superlevel else np.inf
    j = 0
    for i in range(counts.size):
        off = i * npix
        for k in range(counts[i]):
            b = np.int64(out_b[i, k])
            d = np.int64(out_d[i, k])
            dims[j] = out_dim[i, k]
            births[j] = b
            deaths[j] = d
            item[j] = i
            birth_cells[j] = off + b
            bvals[j] = flat[off + b]
            if d < 0:
                death_cells[j] = off + b
                dvals[j] = inf
            else:
                death_cells[j] = off + d
                dvals[j] = flat[off + d]
            j += 1
    return dims, births, deaths, item, birth_cells, death_cells, bvals, dvals
