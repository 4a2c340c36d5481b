"""Distance matrices of collections of persistence diagrams."""

import numpy as np

from .._diagram import PersistenceDiagram
from .._points import check_dim as _check_dim
from .._points import check_dim_applies
from .._points import check_dim_of as _check_dim_of
from .._points import points as _points
from .._validation import check_n_jobs
from .diagram_distances import check_order, distance

__all__ = ["pairwise_distances", "METRICS", "pairwise_rows"]

METRICS = {"bottleneck": set(), "wasserstein": {"order", "internal_p"}}


def pairwise_rows(parsed, pairs, dim, kind, order, internal_p):
    """Distances for a list of index pairs (run in a worker thread or inline)."""
    return [distance(parsed[i], parsed[j], dim, kind, order, internal_p, False)
            for i, j in pairs]


def pairwise_distances(diagrams, metric="bottleneck", *, Y=None, dim=None, n_jobs=None,
                       **params):
    """Distance matrix of a collection of persistence diagrams, or between two collections.

    Parameters
    ----------
    diagrams : sequence of PersistenceDiagram or (n, 2) array_like
        The ``N`` diagrams.
    metric : {"bottleneck", "wasserstein"}, optional
        The distance (default "bottleneck").
    Y : sequence of PersistenceDiagram or (n, 2) array_like, optional
        A second collection of ``M`` diagrams: the result is then the
        ``(N, M)`` matrix of the distances from ``diagrams[i]`` to ``Y[j]``
        (as ``Y`` in :func:`sklearn.metrics.pairwise_distances`).
    dim : int, optional
        Homology dimension, as in :func:`bottleneck_distance` (default:
        every dimension, matched separately).
    n_jobs : int, optional
        Number of threads; None or -1 (default): all cores, fasttopo's one
        meaning of ``n_jobs``; 1: serial.  No process is started: the
        matching solvers hold the GIL for part of their work, so threads
        gain less than the core count; for many diagrams on several
        processes or machines, use :func:`fasttopo.dask.pairwise_distances`.
        Results do not depend on it.
    **params
        ``order`` and ``internal_p`` for ``metric="wasserstein"``.

    Returns
    -------
    distances : (N, N) ndarray of float64, or (N, M) with ``Y``
        Without ``Y``: symmetric, zero on the diagonal, each pair computed
        once.

    Raises
    ------
    ValueError
        If ``metric`` is unknown, a parameter does not belong to it, a
        diagram is malformed or ``dim`` is out of range.
    TypeError
        If ``diagrams`` or ``Y`` is not a sequence or ``n_jobs`` is not an
        int.

    See Also
    --------
    bottleneck_distance, wasserstein_distance

    References
    ----------
    .. [1] M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare
       persistence diagrams", ACM Journal of Experimental Algorithmics 22,
       2017. https://doi.org/10.1145/3064175

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import pairwise_distances
    >>> dgms = [np.array([[0.0, 4.0]]), np.array([[0.0, 3.0]]), np.empty((0, 2))]
    >>> pairwise_distances(dgms)
    array([[0. , 1. , 2. ],
           [1. , 0. , 1.5],
           [2. , 1.5, 0. ]])
    >>> float(pairwise_distances(dgms, "wasserstein", order=2)[0, 2])
    2.0
    >>> pairwise_distances(dgms[:2], Y=dgms[2:])
    array([[2. ],
           [1.5]])
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    unknown = set(params) - METRICS[metric]
    if unknown:
        raise ValueError(f"metric={metric!r} takes no parameter(s) {sorted(unknown)}")
    order, internal_p = check_order(params.get("order", 1.0), params.get("internal_p", np.inf))
    dim = _check_dim(dim)
    parsed = _parse_collection(diagrams, "diagrams", dim)
    n = len(parsed)
    if Y is not None:
        parsed_y = _parse_collection(Y, "Y", dim)
        check_dim_applies(dim, list(diagrams) + list(Y), "the diagrams and Y are all")
        iu, ju = np.divmod(np.arange(n * len(parsed_y)), max(len(parsed_y), 1))
        pairs = list(zip(iu.tolist(), (ju + n).tolist()))   # Y's diagrams follow X's
        parsed = parsed + parsed_y
    else:
        check_dim_applies(dim, diagrams, "the diagrams are all")
        iu, ju = np.triu_indices(n, k=1)
        pairs = list(zip(iu.tolist(), ju.tolist()))
    workers = check_n_jobs(n_jobs)
    if workers == 1 or len(pairs) < _MIN_PAIRS_IN_THREADS:
        values = pairwise_rows(parsed, pairs, dim, metric, order, internal_p)
    else:
        values = _in_threads(parsed, pairs, dim, metric, order, internal_p, workers)
    if Y is not None:
        return np.asarray(values, dtype=np.float64).reshape(n, len(parsed) - n)
    out = np.zeros((n, n), dtype=np.float64)
    out[iu, ju] = values
    out[ju, iu] = values
    return out


def _parse_collection(diagrams, name, dim):
    """Parsed diagrams of a collection (``_points``), ``dim`` checked against each."""
    if isinstance(diagrams, (PersistenceDiagram, str, bytes)) or not hasattr(diagrams, "__len__"):
        raise TypeError(f"{name} must be a sequence of diagrams, got {type(diagrams).__name__}")
    for d in diagrams:
        _check_dim_of(dim, d)
    return [_points(d, f"{name}[{i}]") for i, d in enumerate(diagrams)]


# fewer pairs of diagrams than this: computed in this thread (threads cost more)
_MIN_PAIRS_IN_THREADS = 64


def _in_threads(parsed, pairs, dim, kind, order, internal_p, workers):
    from concurrent.futures import ThreadPoolExecutor
    chunks = [c for c in np.array_split(np.arange(len(pairs)), min(len(pairs), 4 * workers))
              if len(c)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fasttopo-distances") as ex:
        futures = [ex.submit(pairwise_rows, parsed, [pairs[k] for k in chunk], dim, kind, order,
                             internal_p) for chunk in chunks]
        return [v for f in futures for v in f.result()]
