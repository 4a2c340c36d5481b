"""Vectorizations of persistence diagrams: images, Betti curves, landscapes, histograms.

Every function takes one diagram (a :class:`~fasttopo.PersistenceDiagram`
or an ``(n, 2)`` array of (birth, death)) or a collection of them (a list,
or an ``(N, n, 2)`` array).  One diagram gives one vector or image; a
collection gives an array with a leading axis of length ``N``, computed on
one shared grid.  For a PersistenceDiagram, ``dim`` selects a homology
dimension; the default None uses all its pairs together.

A pair ``(b, d)`` with ``b > d`` (superlevel filtration) is handled by its
interval: it is alive for ``d < t <= b``, its lifetime is ``b - d``.
"""

import numbers
import warnings

import numpy as np
from numba import njit

from ._points import as_batch
from ._validation import check_bool

__all__ = ["persistence_image", "betti_curve", "persistence_landscape", "diagram_histogram"]


#: the most values one vectorisation of one diagram may have (resolution, bins)
MAX_SAMPLES = 1 << 24


# ------------------------------------------------------------------ helpers
def _finite(points):
    return points[np.isfinite(points).all(axis=1)]


def _resolution(value, name, count):
    values = np.atleast_1d(value)
    if values.ndim != 1 or len(values) not in (1, count) or values.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an int or a sequence of {count} ints, got {value!r}")
    values = np.broadcast_to(values, (count,)).astype(np.int64)
    if (values < 1).any():
        raise ValueError(f"{name} must be >= 1, got {value!r}")
    samples = int(np.prod([int(v) for v in values], dtype=object))
    if samples > MAX_SAMPLES:
        raise ValueError(f"{name}={value!r} asks for {samples:,} values per diagram; at most "
                         f"{MAX_SAMPLES:,} (2**24)")
    return tuple(int(v) for v in values)


def _positive(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not (0 < value < np.inf):
        raise ValueError(f"{name} must be positive and finite, got {value}")
    return float(value)


def _interval(range_, fitted, name):
    """``(low, high)`` from ``range_`` (None entries taken from ``fitted``)."""
    if range_ is None:
        range_ = (None, None)
    try:
        low, high = range_
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (low, high), got {range_!r}") from None
    low = fitted[0] if low is None else float(low)
    high = fitted[1] if high is None else float(high)
    if not (np.isfinite(low) and np.isfinite(high)) or high < low:
        raise ValueError(f"{name} must be finite with low <= high, got ({low}, {high})")
    return low, high


def _span(values):
    """(min, max) of the values, (0, 1) if there are none."""
    values = np.concatenate([np.ravel(v) for v in values]) if values else np.empty(0)
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def _grid(items, resolution, range_, grid, name):
    """The sample points: ``grid`` if given, else ``resolution`` points over the range."""
    if grid is not None:
        grid = np.asarray(grid, dtype=np.float64)
        if grid.ndim != 1 or grid.size == 0 or np.isnan(grid).any() \
                or (np.diff(grid) <= 0).any():
            raise ValueError(f"grid must be a non-empty increasing 1D array, got {grid!r}")
        return grid
    (count,) = _resolution(resolution, "resolution", 1)
    low, high = _interval(range_, _span([p[np.isfinite(p)] for p in items]), name)
    return np.linspace(low, high, count)


def _output(values, is_batch):
    return values if is_batch else values[0]


# ---------------------------------------------------------- persistence images
def persistence_image(diagrams, *, dim=None, bandwidth=1.0, weight=None, resolution=(20, 20),
                      range=None):
    """Persistence image: Gaussians centred at the (birth, lifetime) points.

    ``image[i, j] = sum_k w_k exp(-((b_k - x_j)^2 + (l_k - y_i)^2) / (2 s^2))
    / (2 pi s^2)``, evaluated at the pixel centres ``x_j`` (births) and
    ``y_i`` (lifetimes), for the finite points ``(b_k, l_k)`` of the
    diagram, ``s = bandwidth``.

    Parameters
    ----------
    diagrams : PersistenceDiagram, (n, 2) array_like, or a sequence of them
        One diagram or a collection (see the module notes).
    dim : int, optional
        Homology dimension of PersistenceDiagram inputs (default: all pairs).
    bandwidth : float, optional
        Standard deviation ``s`` of the Gaussian, in filtration units
        (default 1).
    weight : None, "lifetime" or callable, optional
        Weight of each point: None for 1 (default), "lifetime" for its
        lifetime, or a function ``weight(birth, lifetime) -> (n,) array``.
    resolution : int or (int, int), optional
        Number of pixels along the birth axis and the lifetime axis
        (default (20, 20)).
    range : (float, float, float, float), optional
        ``(birth_min, birth_max, lifetime_min, lifetime_max)``: the first
        and last pixel centres along each axis.  None, or None entries, are
        fitted to the data (the extremes over all the diagrams given).

    Returns
    -------
    image : (resolution[1], resolution[0]) ndarray of float64, or (N, ...) for N diagrams
        Rows are lifetimes (increasing), columns births (increasing).
        ``image.ravel()`` is GUDHI's ``PersistenceImage`` vector for the same
        parameters.

    Raises
    ------
    ValueError
        If a diagram is malformed or a parameter out of range.
    TypeError
        If a parameter has the wrong type.

    Notes
    -----
    Essential classes (infinite lifetime) are left out.  The Gaussian is
    separable, so the image is one matrix product ``Gy.T @ (w * Gx)``.

    References
    ----------
    .. [1] H. Adams, T. Emerson, M. Kirby, R. Neville, C. Peterson, P. Shipman,
       S. Chepushtanova, E. Hanson, F. Motta, L. Ziegelmeier, "Persistence
       images: a stable vector representation of persistent homology",
       Journal of Machine Learning Research 18(8), 1-35, 2017.
       https://jmlr.org/papers/v18/16-337.html

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_image
    >>> image = persistence_image(np.array([[0.0, 2.0]]), bandwidth=0.5, resolution=5,
    ...                           range=(0, 1, 1, 3))
    >>> image.shape
    (5, 5)
    >>> np.unravel_index(image.argmax(), image.shape)    # lifetime 2, birth 0
    (np.int64(2), np.int64(0))
    """
    items, is_batch = as_batch(diagrams, dim)
    s = _positive(bandwidth, "bandwidth")
    nx, ny = _resolution(resolution, "resolution", 2)
    pts = [np.column_stack([f[:, 0], np.abs(f[:, 1] - f[:, 0])])
           for f in map(_finite, items)]
    if range is None:
        range = (None,) * 4
    if len(range) != 4:
        raise TypeError(f"range must be (birth_min, birth_max, lifetime_min, lifetime_max), "
                        f"got {range!r}")
    bx = _interval(range[:2], _span([p[:, 0] for p in pts]), "range (births)")
    by = _interval(range[2:], _span([p[:, 1] for p in pts]), "range (lifetimes)")
    xs = np.linspace(bx[0], bx[1], nx)
    ys = np.linspace(by[0], by[1], ny)
    out = np.empty((len(items), ny, nx))
    for k, p in enumerate(pts):
        w = _weights(weight, p)
        gx = np.exp(-np.square(p[:, 0, None] - xs[None, :]) / (2 * s * s))
        gy = np.exp(-np.square(p[:, 1, None] - ys[None, :]) / (2 * s * s))
        out[k] = gy.T @ (w[:, None] * gx) / (2 * np.pi * s * s)
    return _output(out, is_batch)


def _weights(weight, p):
    if weight is None:
        return np.ones(len(p))
    if isinstance(weight, str):
        if weight != "lifetime":
            raise ValueError(f"weight must be None, 'lifetime' or a callable, got {weight!r}")
        return p[:, 1].copy()
    if not callable(weight):
        raise TypeError(f"weight must be None, 'lifetime' or a callable, got {weight!r}")
    w = np.asarray(weight(p[:, 0].copy(), p[:, 1].copy()), dtype=np.float64)
    w = np.broadcast_to(w, (len(p),))
    if not np.isfinite(w).all():
        raise ValueError("weight returned non-finite values")
    return w


# ---------------------------------------------------------------- Betti curves
def betti_curve(diagrams, *, dim=None, resolution=100, range=None, grid=None):
    """Betti curve: the number of classes alive at each filtration value.

    ``betti[t] = #{(b, d) : b <= t < d}`` (and ``d < t <= b`` for a
    superlevel pair ``b > d``), essential classes included.

    Parameters
    ----------
    diagrams : PersistenceDiagram, (n, 2) array_like, or a sequence of them
        One diagram or a collection (see the module notes).
    dim : int, optional
        Homology dimension of PersistenceDiagram inputs (default: all pairs,
        which counts the classes of every dimension).
    resolution : int, optional
        Number of evenly spaced sample values (default 100).
    range : (float, float), optional
        First and last sample value.  None (or None entries) are fitted to
        the finite birth and death values of all the diagrams given
        (births of essential classes included).
    grid : (r,) array_like, optional
        Increasing sample values; overrides ``resolution`` and ``range``.

    Returns
    -------
    betti : (r,) ndarray of int64, or (N, r) for N diagrams
        The Betti numbers at the sample values.

    Raises
    ------
    ValueError
        If a diagram is malformed or the grid is not increasing.
    TypeError
        If a parameter has the wrong type.

    References
    ----------
    .. [1] Y. Umeda, "Time series classification via topological data
       analysis", Transactions of the Japanese Society for Artificial
       Intelligence 32(3), 2017. https://doi.org/10.1527/tjsai.D-G72

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import betti_curve
    >>> betti_curve(np.array([[0.0, 2.0], [1.0, np.inf]]), grid=[-1, 0, 1, 2, 3])
    array([0, 1, 2, 1, 1])
    """
    items, is_batch = as_batch(diagrams, dim)
    grid = _grid(items, resolution, range, grid, "range")
    out = np.empty((len(items), len(grid)), dtype=np.int64)
    for k, p in enumerate(items):
        b, d = p[:, 0], p[:, 1]
        up = b <= d                      # sublevel pairs: alive on [b, d)
        bu, du = np.sort(b[up]), np.sort(d[up])
        bd, dd = np.sort(b[~up]), np.sort(d[~up])   # superlevel pairs: alive on (d, b]
        out[k] = (np.searchsorted(bu, grid, side="right") - np.searchsorted(du, grid, side="right")
                  + np.searchsorted(dd, grid, side="left") - np.searchsorted(bd, grid, side="left"))
    return _output(out, is_batch)


# ------------------------------------------------------------------ landscapes
@njit(cache=True, nogil=True, boundscheck=False)
def _landscape(low, high, grid, k, out):
    """``out[j, i]``: the j-th largest tent value at ``grid[i]`` (0 if fewer)."""
    out[:] = 0.0
    for i in range(grid.shape[0]):
        t = grid[i]
        for p in range(low.shape[0]):
            v = min(t - low[p], high[p] - t)
            if v <= out[k - 1, i]:
                continue
            j = k - 1
            while j > 0 and out[j - 1, i] < v:
                out[j, i] = out[j - 1, i]
                j -= 1
            out[j, i] = v


def persistence_landscape(diagrams, *, dim=None, k=5, resolution=100, range=None, grid=None):
    """Persistence landscape: the k largest tent functions, sampled.

    ``landscape[j, t]`` is the ``(j+1)``-th largest value of
    ``max(0, min(t - b, d - t))`` over the finite points ``(b, d)``.

    Parameters
    ----------
    diagrams : PersistenceDiagram, (n, 2) array_like, or a sequence of them
        One diagram or a collection (see the module notes).
    dim : int, optional
        Homology dimension of PersistenceDiagram inputs (default: all pairs).
    k : int, optional
        Number of landscape functions (default 5).
    resolution : int, optional
        Number of evenly spaced sample values (default 100).
    range : (float, float), optional
        First and last sample value (None entries fitted to the data).
    grid : (r,) array_like, optional
        Increasing sample values; overrides ``resolution`` and ``range``.

    Returns
    -------
    landscape : (k, r) ndarray of float64, or (N, k, r) for N diagrams

    Raises
    ------
    ValueError
        If a diagram is malformed or a parameter is out of range.
    TypeError
        If a parameter has the wrong type.

    Notes
    -----
    Essential classes are left out (their tent is unbounded).  This is
    Bubenik's definition; GUDHI's ``Landscape`` returns it multiplied by
    ``sqrt(2)``.

    References
    ----------
    .. [1] P. Bubenik, "Statistical topological data analysis using
       persistence landscapes", Journal of Machine Learning Research 16,
       77-102, 2015. https://jmlr.org/papers/v16/bubenik15a.html

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_landscape
    >>> persistence_landscape(np.array([[0.0, 4.0], [1.0, 3.0]]), k=2, grid=[1, 2, 3])
    array([[1., 2., 1.],
           [0., 1., 0.]])
    """
    items, is_batch = as_batch(diagrams, dim)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    grid = _grid(items, resolution, range, grid, "range")
    out = np.empty((len(items), int(k), len(grid)))
    for n, p in enumerate(items):
        f = _finite(p)
        _landscape(np.ascontiguousarray(np.minimum(f[:, 0], f[:, 1])),
                   np.ascontiguousarray(np.maximum(f[:, 0], f[:, 1])), grid, int(k), out[n])
    return _output(out, is_batch)


# ------------------------------------------------------------------ histograms
def diagram_histogram(diagrams, bins=50, range=((0.0, 1.0), (0.0, 1.0)), *, dim=None,
                      reflect=True, count_cell=True):
    """Histogram of (birth, death) points, reflected, plus a point count (Qin et al. 2021).

    The input of the learned diagram hashing of Qin, Fasy, Wenk and Summa:
    a ``bins x bins`` histogram of the diagram (normalised to ``[0, 1]^2``
    by the caller), reflected across the diagonal, followed by one cell
    holding the number of points.

    Parameters
    ----------
    diagrams : PersistenceDiagram, (n, 2) array_like, or a sequence of them
        One diagram or a collection (see the module notes).
    bins : int or (int, int), optional
        Number of bins along the birth and death axes (default 50).
    range : ((float, float), (float, float)), optional
        ``((birth_min, birth_max), (death_min, death_max))`` (default the
        unit square).  Finite points outside are not counted in the
        histogram, and a ``UserWarning`` says how many there are:
        normalise the diagram first (e.g. divide 8-bit values by 255) or
        pass the range of the data.
    dim : int, optional
        Homology dimension of PersistenceDiagram inputs (default: all pairs).
    reflect : bool, optional
        Add the mirror image across the diagonal, ``H + H.T`` (needs as
        many birth as death bins and the same interval on both axes).
    count_cell : bool, optional
        Append one cell with the number of points of the diagram
        (including any outside ``range`` or essential).

    Returns
    -------
    histogram : (bins_b * bins_d [+ 1],) ndarray of float64, or (N, ...) for N diagrams
        The histogram ``H[i, j]`` (birth bin ``i``, death bin ``j``) in
        row-major order, then the count cell.  ``histogram[:-1].reshape(
        bins, bins)`` recovers ``H``.

    Raises
    ------
    ValueError
        If ``reflect`` is asked for with different axes, or a diagram is
        malformed.
    TypeError
        If a parameter has the wrong type (``reflect``, ``count_cell``:
        bools).

    Warns
    -----
    UserWarning
        If finite points fall outside ``range`` (they are left out).

    Notes
    -----
    Bins are those of :func:`numpy.histogram2d` (half-open, the last one
    closed), computed for the whole collection at once.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import diagram_histogram
    >>> h = diagram_histogram(np.array([[0.1, 0.6], [0.2, 0.9]]), bins=2)
    >>> h            # H = [[0, 2], [0, 0]], reflected: [[0, 2], [2, 0]]; 2 points
    array([0., 2., 2., 0., 2.])
    """
    items, is_batch = as_batch(diagrams, dim)
    reflect = check_bool(reflect, "reflect")
    count_cell = check_bool(count_cell, "count_cell")
    nb, nd = _resolution(bins, "bins", 2)
    try:
        (b0, b1), (d0, d1) = range
    except (TypeError, ValueError):
        raise TypeError(f"range must be ((birth_min, birth_max), (death_min, death_max)), "
                        f"got {range!r}") from None
    bx = _interval((b0, b1), (0.0, 1.0), "range (births)")
    dx = _interval((d0, d1), (0.0, 1.0), "range (deaths)")
    if bx[0] == bx[1] or dx[0] == dx[1]:
        raise ValueError(f"range must have low < high on both axes, got {range!r}")
    if reflect and (nb != nd or bx != dx):
        raise ValueError(f"reflect=True needs the same bins and range on both axes, got "
                         f"bins={bins!r}, range={range!r}")
    edges_b = np.linspace(bx[0], bx[1], nb + 1)
    edges_d = np.linspace(dx[0], dx[1], nd + 1)
    sizes = np.array([len(p) for p in items], dtype=np.int64)
    allp = np.concatenate(items) if items else np.empty((0, 2))
    owner = np.repeat(np.arange(len(items)), sizes)
    ib = _bin(allp[:, 0], edges_b)
    idd = _bin(allp[:, 1], edges_d)
    inside = (ib >= 0) & (idd >= 0)
    outside = int((~inside & np.isfinite(allp).all(axis=1)).sum())
    if outside:
        warnings.warn(f"diagram_histogram: {outside} of {len(allp)} points fall outside "
                      f"range={range!r} and are not counted; normalise births and deaths to "
                      f"the range first (e.g. divide 8-bit values by 255, or (x - lo) / "
                      f"(hi - lo) with the image's lo and hi) or pass range=",
                      UserWarning, stacklevel=2)
    flat = (owner[inside] * nb + ib[inside]) * nd + idd[inside]
    hist = np.bincount(flat, minlength=len(items) * nb * nd).astype(np.float64)
    hist = hist.reshape(len(items), nb, nd)
    if reflect:
        hist = hist + hist.transpose(0, 2, 1)
    out = hist.reshape(len(items), nb * nd)
    if count_cell:
        out = np.concatenate([out, sizes[:, None].astype(np.float64)], axis=1)
    return _output(out, is_batch)


def _bin(values, edges):
    """Bin of each value as in numpy.histogramdd, -1 outside the edges."""
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = len(edges) - 2
    index[(index < 0) | (index >= len(edges) - 1) | ~np.isfinite(values)] = -1
    return index
