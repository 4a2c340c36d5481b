"""fasttopo: fast, exact persistent homology of images, with birth and death pixels."""

from . import _compiling  # noqa: F401  (the kernels' cache stamp: before any kernel loads)
from ._diagram import PersistenceDiagram
from ._persistence import persistence, persistence_batch
from .betti_matching import (BettiMatching, betti_matching, betti_matching_batch,
                             betti_matching_error)
from .cycles import representative_cycles
from .distances import bottleneck_distance, pairwise_distances, wasserstein_distance
from .filtrations import (directional_filtrations, height_function, localized_filtration,
                          random_height_function)
from .hashing import (PRETRAINED_MODEL, DiagramHasher, hamming_blocks, hamming_distances,
                      hamming_knn, hash_diagrams, pack_codes, synthetic_diagrams)
from .metrics import betti_error, betti_numbers, euler_characteristic
from .processing import (lifetime_threshold, mark_objects, modify_border, persistence_targets,
                         persistence_targets_batch, topological_process)
from .vectorize import betti_curve, diagram_histogram, persistence_image, persistence_landscape

__version__ = "0.1.0"

__all__ = [
    # persistence engine
    "PersistenceDiagram", "persistence", "persistence_batch", "representative_cycles",
    # image functions
    "modify_border", "lifetime_threshold", "mark_objects", "topological_process",
    "persistence_targets", "persistence_targets_batch", "height_function",
    "random_height_function", "localized_filtration", "directional_filtrations",
    "betti_numbers", "betti_error", "euler_characteristic",
    # Betti matching
    "BettiMatching", "betti_matching", "betti_matching_batch", "betti_matching_error",
    # diagram toolbox
    "bottleneck_distance", "wasserstein_distance", "pairwise_distances",
    "persistence_image", "betti_curve", "persistence_landscape", "diagram_histogram",
    "pack_codes", "hamming_distances", "hamming_blocks", "hamming_knn",
    # learned diagram hashing
    "DiagramHasher", "hash_diagrams", "synthetic_diagrams", "PRETRAINED_MODEL",
]
