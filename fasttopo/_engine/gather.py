"""Birth and death values of pairs, with +-inf for essential classes (private).

The one place where the pairs' pixel indices become values: every path of
the engine (one image, a stack, the threaded path, the torch layer) ends
here.
"""

import numpy as np
from numba import njit

__all__ = ["gather_values", "batch_cells"]


@njit(cache=True, nogil=True)
def gather_values(values, counts, births, deaths, superlevel):
    """Pixel values (float64) of concatenated pairs; ``values`` is (B, npix).

    ``counts[i]`` consecutive pairs belong to image i; ``births`` and
    ``deaths`` are flat C indices within the image.  Essential deaths
    (index -1) get -inf if ``superlevel`` else +inf.
    """
    birth = np.empty(births.size, dtype=np.float64)
    death = np.empty(births.size, dtype=np.float64)
    essential = -np.inf if superlevel else np.inf
    j = 0
    for i in range(counts.size):
        row = values[i]
        for _ in range(counts[i]):
            birth[j] = np.float64(row[births[j]])
            d = deaths[j]
            death[j] = essential if d < 0 else np.float64(row[d])
            j += 1
    return birth, death


@njit(cache=True, nogil=True)
def batch_cells(item, births, deaths, npix):
    """Flat indices of the birth and death pixels in a flattened batch of ``npix``-pixel
    images (the birth pixel stands in for an essential death)."""
    birth_cells = np.empty(births.size, dtype=np.int64)
    death_cells = np.empty(births.size, dtype=np.int64)
    for j in range(births.size):
        offset = item[j] * npix
        birth_cells[j] = offset + births[j]
        death_cells[j] = offset + (births[j] if deaths[j] < 0 else deaths[j])
    return birth_cells, death_cells
