"""How an image is computed: the engine's one decision, ``plan`` (private).

=============  ==========================================================
path           when
=============  ==========================================================
``small``      fewer than ``SMALL`` pixels: one serial Numba call
``split``      ``small`` with the top dimension and ``SPLIT`` pixels or
               more: the two directions in two threads
``batch``      a stack of small images: one chunk of the stack per thread
``threaded``   larger images, and 3D images with dimension 1 (the
               cubical reduction): Python threads around the kernels
=============  ==========================================================
"""

import math
import os
from collections import namedtuple

__all__ = ["SMALL", "SPLIT", "Plan", "plan", "check_memory", "available_memory"]

# below this many pixels one serial Numba call beats threads and NumPy's sort
SMALL = 1 << 16
# from this many pixels the two directions of a small image run in two threads
SPLIT = 1 << 14

# How one image (or each image of a stack) is computed: ``path`` (see the module
# docstring), ``top`` (the top dimension by duality), ``middle`` (dimension 1 of a
# volume by the cubical reduction) and ``threads`` (threads within the image).
Plan = namedtuple("Plan", ["path", "top", "middle", "threads"])


def plan(shape, max_dim, n_threads, stack=False):
    """The ``Plan`` of an image of ``shape`` (or of a stack of them)."""
    ndim = len(shape)
    size = math.prod(shape)
    top = ndim >= 2 and max_dim == ndim - 1
    middle = ndim == 3 and max_dim >= 1
    if size < SMALL and not middle:
        if stack:
            return Plan("batch", top, False, n_threads)
        split = top and n_threads > 1 and size >= SPLIT
        return Plan("split" if split else "small", top, False, 2 if split else 1)
    return Plan("threaded", top, middle, n_threads if size >= SMALL else 1)


#: bytes of scratch per pixel that the threaded path needs at the very least (keys,
#: parents, candidates, rings), and per voxel for dimension 1 of a volume (pivots,
#: positions): lower bounds (measured: 26-32 B/px for 2D, 31-174 B/voxel for volumes),
#: so that an image that could fit is never refused
_BYTES_PER_PIXEL = 16
_BYTES_PER_VOXEL_MIDDLE = 24


def available_memory():
    """Bytes of memory available to a new allocation (Linux: MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(shape, max_dim, at_once=1, name="image"):
    """MemoryError, before any work, if ``at_once`` images of ``shape`` cannot fit.

    Compares a lower bound of the engine's scratch memory with the memory
    available now; the message names the size.
    """
    pixels = math.prod(shape)
    if pixels < SMALL:
        return
    per_pixel = _BYTES_PER_PIXEL + (_BYTES_PER_VOXEL_MIDDLE if len(shape) == 3 and max_dim >= 1
                                    else 0)
    need = pixels * per_pixel * at_once
    free = available_memory()
    if free is not None and need > free:
        what = (f"{at_once} {name} at once of shape {tuple(shape)} ({pixels:,} pixels each)"
                if at_once > 1 else f"{name} of shape {tuple(shape)} ({pixels:,} pixels)")
        raise MemoryError(f"persistence of {what} needs at least "
                          f"{need / 2**30:.1f} GiB of scratch memory; {free / 2**30:.1f} GiB "
                          f"are available (use max_dim=0 for volumes, or crop or downsample "
                          f"the image)")
