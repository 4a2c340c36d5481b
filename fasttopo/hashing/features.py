"""The inputs of the learned diagram codes: histogram features, exact W1, synthetic diagrams.

The reflected 2D histogram of a diagram on the unit square (Qin, Fasy,
Wenk, Summa, IEEE VIS 2021, doi:10.1109/TVCG.2021.3114872), the exact
1-Wasserstein distance of training pairs, and the synthetic (PD-GAN-style)
diagrams the shipped model is trained on.  Shared by ``codes`` (inference)
and ``training``.
"""

import numbers

import numpy as np

from .._points import as_batch
from .._validation import check_rng
from ..distances._matching import wasserstein_matching
from ..vectorize import _bin

__all__ = ["check_value_range", "unit_points", "cells", "exact_w1", "check_counts",
           "synthetic_diagrams"]


def check_value_range(value_range):
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


def unit_points(diagrams, dim, value_range, name="diagrams"):
    """Finite points of each diagram, mapped to and checked in [0, 1]^2."""
    items, is_batch = as_batch(diagrams, dim, name, strict=False)
    value_range = check_value_range(value_range)
    out = []
    for i, p in enumerate(items):
        p = p[np.isfinite(p).all(axis=1)]
        if value_range is not None:
            low, high = value_range
            p = (p - low) / (high - low)
        if p.size and (p.min() < 0.0 or p.max() > 1.0):
            where = f"{name}[{i}]" if is_batch else name
            raise ValueError(
                f"{where} has finite points outside [0, 1]^2 (values from {p.min():g} to "
                f"{p.max():g}); the hash is defined on diagrams of functions with values in "
                f"[0, 1]: pass value_range=(low, high) with the function's range, e.g. "
                f"(0, 255) for uint8 images, or divide birth and death by it yourself")
        out.append(p)
    return out, is_batch


def cells(points, bins):
    """Sparse reflected histogram plus count cell, as a CSR matrix (n, bins^2 + 1).

    Equal to ``diagram_histogram(points, bins, reflect=True, count_cell=True)``
    for points in [0, 1]^2 (tested), without building the dense array.
    """
    from scipy.sparse import csr_matrix

    edges = np.linspace(0.0, 1.0, bins + 1)
    sizes = np.array([len(p) for p in points], dtype=np.int64)
    allp = np.concatenate(points) if points else np.empty((0, 2))
    ib, idd = _bin(allp[:, 0], edges), _bin(allp[:, 1], edges)
    owner = np.repeat(np.arange(len(points)), sizes)
    rows = np.concatenate([owner, owner, np.arange(len(points))])
    cols = np.concatenate([ib * bins + idd, idd * bins + ib,
                           np.full(len(points), bins * bins, dtype=np.int64)])
    data = np.concatenate([np.ones(2 * len(allp)), sizes.astype(np.float64)])
    matrix = csr_matrix((data, (rows, cols)), shape=(len(points), bins * bins + 1))
    matrix.sum_duplicates()
    return matrix


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


