"""fasttopo: fast, exact persistent homology of images, with birth and death pixels."""

from ._diagram import PersistenceDiagram
from ._persistence import persistence, persistence_batch

__version__ = "0.1.0"

__all__ = ["PersistenceDiagram", "persistence", "persistence_batch"]
