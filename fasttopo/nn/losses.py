"""Topological losses on batched diagrams: total persistence, top-k, matchings."""

import numbers

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ._cubical import check_tensor, persistence, spatial_split
from .._validation import check_bool, check_dims_within
from ._diagrams import (check_diagrams, check_dims, check_reduction, finite_rows,
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
    decreasing lifetime; the ``skip = i0 - 1`` longest bars are not
    penalised.  Bars with an infinite death are left out (as in
    TopologyLayer).

    Parameters
    ----------
    diagrams : Diagrams
        From :func:`persistence` (or the point-cloud layers).
    p, q : float, optional
        Exponents of the lifetime (``p > 0``) and of the mid-point
        (``q = 0`` ignores the mid-point; a negative mid-point with a
        fractional ``q`` gives NaN).
    skip : int, optional
        Number of longest finite bars of each input (and dimension) not
        penalised, ``i0 - 1`` in the paper's notation.
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
        If ``p <= 0``, ``skip < 0``, a dimension is negative, or
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
    p = _check_number(p, "p")
    if p <= 0:
        raise ValueError(f"p must be > 0, got {p}")
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


def _match(pb, pd, tb, td, order, internal_p):
    """Optimal partial matching: (pred rows, target rows) matched; the rest go to the diagonal."""
    n, m = pb.shape[0], tb.shape[0]
    if n == 0 or m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = _pair_cost(pb[:, None], pd[:, None], tb[None, :], td[None, :], order,
                              internal_p)
    cost[:n, m:] = _diag_cost(pb, pd, order, internal_p)[:, None]
    cost[n:, :m] = _diag_cost(tb, td, order, internal_p)[None, :]
    rows, cols = linear_sum_assignment(cost)
    real = (rows < n) & (cols < m)
    return rows[real].astype(np.int64), cols[real].astype(np.int64)


def _check_pair(pred, target):
    pred = check_diagrams(pred, "pred")
    target = check_diagrams(target, "target")
    if pred.n_items != target.n_items:
        raise ValueError(f"pred and target must hold the same number of diagrams, got "
                         f"batch_shape {pred.batch_shape} and {target.batch_shape}")
    if pred.superlevel != target.superlevel:
        raise ValueError("pred and target must both be sublevel or both superlevel diagrams")
    return pred, target


def _matched_loss(pred, target, dims, order, internal_p, matcher):
    """Per-input matching cost; ``matcher(pb, pd, tb, td) -> (i, j)`` for one group."""
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
    per_item = per_item + _sum_items(_diag_cost(pb[k:], pd[k:], order, internal_p),
                                     pred.item[free_p], pred.n_items, like)
    unmatched_t = _diag_cost(tb[k:], td[k:], order, internal_p).to(like.device, like.dtype)
    per_item = per_item + _sum_items(unmatched_t, target.item[free_t], pred.n_items, like)
    return per_item


def wasserstein_loss(pred, target, order=2, internal_p=2, dim=None, reduction="mean"):
    r"""Wasserstein matching loss between two batches of diagrams.

    For each input and each homology dimension, the optimal partial
    matching of the finite points of ``pred`` and ``target`` is computed on
    the CPU (:func:`scipy.optimize.linear_sum_assignment`); the loss is
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
def _height_function(shape, kind, rng, dtype=torch.float64, device=None):
    """A random height function on a window, scaled to [0, 1] (linear, radial, quadratic)."""
    coords = np.stack(np.meshgrid(*[np.arange(s, dtype=np.float64) / max(s - 1, 1)
                                    for s in shape], indexing="ij"), axis=-1)
    if kind == "linear":
        direction = rng.normal(size=len(shape))
        direction /= np.linalg.norm(direction) or 1.0
        g = coords @ direction
    elif kind in ("radial", "quadratic"):
        center = rng.random(len(shape))
        g = np.linalg.norm(coords - center, axis=-1)
        if kind == "quadratic":
            g = g ** 2
    else:
        raise ValueError(f"kind must be 'linear', 'radial' or 'quadratic', got {kind!r}")
    g = g - g.min()
    span = g.max()
    if span > 0:
        g = g / span
    return torch.as_tensor(g, dtype=dtype, device=device)


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


def localized_loss(pred, target, *, window=64, kind="linear", dim=1, alpha=0.01,
                   superlevel=False, connectivity=None, rng=None, reduction="mean",
                   spatial_dims=None):
    """Height-localized persistence loss of Oner et al., on windows.

    A random height function ``g`` (``kind``: linear in a random direction,
    radial or quadratic around a random centre; scaled to [0, 1] on a
    window) is drawn once per call and added to both maps,
    ``f = y + alpha * g``, on every ``window``-sized window (the last
    window of an axis is shifted to end flush with the image, so every
    window has the same size).  The diagrams of each window of ``pred``
    and ``target`` are matched by the Hungarian algorithm with cost
    ``(Δb)² + (Δd)²``, unmatched points paying their squared distance to
    the diagonal; the loss of an input is the sum over its windows and the
    dimensions ``dim``.

    Parameters
    ----------
    pred, target : Tensor
        Maps of the same shape, e.g. ``(B, C, H, W)`` likelihoods and ground
        truth (as in :func:`persistence`; ``target`` may carry no
        gradient).
    window : int, optional
        Window side (64 in the paper); windows larger than the image are
        clipped to it.
    kind : {'linear', 'radial', 'quadratic'}, optional
        Height function.
    dim : int or sequence of int, optional
        Homology dimension(s) (1: loops, in 2D).
    alpha : float, optional
        Weight of the height function (0.01 in the paper).
    superlevel, connectivity, spatial_dims
        As in :func:`persistence`.
    rng : None, int or numpy.random.Generator, optional
        Source of the random height function.
    reduction : {'mean', 'sum', 'none'}, optional
        Over the batch.

    Returns
    -------
    loss : Tensor

    Raises
    ------
    TypeError
        If ``pred``/``target`` are not floating-point tensors.
    ValueError
        If their shapes differ, ``window < 1``, ``kind`` is unknown, or an
        option is out of range.

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
    >>> target = (torch.rand(2, 1, 32, 32, generator=g) > 0.5).double()
    >>> loss = tnn.localized_loss(pred, target.float(), window=16, rng=0)
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
    dims = check_dims(dim)
    check_reduction(reduction)
    rng = np.random.default_rng(rng)
    batch_shape, shape = spatial_split(pred, spatial_dims, "pred")
    check_dims_within(dims, len(shape) - 1)
    superlevel = check_bool(superlevel, "superlevel")
    n_items = int(np.prod(batch_shape, dtype=np.int64))
    index, wshape, n_win = _window_index(shape, window, pred.device)
    g = _height_function(wshape, kind, rng, dtype=pred.dtype, device=pred.device)
    max_dim = None if dims is None else max(dims)
    out = []
    for name, y in (("pred", pred), ("target", target)):
        flat = y.reshape((n_items, int(np.prod(shape)))).index_select(1, index)
        win = flat.reshape((n_items * n_win,) + wshape) + alpha * g.to(y.dtype)
        out.append(persistence(win, max_dim=max_dim, connectivity=connectivity,
                               superlevel=superlevel, spatial_dims=len(shape)))
    per_window = wasserstein_loss(out[0], out[1], order=2, internal_p=2, dim=dims,
                                  reduction="none")
    per_item = per_window.reshape(n_items, n_win).sum(1)
    return reduce_items(per_item, batch_shape, reduction)
