"""Topological losses on batched diagrams: total persistence, top-k, matchings."""

import numbers

import numpy as np
import torch

from .._matching import wasserstein_matching
from ..filtrations import random_height_function

from ._cubical import check_tensor, persistence, spatial_split
from .._validation import check_bool, check_dims_within
from ._tensor_diagrams import (check_diagrams, check_dims, check_reduction, finite_rows,
                        ranked, reduce_items)

__all__ = ["total_persistence", "topk_lifetimes", "wasserstein_loss", "lifetime_sorted_loss",
           "localized_loss"]


def _check_number(value, name, low=None, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def _gather(dgm, rows):
    """birth, death tensors of ``rows``, finite pairs (see ``finite_rows``)."""
    return dgm._values(rows, True)


def _sum_items(values, item, n_items, like):
    """Per-input sums of ``values`` (index ``item``) as a (n_items,) tensor."""
    if n_items == 0:   # an empty batch: keep the graph (a loss of it is a zero with grad)
        return like.reshape(-1)[:0]
    out = like.new_zeros(n_items)
    if values.numel() == 0:
        return out
    return out.index_add(0, torch.from_numpy(item).to(values.device, non_blocking=True),
                         values.to(out.dtype))


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
    p = _check_number(p, "p", low=0.0)
    q = _check_number(q, "q")
    skip = _check_count(skip, "skip")
    dims = check_dims_within(check_dims(dim), dgm.max_dim)
    check_reduction(reduction)
    rows = finite_rows(dgm, dims)
    if skip:
        rows, _, rank = ranked(dgm, rows)
        rows = rows[rank >= skip]
    birth, death = _gather(dgm, rows)
    life = birth - death if dgm.superlevel else death - birth
    term = life if p == 1 else life.pow(p)
    if q != 0:
        term = term * ((birth + death) / 2).pow(q)
    if reduction != "none" and dgm.n_items:   # no per-input sums needed
        total = term.sum()
        return total / dgm.n_items if reduction == "mean" else total
    per_item = _sum_items(term, dgm.item[rows], dgm.n_items, term)
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
    k = _check_count(k, "k")
    dims = check_dims_within(check_dims(dim), dgm.max_dim)
    rows = finite_rows(dgm, dims)
    # rank over all the selected dimensions together
    life = np.abs(dgm._death_np[rows] - dgm._birth_np[rows])
    order = np.lexsort((-life, dgm.item[rows]))
    rows = rows[order]
    item = dgm.item[rows]
    starts = np.searchsorted(item, np.arange(dgm.n_items))
    rank = np.arange(rows.shape[0]) - starts[item]
    keep = rank < k
    rows, item, rank = rows[keep], item[keep], rank[keep]
    birth, death = _gather(dgm, rows)
    life_t = birth - death if dgm.superlevel else death - birth
    out = life_t.new_zeros(dgm.n_items * k)
    pos = torch.from_numpy(item * k + rank).to(dgm.device)
    out = out.index_put((pos,), life_t)
    return out.reshape(dgm.batch_shape + (k,))


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


def _match(pb, pd, tb, td, order, internal_p, diag=None):
    """Optimal partial matching: (pred rows, target rows) matched; the rest go to the diagonal.

    One code with :mod:`fasttopo.distances`: ``fasttopo._matching.wasserstein_matching``
    (pruned sparse assignment by SciPy's LAPJVsp, or POT's network simplex
    on dense sub-problems).  ``diag(b, d)`` replaces the cost of a point
    sent to the diagonal (default its distance ** order).
    """
    a, b = np.column_stack([pb, pd]), np.column_stack([tb, td])
    costs = None if diag is None else (diag(pb, pd), diag(tb, td))
    _, pairs = wasserstein_matching(a, b, order, internal_p, costs)
    real = (pairs[:, 0] >= 0) & (pairs[:, 1] >= 0)
    return pairs[real, 0], pairs[real, 1]


def _check_pair(pred, target):
    pred = check_diagrams(pred, "pred")
    target = check_diagrams(target, "target")
    if pred.n_items != target.n_items:
        raise ValueError(f"pred and target must hold the same number of diagrams, got "
                         f"batch_shape {pred.batch_shape} and {target.batch_shape}")
    if pred.superlevel != target.superlevel:
        raise ValueError("pred and target must both be sublevel or both superlevel diagrams")
    return pred, target


def _matched_loss(pred, target, dims, order, internal_p, matcher, diag=None):
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
        i, j = matcher(pred._birth_np[pr], pred._death_np[pr], target._birth_np[tr],
                       target._death_np[tr])
        mp.append(pr[i])
        mt.append(tr[j])
    mp = np.concatenate(mp) if mp else np.zeros(0, np.int64)
    mt = np.concatenate(mt) if mt else np.zeros(0, np.int64)
    free_p = np.setdiff1d(prow, mp, assume_unique=True)
    free_t = np.setdiff1d(trow, mt, assume_unique=True)
    pb, pd = _gather(pred, np.concatenate([mp, free_p]))
    tb, td = _gather(target, np.concatenate([mt, free_t]))
    k = mp.shape[0]
    like = pb
    matched = _pair_cost(pb[:k], pd[:k], tb[:k].to(like.device, like.dtype),
                         td[:k].to(like.device, like.dtype), order, internal_p)
    per_item = _sum_items(matched, pred.item[mp], pred.n_items, like)
    per_item = per_item + _sum_items(diag(pb[k:], pd[k:]), pred.item[free_p], pred.n_items,
                                     like)
    unmatched_t = diag(tb[k:], td[k:]).to(like.device, like.dtype)
    per_item = per_item + _sum_items(unmatched_t, target.item[free_t], pred.n_items, like)
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
    pred, target = _check_pair(pred, target)
    order = _check_number(order, "order")
    internal_p = _check_number(internal_p, "internal_p", allow_inf=True)
    if order < 1 or internal_p < 1:
        raise ValueError(f"order and internal_p must be >= 1, got {order} and {internal_p}")
    dims = check_dims_within(check_dims(dim), min(pred.max_dim, target.max_dim))
    check_reduction(reduction)

    def matcher(pb, pd, tb, td):
        return _match(pb, pd, tb, td, order, internal_p)

    per_item = _matched_loss(pred, target, dims, order, internal_p, matcher)
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
    pred, target = _check_pair(pred, target)
    dims = check_dims_within(check_dims(dim), min(pred.max_dim, target.max_dim))
    check_reduction(reduction)
    per_item = _matched_loss(pred, target, dims, 2.0, 2.0, _sorted_matcher)
    return reduce_items(per_item, pred.batch_shape, reduction)


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
    window = _check_count(window, "window")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    alpha = _check_number(alpha, "alpha")
    amplitude = _check_number(amplitude, "amplitude", low=0.0)
    if unmatched not in _UNMATCHED:
        raise ValueError(f"unmatched must be 'distance' or 'squared', got {unmatched!r}")
    if kind not in ("linear", "radial", "quadratic"):
        raise ValueError(f"kind must be 'linear', 'radial' or 'quadratic', got {kind!r}")
    dims = check_dims(dim)
    check_reduction(reduction)
    rng = np.random.default_rng(rng)
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
    pred, target = _check_pair(pred, target)

    def matcher(pb, pd, tb, td):
        return _match(pb, pd, tb, td, 2.0, 2.0, diag)

    return _matched_loss(pred, target, dims, 2.0, 2.0, matcher, diag)
