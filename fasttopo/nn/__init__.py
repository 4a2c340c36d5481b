"""PyTorch layers and losses: differentiable persistence of images and point clouds.

Importing this subpackage imports torch (``import fasttopo`` does not).
Pairs are computed on the CPU by fasttopo's engine without gradient; the
birth and death values are gathered from the input on its own device, so
autograd gives exact subgradients on any device.  Each functional op has
its ``torch.nn.Module`` beside it.
"""

from .._validation import missing_extra

try:
    import torch  # noqa: F401
except ImportError:
    raise ImportError(missing_extra("torch", "fasttopo.nn")) from None

from .approximation import PD0Approximator, approximate_diagrams  # noqa: E402
from .betti_matching import BettiMatchingLoss, betti_matching_loss  # noqa: E402
from .cubical import CubicalPersistence, persistence  # noqa: E402
from .cycles import CycleWeights, cycle_indices, cycle_weights  # noqa: E402
from .diagram_losses import TopKLifetimes, TotalPersistence, topk_lifetimes, total_persistence  # noqa: E402,E501
from .diagrams import Diagrams  # noqa: E402
from .features import persistence_features  # noqa: E402
from .localized_loss import LocalizedLoss, localized_loss  # noqa: E402
from .matching_losses import (LifetimeSortedLoss, WassersteinLoss, lifetime_sorted_loss,  # noqa: E402
                              wasserstein_loss)
from .point_cloud import (AlphaPersistence, RipsPersistence, WeakAlphaPersistence,  # noqa: E402
                          alpha_persistence, rips_persistence, weak_alpha_persistence)

__all__ = ["Diagrams", "persistence", "rips_persistence", "weak_alpha_persistence",
           "alpha_persistence", "total_persistence", "topk_lifetimes", "wasserstein_loss",
           "lifetime_sorted_loss", "localized_loss", "persistence_features",
           "CubicalPersistence", "RipsPersistence", "WeakAlphaPersistence", "AlphaPersistence",
           "TotalPersistence", "TopKLifetimes", "WassersteinLoss", "LifetimeSortedLoss",
           "LocalizedLoss", "PD0Approximator", "approximate_diagrams", "betti_matching_loss",
           "BettiMatchingLoss", "cycle_indices", "cycle_weights", "CycleWeights"]
