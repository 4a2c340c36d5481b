"""fasttopo: fast, exact persistent homology of images, with birth and death pixels."""

from ._diagram import PersistenceDiagram
from ._persistence import persistence, persistence_batch

__version__ = "0.1.0"

__all__ = ["PersistenceDiagram", "persistence", "persistence_batch"]
# diagram toolbox
from .distances import bottleneck_distance, pairwise_distances, wasserstein_distance
from .hashing import hamming_distances, hamming_knn, pack_codes
from .vectorize import betti_curve, diagram_histogram, persistence_image, persistence_landscape

__all__ += ["bottleneck_distance", "wasserstein_distance", "pairwise_distances",
            "persistence_image", "betti_curve", "persistence_landscape", "diagram_histogram",
            "pack_codes", "hamming_distances", "hamming_knn"]
