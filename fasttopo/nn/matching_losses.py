"""Losses that match predicted diagrams to target diagrams: Wasserstein, lifetime-sorted."""

import numpy as np
import torch
from torch import nn

from .._validation import check_dims_within
from ..distances._matching import wasserstein_matching
from ._loss_tools import (check_diagrams, check_dims, check_number, check_reduction, finite_rows,
                          module_repr, reduce_items, sum_items)

__all__ = ["wasserstein_loss", "lifetime_sorted_loss", "WassersteinLoss", "LifetimeSortedLoss",
           "check_pair", "match", "matched_loss"]


# ----------------------------------------------------------------- matchings
def _pair_cost(b1, d1, b2, d2, order, internal_p):
    """||(b1, d1) - (b2, d2)||_internal_p ** order, elementwise (NumPy or torch)."""
    lib = torch if isinstance(b1, torch.Tensor) else np
    db, dd = lib.abs(b1 - b2), lib.abs(d1 - d2)
    if np.isinf(internal_p):
        return lib.maximum(db, dd) ** order
    if internal_p == order:
        return db ** order + dd ** order
    return (db ** internal_p + dd ** internal_p) ** (order / internal_p)


def _diag_cost(b, d, order, internal_p):
    """Distance ** order from (b, d) to the diagonal in the internal_p norm."""
    half = abs(d - b) / 2
    scale = 1.0 if np.isinf(internal_p) else 2.0 ** (1.0 / internal_p)
    return (half * scale) ** order


def match(pb, pd, tb, td, order, internal_p, diag=None):
    """Optimal partial matching: (pred rows, target rows) matched; the rest go to the diagonal.

    One code with :mod:`fasttopo.distances`: ``fasttopo.distances._matching.wasserstein_matching``
    (pruned sparse assignment by SciPy's LAPJVsp, or POT's network simplex
    on dense sub-problems).  ``diag(b, d)`` replaces the cost of a point
    sent to the diagonal (default its distance ** order).
    """
    a, b = np.column_stack([pb, pd]), np.column_stack([tb, td])
    costs = None if diag is None else (diag(pb, pd), diag(tb, td))
    _, pairs = wasserstein_matching(a, b, order, internal_p, costs)
    real = (pairs[:, 0] >= 0) & (pairs[:, 1] >= 0)
    return pairs[real, 0], pairs[real, 1]


def check_pair(pred, target):
    pred = check_diagrams(pred, "pred")
    target = check_diagrams(target, "target")
    if pred.n_items != target.n_items:
        raise ValueError(f"pred and target must hold the same number of diagrams, got "
                         f"batch_shape {pred.batch_shape} and {target.batch_shape}")
    if pred.superlevel != target.superlevel:
        raise ValueError("pred and target must both be sublevel or both superlevel diagrams")
    return pred, target


def matched_loss(pred, target, dims, order, internal_p, matcher, diag=None):
    """Per-input matching cost; ``matcher(pb, pd, tb, td) -> (i, j)`` for one group.

    ``diag(b, d)`` (NumPy and torch) is the cost of an unmatched point
    (default: its distance to the diagonal ** order).
    """
    if diag is None:
        def diag(b, d):
            return _diag_cost(b, d, order, internal_p)
    prow = finite_rows(pred, dims)
    trow = finite_rows(target, dims)
    key_p = pred.item[prow] * 256 + pred.dim[prow]
    key_t = target.item[trow] * 256 + target.dim[trow]
    order_p, order_t = np.argsort(key_p, kind="stable"), np.argsort(key_t, kind="stable")
    prow, key_p, trow, key_t = prow[order_p], key_p[order_p], trow[order_t], key_t[order_t]
    groups = np.union1d(key_p, key_t)
    sp = np.searchsorted(key_p, groups, "left"), np.searchsorted(key_p, groups, "right")
    st = np.searchsorted(key_t, groups, "left"), np.searchsorted(key_t, groups, "right")
    mp, mt = [], []
    for g in range(groups.shape[0]):
        pr, tr = prow[sp[0][g]:sp[1][g]], trow[st[0][g]:st[1][g]]
        i, j = matcher(pred.birth_array[pr], pred.death_array[pr], target.birth_array[tr],
                       target.death_array[tr])
        mp.append(pr[i])
        mt.append(tr[j])
    mp = np.concatenate(mp) if mp else np.zeros(0, np.int64)
    mt = np.concatenate(mt) if mt else np.zeros(0, np.int64)
    free_p = np.setdiff1d(prow, mp, assume_unique=True)
    free_t = np.setdiff1d(trow, mt, assume_unique=True)
    pb, pd = pred.values(np.concatenate([mp, free_p]), finite=True)
    tb, td = target.values(np.concatenate([mt, free_t]), finite=True)
    k = mp.shape[0]
    like = pb
    matched = _pair_cost(pb[:k], pd[:k], tb[:k].to(like.device, like.dtype),
                         td[:k].to(like.device, like.dtype), order, internal_p)
    per_item = sum_items(matched, pred.item[mp], pred.n_items, like)
    per_item = per_item + sum_items(diag(pb[k:], pd[k:]), pred.item[free_p], pred.n_items,
                                     like)
    unmatched_t = diag(tb[k:], td[k:]).to(like.device, like.dtype)
    per_item = per_item + sum_items(unmatched_t, target.item[free_t], pred.n_items, like)
    return per_item


def wasserstein_loss(pred, target, order=2, internal_p=2, dim=None, reduction="mean"):
    r"""Wasserstein matching loss between two batches of diagrams.

    For each input and each homology dimension, the optimal partial
    matching of the finite points of ``pred`` and ``target`` is computed on
    the CPU by the matching code of :func:`fasttopo.wasserstein_distance`
    (pruned sparse assignment, SciPy's LAPJVsp or POT); the loss is
    its cost, differentiable through the matched values:

    .. math::

        W_{q}^{\,q} = \min_{\gamma} \sum_{x} \lVert x - \gamma(x)\rVert_{p}^{\,q},

    with ``q = order`` and ``p = internal_p``; points left unmatched go to
    the diagonal.  This is the ``order``-th power of the distance computed
    by ``gudhi.wasserstein.wasserstein_distance`` (smooth at zero).
    Essential classes are left out.

    Parameters
    ----------
    pred, target : Diagrams
        Same number of inputs, both sublevel or both superlevel.  Either or
        both may carry gradient (``target`` may come from
        :meth:`Diagrams.from_numpy`).
    order : float, optional
        Exponent ``q >= 1``.
    internal_p : float, optional
        Ground norm on the plane, ``>= 1`` or ``inf``.
    dim : int or sequence of int, optional
        Dimensions to match (default all; each dimension separately).
    reduction : {'mean', 'sum', 'none'}, optional
        Over the batch.

    Returns
    -------
    loss : Tensor
        Scalar, or ``batch_shape`` of ``pred`` with ``reduction='none'``.

    Raises
    ------
    TypeError
        If ``pred``/``target`` are not Diagrams.
    ValueError
        If the batches differ in size or filtration direction, or
        ``order < 1``, ``internal_p < 1``.

    References
    ----------
    .. [1] D. Cohen-Steiner, H. Edelsbrunner, J. Harer, Y. Mileyko,
       "Lipschitz functions have Lp-stable persistence", Found. Comput.
       Math. 10, 2010. doi:10.1007/s10208-010-9060-6
    .. [2] M. Carrière, F. Chazal, M. Glisse, Y. Ike, H. Kannan, Y. Umeda,
       "Optimizing persistent homology based functions", ICML 2021.
       arXiv:2010.08356

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> pred = tnn.persistence(torch.tensor([0., 3., 1., 4.], requires_grad=True))
    >>> target = tnn.persistence(torch.tensor([0., 3., 0., 4.]))
    >>> tnn.wasserstein_loss(pred, target)            # (1 - 0)**2
    tensor(1., grad_fn=<MeanBackward0>)
    """
    pred, target = check_pair(pred, target)
    order = check_number(order, "order")
    internal_p = check_number(internal_p, "internal_p", allow_inf=True)
    if order < 1 or internal_p < 1:
        raise ValueError(f"order and internal_p must be >= 1, got {order} and {internal_p}")
    dims = check_dims_within(check_dims(dim), min(pred.max_dim, target.max_dim))
    check_reduction(reduction)

    def matcher(pb, pd, tb, td):
        return match(pb, pd, tb, td, order, internal_p)

    per_item = matched_loss(pred, target, dims, order, internal_p, matcher)
    return reduce_items(per_item, pred.batch_shape, reduction)


def _sorted_matcher(pb, pd, tb, td):
    """Pair the i-th longest bar of pred with the i-th longest of target."""
    lp = np.argsort(-np.abs(pd - pb), kind="stable")
    lt = np.argsort(-np.abs(td - tb), kind="stable")
    k = min(lp.shape[0], lt.shape[0])
    return lp[:k], lt[:k]


def lifetime_sorted_loss(pred, target, dim=None, reduction="mean"):
    r"""Lifetime-sorted matching loss of the topological-priors UNet.

    For each input and dimension, the finite points of both diagrams are
    sorted by decreasing lifetime and paired in that order; the loss is

    .. math::

        \sum_i (b_i - b'_i)^2 + (d_i - d'_i)^2 + \sum_{\text{extra}}
        \frac{(d - b)^2}{2},

    the extra points of the longer diagram being matched to the diagonal
    (squared distance to their projection).  No assignment problem is
    solved: the pairing is a sort.

    Parameters
    ----------
    pred, target : Diagrams
        Same number of inputs, same filtration direction.
    dim : int or sequence of int, optional
        Dimensions (default all; each separately).
    reduction : {'mean', 'sum', 'none'}, optional

    Returns
    -------
    loss : Tensor

    Raises
    ------
    TypeError, ValueError
        As :func:`wasserstein_loss`.

    References
    ----------
    .. [1] R. Vandaele, G. A. Nervo, O. Gevaert, "Topological image
       modification for object detection and topological image processing
       of skin lesions", Sci. Rep. 10, 21061 (2020).
       doi:10.1038/s41598-020-77933-y (the topological-priors UNet builds
       its loss on this lifetime-sorted pairing)

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> pred = tnn.persistence(torch.tensor([0., 3., 1., 4., 2.5, 4.]))
    >>> target = tnn.persistence(torch.tensor([0., 3., 0., 4.]))
    >>> tnn.lifetime_sorted_loss(pred, target)        # (1-0)**2 + (4-2.5)**2 / 2
    tensor(2.1250)
    """
    pred, target = check_pair(pred, target)
    dims = check_dims_within(check_dims(dim), min(pred.max_dim, target.max_dim))
    check_reduction(reduction)
    per_item = matched_loss(pred, target, dims, 2.0, 2.0, _sorted_matcher)
    return reduce_items(per_item, pred.batch_shape, reduction)


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
        return wasserstein_loss(pred, target, order=self.order, internal_p=self.internal_p,
                                  dim=self.dim, reduction=self.reduction)

    def extra_repr(self):
        return module_repr(order=self.order, internal_p=self.internal_p, dim=self.dim,
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
        return lifetime_sorted_loss(pred, target, dim=self.dim, reduction=self.reduction)

    def extra_repr(self):
        return module_repr(dim=self.dim, reduction=self.reduction)
