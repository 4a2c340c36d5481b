"""The Betti matching loss of a batch of predictions and targets (PyTorch)."""

import math

import numpy as np
import torch
from torch import nn

from .. import _engine
from .._validation import check_bool, check_finite, check_n_jobs, check_options
from ._loss_tools import check_dims, check_reduction, reduce_items
from .cubical import check_tensor, cpu_values, spatial_split

__all__ = ["betti_matching_loss", "BettiMatchingLoss"]


def _items(x, batch_shape, shape):
    return x.reshape((math.prod(batch_shape),) + shape)


def _cells(found, npix):
    """Flat batch cells of the bars' pixels (birth standing in for an essential death).

    Returns, for the matched prediction, matched target, unmatched
    prediction and unmatched target bars: (birth cells, death cells,
    finite death mask, item) as int64 / bool NumPy arrays.
    """
    parts = {k: [] for k in range(4)}
    for item, f in enumerate(found):
        for k, (b, d) in enumerate(((f.p_birth, f.p_death), (f.g_birth, f.g_death),
                                    (f.p_un_birth, f.p_un_death), (f.g_un_birth, f.g_un_death))):
            parts[k].append((b, d, item))
    out = []
    for k in range(4):
        b = np.concatenate([p[0] for p in parts[k]]) if parts[k] else np.zeros(0, np.int64)
        d = np.concatenate([p[1] for p in parts[k]]) if parts[k] else np.zeros(0, np.int64)
        item = (np.concatenate([np.full(p[0].size, p[2], np.int64) for p in parts[k]])
                if parts[k] else np.zeros(0, np.int64))
        finite = d >= 0
        offset = item * npix
        out.append((offset + b, offset + np.where(finite, d, b), finite, item))
    return out


def _select(found, dims):
    if dims is None:
        return found
    out = []
    for f in found:
        m, p, g = np.isin(f.dim, dims), np.isin(f.p_dim, dims), np.isin(f.g_dim, dims)
        out.append(f._replace(dim=f.dim[m], p_birth=f.p_birth[m], p_death=f.p_death[m],
                              g_birth=f.g_birth[m], g_death=f.g_death[m], p_dim=f.p_dim[p],
                              p_un_birth=f.p_un_birth[p], p_un_death=f.p_un_death[p],
                              g_dim=f.g_dim[g], g_un_birth=f.g_un_birth[g],
                              g_un_death=f.g_un_death[g]))
    return out


def _gather(flat, cells, finite):
    device = flat.device
    birth = flat.index_select(0, torch.from_numpy(cells[0]).to(device))
    death = flat.index_select(0, torch.from_numpy(cells[1]).to(device))
    return birth, death, torch.from_numpy(finite).to(device)


def betti_matching_loss(prediction, target, *, dim=None, connectivity=None, superlevel=True,
                        include_unmatched_target=True, reduction="mean", spatial_dims=None,
                        n_jobs=None):
    r"""Betti matching loss of Stucki et al.: matched bars to their targets, the rest away.

    For every image of the batch (every channel of every batch element:
    several classes are one channel each), the bars of the prediction and
    of the target are matched by :func:`fasttopo.betti_matching` (on the
    CPU, without gradient, the images in threads) and

    .. math::

        L = \sum_{(p, g)\ \mathrm{matched}} 2\,\big[(b_p - b_g)^2 + (d_p - d_g)^2\big]
            + \sum_{p\ \mathrm{unmatched}} (b_p - d_p)^2
            \;\big[ + \sum_{g\ \mathrm{unmatched}} (b_g - d_g)^2 \big]:

    a matched bar of the prediction is pulled to its target bar and an
    unmatched one to the diagonal (twice its squared distance to it), as
    in the papers [1]_ [2]_.  The birth and death values are gathered from
    ``prediction`` at the bars' birth and death pixels, on its device, so
    the gradient lands on those pixels.

    Parameters
    ----------
    prediction : Tensor
        Likelihoods (after the sigmoid or softmax), ``(B, C, H, W)`` or
        ``(B, C, D, H, W)`` (or one ``(H, W)`` / ``(D, H, W)`` image; see
        ``spatial_dims``), floating point, any device, finite.
    target : Tensor
        The ground truth, same shape (binary masks, or any values).
    dim : int or sequence of int, optional
        Homology dimensions in the loss (default all: 0 to ndim - 1).
    connectivity : int, optional
        1 (V-construction) or ``ndim`` (T-construction, the default, as
        the authors' loss), as in :func:`fasttopo.persistence`.
    superlevel : bool, optional
        Superlevel filtrations (default True, as the authors' loss:
        likelihoods, the foreground first; the comparison image is the
        maximum of the two).
    include_unmatched_target : bool, optional
        Add the unmatched target bars' term (default True, the authors'
        default and the loss of the paper).  The term is a constant for the
        prediction: it changes the value, not the gradient.
    reduction : {'mean', 'sum', 'none'}, optional
        Over the images (``'none'``: a ``(B, C)`` tensor).
    spatial_dims : int, optional
        Trailing image axes, as in :func:`fasttopo.nn.persistence`.
    n_jobs : int, optional
        CPU threads for the matchings (None or -1: all cores).

    Returns
    -------
    loss : Tensor
        Scalar (or per image with ``reduction='none'``), dtype and device
        of ``prediction``.

    Raises
    ------
    TypeError
        If ``prediction`` or ``target`` is not a floating-point tensor, or
        an option has the wrong type.
    ValueError
        If their shapes differ, a value is not finite, or an option is out
        of range.

    See Also
    --------
    BettiMatchingLoss : the same as a module.
    fasttopo.betti_matching : the matching (NumPy).

    Notes
    -----
    The essential classes (one per image, dimension 0) are matched to each
    other and add :math:`2 (b_p - b_g)^2` (their deaths are infinite).
    Matchings of ties follow :func:`fasttopo.betti_matching`; between
    changes of the matching the loss is a polynomial of pixel values, so
    autograd gives its exact (sub)gradient.

    References
    ----------
    .. [1] N. Stucki, J. C. Paetzold, S. Shit, B. Menze, U. Bauer,
       "Topologically faithful image segmentation via induced matching of
       persistence barcodes", ICML 2023. arXiv:2211.15272
    .. [2] N. Stucki, V. Buergin, J. C. Paetzold, U. Bauer, "Efficient
       Betti matching enables topology-aware 3D segmentation via
       persistent homology", 2024. arXiv:2407.04683

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import betti_matching_loss
    >>> target = torch.zeros(1, 1, 5, 9)
    >>> target[..., 1:4, 1:3] = 1
    >>> target[..., 1:4, 5:7] = 1
    >>> prediction = torch.full((1, 1, 5, 9), 0.1)
    >>> prediction[..., 1:4, 1:3] = 0.8
    >>> prediction[..., 3, 8] = 0.3            # a spot where the target has nothing
    >>> prediction = prediction.requires_grad_()
    >>> loss = betti_matching_loss(prediction, target)
    >>> loss            # 2 * 0.2**2 (matched) + 0.2**2 (spot) + 1 (missed blob)
    tensor(1.1200, grad_fn=<MeanBackward0>)
    >>> loss.backward()
    >>> prediction.grad[0, 0, 3, 8], prediction.grad[0, 0, 1, 1]
    (tensor(0.4000), tensor(-0.8000))
    """
    prediction = check_tensor(prediction, "prediction")
    target = check_tensor(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(f"prediction and target must have the same shape, got "
                         f"{tuple(prediction.shape)} and {tuple(target.shape)}")
    batch_shape, shape = spatial_split(prediction, spatial_dims, "prediction")
    dims = check_dims(dim)
    max_dim, connectivity, superlevel = check_options(
        len(shape), None if dims is None else max(dims), connectivity, superlevel)
    include = check_bool(include_unmatched_target, "include_unmatched_target")
    check_reduction(reduction)
    n_threads = check_n_jobs(n_jobs)
    n_items = math.prod(batch_shape)
    npix = math.prod(shape)
    p_np, t_np = cpu_values(prediction), cpu_values(target)
    check_finite(p_np, "prediction")
    check_finite(t_np, "target")
    p_np, t_np = _items(p_np, batch_shape, shape), _items(t_np, batch_shape, shape)
    if p_np.dtype != t_np.dtype:
        common = np.result_type(p_np.dtype, t_np.dtype)
        p_np, t_np = p_np.astype(common), t_np.astype(common)
    found = _engine.matched_bars(list(zip(p_np, t_np)), max_dim, connectivity, superlevel,
                                 n_threads)
    found = _select(found, dims)
    (mp, mt, up, ut) = _cells(found, npix)
    flat_p = prediction.reshape(-1)
    flat_t = target.reshape(-1).to(prediction.dtype)
    pb, pd, finite = _gather(flat_p, mp, mp[2])
    tb, td, _ = _gather(flat_t, mt, mt[2])
    zero = pb.new_zeros(())
    matched = 2 * ((pb - tb) ** 2 + torch.where(finite, (pd - td) ** 2, zero))
    ub, ud, _ = _gather(flat_p, up, up[2])
    unmatched = (ub - ud) ** 2
    per_item = prediction.new_zeros(n_items)
    device = prediction.device
    per_item = per_item.index_add(0, torch.from_numpy(mp[3]).to(device), matched)
    per_item = per_item.index_add(0, torch.from_numpy(up[3]).to(device), unmatched)
    if include:
        gb, gd, _ = _gather(flat_t, ut, ut[2])
        per_item = per_item.index_add(0, torch.from_numpy(ut[3]).to(device), (gb - gd) ** 2)
    return reduce_items(per_item, batch_shape, reduction)


class BettiMatchingLoss(nn.Module):
    """The Betti matching loss as a module (see :func:`betti_matching_loss`).

    Parameters
    ----------
    dim, connectivity, superlevel, include_unmatched_target, reduction, spatial_dims, n_jobs
        As in :func:`betti_matching_loss`.

    Returns
    -------
    loss : Tensor
        From ``forward(prediction, target)``.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`betti_matching_loss`.

    References
    ----------
    .. [1] N. Stucki, J. C. Paetzold, S. Shit, B. Menze, U. Bauer,
       "Topologically faithful image segmentation via induced matching of
       persistence barcodes", ICML 2023. arXiv:2211.15272

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import BettiMatchingLoss
    >>> loss_fn = BettiMatchingLoss()
    >>> prediction = torch.rand(2, 1, 16, 16, requires_grad=True)
    >>> target = (torch.rand(2, 1, 16, 16) > 0.5).float()
    >>> loss_fn(prediction, target).backward()
    >>> prediction.grad.shape
    torch.Size([2, 1, 16, 16])
    """

    def __init__(self, dim=None, connectivity=None, superlevel=True, include_unmatched_target=True,
                 reduction="mean", spatial_dims=None, n_jobs=None):
        super().__init__()
        self.dim = dim
        self.connectivity = connectivity
        self.superlevel = superlevel
        self.include_unmatched_target = include_unmatched_target
        self.reduction = reduction
        self.spatial_dims = spatial_dims
        self.n_jobs = n_jobs

    def forward(self, prediction, target):
        return betti_matching_loss(
            prediction, target, dim=self.dim, connectivity=self.connectivity,
            superlevel=self.superlevel, include_unmatched_target=self.include_unmatched_target,
            reduction=self.reduction, spatial_dims=self.spatial_dims, n_jobs=self.n_jobs)

    def extra_repr(self):
        return (f"dim={self.dim!r}, connectivity={self.connectivity!r}, "
                f"superlevel={self.superlevel!r}, "
                f"include_unmatched_target={self.include_unmatched_target!r}, "
                f"reduction={self.reduction!r}")
