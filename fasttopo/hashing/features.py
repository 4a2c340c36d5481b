"""Inputs of the diagram codes: points on [0, 1]^2, features, exact W1, synthetic diagrams.

Diagrams are carried as one batch: the concatenated ``(N, 2)`` finite points
of all the diagrams and the number of points of each (``unit_batch``), so
that hashing 10,000 diagrams costs a few array operations, not 10,000 small
ones.  Features:

* the threshold codes' counts (``cut_values``), for points on ``[0, 1]^2``
  (a pair is the interval between its birth and its death, whichever is
  larger, so that superlevel pairs count the same way): kind 0, the Betti
  number at ``t``, ``#{points with low <= t < high}``; kind 1, the lifetime
  count at ``t``, ``#{points with high - low > t}``;
* the reflected 2D histogram plus a count cell of the paper's method
  (``cells``; Qin, Fasy, Wenk, Summa, IEEE VIS 2021,
  doi:10.1109/TVCG.2021.3114872).

Also the exact 1-Wasserstein distance of training pairs and the synthetic
(PD-GAN-style) diagrams of the paper.  Shared by ``codes`` (inference),
``thresholds`` and ``training`` (fitting).
"""

import numbers

import numpy as np

from .._diagram import PersistenceDiagram
from .._points import as_batch, check_dim, check_dim_of
from .._validation import check_rng
from ..distances._matching import wasserstein_matching
from ..vectorize import _bin

__all__ = ["check_value_range", "unit_batch", "unit_points", "concat", "split", "cells",
           "KINDS", "cut_values", "cut_bits", "left_index", "exact_w1", "check_counts",
           "synthetic_diagrams"]

#: threshold-code feature kinds: index -> name
KINDS = ("betti", "lifetime")


def check_value_range(value_range):
    """``(low, high)`` floats with low < high, or None."""
    if value_range is None:
        return None
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise TypeError(f"value_range must be None or a pair (low, high), got "
                        f"{value_range!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"value_range must be finite with low < high, got {value_range!r}")
    return low, high


def _concatenated(diagrams, dim):
    """(points, sizes) of a list of plain float64 (n, 2) arrays or of PersistenceDiagrams
    without per-diagram checks; None for anything else, or if there is a NaN (the general
    path then names the diagram)."""
    if not isinstance(diagrams, (list, tuple)) or len(diagrams) < 2:
        return None
    if all(type(d) is np.ndarray and d.ndim == 2 and d.shape[1] == 2
           and d.dtype == np.float64 for d in diagrams):
        sizes = np.fromiter((len(d) for d in diagrams), np.int64, len(diagrams))
        points = np.concatenate(diagrams)
    elif all(type(d) is PersistenceDiagram for d in diagrams):
        for d in diagrams:
            check_dim_of(dim, d)
        sizes = np.fromiter((len(d.birth) for d in diagrams), np.int64, len(diagrams))
        points = np.column_stack([np.concatenate([d.birth for d in diagrams]),
                                  np.concatenate([d.death for d in diagrams])])
        if dim is not None:
            keep = np.concatenate([d.dim for d in diagrams]) == dim
            owner = np.repeat(np.arange(len(diagrams)), sizes)
            points = points[keep]
            sizes = np.bincount(owner[keep], minlength=len(diagrams)).astype(np.int64)
    else:
        return None
    if np.isnan(points).any():
        return None
    return points, sizes


def _items(diagrams, dim, name):
    """:func:`as_batch` with ``dim`` applied to the PersistenceDiagrams only: plain arrays
    of points have no dimensions and are taken as they are."""
    if dim is None or isinstance(diagrams, PersistenceDiagram):
        return as_batch(diagrams, dim, name)
    if isinstance(diagrams, (list, tuple)) and any(isinstance(d, PersistenceDiagram)
                                                   for d in diagrams):
        return [as_batch(d, dim if isinstance(d, PersistenceDiagram) else None,
                         f"{name}[{i}]")[0][0] for i, d in enumerate(diagrams)], True
    return as_batch(diagrams, None, name)


def unit_batch(diagrams, dim, value_range, name="diagrams"):
    """``(points (N, 2), sizes (n,), is_batch)``: the finite points of each diagram (of
    dimension ``dim`` for PersistenceDiagrams), mapped from ``value_range`` to and checked
    in [0, 1]^2."""
    value_range = check_value_range(value_range)
    dim = check_dim(dim)
    fast = _concatenated(diagrams, dim)
    if fast is None:
        items, is_batch = _items(diagrams, dim, name)
        points, sizes = concat(items)
    else:
        (points, sizes), is_batch = fast, True
    owner = None
    if not np.isfinite(points).all():
        finite = np.isfinite(points).all(axis=1)
        owner = np.repeat(np.arange(len(sizes)), sizes)[finite]
        points = points[finite]
        sizes = np.bincount(owner, minlength=len(sizes)).astype(np.int64)
    if value_range is not None:
        low, high = value_range
        points = (points - low) / (high - low)
    if points.size and (points.min() < 0.0 or points.max() > 1.0):
        if owner is None:
            owner = np.repeat(np.arange(len(sizes)), sizes)
        outside = ((points < 0.0) | (points > 1.0)).any(axis=1)
        i = int(owner[np.flatnonzero(outside)[0]])
        p = points[owner == i]
        where = f"{name}[{i}]" if is_batch else name
        raise ValueError(
            f"{where} has finite points outside [0, 1]^2 (values from {p.min():g} to "
            f"{p.max():g}); the hash is defined on diagrams of functions with values in "
            f"[0, 1]: pass value_range=(low, high) with the function's range, e.g. "
            f"(0, 255) for uint8 images, or divide birth and death by it yourself")
    return points, sizes, is_batch


def concat(diagrams):
    """``(points, sizes)`` of a list of (m, 2) arrays."""
    sizes = np.fromiter((len(p) for p in diagrams), np.int64, len(diagrams))
    return (np.concatenate(diagrams) if len(diagrams) else np.empty((0, 2))), sizes


def split(points, sizes):
    """The list of each diagram's points."""
    return np.split(points, np.cumsum(sizes)[:-1]) if len(sizes) else []


def unit_points(diagrams, dim, value_range, name="diagrams"):
    """``(list of (m, 2) arrays, is_batch)``: :func:`unit_batch`, one array per diagram."""
    points, sizes, is_batch = unit_batch(diagrams, dim, value_range, name)
    return split(points, sizes), is_batch


def cells(points, sizes, bins):
    """Sparse reflected histogram plus count cell, as a CSR matrix (n, bins^2 + 1).

    Equal to ``diagram_histogram(diagrams, bins, reflect=True, count_cell=True)``
    for points in [0, 1]^2 (tested), without building the dense array.
    """
    from scipy.sparse import csr_matrix

    n = len(sizes)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ib, idd = _bin(points[:, 0], edges), _bin(points[:, 1], edges)
    owner = np.repeat(np.arange(n), sizes)
    rows = np.concatenate([owner, owner, np.arange(n)])
    cols = np.concatenate([ib * bins + idd, idd * bins + ib,
                           np.full(n, bins * bins, dtype=np.int64)])
    data = np.concatenate([np.ones(2 * len(points)), sizes.astype(np.float64)])
    matrix = csr_matrix((data, (rows, cols)), shape=(n, bins * bins + 1))
    matrix.sum_duplicates()
    return matrix


# ---------------------------------------------------------------- threshold features
def _intervals(points, sizes):
    """(low, high) of the points and the diagram owning each."""
    low = np.minimum(points[:, 0], points[:, 1])
    high = np.maximum(points[:, 0], points[:, 1])
    return low, high, np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def left_index(grid, x):
    """``np.searchsorted(grid, x, "left")`` for ``x`` in [0, 1] and a sorted ``grid`` of
    distinct values, by a table over ``K`` equal bins (K a power of two, one grid value
    per bin at most): a few gathers instead of a binary search per value."""
    if len(grid) < 2:
        return np.searchsorted(grid, x, side="left")
    scale = 2.0 ** int(np.ceil(np.log2(1.0 / np.diff(grid).min())))
    if scale > 2.0 ** 20:
        return np.searchsorted(grid, x, side="left")
    table = np.searchsorted(grid, np.arange(int(scale) + 1) / scale, side="left")
    base = table[(x * scale).astype(np.int64)]        # #(grid < start of x's bin), exact
    return base + (np.append(grid, np.inf)[base] < x)


def _counts(start, stop, owner, n, size):
    """``out[i, g] = #{points of diagram i with start <= g < stop}`` for g < size."""
    width = size + 1
    flat = np.bincount(owner * width + start, minlength=n * width)
    flat -= np.bincount(owner * width + stop, minlength=n * width)
    return np.cumsum(flat.reshape(n, width), axis=1)[:, :size]


def cut_values(points, sizes, kinds, ts):
    """``(n, q)`` int64: feature ``kinds[k]`` at ``ts[k]`` for each of ``n`` diagrams.

    ``points`` are the concatenated finite points of the diagrams, ``sizes``
    their numbers (see :func:`unit_batch`).
    """
    kinds = np.asarray(kinds)
    ts = np.asarray(ts, dtype=np.float64)
    n = len(sizes)
    out = np.zeros((n, len(ts)), dtype=np.int64)
    low, high, owner = _intervals(points, sizes)
    for kind in (0, 1):
        which = np.flatnonzero(kinds == kind)
        if not len(which):
            continue
        grid, inverse = np.unique(ts[which], return_inverse=True)
        if kind == 0:      # alive at grid[g] iff low <= grid[g] < high
            start = left_index(grid, low)
            stop = left_index(grid, high)
        else:              # lifetime > grid[g]
            start = np.zeros(len(low), dtype=np.int64)
            stop = left_index(grid, high - low)
        stop = np.maximum(stop, start)
        out[:, which] = _counts(start, stop, owner, n, len(grid))[:, inverse]
    return out


def cut_bits(points, sizes, kinds, ts, cs):
    """``(n, q)`` bool: the code bits ``cut_values(...) >= cs``."""
    return cut_values(points, sizes, kinds, ts) >= np.asarray(cs)


# ---------------------------------------------------------------- distances
def exact_w1(x, y):
    """Exact 1-Wasserstein distance (L-infinity ground metric) of two finite diagrams.

    :func:`fasttopo.wasserstein_distance` without its input parsing, for
    training and evaluation, where it is called on many small pairs of
    ``(n, 2)`` float64 arrays of finite points.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 2)
    return wasserstein_matching(x, y, 1.0, np.inf)[0]


# ---------------------------------------------------------------- generator
def check_counts(n_points):
    if isinstance(n_points, (bool, np.bool_)):
        raise TypeError(f"n_points must be an int, a (low, high) pair or an array of counts, "
                        f"got {n_points!r}")
    if isinstance(n_points, numbers.Integral):
        if n_points < 0:
            raise ValueError(f"n_points must be >= 0, got {n_points}")
        return np.array([int(n_points)])
    counts = np.asarray(n_points)
    if counts.dtype.kind not in "iu" or counts.ndim != 1 or counts.size == 0:
        raise TypeError(f"n_points must be an int or a non-empty 1D array of int counts, got "
                        f"{n_points!r}")
    if (counts < 0).any():
        raise ValueError(f"n_points must be >= 0, got {counts.min()}")
    return counts.astype(np.int64)


def _log_uniform(rng, low, high, size=None):
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def _blobs(rng, count, max_blobs, uniform_fraction):
    """One diagram: Gaussian blobs in the triangle plus uniform points."""
    k = int(rng.integers(1, max_blobs + 1))
    n_uniform = int(rng.binomial(count, uniform_fraction))
    birth = rng.random(k)
    life = (1.0 - birth) * _log_uniform(rng, 0.005, 1.0, k)
    centres = np.column_stack([birth, birth + life])
    spreads = _log_uniform(rng, 0.003, 0.1, k)
    which = rng.integers(0, k, size=count - n_uniform)
    blob = centres[which] + rng.normal(size=(len(which), 2)) * spreads[which, None]
    points = np.vstack([blob, rng.random((n_uniform, 2))])
    points = np.clip(points, 0.0, 1.0)
    return np.sort(points, axis=1)                      # birth <= death


def synthetic_diagrams(n, n_points, *, random_state=None, max_blobs=4, uniform_fraction=0.2):
    """Random persistence diagrams on ``[0, 1]^2``, with point counts matched to data.

    The training data of the domain-oblivious hash of Qin et al.: random
    diagrams that know nothing of the target domain but their number of
    points.  Each diagram is a mixture of 1 to ``max_blobs`` Gaussian blobs
    and a fraction ``uniform_fraction`` of points uniform in the triangle
    ``0 <= birth <= death <= 1``, clipped to the unit square and ordered so
    that ``birth <= death``.  A blob's centre has a uniform birth ``b`` and
    a lifetime ``(1 - b) u``, ``u`` log-uniform in [0.005, 1] (diagrams of
    real functions hold many short-lived points: every scale is covered);
    its standard deviation is log-uniform in [0.003, 0.1].

    Parameters
    ----------
    n : int
        Number of diagrams.
    n_points : int or (m,) array_like of int
        Points per diagram: one count for all, or counts to resample from
        (e.g. the point counts of the target data set).
    random_state : None, int or numpy.random.Generator, optional
        Seed (the result depends only on it).
    max_blobs : int, optional
        Largest number of blobs per diagram (default 4).
    uniform_fraction : float, optional
        Expected fraction of points uniform in the triangle (default 0.2).

    Returns
    -------
    diagrams : list of (k, 2) ndarray of float64
        ``n`` diagrams of (birth, death) with ``0 <= birth <= death <= 1``.

    Raises
    ------
    ValueError
        If ``n`` or a count is negative, or a parameter is out of range.
    TypeError
        If ``n_points`` is neither an int nor an array of ints.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> from fasttopo import synthetic_diagrams
    >>> diagrams = synthetic_diagrams(3, [10, 20], random_state=0)
    >>> [len(d) for d in diagrams]
    [20, 20, 20]
    >>> all(((d >= 0) & (d <= 1)).all() and (d[:, 0] <= d[:, 1]).all() for d in diagrams)
    True
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    counts = check_counts(n_points)
    if isinstance(max_blobs, (bool, np.bool_)) or not isinstance(max_blobs, numbers.Integral) \
            or max_blobs < 1:
        raise ValueError(f"max_blobs must be an int >= 1, got {max_blobs!r}")
    if not 0.0 <= float(uniform_fraction) <= 1.0:
        raise ValueError(f"uniform_fraction must be in [0, 1], got {uniform_fraction!r}")
    rng = check_rng(random_state, "random_state")
    chosen = counts[rng.integers(0, len(counts), size=int(n))]
    return [_blobs(rng, int(c), int(max_blobs), float(uniform_fraction)) for c in chosen]
