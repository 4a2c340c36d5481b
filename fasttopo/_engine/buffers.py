"""Threads, scratch buffers and stencils shared by the engine's drivers (private).

``cores`` and ``pool`` (one thread pool, created on first use), ``scratch``
(per-thread reusable arrays), ``as_3d``/``index_dtype`` (the shapes and
index types every driver uses) and the stencils of each (shape, ndim,
connectivity), built once in plain Python and kept.
"""

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .neighbourhood import dual_connectivity, geometry, stencil, stencils_buffer

__all__ = ["cores", "pool", "scratch", "as_3d", "index_dtype", "stencils", "stencil_buffer"]

_INT32_LIMIT = 2**31 - 16
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
