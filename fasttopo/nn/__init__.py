"""PyTorch layers and losses: differentiable persistence of images and point clouds.

Importing this subpackage imports torch (``import fasttopo`` does not).
Pairs are computed on the CPU by fasttopo's engine without gradient; the
birth and death values are gathered from the input on its own device, so
autograd gives exact subgradients on any device.
"""

from .._validation import missing_extra

try:
    import torch  # noqa: F401
except ImportError:
    raise ImportError(missing_extra("torch", "fasttopo.nn")) from None

from ._tensor_diagrams import Diagrams  # noqa: E402
from .approximation import PD0Approximator, approximate_diagrams  # noqa: E402
from .cycles import CycleWeights, cycle_indices, cycle_weights  # noqa: E402
from .functional import (alpha_persistence, lifetime_sorted_loss, localized_loss, persistence,
                         persistence_features,
                         rips_persistence, topk_lifetimes, total_persistence, wasserstein_loss)
from .modules import (AlphaPersistence, CubicalPersistence, LifetimeSortedLoss, LocalizedLoss,
                      RipsPersistence, TopKLifetimes, TotalPersistence, WassersteinLoss)

__all__ = ["Diagrams", "persistence", "rips_persistence", "alpha_persistence",
           "total_persistence", "topk_lifetimes", "wasserstein_loss", "lifetime_sorted_loss",
           "localized_loss", "persistence_features", "CubicalPersistence", "RipsPersistence",
           "AlphaPersistence",
           "TotalPersistence", "TopKLifetimes", "WassersteinLoss", "LifetimeSortedLoss",
           "LocalizedLoss", "PD0Approximator", "approximate_diagrams", "cycle_indices",
           "cycle_weights", "CycleWeights"]
