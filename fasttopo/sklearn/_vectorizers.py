"""Estimators from diagrams to (n, features) arrays: the vectorisations (private)."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._diagram import PersistenceDiagram
from .._points import as_batch, check_dim_of
from .._points import check_dim as _check_dim
from ..vectorize import betti_curve, diagram_histogram, persistence_image, persistence_landscape

__all__ = ["PersistenceImage", "BettiCurve", "PersistenceLandscape", "DiagramHistogram"]


def _diagrams(X, name="X"):
    """``X`` checked to be a non-empty collection of diagrams (each is parsed by the function)."""
    if isinstance(X, PersistenceDiagram) or (isinstance(X, np.ndarray) and X.ndim <= 2):
        one = True
    elif isinstance(X, (list, tuple)) and all(isinstance(x, (PersistenceDiagram, np.ndarray))
                                              for x in X):
        one = False
    else:                                           # nested lists, other objects: parse them
        one = not as_batch(X, None, name)[1]
    if one:
        raise TypeError(f"{name} must be a collection of diagrams (a list of "
                        f"PersistenceDiagram or of (k, 2) arrays, or an (n, k, 2) array), got "
                        f"a single diagram: wrap it in a list")
    if len(X) == 0:
        raise ValueError(f"{name} must hold at least one diagram, got none")
    return X


def _points_of(X, dims, strict=True):
    """``{dim: (k, 2) points of every diagram of X in that dimension}`` (None: all).

    ``strict``: a dimension given for plain arrays alone is an error (as in
    the vectorisations); else arrays are the points of any dimension (as in
    :func:`fasttopo.hash_diagrams`).
    """
    if all(isinstance(x, PersistenceDiagram) for x in X):
        points = np.column_stack([np.concatenate([x.birth for x in X]),
                                  np.concatenate([x.death for x in X])])
        dim_of = np.concatenate([x.dim for x in X])
        for d in dims:
            for x in X:
                check_dim_of(d, x)
        return {d: points if d is None else points[dim_of == d] for d in dims}
    return {d: np.concatenate(as_batch(X, d, "X", strict=strict)[0]) for d in dims}


def _dims(dim):
    """``dim`` as a tuple of dimensions: (None,) for all pairs together."""
    if dim is None or isinstance(dim, (numbers.Integral, np.integer)):
        return (_check_dim(dim),)
    if not isinstance(dim, (list, tuple, np.ndarray)) or len(dim) == 0:
        raise TypeError(f"dim must be an int, a non-empty list of ints, or None, got {dim!r}")
    dims = tuple(_check_dim(d) for d in dim)
    if len(set(dims)) != len(dims):
        raise ValueError(f"dim must not repeat a dimension, got {dim!r}")
    return dims


def _extremes(values):
    """(min, max) of the values, (0, 1) if there are none (as the functions' fitted ranges)."""
    values = np.ravel(values)
    return (0.0, 1.0) if values.size == 0 else (float(values.min()), float(values.max()))


def _finite_rows(points):
    return points[np.isfinite(points).all(axis=1)]


def _prefix(dim):
    return "all" if dim is None else f"dim{dim}"


class _Vectorizer(TransformerMixin, BaseEstimator):
    """Diagrams -> (n, features) float64, one block of features per dimension of ``dim``."""

    _range_fields = 2          # entries of ``range``

    def fit(self, X, y=None):
        """Learn the value ranges not given, and check the parameters.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The training diagrams.
        y : ignored

        Returns
        -------
        self : estimator

        Raises
        ------
        TypeError, ValueError
            If ``X`` is not a collection of diagrams, or a parameter is
            invalid (the message names it and its value).
        """
        X = _diagrams(X)
        self.dims_ = _dims(self.dim)
        points = _points_of(X, self.dims_)
        self.ranges_ = [self._fit_range(points[d]) for d in self.dims_]
        # the function checks every other parameter on one diagram
        self._shapes = [self._vectorize(X[:1], d, r).shape[1:]
                        for d, r in zip(self.dims_, self.ranges_)]
        self.n_features_out_ = int(sum(np.prod(s) for s in self._shapes))
        return self

    def _given_range(self):
        """``range`` as a list of ``_range_fields`` entries (None: learnt)."""
        if self.range is None:
            return [None] * self._range_fields
        try:
            given = list(self.range)
        except TypeError:
            given = []
        if len(given) != self._range_fields:
            raise TypeError(f"range must be None or a sequence of {self._range_fields} "
                            f"values (None entries learnt in fit), got {self.range!r}")
        return given

    def _fit_range(self, points):
        """The range of one block from the training points of its dimension."""
        low, high = _extremes(points[np.isfinite(points)])
        return tuple(v if v is not None else default
                     for v, default in zip(self._given_range(), (low, high)))

    def transform(self, X):
        """The features of each diagram.

        Parameters
        ----------
        X : list of PersistenceDiagram or of (k, 2) array_like
            The diagrams.

        Returns
        -------
        features : (n, n_features_out_) ndarray of float64
            The blocks of the dimensions of ``dim``, in that order.
        """
        check_is_fitted(self)
        X = _diagrams(X)
        return np.hstack([np.asarray(self._vectorize(X, d, r), dtype=np.float64)
                          .reshape(len(X), -1) for d, r in zip(self.dims_, self.ranges_)])

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored
            Diagrams have no input feature names.

        Returns
        -------
        names : (n_features_out_,) ndarray of str
            ``dim<d>_`` (``all_`` for ``dim=None``) then the position in
            the vectorisation.
        """
        check_is_fitted(self)
        names = [f"{_prefix(d)}_{self._name(index)}" for d, shape in zip(self.dims_, self._shapes)
                 for index in np.ndindex(*shape)]
        return np.asarray(names, dtype=object)


class PersistenceImage(_Vectorizer):
    """Persistence images (:func:`fasttopo.persistence_image`) as a step.

    Parameters
    ----------
    dim : int, list of int or None, optional
        Homology dimension(s) of PersistenceDiagram inputs: one, or several
        (one image each, concatenated); None uses all pairs together.
    bandwidth, weight, resolution
        As in :func:`fasttopo.persistence_image`.
    range : (float, float, float, float), optional
        ``(birth_min, birth_max, lifetime_min, lifetime_max)``; None, or
        None entries, are learnt in ``fit`` (the extremes of the training
        diagrams, for each dimension).

    Attributes
    ----------
    dims_ : tuple
        The dimensions of the feature blocks (``(None,)`` for all pairs).
    ranges_ : list of tuple
        The range of each block.
    n_features_out_ : int

    See Also
    --------
    fasttopo.persistence_image

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import PersistenceImage
    >>> diagrams = [np.array([[0.0, 1.0]]), np.array([[0.5, 2.0]])]
    >>> PersistenceImage(resolution=4, bandwidth=0.5).fit_transform(diagrams).shape
    (2, 16)
    """

    _range_fields = 4

    def __init__(self, dim=None, bandwidth=1.0, weight=None, resolution=(20, 20), range=None):
        self.dim = dim
        self.bandwidth = bandwidth
        self.weight = weight
        self.resolution = resolution
        self.range = range

    def _fit_range(self, points):
        finite = _finite_rows(points)
        births = _extremes(finite[:, 0])
        lifetimes = _extremes(np.abs(finite[:, 1] - finite[:, 0]))
        return tuple(v if v is not None else default
                     for v, default in zip(self._given_range(), births + lifetimes))

    def _vectorize(self, X, dim, range_):
        return persistence_image(X, dim=dim, bandwidth=self.bandwidth, weight=self.weight,
                                 resolution=self.resolution, range=range_)

    @staticmethod
    def _name(index):
        return f"lifetime{index[0]}_birth{index[1]}"


class BettiCurve(_Vectorizer):
    """Betti curves (:func:`fasttopo.betti_curve`) as a step.

    Parameters
    ----------
    dim : int, list of int or None, optional
        Homology dimension(s), as in :class:`PersistenceImage`.
    resolution : int, optional
        Number of sample values (default 100).
    range : (float, float), optional
        First and last sample value; None, or None entries, are learnt in
        ``fit`` (the extremes of the finite values of the training
        diagrams, for each dimension).

    Attributes
    ----------
    dims_, ranges_, n_features_out_
        As in :class:`PersistenceImage`.

    See Also
    --------
    fasttopo.betti_curve

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import BettiCurve
    >>> BettiCurve(resolution=3).fit_transform([np.array([[0.0, 2.0]]), np.array([[1.0, 2.0]])])
    array([[1., 1., 0.],
           [0., 1., 0.]])
    """

    def __init__(self, dim=None, resolution=100, range=None):
        self.dim = dim
        self.resolution = resolution
        self.range = range

    def _vectorize(self, X, dim, range_):
        return betti_curve(X, dim=dim, resolution=self.resolution, range=range_)

    @staticmethod
    def _name(index):
        return f"t{index[0]}"


class PersistenceLandscape(_Vectorizer):
    """Persistence landscapes (:func:`fasttopo.persistence_landscape`) as a step.

    Parameters
    ----------
    dim : int, list of int or None, optional
        Homology dimension(s), as in :class:`PersistenceImage`.
    k : int, optional
        Number of landscape functions (default 5).
    resolution : int, optional
        Number of sample values (default 100).
    range : (float, float), optional
        As in :class:`BettiCurve`.

    Attributes
    ----------
    dims_, ranges_, n_features_out_
        As in :class:`PersistenceImage`.

    See Also
    --------
    fasttopo.persistence_landscape

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import PersistenceLandscape
    >>> PersistenceLandscape(k=1, resolution=3).fit_transform([np.array([[0.0, 2.0]])])
    array([[0., 1., 0.]])
    """

    def __init__(self, dim=None, k=5, resolution=100, range=None):
        self.dim = dim
        self.k = k
        self.resolution = resolution
        self.range = range

    def _vectorize(self, X, dim, range_):
        return persistence_landscape(X, dim=dim, k=self.k, resolution=self.resolution,
                                     range=range_)

    @staticmethod
    def _name(index):
        return f"k{index[0] + 1}_t{index[1]}"


class DiagramHistogram(_Vectorizer):
    """Histograms of (birth, death) points (:func:`fasttopo.diagram_histogram`) as a step.

    Parameters
    ----------
    dim : int, list of int or None, optional
        Homology dimension(s), as in :class:`PersistenceImage`.
    bins, reflect, count_cell
        As in :func:`fasttopo.diagram_histogram`.
    range : ((float, float), (float, float)), optional
        ``((birth_min, birth_max), (death_min, death_max))``; None (default)
        is learnt in ``fit``: the same interval on both axes, the extremes
        of the finite points of the training diagrams (for each dimension).
        Points of new diagrams outside it are not counted, with a
        ``UserWarning`` (as in :func:`fasttopo.diagram_histogram`).

    Attributes
    ----------
    dims_, ranges_, n_features_out_
        As in :class:`PersistenceImage`.

    See Also
    --------
    fasttopo.diagram_histogram

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import DiagramHistogram
    >>> DiagramHistogram(bins=2).fit_transform([np.array([[0.0, 1.0], [0.2, 0.4]])])
    array([[2., 1., 1., 0., 2.]])
    """

    def __init__(self, dim=None, bins=50, range=None, reflect=True, count_cell=True):
        self.dim = dim
        self.bins = bins
        self.range = range
        self.reflect = reflect
        self.count_cell = count_cell

    def _fit_range(self, points):
        if self.range is not None:
            return self.range
        low, high = _extremes(_finite_rows(points))
        high = high if high > low else low + 1.0
        return ((low, high), (low, high))

    def _vectorize(self, X, dim, range_):
        return diagram_histogram(X, self.bins, range_, dim=dim, reflect=self.reflect,
                                 count_cell=self.count_cell)

    def fit(self, X, y=None):
        super().fit(X, y)
        bins = np.broadcast_to(np.atleast_1d(self.bins), (2,))   # checked by the function
        self._bins_fitted = (int(bins[0]), int(bins[1]))
        return self

    fit.__doc__ = _Vectorizer.fit.__doc__

    def _name(self, index):
        births, deaths = self._bins_fitted
        if index[0] == births * deaths:
            return "count"
        return f"birth{index[0] // deaths}_death{index[0] % deaths}"
