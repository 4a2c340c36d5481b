"""Persistence of image collections, distance matrices and code search on a Dask cluster.

The functions of this module build Dask collections (lazy task graphs) that
run the local functions of :mod:`fasttopo` chunk by chunk: one task per chunk
of images calls :func:`fasttopo.persistence_batch`, one task per tile of a
distance matrix calls the same code as :func:`fasttopo.pairwise_distances`,
one task per chunk of codes calls :func:`fasttopo.hamming_knn`.  The results
are identical to those of the local functions, whatever the number of
workers and the chunk sizes.

They run in threads of this process when no :class:`distributed.Client` is
active and no scheduler is chosen (also the bags of diagrams, whose Dask
default would be processes), else on the active client's cluster or the
chosen scheduler;
the compiled kernels are then warmed once per worker process by a worker
plugin (:func:`warm_up`).  ``import fasttopo`` does not import Dask (install
with ``pip install fasttopo[dask]``).
"""

from .._validation import missing_extra

try:
    import dask  # noqa: F401
except ImportError:
    raise ImportError(missing_extra("dask", "fasttopo.dask")) from None

from .images import persistence, persistence_targets, warm_up  # noqa: E402
from .search import hamming_knn, pairwise_distances  # noqa: E402

__all__ = ["persistence", "persistence_targets", "pairwise_distances", "hamming_knn",
           "warm_up"]
