"""Functional interface of :mod:`fasttopo.nn` (``import fasttopo.nn.functional as F``).

Persistence ops return :class:`~fasttopo.nn.Diagrams`; losses take them.
"""

from ._cubical import persistence
from .cycles import cycle_indices, cycle_weights
from .losses import (lifetime_sorted_loss, localized_loss, topk_lifetimes, total_persistence,
                     wasserstein_loss)
from .features import persistence_features
from .point_cloud import alpha_persistence, rips_persistence

__all__ = ["persistence", "rips_persistence", "alpha_persistence", "total_persistence",
           "topk_lifetimes", "wasserstein_loss", "lifetime_sorted_loss", "localized_loss",
           "persistence_features", "cycle_indices", "cycle_weights"]
