"""Growable pixel buffers and flat indices as coordinates: shared by the cycle kernels
(``cycles``, ``loops``) (private)."""

import numpy as np
from numba import njit

__all__ = ["position", "grown", "coordinates"]


@njit(inline="always")
def position(p, shape3):
    """(z, y, x) of flat index p in a (D, H, W) grid."""
    H, W = shape3[1], shape3[2]
    r = p // W
    return r // H, r - (r // H) * H, p - r * W


@njit(cache=True, nogil=True)
def grown(buffer, need):
    """``buffer`` or a copy of it with room for at least ``need`` entries."""
    if need <= buffer.size:
        return buffer
    out = np.empty(max(need, 2 * buffer.size), dtype=buffer.dtype)
    out[:buffer.size] = buffer
    return out


@njit(cache=True, nogil=True)
def coordinates(flat, shape3, ndim):
    """(len(flat), ndim) int64 C-order coordinates of flat indices into a (D, H, W) grid."""
    out = np.empty((flat.size, ndim), dtype=np.int64)
    for i in range(flat.size):
        c = position(flat[i], shape3)
        for a in range(ndim):
            out[i, a] = c[3 - ndim + a]
    return out
