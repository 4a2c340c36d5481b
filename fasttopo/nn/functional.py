"""Functional interface of :mod:`fasttopo.nn` (``import fasttopo.nn.functional as F``).

Persistence ops return :class:`~fasttopo.nn.Diagrams`; losses take them.  Each op's
``torch.nn.Module`` lives beside it (``cubical``, ``point_cloud``, ``diagram_losses``,
``matching_losses``, ``localized_loss``, ``cycles``); this module re-exports the
functions only.
"""

from .cubical import persistence
from .cycles import cycle_indices, cycle_weights
from .diagram_losses import topk_lifetimes, total_persistence
from .features import persistence_features
from .localized_loss import localized_loss
from .matching_losses import lifetime_sorted_loss, wasserstein_loss
from .point_cloud import alpha_persistence, rips_persistence, weak_alpha_persistence

__all__ = ["persistence", "rips_persistence", "weak_alpha_persistence", "alpha_persistence",
           "total_persistence", "topk_lifetimes", "wasserstein_loss", "lifetime_sorted_loss",
           "localized_loss", "persistence_features", "cycle_indices", "cycle_weights"]
