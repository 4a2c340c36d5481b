"""Thin ``torch.nn.Module`` wrappers of the functional ops and losses."""

import numpy as np
from torch import nn

from .._validation import check_bool
from . import losses as L
from ._cubical import persistence
from .point_cloud import alpha_persistence, rips_persistence

__all__ = ["CubicalPersistence", "RipsPersistence", "AlphaPersistence", "TotalPersistence",
           "TopKLifetimes", "WassersteinLoss", "LifetimeSortedLoss", "LocalizedLoss"]


def _repr(**kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


class CubicalPersistence(nn.Module):
    """Differentiable persistence diagrams of images, as a layer.

    See :func:`fasttopo.nn.persistence` for the parameters; ``forward(x)``
    returns its :class:`~fasttopo.nn.Diagrams`.  The layer has no
    parameters and runs on the device of its input.

    Parameters
    ----------
    max_dim, connectivity, superlevel, spatial_dims
        As in :func:`fasttopo.nn.persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, TotalPersistence
    >>> layer, loss_fn = CubicalPersistence(superlevel=True), TotalPersistence(dim=0)
    >>> x = torch.rand(4, 1, 16, 16, requires_grad=True)
    >>> loss = loss_fn(layer(x))
    >>> loss.backward()
    >>> x.grad.shape
    torch.Size([4, 1, 16, 16])
    """

    def __init__(self, max_dim=None, connectivity=None, superlevel=False, spatial_dims=None):
        super().__init__()
        self.max_dim = max_dim
        self.connectivity = connectivity
        self.superlevel = check_bool(superlevel, "superlevel")
        self.spatial_dims = spatial_dims

    def forward(self, x):
        return persistence(x, max_dim=self.max_dim, connectivity=self.connectivity,
                           superlevel=self.superlevel, spatial_dims=self.spatial_dims)

    def extra_repr(self):
        return _repr(max_dim=self.max_dim, connectivity=self.connectivity,
                     superlevel=self.superlevel)


class RipsPersistence(nn.Module):
    """Vietoris-Rips persistence layer; see :func:`fasttopo.nn.rips_persistence`.

    Parameters
    ----------
    max_dim, max_edge_length
        As in :func:`fasttopo.nn.rips_persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.rips_persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.rips_persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import RipsPersistence
    >>> RipsPersistence()(torch.rand(2, 10, 3)).batch_shape
    (2,)
    """

    def __init__(self, max_dim=0, max_edge_length=None):
        super().__init__()
        self.max_dim = max_dim
        self.max_edge_length = max_edge_length

    def forward(self, points):
        return rips_persistence(points, max_dim=self.max_dim,
                                max_edge_length=self.max_edge_length)

    def extra_repr(self):
        return _repr(max_dim=self.max_dim, max_edge_length=self.max_edge_length)


class AlphaPersistence(nn.Module):
    """Weak-alpha persistence layer; see :func:`fasttopo.nn.alpha_persistence`.

    Parameters
    ----------
    max_dim : int, optional
        As in :func:`fasttopo.nn.alpha_persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.alpha_persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.alpha_persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import AlphaPersistence
    >>> len(AlphaPersistence()(torch.rand(20, 2, dtype=torch.float64)))
    20
    """

    def __init__(self, max_dim=0):
        super().__init__()
        self.max_dim = max_dim

    def forward(self, points):
        return alpha_persistence(points, max_dim=self.max_dim)

    def extra_repr(self):
        return _repr(max_dim=self.max_dim)


class TotalPersistence(nn.Module):
    """E(p, q, i0) loss of Gabrielsson et al.; see :func:`fasttopo.nn.total_persistence`.

    Parameters
    ----------
    p, q, skip, dim, reduction
        As in :func:`fasttopo.nn.total_persistence`.

    Returns
    -------
    loss : Tensor
        From ``forward``, as :func:`fasttopo.nn.total_persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.total_persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, TotalPersistence
    >>> x = torch.tensor([[0., 3., 1.], [3., 3., 3.], [2., 3., 0.5]])
    >>> TotalPersistence(p=2, skip=1)(CubicalPersistence()(x))     # 2**2 + 1**2
    tensor(5.)
    """

    def __init__(self, p=1, q=0, skip=0, dim=0, reduction="mean"):
        super().__init__()
        self.p, self.q, self.skip, self.dim, self.reduction = p, q, skip, dim, reduction

    def forward(self, diagrams):
        return L.total_persistence(diagrams, p=self.p, q=self.q, skip=self.skip, dim=self.dim,
                                   reduction=self.reduction)

    def extra_repr(self):
        return _repr(p=self.p, q=self.q, skip=self.skip, dim=self.dim,
                     reduction=self.reduction)


class TopKLifetimes(nn.Module):
    """The k longest lifetimes of each input; see :func:`fasttopo.nn.topk_lifetimes`.

    Parameters
    ----------
    k, dim
        As in :func:`fasttopo.nn.topk_lifetimes`.

    Returns
    -------
    lifetimes : Tensor
        From ``forward``, as :func:`fasttopo.nn.topk_lifetimes`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.topk_lifetimes`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, TopKLifetimes
    >>> TopKLifetimes(k=3)(CubicalPersistence()(torch.rand(5, 1, 8, 8))).shape
    torch.Size([5, 1, 3])
    """

    def __init__(self, k, dim=0):
        super().__init__()
        self.k, self.dim = k, dim

    def forward(self, diagrams):
        return L.topk_lifetimes(diagrams, self.k, dim=self.dim)

    def extra_repr(self):
        return _repr(k=self.k, dim=self.dim)


class WassersteinLoss(nn.Module):
    """Wasserstein matching loss; see :func:`fasttopo.nn.wasserstein_loss`.

    Parameters
    ----------
    order, internal_p, dim, reduction
        As in :func:`fasttopo.nn.wasserstein_loss`.

    Returns
    -------
    loss : Tensor
        From ``forward``, as :func:`fasttopo.nn.wasserstein_loss`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.wasserstein_loss`.

    References
    ----------
    .. [1] D. Cohen-Steiner, H. Edelsbrunner, J. Harer, Y. Mileyko,
       "Lipschitz functions have Lp-stable persistence", Found. Comput.
       Math. 10, 2010. doi:10.1007/s10208-010-9060-6

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, WassersteinLoss
    >>> layer = CubicalPersistence()
    >>> x = torch.rand(2, 1, 8, 8)
    >>> WassersteinLoss()(layer(x), layer(x)).item()
    0.0
    """

    def __init__(self, order=2, internal_p=2, dim=None, reduction="mean"):
        super().__init__()
        self.order, self.internal_p, self.dim, self.reduction = order, internal_p, dim, reduction

    def forward(self, pred, target):
        return L.wasserstein_loss(pred, target, order=self.order, internal_p=self.internal_p,
                                  dim=self.dim, reduction=self.reduction)

    def extra_repr(self):
        return _repr(order=self.order, internal_p=self.internal_p, dim=self.dim,
                     reduction=self.reduction)


class LifetimeSortedLoss(nn.Module):
    """Lifetime-sorted matching loss; see :func:`fasttopo.nn.lifetime_sorted_loss`.

    Parameters
    ----------
    dim, reduction
        As in :func:`fasttopo.nn.lifetime_sorted_loss`.

    Returns
    -------
    loss : Tensor
        From ``forward``, as :func:`fasttopo.nn.lifetime_sorted_loss`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.lifetime_sorted_loss`.

    References
    ----------
    .. [1] R. Vandaele, G. A. Nervo, O. Gevaert, "Topological image
       modification for object detection and topological image processing
       of skin lesions", Sci. Rep. 10, 21061 (2020).
       doi:10.1038/s41598-020-77933-y

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, LifetimeSortedLoss
    >>> layer = CubicalPersistence()
    >>> pred = torch.rand(2, 1, 8, 8, requires_grad=True)
    >>> LifetimeSortedLoss()(layer(pred), layer(torch.zeros(2, 1, 8, 8))).backward()
    """

    def __init__(self, dim=None, reduction="mean"):
        super().__init__()
        self.dim, self.reduction = dim, reduction

    def forward(self, pred, target):
        return L.lifetime_sorted_loss(pred, target, dim=self.dim, reduction=self.reduction)

    def extra_repr(self):
        return _repr(dim=self.dim, reduction=self.reduction)


class LocalizedLoss(nn.Module):
    """Height-localized window loss of Oner et al.; see :func:`fasttopo.nn.localized_loss`.

    A new random height function is drawn from the layer's generator at
    every call.

    Parameters
    ----------
    window, kind, dim, alpha, amplitude, unmatched, superlevel, connectivity, reduction
        As in :func:`fasttopo.nn.localized_loss` (``alpha``: the weight of
        the term, 0.01 in the paper).
    seed : None, int or numpy.random.Generator, optional
        Seed of the layer's generator.

    Returns
    -------
    loss : Tensor
        From ``forward``, as :func:`fasttopo.nn.localized_loss`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.localized_loss`.

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Koziński, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8), 2023. arXiv:2110.06295

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import LocalizedLoss
    >>> loss_fn = LocalizedLoss(window=8, seed=0)
    >>> pred = torch.rand(1, 1, 16, 16, requires_grad=True)
    >>> loss_fn(pred, (torch.rand(1, 1, 16, 16) > 0.5).float()).backward()
    """

    def __init__(self, window=64, kind="linear", dim=1, alpha=0.01, amplitude=0.5,
                 unmatched="distance", superlevel=False, connectivity=None, reduction="mean",
                 seed=None):
        super().__init__()
        self.window, self.kind, self.dim, self.alpha = window, kind, dim, alpha
        self.amplitude, self.unmatched = amplitude, unmatched
        self.superlevel, self.connectivity, self.reduction = (check_bool(superlevel, "superlevel"),
                                                              connectivity, reduction)
        self.rng = np.random.default_rng(seed)

    def forward(self, pred, target):
        return L.localized_loss(pred, target, window=self.window, kind=self.kind, dim=self.dim,
                                alpha=self.alpha, amplitude=self.amplitude,
                                unmatched=self.unmatched, superlevel=self.superlevel,
                                connectivity=self.connectivity, rng=self.rng,
                                reduction=self.reduction)

    def extra_repr(self):
        return _repr(window=self.window, kind=self.kind, dim=self.dim, alpha=self.alpha,
                     amplitude=self.amplitude, unmatched=self.unmatched,
                     superlevel=self.superlevel, reduction=self.reduction)
