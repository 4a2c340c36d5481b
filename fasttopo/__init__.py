"""fasttopo: fast, exact persistent homology of images, with birth and death pixels."""

from ._diagram import PersistenceDiagram
from ._persistence import persistence, persistence_batch
from .filtrations import (directional_filtrations, height_function, localized_filtration,
                          random_height_function)
from .metrics import betti_error, betti_numbers, euler_characteristic
from .processing import (lifetime_threshold, mark_objects, modify_border, persistence_targets,
                         persistence_targets_batch, topological_process)

__version__ = "0.1.0"

__all__ = ["PersistenceDiagram", "persistence", "persistence_batch"]
__all__ += ["modify_border", "lifetime_threshold", "mark_objects", "topological_process",
            "persistence_targets", "persistence_targets_batch", "height_function",
            "random_height_function", "localized_filtration", "directional_filtrations",
            "betti_numbers", "betti_error", "euler_characteristic"]
