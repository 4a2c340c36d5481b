"""fasttopo's engine: the one way into the persistence kernels (private).

Everything that needs pairs of images (``persistence``,
``persistence_batch``, the training targets, the image functions, the
metrics, ``fasttopo.nn``) calls ``compute`` (``entry``); no module outside
this package imports its kernels.  Modules, by role:

==================  ======================================================
``entry``           ``compute``: validated images in, diagrams or pairs out
``planning``        how an image is computed (small, split, batch, threaded)
``small_images``    whole small images in one serial Numba call
``large_images``    large images and volumes, from Python threads
``buffers``         the thread pool, per-thread scratch arrays, stencils
``keys``            order-preserving keys, packing, sorting
``neighbourhood``   the ring of a pixel, stencils, the padded grid
``scan``            the raster scan (roots, linked pixels, candidates)
``union_find``      the elder-rule sweep of the candidates
``volumes``         dimension 1 of volumes (+ ``cubical_reduction.pyx``)
``marking``         the kernels of object marking (``mark_objects``)
``betti_matching``  Betti matching: the bars of two images, of their minimum
                    and of the images of H(P) -> H(min(P, G)), matched
                    (``matched_bars``; its kernels: ``induced_matching``)
``cycles``          representative cycles: ``representatives`` (the entry of
                    ``representative_cycles``), components and holes
``loops``           the cycles of dimension 1 of volumes (the reduction again)
``gather``          values at the pairs' pixels, +-inf
``intrinsics``      Numba intrinsics (prefetch, read-only arrays)
``warmup``          ``fasttopo warmup``
==================  ======================================================

What each first call compiles, and why: ``docs/development.rst``, "What a
first call compiles".
"""

from .betti_matching import Matched, matched_bars
from .buffers import as_3d, cores
from .cycles import representatives
from .entry import Options, Pairs, compute, filtration_keys
from .gather import batch_cells
from .marking import bucket_pixels, mark_sweep
from .neighbourhood import neighbour_offsets
from .planning import SMALL, SPLIT, Plan, plan

__all__ = ["compute", "Options", "Pairs", "filtration_keys", "SMALL", "SPLIT", "Plan", "plan",
           "batch_cells", "cores", "as_3d", "neighbour_offsets", "bucket_pixels", "mark_sweep",
           "Matched", "matched_bars", "representatives"]
