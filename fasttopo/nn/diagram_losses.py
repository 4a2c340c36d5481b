"""Losses of one set of diagrams: total persistence E(p, q, i0) and the top-k lifetimes."""

import numpy as np
import torch
from torch import nn

from .._validation import check_dims_within
from ._loss_tools import (check_count, check_diagrams, check_dims, check_number, check_reduction,
                          finite_rows, module_repr, ranked, reduce_items, sum_items)

__all__ = ["total_persistence", "topk_lifetimes", "TotalPersistence", "TopKLifetimes"]


def total_persistence(diagrams, p=1, q=0, skip=0, dim=0, reduction="mean"):
    r"""Total persistence :math:`E(p, q, i_0)` of Gabrielsson et al., per input.

    .. math::

        E(p, q, i_0) = \sum_{i \ge i_0} \ell_i^{\,p}
                       \left(\frac{d_i + b_i}{2}\right)^{q},
        \qquad \ell_i = |d_i - b_i|,

    over the finite bars of dimension ``dim`` of each input, sorted by
    decreasing lifetime; the ``skip`` longest finite bars are not
    penalised (see ``skip`` for its relation to :math:`i_0`).  Bars with an
    infinite death are left out (as in
    TopologyLayer).

    Parameters
    ----------
    diagrams : Diagrams
        From :func:`persistence` (or the point-cloud layers).
    p, q : float, optional
        Exponents of the lifetime (``p >= 0``; ``p = 0`` counts the bars,
        weighted by the mid-point term) and of the mid-point (``q = 0``
        ignores the mid-point; a negative mid-point with a fractional
        ``q`` gives NaN).
    skip : int, optional
        Number of longest *finite* bars of each input (and dimension) not
        penalised.  The paper's :math:`i_0` counts every bar, the
        essential classes first (their lifetime is infinite): with
        :math:`e` essential classes in the dimension,
        ``skip = max(i0 - 1 - e, 0)``.  For the superlevel PD0 of a
        connected image (:math:`e = 1`) the paper's
        :math:`E(1, 0, 2; \mathrm{PD}_0)` (one maximum) is ``skip=0``;
        for PD1 of a 2D image (:math:`e = 0`) ``skip = i0 - 1``.
        :func:`persistence_features` takes :math:`i_0` itself.
    dim : int or sequence of int, optional
        Homology dimension(s); with several, their sums are added (``skip``
        applies to each dimension).
    reduction : {'mean', 'sum', 'none'}, optional
        Over the batch: ``'none'`` returns a ``batch_shape`` tensor.

    Returns
    -------
    loss : Tensor
        Scalar, or ``batch_shape`` with ``reduction='none'``; differentiable
        through the birth and death values.

    Raises
    ------
    TypeError
        If ``diagrams`` is not a Diagrams, or a parameter has the wrong type.
    ValueError
        If ``p < 0``, ``skip < 0``, a dimension is negative, or
        ``reduction`` is unknown.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A Topology Layer for Machine Learning",
       AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[0., 3., 1.], [3., 3., 3.], [2., 3., 0.5]], requires_grad=True)
    >>> dgms = tnn.persistence(x)                      # three finite bars of dim 0
    >>> tnn.total_persistence(dgms, dim=0)             # 2.5 + 2 + 1
    tensor(5.5000, grad_fn=<DivBackward0>)
    >>> tnn.total_persistence(dgms, dim=0, skip=1)     # all but the longest
    tensor(3., grad_fn=<DivBackward0>)
    """
    dgm = check_diagrams(diagrams, "diagrams")
    p = check_number(p, "p", low=0.0)
    q = check_number(q, "q")
    skip = check_count(skip, "skip")
    dims = check_dims_within(check_dims(dim), dgm.max_dim)
    check_reduction(reduction)
    rows = finite_rows(dgm, dims)
    if skip:
        rows, _, rank = ranked(dgm, rows)
        rows = rows[rank >= skip]
    birth, death = dgm.values(rows, finite=True)
    life = birth - death if dgm.superlevel else death - birth
    term = life if p == 1 else life.pow(p)
    if q != 0:
        term = term * ((birth + death) / 2).pow(q)
    if reduction != "none" and dgm.n_items:   # no per-input sums needed
        total = term.sum()
        return total / dgm.n_items if reduction == "mean" else total
    per_item = sum_items(term, dgm.item[rows], dgm.n_items, term)
    return reduce_items(per_item, dgm.batch_shape, reduction)


def topk_lifetimes(diagrams, k, dim=0):
    """The ``k`` longest finite lifetimes of each input, padded with zeros.

    Parameters
    ----------
    diagrams : Diagrams
    k : int
        Number of lifetimes per input.
    dim : int or sequence of int, optional
        Homology dimension(s) ranked together.

    Returns
    -------
    lifetimes : Tensor
        Shape ``(*batch_shape, k)``, decreasing; zeros where an input has
        fewer than ``k`` finite bars; differentiable.

    Raises
    ------
    TypeError, ValueError
        For a non-Diagrams input, or ``k``/``dim`` of the wrong type or
        negative.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[0., 3., 1.], [3., 3., 3.], [2., 3., 0.5]])
    >>> tnn.topk_lifetimes(tnn.persistence(x), k=4)
    tensor([2.5000, 2.0000, 1.0000, 0.0000])
    """
    dgm = check_diagrams(diagrams, "diagrams")
    k = check_count(k, "k")
    dims = check_dims_within(check_dims(dim), dgm.max_dim)
    rows = finite_rows(dgm, dims)
    # rank over all the selected dimensions together
    life = np.abs(dgm.death_array[rows] - dgm.birth_array[rows])
    order = np.lexsort((-life, dgm.item[rows]))
    rows = rows[order]
    item = dgm.item[rows]
    starts = np.searchsorted(item, np.arange(dgm.n_items))
    rank = np.arange(rows.shape[0]) - starts[item]
    keep = rank < k
    rows, item, rank = rows[keep], item[keep], rank[keep]
    birth, death = dgm.values(rows, finite=True)
    life_t = birth - death if dgm.superlevel else death - birth
    out = life_t.new_zeros(dgm.n_items * k)
    pos = torch.from_numpy(item * k + rank).to(dgm.device)
    out = out.index_put((pos,), life_t)
    return out.reshape(dgm.batch_shape + (k,))


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
        return total_persistence(diagrams, p=self.p, q=self.q, skip=self.skip, dim=self.dim,
                                   reduction=self.reduction)

    def extra_repr(self):
        return module_repr(p=self.p, q=self.q, skip=self.skip, dim=self.dim,
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
        return topk_lifetimes(diagrams, self.k, dim=self.dim)

    def extra_repr(self):
        return module_repr(k=self.k, dim=self.dim)
