"""The input side of the diagram hashers: diagrams to finite points on [0, 1]^2 (private).

Diagrams are carried as one batch: the concatenated ``(N, 2)`` finite points
of all the diagrams and the number of points of each, so that hashing
10,000 diagrams costs a few array operations, not 10,000 small ones.
"""

import numpy as np

from ._diagram import PersistenceDiagram
from ._points import as_batch, check_dim, check_dim_of
from .vectorize import _bin

__all__ = ["check_value_range", "unit_batch", "unit_points", "cells", "split", "concat"]


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


def unit_batch(diagrams, dim, value_range, name="diagrams"):
    """``(points (N, 2), sizes (n,), is_batch)``: the finite points of each diagram, mapped
    from ``value_range`` to and checked in [0, 1]^2."""
    value_range = check_value_range(value_range)
    fast = _concatenated(diagrams, check_dim(dim))
    if fast is None:
        items, is_batch = as_batch(diagrams, dim, name)
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
