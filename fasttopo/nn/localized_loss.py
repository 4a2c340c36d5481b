"""The height-localized loss of Oner et al. (persistent homology with improved locality)."""

import numpy as np
import torch
from torch import nn

from .._validation import check_bool, check_dims_within, check_rng
from ..filtrations import random_height_function
from ._loss_tools import (check_count, check_dims, check_number, check_reduction, module_repr,
                          reduce_items)
from .cubical import check_tensor, persistence, spatial_split
from .matching_losses import check_pair, match, matched_loss

__all__ = ["localized_loss", "LocalizedLoss"]


# ------------------------------------------------------------ localized loss
def _windows(shape, window):
    """Start offsets of windows covering each axis (the last one flush with the end)."""
    out = []
    for size in shape:
        w = min(window, size)
        starts = list(range(0, size - w + 1, w))
        if starts[-1] + w < size:
            starts.append(size - w)
        out.append((w, starts))
    return out


def _window_index(shape, window, device):
    """(n_windows, *window_shape) flat indices of the pixels of every window."""
    spec = _windows(shape, window)
    wshape = tuple(w for w, _ in spec)
    strides = np.cumprod((1,) + shape[::-1])[:-1][::-1]
    local = sum(np.arange(w).reshape([-1 if a == i else 1 for a in range(len(shape))]) * strides[i]
                for i, (w, _) in enumerate(spec))
    corners = np.stack(np.meshgrid(*[np.asarray(s) for _, s in spec], indexing="ij"),
                       axis=-1).reshape(-1, len(shape))
    offsets = corners @ strides
    index = offsets.reshape((-1,) + (1,) * len(shape)) + local[None]
    return torch.from_numpy(index.reshape(-1).astype(np.int64)).to(device), wshape, len(offsets)


def _distance_to_diagonal(b, d):
    """Euclidean distance of (b, d) to the diagonal, |d - b| / sqrt(2) (NumPy or torch)."""
    return abs(d - b) * 2.0 ** -0.5


def _squared_distance_to_diagonal(b, d):
    """Squared Euclidean distance of (b, d) to the diagonal, (d - b)**2 / 2."""
    return (d - b) ** 2 / 2.0


_UNMATCHED = {"distance": _distance_to_diagonal, "squared": _squared_distance_to_diagonal}


def localized_loss(pred, target, *, window=64, kind="linear", dim=1, alpha=0.01,
                   amplitude=0.5, unmatched="distance", superlevel=False, connectivity=None,
                   rng=None, reduction="mean", spatial_dims=None):
    r"""Persistence loss with improved locality of Oner et al.: :math:`\alpha\, C`.

    A height function :math:`g` is drawn at random (once per call; draw a
    new one at every training iteration, as the paper does) by
    :func:`fasttopo.random_height_function` and added to both maps on
    every ``window``-sized window :math:`w`:

    .. math::

        f_Y(p) = Y(p) + g(p), \qquad g(p) = s\, w^\top (p - c)\ \text{(linear)},\quad
        s \lVert p - c \rVert^2\ \text{(radial)},\quad
        s\, (p - c)^\top W (p - c),\ W = w w^\top\ \text{(quadratic)},

    with ``w`` a random unit direction, ``c`` a random centre in the
    window (pixel coordinates) and ``s`` the slope that makes ``g`` span
    ``amplitude`` on the window.  The diagrams of ``pred`` and ``target``
    on each window are matched optimally with the cost

    .. math::

        C_w = \sum_{(x, y) \in M} (b_x - b_y)^2 + (d_x - d_y)^2
              + \sum_{z \notin M} \operatorname{dist}(z, \Delta),
        \qquad \operatorname{dist}((b, d), \Delta) = \frac{|d - b|}{\sqrt 2},

    unmatched points paying their (Euclidean) distance to the diagonal as
    the paper states (``unmatched="squared"``: its square, which makes
    :math:`C_w` the squared 2-Wasserstein distance).  The loss returned is
    the topological term :math:`\alpha\, C` of the paper's total loss
    :math:`L_{tot} = L + \alpha C` (Eq. 1, :math:`\alpha = 0.01`), where
    :math:`C = \sum_w C_w` over the windows of an input and the dimensions
    ``dim``; add it to the pixel loss :math:`L` yourself.

    The matching is the one of :func:`fasttopo.wasserstein_distance`
    (one code for both).  The last window of an axis is shifted to end
    flush with the image, so every window has the same size.

    Parameters
    ----------
    pred, target : Tensor
        Maps of the same shape, e.g. ``(B, C, H, W)`` likelihoods or
        distance maps and their ground truth (as in :func:`persistence`;
        ``target`` may carry no gradient).
    window : int, optional
        Window side (64 in the paper); windows larger than the image are
        clipped to it.
    kind : {'linear', 'radial', 'quadratic'}, optional
        Height function (the three of the paper).
    dim : int or sequence of int, optional
        Homology dimension(s) (1: loops, in 2D, as in the paper).
    alpha : float, optional
        Weight :math:`\alpha` of the topological term (0.01 in the paper).
    amplitude : float, optional
        Peak-to-peak range of ``g`` on a window, in units of the maps
        (sets the slope ``s``).  Keep it below the contrast of the maps
        (0.5 for maps in [0, 1]): the height then orders pixels within a
        level without changing which levels are above which.
    unmatched : {'distance', 'squared'}, optional
        Cost of an unmatched point: its distance to the diagonal (paper)
        or the square of it.
    superlevel, connectivity, spatial_dims
        As in :func:`persistence`.
    rng : None, int or numpy.random.Generator, optional
        Source of the random height function (direction, then centre).
    reduction : {'mean', 'sum', 'none'}, optional
        Over the batch.

    Returns
    -------
    loss : Tensor
        :math:`\alpha\, C`: scalar, or ``batch_shape`` with
        ``reduction='none'``.

    Raises
    ------
    TypeError
        If ``pred``/``target`` are not floating-point tensors.
    ValueError
        If their shapes differ, ``window < 1``, ``kind`` or ``unmatched``
        is unknown, ``amplitude < 0``, or an option is out of range.

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Koziński, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8), 2023. doi:10.1109/TPAMI.2023.3246921,
       arXiv:2110.06295

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> g = torch.Generator().manual_seed(0)
    >>> pred = torch.rand(2, 1, 32, 32, generator=g, requires_grad=True)
    >>> target = (torch.rand(2, 1, 32, 32, generator=g) > 0.5).float()
    >>> loss = tnn.localized_loss(pred, target, window=16, rng=0)
    >>> loss.backward()
    >>> bool(loss > 0), pred.grad.shape
    (True, torch.Size([2, 1, 32, 32]))
    """
    pred, target = check_tensor(pred, "pred"), check_tensor(target, "target")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape, got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    window = check_count(window, "window")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    alpha = check_number(alpha, "alpha")
    amplitude = check_number(amplitude, "amplitude", low=0.0)
    if unmatched not in _UNMATCHED:
        raise ValueError(f"unmatched must be 'distance' or 'squared', got {unmatched!r}")
    if kind not in ("linear", "radial", "quadratic"):
        raise ValueError(f"kind must be 'linear', 'radial' or 'quadratic', got {kind!r}")
    dims = check_dims(dim)
    check_reduction(reduction)
    rng = check_rng(rng)
    batch_shape, shape = spatial_split(pred, spatial_dims, "pred")
    check_dims_within(dims, len(shape) - 1)
    superlevel = check_bool(superlevel, "superlevel")
    n_items = int(np.prod(batch_shape, dtype=np.int64))
    index, wshape, n_win = _window_index(shape, window, pred.device)
    g = torch.as_tensor(random_height_function(wshape, rng, kind, amplitude=amplitude),
                        device=pred.device)
    max_dim = None if dims is None else max(dims)
    out = []
    for y in (pred, target):
        flat = y.reshape((n_items, int(np.prod(shape)))).index_select(1, index)
        win = flat.reshape((n_items * n_win,) + wshape) + g.to(y.dtype)
        out.append(persistence(win, max_dim=max_dim, connectivity=connectivity,
                               superlevel=superlevel, spatial_dims=len(shape)))
    per_window = _cost_c(out[0], out[1], dims, _UNMATCHED[unmatched])
    per_item = per_window.reshape(n_items, n_win).sum(1)
    return alpha * reduce_items(per_item, batch_shape, reduction)


def _cost_c(pred, target, dims, diag):
    """Per-diagram cost C of Oner et al.: squared pair costs, ``diag`` for unmatched points."""
    pred, target = check_pair(pred, target)

    def matcher(pb, pd, tb, td):
        return match(pb, pd, tb, td, 2.0, 2.0, diag)

    return matched_loss(pred, target, dims, 2.0, 2.0, matcher, diag)


class LocalizedLoss(nn.Module):
    """Height-localized window loss of Oner et al.; see :func:`fasttopo.nn.localized_loss`.

    A new random height function is drawn from the layer's generator at
    every call.

    Parameters
    ----------
    window, kind, dim, alpha, amplitude, unmatched, superlevel, connectivity, reduction
        As in :func:`fasttopo.nn.localized_loss` (``alpha``: the weight of
        the term, 0.01 in the paper).
    rng : None, int or numpy.random.Generator, optional
        The layer's generator (an int seeds a new one), as in
        :func:`fasttopo.nn.localized_loss`.
    spatial_dims : int, optional
        As in :func:`fasttopo.nn.localized_loss`.

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
    >>> loss_fn = LocalizedLoss(window=8, rng=0)
    >>> pred = torch.rand(1, 1, 16, 16, requires_grad=True)
    >>> loss_fn(pred, (torch.rand(1, 1, 16, 16) > 0.5).float()).backward()
    """

    def __init__(self, window=64, kind="linear", dim=1, alpha=0.01, amplitude=0.5,
                 unmatched="distance", superlevel=False, connectivity=None, rng=None,
                 reduction="mean", spatial_dims=None):
        super().__init__()
        self.window, self.kind, self.dim, self.alpha = window, kind, dim, alpha
        self.amplitude, self.unmatched = amplitude, unmatched
        self.superlevel = check_bool(superlevel, "superlevel")
        self.connectivity, self.reduction, self.spatial_dims = connectivity, reduction, spatial_dims
        self.rng = check_rng(rng)

    def forward(self, pred, target):
        return localized_loss(pred, target, window=self.window, kind=self.kind, dim=self.dim,
                              alpha=self.alpha, amplitude=self.amplitude,
                              unmatched=self.unmatched, superlevel=self.superlevel,
                              connectivity=self.connectivity, rng=self.rng,
                              reduction=self.reduction, spatial_dims=self.spatial_dims)

    def extra_repr(self):
        return module_repr(window=self.window, kind=self.kind, dim=self.dim, alpha=self.alpha,
                     amplitude=self.amplitude, unmatched=self.unmatched,
                     superlevel=self.superlevel, reduction=self.reduction)
