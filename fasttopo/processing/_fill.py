"""Pull-push scattered-data interpolation on a grid (private Numba kernels).

Gortler, Grzeszczuk, Szeliski, Cohen, "The Lumigraph", SIGGRAPH 1996
(doi:10.1145/237170.237200), section 3.4: values known on some cells
(weight 1) are spread to the others through an image pyramid.  *Pull*:
each level sums ``value * weight`` and ``weight`` over blocks of 2 cells
per axis (axes of length 1 are not halved).  *Push*: going back down,
each level keeps its own weighted mean where its weight reaches 1 and
blends in the coarser level, upsampled linearly, elsewhere.  Every level
costs a constant per cell, so the whole fill is O(n), and the known cells
keep their values exactly.
"""

import numpy as np
from numba import njit

__all__ = ["pull_push", "fill_background"]


@njit(cache=True, nogil=True)
def _pull(total, weight, known):
    """One pyramid level up: block sums over 2 cells per axis (length-1 axes kept).

    With ``known`` (level 0), ``total`` holds the values and the weights are
    ``known`` itself, so the finest level is never materialised.
    """
    D, H, W = total.shape
    d, h, w = (D + 1) // 2, (H + 1) // 2, (W + 1) // 2
    st = np.zeros((d, h, w))
    sw = np.zeros((d, h, w))
    for z in range(D):
        for y in range(H):
            for x in range(W):
                if known.size:
                    if known[z, y, x]:
                        st[z >> 1, y >> 1, x >> 1] += total[z, y, x]
                        sw[z >> 1, y >> 1, x >> 1] += 1.0
                else:
                    st[z >> 1, y >> 1, x >> 1] += total[z, y, x]
                    sw[z >> 1, y >> 1, x >> 1] += weight[z, y, x]
    return st, sw


@njit(inline="always")
def _taps(i, n):
    """Linear upsampling by 2 (pixel centres): coarse indices and the weight of the first."""
    j = i >> 1
    if n == 1:
        return j, j, 1.0
    if i & 1:
        return j, min(j + 1, n - 1), 0.75
    return j, max(j - 1, 0), 0.75


@njit(inline="always")
def _upsampled(coarse, z0, z1, wz, y0, y1, wy, x0, x1, wx):
    return (wz * (wy * (wx * coarse[z0, y0, x0] + (1 - wx) * coarse[z0, y0, x1])
                  + (1 - wy) * (wx * coarse[z0, y1, x0] + (1 - wx) * coarse[z0, y1, x1]))
            + (1 - wz) * (wy * (wx * coarse[z1, y0, x0] + (1 - wx) * coarse[z1, y0, x1])
                          + (1 - wy) * (wx * coarse[z1, y1, x0] + (1 - wx) * coarse[z1, y1, x1])))


@njit(cache=True, nogil=True)
def _push(coarse, total, weight, keep, out):
    """out = a * mean + (1 - a) * upsample(coarse), a = min(weight, 1).

    At level 0 (``keep`` not empty) the weights are 0 or 1: ``out`` is
    ``total`` (the values) where ``keep`` is set and the upsampled coarse
    level elsewhere.
    """
    D, H, W = total.shape
    d, h, w = coarse.shape
    for z in range(D):
        z0, z1, wz = _taps(z, d) if D > 1 else (0, 0, 1.0)
        for y in range(H):
            y0, y1, wy = _taps(y, h) if H > 1 else (0, 0, 1.0)
            for x in range(W):
                if keep.size:
                    if keep[z, y, x]:
                        out[z, y, x] = total[z, y, x]
                        continue
                    wt = 0.0
                else:
                    wt = weight[z, y, x]
                    if wt >= 1.0:
                        out[z, y, x] = total[z, y, x] / wt
                        continue
                x0, x1, wx = _taps(x, w) if W > 1 else (0, 0, 1.0)
                up = _upsampled(coarse, z0, z1, wz, y0, y1, wy, x0, x1, wx)
                out[z, y, x] = total[z, y, x] + (1.0 - wt) * up if wt > 0.0 else up


@njit(cache=True, nogil=True)
def _pull_push3(values, known, keep):
    empty3 = np.zeros((0, 0, 0))
    none = np.zeros((0, 0, 0), dtype=np.bool_)
    total, weight = _pull(values, empty3, known)
    levels = [(total, weight)]
    while max(total.shape) > 1:
        total, weight = _pull(total, weight, none)
        levels.append((total, weight))
    total, weight = levels[-1]
    coarse = np.where(weight > 0, total / np.maximum(weight, 1e-300), 0.0)
    for i in range(len(levels) - 2, -1, -1):
        total, weight = levels[i]
        out = np.empty(total.shape)
        _push(coarse, total, weight, none, out)
        coarse = out
    out = np.empty(values.shape)
    _push(coarse, values, empty3, keep, out)
    return out


def pull_push(values, known, keep=None):
    """Fill a 1D/2D/3D array from the cells where ``known`` is True (at least one).

    ``keep`` (default ``known``, a superset of it) marks the cells that keep
    their value; the others are interpolated.
    """
    shape = values.shape
    as3 = (1,) * (3 - values.ndim) + shape
    known = np.ascontiguousarray(known, dtype=np.bool_).reshape(as3)
    keep = known if keep is None else np.ascontiguousarray(keep, dtype=np.bool_).reshape(as3)
    out = _pull_push3(np.ascontiguousarray(values, dtype=np.float64).reshape(as3), known, keep)
    return out.reshape(shape)


def fill_background(values, labels, connectivity):
    """Fill the background (labels == 0) from the objects' outer pixels by pull-push."""
    from scipy import ndimage
    objects = labels > 0
    if not objects.any():
        return np.full(values.shape, values.mean())
    structure = ndimage.generate_binary_structure(values.ndim, connectivity)
    rim = objects & ndimage.binary_dilation(~objects, structure=structure)
    if not rim.any():  # the objects cover the image
        return values.copy()
    return pull_push(values, rim, keep=objects)
