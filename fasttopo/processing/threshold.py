"""The lifetime-gap threshold: the largest gap between consecutive sorted lifetimes."""

import numpy as np

from .._diagram import PersistenceDiagram
from .._validation import check_dim

__all__ = ["lifetime_threshold", "check_diagram", "check_threshold", "gap_threshold",
           "exact_lifetimes"]


def check_diagram(diagram, name="diagram"):
    if not isinstance(diagram, PersistenceDiagram):
        raise TypeError(f"{name} must be a PersistenceDiagram, got {type(diagram).__name__}")
    return diagram


def lifetime_threshold(diagram, *, dim=0):
    """Lifetime threshold at the largest gap between consecutive sorted lifetimes.

    The finite lifetimes of dimension ``dim`` are sorted, with 0 (the
    diagonal) in front; the threshold is the lower end of the largest gap
    between consecutive values, the "band" separating noise from
    signal [1]_ [2]_.  Among equally large gaps the highest is used.

    Parameters
    ----------
    diagram : PersistenceDiagram
        As returned by :func:`fasttopo.persistence`.
    dim : int, optional
        Homology dimension whose points are thresholded (default 0).

    Returns
    -------
    threshold : float or int
        A lifetime: the points with ``threshold < lifetime`` are above the
        gap.  0.0 if the dimension has no finite point.  An exact int for
        int64/uint64 images beyond 2**52 (see
        :attr:`PersistenceDiagram.exact_birth`).
    count : int
        Number of finite points of dimension ``dim`` whose lifetime exceeds
        ``threshold`` (essential classes are not counted).

    Raises
    ------
    TypeError
        If ``diagram`` is not a PersistenceDiagram or ``dim`` is not an int.
    ValueError
        If ``dim`` is not between 0 and ``diagram.ndim - 1``.

    References
    ----------
    .. [1] F. Chazal, B. Michel, "An introduction to topological data
       analysis: fundamental and practical aspects for data scientists",
       Frontiers in Artificial Intelligence 4, 2021.
       doi:10.3389/frai.2021.667963
    .. [2] R. Vandaele, G. A. Nervo, O. Gevaert, Scientific Reports
       10:21061, 2020. doi:10.1038/s41598-020-77933-y

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence, lifetime_threshold
    >>> signal = np.array([9, 0, 9, 1, 9, 8.5, 9, 7, 9])
    >>> dgm = persistence(signal)
    >>> np.sort(dgm.finite().lifetime)
    array([0.5, 2. , 8. ])
    >>> lifetime_threshold(dgm)
    (2.0, 1)
    """
    diagram = check_diagram(diagram)
    dim = check_dim(dim, diagram.ndim)
    return gap_threshold(_finite_lifetimes(diagram, dim))


def gap_threshold(lifetimes):
    """(threshold, count) at the highest of the largest gaps of ``[0] + sorted(lifetimes)``."""
    if lifetimes.size == 0:
        return 0.0, 0
    values = np.concatenate([np.zeros(1, dtype=lifetimes.dtype), np.sort(lifetimes)])
    gaps = np.diff(values)
    j = gaps.size - 1 - int(np.argmax(gaps[::-1]))
    threshold = values[j]
    threshold = int(threshold) if lifetimes.dtype.kind in "Ou" else float(threshold)
    return threshold, int(lifetimes.size - j)


def _finite_lifetimes(diagram, dim):
    keep = (diagram.dim == dim) & (diagram.death_index >= 0)
    exact = diagram._exact_lifetime()   # uint64 for int64/uint64 images beyond 2**52
    if exact is not None:
        return exact[keep]
    return np.abs(diagram.death[keep] - diagram.birth[keep])


def exact_lifetimes(image, births, deaths):
    """Lifetimes from the image values: exact Python ints for 64-bit integers beyond 2**53."""
    flat = image.reshape(-1)
    b, d = flat[births], flat[deaths]
    if image.dtype.kind in "iu" and image.dtype.itemsize == 8 and b.size:
        if max(abs(int(flat.min())), abs(int(flat.max()))) > 2**53:
            return np.array([abs(x - y) for x, y in zip(d.tolist(), b.tolist())], dtype=object)
    return np.abs(d.astype(np.float64) - b.astype(np.float64))


def check_threshold(threshold):
    if isinstance(threshold, (bool, np.bool_)):
        raise TypeError(f"threshold must be a real number, got {threshold!r}")
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise TypeError(f"threshold must be a real number, got {threshold!r}") from None
    if np.isnan(value):
        raise ValueError("threshold must not be NaN")
    if value < 0:
        raise ValueError(f"threshold must be >= 0 (a lifetime: points living longer are "
                         f"kept), got {value}")
    return value
