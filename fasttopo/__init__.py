"""fasttopo: fast, exact persistent homology of images, with birth and death pixels."""

from ._diagram import PersistenceDiagram
from ._persistence import persistence, persistence_batch

__version__ = "0.1.0"

__all__ = ["PersistenceDiagram", "persistence", "persistence_batch"]
from .hashing import hamming_distances, hamming_knn, pack_codes

__all__ += ["pack_codes", "hamming_distances", "hamming_knn"]
from .distances import bottleneck_distance, pairwise_distances, wasserstein_distance

__all__ += ["bottleneck_distance", "wasserstein_distance", "pairwise_distances"]
from .vectorize import betti_curve, diagram_histogram, persistence_image, persistence_landscape

__all__ += ["persistence_image", "betti_curve", "persistence_landscape", "diagram_histogram"]
