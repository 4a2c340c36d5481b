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
from collections import namedtuple

__all__ = ["SMALL", "SPLIT", "Plan", "plan"]

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
