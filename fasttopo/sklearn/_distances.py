"""Estimators from diagrams to binary codes and to distances or kernels (private)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .. import hash_diagrams
from .._points import as_batch
from .._validation import check_bool
from ..distances import pairwise_distances
from ._vectorizers import _diagrams, _dims, _extremes, _finite_rows, _points_of, _prefix

__all__ = ["DiagramCodes", "DiagramDistance"]

_BITS = np.arange(64, dtype=np.uint64)


class DiagramCodes(TransformerMixin, BaseEstimator):
    """The learned 64-bit codes of :func:`fasttopo.hash_diagrams` as a step.

    Parameters
    ----------
    dim : int, list of int or None, optional
        Homology dimension(s) of PersistenceDiagram inputs (default 0): one,
        or several (one code each, concatenated), each hashed with the
        shipped model of its dimension (0 or 1); None hashes all pairs
        together with the model of dimension 0.
    value_range : (float, float), optional
        Filtration interval mapped onto [0, 1] (as in
        :func:`fasttopo.hash_diagrams`; finite points outside it are an
        error).  None (default): learnt in ``fit``, the extremes of the
        finite points of the training diagrams (for each dimension); finite
        points of new diagrams outside it are clipped to it.
    packed : bool, optional
        False (default): the bits, ``(n, 64)`` of 0/1 (bit ``j`` of the
        code is column ``j``), for any estimator.  True: the packed codes,
        ``(n,)`` uint64 (``(n, len(dim))`` for several dimensions), for
        :func:`fasttopo.hamming_distances` and :func:`fasttopo.hamming_knn`.

    Attributes
    ----------
    dims_ : tuple
        The dimensions of the codes (``(None,)`` for all pairs).
    value_ranges_ : list of (float, float)
        The value range of each dimension.
    n_features_out_ : int

    See Also
    --------
    fasttopo.hash_diagrams, fasttopo.hamming_distances

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_batch
    >>> from fasttopo.sklearn import DiagramCodes
    >>> images = np.random.default_rng(0).integers(0, 256, (3, 16, 16))
    >>> diagrams = persistence_batch(images)
    >>> DiagramCodes(value_range=(0, 255)).fit_transform(diagrams).shape
    (3, 64)
    >>> DiagramCodes(packed=True).fit_transform(diagrams).dtype
    dtype('uint64')
    """

    def __init__(self, dim=0, value_range=None, packed=False):
        self.dim = dim
        self.value_range = value_range
        self.packed = packed

    def fit(self, X, y=None):
        """Learn the value ranges not given, and check the parameters.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The training diagrams.
        y : ignored

        Returns
        -------
        self : DiagramCodes

        Raises
        ------
        TypeError, ValueError
            If ``X`` is not a collection of diagrams, or a parameter is
            invalid (the message names it and its value), or a training
            diagram has points outside the given ``value_range``.
        """
        X = _diagrams(X)
        check_bool(self.packed, "packed")
        self.dims_ = _dims(self.dim)
        if self.value_range is None:
            points = _points_of(X, self.dims_, strict=False)   # as hash_diagrams
            self.value_ranges_ = [self._fit_range(points[d]) for d in self.dims_]
        else:
            self.value_ranges_ = [self.value_range] * len(self.dims_)
        self.transform(X[:1])            # hash_diagrams checks value_range
        self.n_features_out_ = len(self.dims_) * (1 if self.packed else 64)
        return self

    @staticmethod
    def _fit_range(points):
        low, high = _extremes(_finite_rows(points))
        return (low, high if high > low else low + 1.0)

    def _points(self, X, dim, value_range):
        points = as_batch(X, dim, "X", strict=False)[0]
        if self.value_range is not None:
            return points
        low, high = value_range
        clipped = []
        for p in points:
            p = p.copy()
            finite = np.isfinite(p).all(axis=1)
            p[finite] = np.clip(p[finite], low, high)
            clipped.append(p)
        return clipped

    def transform(self, X):
        """The codes of the diagrams.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The diagrams.

        Returns
        -------
        codes : (n, 64 * len(dim)) ndarray of uint8, or packed (n,) / (n, len(dim)) uint64
            The bits of each code (least significant first), or the codes.
        """
        check_is_fitted(self)
        X = _diagrams(X)
        codes = np.column_stack([
            np.atleast_1d(hash_diagrams(self._points(X, d, r), dim=0 if d is None else d,
                                        value_range=r))
            for d, r in zip(self.dims_, self.value_ranges_)])
        if check_bool(self.packed, "packed"):
            return codes[:, 0] if codes.shape[1] == 1 else codes
        bits = (codes[:, :, None] >> _BITS) & np.uint64(1)
        return bits.reshape(len(X), -1).astype(np.uint8)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``dim<d>_bit<j>``, or ``dim<d>_code`` when packed.

        Parameters
        ----------
        input_features : ignored
            Diagrams have no input feature names.

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        if self.packed:
            return np.asarray([f"{_prefix(d)}_code" for d in self.dims_], dtype=object)
        return np.asarray([f"{_prefix(d)}_bit{j}" for d in self.dims_ for j in range(64)],
                          dtype=object)


class DiagramDistance(TransformerMixin, BaseEstimator):
    """Distances (or a kernel) from diagrams to the training diagrams.

    ``fit`` keeps the training diagrams; ``transform`` gives the ``(n,
    n_fit)`` matrix of the bottleneck or p-Wasserstein distances from each
    diagram to each training diagram (:func:`fasttopo.pairwise_distances`),
    the input of ``KNeighborsClassifier(metric="precomputed")``; with
    ``kernel=True`` it gives ``exp(-d / scale)`` instead, for
    ``SVC(kernel="precomputed")``.

    Parameters
    ----------
    metric : {"wasserstein", "bottleneck"}, optional
        The distance (default "wasserstein").
    order : float, optional
        The exponent ``p >= 1`` of the Wasserstein distance (default 1;
        unused by the bottleneck distance).
    dim : int, optional
        Homology dimension, as in :func:`fasttopo.bottleneck_distance`
        (default None: every dimension, matched separately).
    kernel : bool, optional
        Give ``exp(-d / scale)`` rather than ``d`` (default False).  This
        kernel is not positive semi-definite in general (the Wasserstein
        distances of diagrams are not Hilbertian); libsvm accepts it.
    scale : float, optional
        The scale of the kernel, in filtration units.  None (default):
        learnt in ``fit`` as the median of the positive distances between
        training diagrams (1 if there are none).
    n_jobs : int, optional
        Threads, as in :func:`fasttopo.pairwise_distances` (None or
        -1: all cores).  Results do not depend on it.

    Attributes
    ----------
    diagrams_ : list
        The training diagrams.
    scale_ : float or None
        The kernel's scale (None when ``kernel=False``).
    n_features_out_ : int
        The number of training diagrams.

    See Also
    --------
    fasttopo.pairwise_distances

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import DiagramDistance
    >>> train = [np.array([[0.0, 4.0]]), np.array([[0.0, 3.0]])]
    >>> DiagramDistance(metric="bottleneck").fit(train).transform([np.array([[0.0, 2.0]])])
    array([[2., 1.]])
    >>> DiagramDistance(kernel=True, scale=1.0).fit(train).transform(train).round(3)
    array([[1.   , 0.368],
           [0.368, 1.   ]])
    """

    def __init__(self, metric="wasserstein", order=1, dim=None, kernel=False, scale=None,
                 n_jobs=None):
        self.metric = metric
        self.order = order
        self.dim = dim
        self.kernel = kernel
        self.scale = scale
        self.n_jobs = n_jobs

    def _distances(self, X, Y=None):
        params = {"order": self.order} if self.metric == "wasserstein" else {}
        return pairwise_distances(X, self.metric, Y=Y, dim=self.dim, n_jobs=self.n_jobs,
                                  **params)

    def _fit(self, X, distances=None):
        """Check the parameters, keep X, learn the scale (from ``distances`` if given)."""
        X = _diagrams(X)
        if distances is None:
            self._distances(X[:1])       # pairwise_distances checks metric, order, dim, n_jobs
        kernel = check_bool(self.kernel, "kernel")
        scale = self.scale
        if scale is not None and (isinstance(scale, (bool, np.bool_))
                                  or not isinstance(scale, numbers.Real)
                                  or not 0 < scale < np.inf):
            raise ValueError(f"scale must be None or a positive finite number, got {scale!r}")
        self.diagrams_ = list(X)
        self.n_features_out_ = len(self.diagrams_)
        self.scale_ = None
        if kernel and scale is None:
            if distances is None:
                distances = self._distances(X)
            values = distances[np.triu_indices(len(X), 1)]
            values = values[(values > 0) & np.isfinite(values)]
            scale = np.median(values) if values.size else 1.0
        if kernel:
            self.scale_ = float(scale)
        return self

    def fit(self, X, y=None):
        """Keep the training diagrams and learn the kernel's scale if it is not given.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The training diagrams.
        y : ignored

        Returns
        -------
        self : DiagramDistance

        Raises
        ------
        TypeError, ValueError
            If ``X`` is not a collection of diagrams, or a parameter is
            invalid (the message names it and its value).
        """
        return self._fit(X)

    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``, with each training pair computed once.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The training diagrams.
        y : ignored

        Returns
        -------
        values : (n, n) ndarray of float64
            The distances between the training diagrams, or the kernel.
        """
        distances = self._distances(_diagrams(X))
        return self._fit(X, distances)._output(distances)

    def transform(self, X):
        """Distances (or kernel values) from each diagram to each training diagram.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The diagrams.

        Returns
        -------
        values : (n, n_fit) ndarray of float64
            ``d(X[i], diagrams_[j])``, or ``exp(-d / scale_)`` with
            ``kernel=True``.
        """
        check_is_fitted(self)
        return self._output(self._distances(_diagrams(X), Y=self.diagrams_))

    def _output(self, distances):
        return np.exp(-distances / self.scale_) if self.scale_ is not None else distances

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``distance<j>`` or ``kernel<j>`` (training diagram j).

        Parameters
        ----------
        input_features : ignored
            Diagrams have no input feature names.

        Returns
        -------
        names : (n_fit,) ndarray of str
        """
        check_is_fitted(self)
        name = "kernel" if self.scale_ is not None else "distance"
        return np.asarray([f"{name}{j}" for j in range(len(self.diagrams_))], dtype=object)
