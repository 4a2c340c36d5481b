"""Bottleneck and Wasserstein distances between persistence diagrams, with matchings.

Both accept :class:`~fasttopo.PersistenceDiagram` objects or plain
``(n, 2)`` arrays of (birth, death).  The optimal matchings are computed by
SciPy's bipartite matching solvers on a pruned graph (see
:mod:`fasttopo.distances._matching`); essential classes are matched among themselves
as in GUDHI.
"""

import numbers

import numpy as np

from .._points import check_dim as _check_dim
from .._points import check_dim_applies
from .._points import check_dim_of as _check_dim_of
from .._points import points as _points
from .._validation import check_bool
from ._matching import bottleneck_matching, diagonal_distance, ground_cost, wasserstein_matching

__all__ = ["bottleneck_distance", "wasserstein_distance", "distance", "check_order"]

#: the largest Wasserstein order: the solvers compare costs ** order, and costs a
#: thousandth of the largest one still count above it (1e-3 ** 64 > 1e-200)
MAX_ORDER = 64

_FINITE = -1
_DIAGONAL = 6
#: essential categories: (coordinate that is finite, or None), in GUDHI's spirit
#: 0 (x, +inf)  1 (x, -inf)  2 (-inf, y)  3 (+inf, y)  4 (-inf, +inf)  5 (+inf, -inf)
_AXIS = {0: 0, 1: 0, 2: 1, 3: 1, 4: None, 5: None}


def _groups(x, y, dim):
    """Index pairs (into the points of X and of Y) of the parts matched together."""
    (px, dx), (py, dy) = x, y
    ix = np.arange(len(px), dtype=np.int64)
    iy = np.arange(len(py), dtype=np.int64)
    if dim is not None:
        if dx is not None:
            ix = ix[dx == dim]
        if dy is not None:
            iy = iy[dy == dim]
        return [(ix, iy)]
    if dx is not None and dy is not None:
        return [(ix[dx == d], iy[dy == d]) for d in np.union1d(dx, dy)]
    for d, name in ((dx, "X"), (dy, "Y")):
        if d is not None and len(np.unique(d)) > 1:
            raise ValueError(f"{name} is a PersistenceDiagram with several dimensions "
                             f"{sorted(set(d.tolist()))} and the other diagram is a plain "
                             f"array: pass dim= to choose one")
    return [(ix, iy)]


def _category(points):
    b, d = points[:, 0], points[:, 1]
    fb, fd = np.isfinite(b), np.isfinite(d)
    cat = np.full(len(points), _FINITE, dtype=np.int64)
    cat[fb & (d == np.inf)] = 0
    cat[fb & (d == -np.inf)] = 1
    cat[(b == -np.inf) & fd] = 2
    cat[(b == np.inf) & fd] = 3
    cat[(b == -np.inf) & (d == np.inf)] = 4
    cat[(b == np.inf) & (d == -np.inf)] = 5
    cat[b == d] = _DIAGONAL   # zero lifetime, or (+inf, +inf) / (-inf, -inf)
    return cat


def _solve(px, py, ix, iy, kind, order, internal_p):
    """Distance part and matching of one group.

    Returns ``(value, pairs)``: ``value`` is the largest pair cost for the
    bottleneck distance, the (unpowered) cost of every matched pair for the
    Wasserstein distance; ``pairs`` holds indices into px / py.  ``(inf,
    None)`` when the essential parts cannot be matched.
    """
    cx, cy = _category(px[ix]), _category(py[iy])
    parts, value, costs = [], 0.0, []
    for c, axis in _AXIS.items():
        ex, ey = ix[cx == c], iy[cy == c]
        if len(ex) != len(ey):
            return np.inf, None
        if not len(ex):
            continue
        if axis is None:
            ex, ey, gaps = np.sort(ex), np.sort(ey), np.zeros(len(ex))
        else:
            u, v = px[ex, axis], py[ey, axis]
            ou, ov = np.argsort(u, kind="stable"), np.argsort(v, kind="stable")
            ex, ey, gaps = ex[ou], ey[ov], np.abs(u[ou] - v[ov])
        parts.append(np.column_stack([ex, ey]))
        if kind == "bottleneck":
            value = max(value, float(gaps.max()))
        else:
            costs.append(gaps)
    fx, fy = ix[cx == _FINITE], iy[cy == _FINITE]
    a, b = px[fx], py[fy]
    if kind == "bottleneck":
        finite_value, pairs = bottleneck_matching(a, b)
        value = max(value, finite_value)
    else:
        pairs = wasserstein_matching(a, b, order, internal_p)[1]
        costs.append(pair_costs(a, b, pairs, internal_p))
        value = np.concatenate(costs)
    mapped = np.column_stack([_take(fx, pairs[:, 0]), _take(fy, pairs[:, 1])])
    parts.append(mapped)
    dx, dy = ix[cx == _DIAGONAL], iy[cy == _DIAGONAL]
    parts.append(np.column_stack([dx, np.full(len(dx), -1, dtype=np.int64)]))
    parts.append(np.column_stack([np.full(len(dy), -1, dtype=np.int64), dy]))
    return value, np.concatenate(parts).astype(np.int64).reshape(-1, 2)


def _take(index, positions):
    """``index[positions]`` with -1 (the diagonal) kept as -1."""
    out = np.full(len(positions), -1, dtype=np.int64)
    real = positions >= 0
    out[real] = index[positions[real]]
    return out


def _sorted_matching(parts):
    pairs = np.concatenate(parts).reshape(-1, 2) if parts else np.empty((0, 2), np.int64)
    x = np.where(pairs[:, 0] < 0, np.iinfo(np.int64).max, pairs[:, 0])
    return pairs[np.lexsort((pairs[:, 1], x))]


def _parse_pair(X, Y, dim):
    """Parsed X and Y (``_points``), ``dim`` checked against both."""
    dim = _check_dim(dim)
    _check_dim_of(dim, X)
    _check_dim_of(dim, Y)
    check_dim_applies(dim, (X, Y), "X and Y are")
    return _points(X, "X"), _points(Y, "Y"), dim


def distance(x, y, dim, kind, order, internal_p, matching):
    """Distance between parsed diagrams x = (points, dims), y = (points, dims)."""
    groups = _groups(x, y, dim)
    # Solve at a power-of-two scale (exact): for the bottleneck distance the largest
    # finite coordinate goes to [0.5, 1), for the Wasserstein distance the largest
    # distance of a finite point to the diagonal (costs do not depend on where the
    # points sit, and the solvers see costs ** order: scaled by the lifetimes, the
    # costs that matter can neither overflow nor vanish below the solvers' tolerances)
    scale = _unit_scale(x[0], y[0]) if kind == "bottleneck" else _cost_scale(x[0], y[0])
    px, py = x[0] * scale, y[0] * scale
    total, parts, costs = 0.0, [], []
    for ix, iy in groups:
        value, pairs = _solve(px, py, ix, iy, kind, order, internal_p)
        if pairs is None:
            return (np.inf, None) if matching else np.inf
        if kind == "bottleneck":
            total = max(total, value)
        else:
            costs.append(value)
        parts.append(pairs)
    if kind == "wasserstein":
        total = p_norm(np.concatenate(costs) if costs else np.zeros(0), order)
    total = float(total / scale)
    return (total, _sorted_matching(parts)) if matching else total


def p_norm(costs, order):
    """``(sum of costs ** order) ** (1 / order)``, computed as ``M * ||costs / M||_p``.

    ``M``, the largest cost, is factored out: no power overflows or
    underflows to zero however large ``order`` is, so the result lies
    between ``M`` and ``M * n ** (1 / order)`` (``W_p >= W_inf`` holds).
    """
    costs = np.asarray(costs, dtype=np.float64)
    largest = float(costs.max(initial=0.0))
    if largest == 0.0 or not np.isfinite(largest):
        return largest
    return largest * float(np.sum((costs / largest) ** order)) ** (1.0 / order)


def pair_costs(a, b, pairs, internal_p):
    """Unpowered cost of each pair of a matching of finite points (-1: the diagonal)."""
    i, j = pairs[:, 0], pairs[:, 1]
    costs = np.empty(len(pairs), dtype=np.float64)
    both = (i >= 0) & (j >= 0)
    costs[both] = ground_cost(a, b, i[both], j[both], internal_p)
    only_a, only_b = (i >= 0) & (j < 0), (i < 0) & (j >= 0)
    costs[only_a] = diagonal_distance(a[i[only_a]], internal_p)
    costs[only_b] = diagonal_distance(b[j[only_b]], internal_p)
    return costs


def _cost_scale(a, b):
    """A power of two ``s`` with the largest finite point-to-diagonal gap * s in [0.5, 1)."""
    gaps = [np.abs(p[:, 1] - p[:, 0]) for p in (a, b)]
    values = np.concatenate([g[np.isfinite(g)] for g in gaps])
    largest = float(values.max(initial=0.0))
    if largest == 0.0:
        return _unit_scale(a, b)
    return float(np.ldexp(1.0, -np.frexp(largest)[1]))


def _unit_scale(a, b):
    """A power of two ``s`` with ``max |finite coordinate| * s`` in [0.5, 1) (1 if none)."""
    values = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    largest = float(np.abs(values).max(initial=0.0))
    if largest == 0.0:
        return 1.0
    return float(np.ldexp(1.0, -np.frexp(largest)[1]))


def check_order(order, internal_p):
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Real):
        raise TypeError(f"order must be a real number >= 1, got {order!r}")
    if not (1 <= order <= MAX_ORDER):
        raise ValueError(f"order must be between 1 and {MAX_ORDER:g} (beyond, the optimal "
                         f"matchings cannot be told apart in float64; W_p tends to the "
                         f"bottleneck distance: use bottleneck_distance), got {order}")
    if isinstance(internal_p, (bool, np.bool_)) or not isinstance(internal_p, numbers.Real):
        raise TypeError(f"internal_p must be a real number >= 1 or inf, got {internal_p!r}")
    if not internal_p >= 1:
        raise ValueError(f"internal_p must be >= 1 (1, 2, ..., or np.inf), got {internal_p}")
    return float(order), float(internal_p)


# ------------------------------------------------------------------ public API
def bottleneck_distance(X, Y, *, dim=None, matching=False):
    """Bottleneck distance between two persistence diagrams, with an optimal matching.

    The bottleneck distance is the smallest ``t`` such that the points of
    ``X`` and ``Y`` can be matched, each point possibly to the diagonal,
    with every matched pair at L-infinity distance at most ``t`` (a point
    matched to the diagonal costs half its lifetime).

    Parameters
    ----------
    X, Y : PersistenceDiagram or (n, 2) array_like
        The diagrams.  Arrays hold one (birth, death) row per point;
        ``+-inf`` marks essential classes.
    dim : int, optional
        Homology dimension to compare, for PersistenceDiagram inputs (plain
        arrays are used whole).  Default None: every dimension, each matched
        separately (points of different dimensions are never matched); the
        result is the maximum over dimensions.
    matching : bool, optional
        Also return an optimal matching.

    Returns
    -------
    distance : float
        The bottleneck distance; ``inf`` if the essential parts differ.
    matching : (k, 2) ndarray of int64 or None
        Only with ``matching=True``: rows ``(i, j)`` meaning point ``i`` of
        ``X`` is matched to point ``j`` of ``Y``, with -1 for the diagonal.
        Indices refer to the rows of the arrays, or to the pairs of a
        PersistenceDiagram (``X.birth[i]``...).  Every point appears exactly
        once; rows are sorted by ``i`` (then the ``(-1, j)`` rows by ``j``).
        None if the distance is infinite (as in GUDHI).

    Raises
    ------
    ValueError
        If a diagram is not an ``(n, 2)`` array or contains NaN, or a
        several-dimension PersistenceDiagram is compared with an array
        without ``dim``, or ``dim`` is negative or beyond the diagrams'
        image dimension (``diagram.ndim - 1``).
    TypeError
        If a diagram is not array-like or ``dim`` is not an int.

    See Also
    --------
    wasserstein_distance, pairwise_distances

    Notes
    -----
    Essential classes are matched among themselves, as GUDHI does: points
    ``(x, +inf)`` with points ``(y, +inf)`` (and likewise ``(x, -inf)``,
    ``(-inf, y)``, ``(+inf, y)``, ``(-inf, +inf)``), in sorted order of the
    finite coordinate, at cost ``|x - y|``; if any of these groups have
    different sizes the distance is infinite.  Points on the diagonal
    (zero lifetime) are matched to the diagonal at no cost.

    The finite part is solved exactly: candidate values are the pairwise
    L-infinity distances and the distances to the diagonal, and a binary
    search between a lower bound (every point needs a partner) and an upper
    bound (everything to the diagonal) tests each with Hopcroft-Karp
    maximum matching (:func:`scipy.sparse.csgraph.maximum_bipartite_matching`)
    on the graph of the pairs closer than the threshold.  Only pairs closer
    than the larger of their two distances to the diagonal are kept; the
    others are never needed by an optimal matching.

    References
    ----------
    .. [1] D. Cohen-Steiner, H. Edelsbrunner, J. Harer, "Stability of
       persistence diagrams", Discrete & Computational Geometry 37, 103-120,
       2007. https://doi.org/10.1007/s00454-006-1276-5
    .. [2] M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare
       persistence diagrams", ACM Journal of Experimental Algorithmics 22,
       2017. https://doi.org/10.1145/3064175
    .. [3] J. E. Hopcroft, R. M. Karp, "An n^5/2 algorithm for maximum
       matchings in bipartite graphs", SIAM Journal on Computing 2(4),
       225-231, 1973. https://doi.org/10.1137/0202019

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import bottleneck_distance
    >>> X = np.array([[0.0, 4.0], [1.0, 2.0]])
    >>> Y = np.array([[0.0, 3.0]])
    >>> d, m = bottleneck_distance(X, Y, matching=True)
    >>> d
    1.0
    >>> m
    array([[ 0,  0],
           [ 1, -1]])
    """
    matching = check_bool(matching, "matching")
    x, y, dim = _parse_pair(X, Y, dim)
    return distance(x, y, dim, "bottleneck", 1.0, np.inf, bool(matching))


def wasserstein_distance(X, Y, *, order=1.0, internal_p=np.inf, dim=None, matching=False):
    """p-Wasserstein distance between two persistence diagrams, with an optimal matching.

    ``W_p(X, Y) = (min over matchings M of sum over (x, y) in M of
    ||x - y||_q ** p) ** (1 / p)``, where every point is matched to a point
    of the other diagram or to its orthogonal projection on the diagonal,
    ``p = order`` and ``q = internal_p``.

    Parameters
    ----------
    X, Y : PersistenceDiagram or (n, 2) array_like
        The diagrams (as in :func:`bottleneck_distance`).
    order : float, optional
        The exponent ``p``, from 1 to 64 (default 1).  Large orders are
        computed without overflow or underflow (the largest pair cost is
        factored out), so ``W_p >= W_inf`` holds; beyond 64 the optimal
        matchings cannot be told apart in float64: use
        :func:`bottleneck_distance`, the limit ``p -> inf``.
    internal_p : float, optional
        The ground norm ``q`` in the plane: 1, 2, ..., or ``np.inf``
        (default, as in GUDHI).
    dim : int, optional
        Homology dimension to compare, for PersistenceDiagram inputs.
        Default None: every dimension, matched separately; the result is
        ``(sum over dimensions of W_p ** p) ** (1 / p)``.
    matching : bool, optional
        Also return an optimal matching.

    Returns
    -------
    distance : float
        The Wasserstein distance; ``inf`` if the essential parts differ.
    matching : (k, 2) ndarray of int64 or None
        Only with ``matching=True``: as in :func:`bottleneck_distance`
        (-1 is the diagonal); the matching achieves ``distance``.

    Raises
    ------
    ValueError
        If a diagram is malformed, ``order`` is not in ``[1, 64]``,
        ``internal_p < 1``, or ``dim`` is out of range (as in
        :func:`bottleneck_distance`).
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    bottleneck_distance, pairwise_distances

    Notes
    -----
    Essential classes are matched among themselves as in GUDHI (see
    :func:`bottleneck_distance`), at cost ``|x - y| ** p`` between sorted
    finite coordinates.

    The finite part is an assignment problem on the points of both diagrams
    and their diagonal projections, solved exactly by LAPJVsp
    (:func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`) on a
    sparse graph: a pair ``(x, y)`` is an edge only if ``||x - y|| ** p <
    d(x) ** p + d(y) ** p`` (``d`` = distance to the diagonal), since
    otherwise sending both points to the diagonal is at least as good.
    The distance is summed from the returned matching.

    References
    ----------
    .. [1] D. Cohen-Steiner, H. Edelsbrunner, J. Harer, Y. Mileyko,
       "Lipschitz functions have Lp-stable persistence", Foundations of
       Computational Mathematics 10, 127-139, 2010.
       https://doi.org/10.1007/s10208-010-9060-6
    .. [2] M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare
       persistence diagrams", ACM Journal of Experimental Algorithmics 22,
       2017. https://doi.org/10.1145/3064175
    .. [3] R. Jonker, A. Volgenant, "A shortest augmenting path algorithm for
       dense and sparse linear assignment problems", Computing 38, 325-340,
       1987. https://doi.org/10.1007/BF02278710

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import wasserstein_distance
    >>> X = np.array([[0.0, 4.0], [1.0, 2.0]])
    >>> Y = np.array([[0.0, 3.0]])
    >>> wasserstein_distance(X, Y)            # |4 - 3| + (2 - 1) / 2
    1.5
    >>> wasserstein_distance(X, Y, order=2, internal_p=2, matching=True)[1]
    array([[ 0,  0],
           [ 1, -1]])
    """
    order, internal_p = check_order(order, internal_p)
    matching = check_bool(matching, "matching")
    x, y, dim = _parse_pair(X, Y, dim)
    return distance(x, y, dim, "wasserstein", order, internal_p, bool(matching))
