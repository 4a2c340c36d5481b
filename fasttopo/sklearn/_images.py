"""Estimators whose input is images: filtrations and persistence (private)."""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from .._diagram import PersistenceDiagram
from .._persistence import persistence_batch
from .._validation import check_finite, check_image, check_n_jobs, check_options, reject_masked
from ..filtrations import height_function

__all__ = ["HeightFiltration", "RadialFiltration", "CubicalPersistence"]

# the checks of sklearn.utils.estimator_checks.check_estimator that cannot apply to images
_IMAGE_CHECKS = {
    "check_n_features_in": "images of any size are accepted: an image has no fixed number of "
                           "features, so there is no n_features_in_",
    "check_n_features_in_after_fitting": "images of any size are accepted after fit: an image "
                                         "has no fixed number of features",
    "check_complex_data": "complex images are refused with a TypeError, as by every fasttopo "
                          "function (a wrong dtype is a TypeError, not a ValueError)",
    "check_dtype_object": "object arrays are refused with a TypeError naming the dtype, as by "
                          "every fasttopo function",
}
_DIAGRAM_OUTPUT_CHECKS = (
    "check_transformer_general", "check_transformer_data_not_an_array",
    "check_transformer_preserve_dtypes", "check_transformers_unfitted_stateless",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit_idempotent", "check_pipeline_consistency", "check_estimators_pickle")


# ------------------------------------------------------------------ helpers
def _images(X, name="X"):
    """``(images, is_stack)``: a checked stack of images, or a list of images of several shapes."""
    if sparse.issparse(X):
        raise TypeError(f"{name} is a sparse matrix; images must be dense arrays "
                        f"({name}.toarray())")
    if X is None or isinstance(X, (str, bytes, dict, set, PersistenceDiagram)):
        raise TypeError(f"{name} must be an (n, ...) array stacking 1D, 2D or 3D images, or "
                        f"a list of images, got {type(X).__name__}")
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{name} must hold at least one image, got an empty "
                             f"{type(X).__name__}")
        images = [check_image(x, name=f"{name}[{i}]") for i, x in enumerate(X)]
        ndims = sorted({x.ndim for x in images})
        if len(ndims) > 1:
            raise ValueError(f"{name}'s images must all have the same ndim, got ndims {ndims}")
        if len({x.shape for x in images}) == 1 and len({x.dtype for x in images}) == 1:
            return np.stack(images), True
        return images, False
    reject_masked(X, name)
    try:
        X = np.asarray(X)
    except (TypeError, ValueError) as exc:   # ragged nested lists ...
        raise TypeError(f"{name} must be convertible to a NumPy array ({exc})") from None
    shape = X.shape
    if len(shape) < 2:
        raise ValueError(f"{name} must be an (n, ...) stack of 1D, 2D or 3D images, got shape "
                         f"{shape}. Reshape your data: {name}.reshape(1, -1) if it is one "
                         f"signal, {name}[None] if it is one image")
    if shape[0] and 0 in shape[1:]:
        raise ValueError(f"{name} has 0 feature(s) (shape={shape}) while a minimum of 1 is "
                         f"required: its images have no pixels")
    return check_image(X, name=name, ndims=(2, 3, 4)), True


def _unit(values, axes):
    """``values`` rescaled to [0, 1] over ``axes`` (0 where they are constant)."""
    lo = values.min(axis=axes, keepdims=True)
    span = values.max(axis=axes, keepdims=True) - lo
    return np.divide(values - lo, span, out=np.zeros_like(values), where=span > 0)


def _vector(value, ndim, name):
    """``value`` as a finite float64 vector with one entry per image axis."""
    try:
        vector = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, one per image axis, got "
                        f"{value!r}") from None
    if vector.shape != (ndim,):
        raise ValueError(f"{name} must have one entry per image axis ({ndim} for "
                         f"{ndim}D images), got {value!r}")
    check_finite(vector, name)
    return vector


def _filter(X, product):
    """``product(image)`` for each image, rescaled to [0, 1]; a stack for a stack."""
    images, is_stack = _images(X)
    if is_stack:
        heights = product(images.shape[1:])
        return _unit(images * heights, tuple(range(1, images.ndim)))
    return [_unit(image * product(image.shape), None) for image in images]


class _Images(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Steps whose output is images or diagrams (learn nothing; no feature table)."""

    def set_output(self, *, transform=None):
        """Accepted, so that ``Pipeline.set_output`` works; the output stays as it is.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            Ignored: images and diagrams are not tables.

        Returns
        -------
        self : estimator

        Raises
        ------
        ValueError
            If ``transform`` is not one of the values above.
        """
        if transform not in (None, "default", "pandas", "polars"):
            raise ValueError(f"transform must be 'default', 'pandas', 'polars' or None, got "
                             f"{transform!r}")
        return self

    def get_feature_names_out(self, input_features=None):
        """No names: images and diagrams are not feature tables (an empty array).

        Lets ``Pipeline.get_feature_names_out`` pass this step; the
        vectoriser after it names the features.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : (0,) ndarray of str
        """
        return np.asarray([], dtype=object)

    def fit(self, X, y=None):
        """Check the parameters against the images (nothing is learnt).

        Parameters
        ----------
        X : (n, ...) array_like or list of array_like
            The images: a stack, or a list (shapes may differ).
        y : ignored

        Returns
        -------
        self : estimator

        Raises
        ------
        TypeError, ValueError
            If ``X`` is not a valid collection of images, or a parameter is
            invalid for them (the message names it and its value).
        """
        images, is_stack = _images(X)
        self._check(images.ndim - 1 if is_stack else images[0].ndim)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        return tags

    @classmethod
    def _sklearn_expected_failed_checks(cls):
        """The checks of ``check_estimator`` that cannot apply, and why."""
        return dict(_IMAGE_CHECKS)


# -------------------------------------------------------------- image filters
class _Filter(_Images):
    """Image times a height, rescaled to [0, 1] (``_heights(shape)`` in [0, 1])."""

    def transform(self, X):
        """The filtered images.

        Parameters
        ----------
        X : (n, ...) array_like or list of array_like
            The images (any real dtype or bool).

        Returns
        -------
        filtered : (n, ...) ndarray of float64, or a list of arrays
            A stack when the images share a shape and dtype, else a list;
            each image in [0, 1] (all zero where the product is constant).
        """
        return _filter(X, self._heights)


class HeightFiltration(_Filter):
    """Directional (height) filtration of images: the image times a linear height.

    The filtration of paper [1]_'s directional features: the image is
    multiplied by a linear height ``g`` of the pixel coordinates, measured
    from the corner where it is smallest and running from 0 to 1 across the
    image, and the product is rescaled to [0, 1].  With the coordinates
    ``u_i`` of axis ``i`` running from -1 to 1 across the image (as in
    :func:`fasttopo.directional_filtrations`), ``g`` is ``sum_i w_i u_i``
    rescaled to [0, 1] (from :func:`fasttopo.height_function`).  The
    filtration of a 2D image for the angle ``theta`` of
    ``directional_filtrations`` is ``direction=(-sin(theta), cos(theta))``.

    Parameters
    ----------
    direction : (ndim,) array_like, optional
        Direction ``w`` in the axis order of the images (rows, columns[,
        ...]); must not be zero.  Default: the last axis (columns, to the
        right).

    See Also
    --------
    fasttopo.directional_filtrations, RadialFiltration

    References
    ----------
    .. [1] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A topology layer for machine learning",
       AISTATS 2020, PMLR 108:1553-1563. arXiv:1905.12200

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import HeightFiltration
    >>> HeightFiltration(direction=(1, 0)).fit_transform(np.ones((1, 3, 2)))[0]
    array([[0. , 0. ],
           [0.5, 0.5],
           [1. , 1. ]])
    """

    def __init__(self, direction=None):
        self.direction = direction

    def _check(self, ndim):
        self._direction(ndim)

    def _direction(self, ndim):
        if self.direction is None:
            return np.eye(ndim)[-1]
        w = _vector(self.direction, ndim, "direction")
        if not w.any():
            raise ValueError(f"direction must not be the zero vector, got {self.direction!r}")
        return w

    def _heights(self, shape):
        w = self._direction(len(shape))
        sizes = np.asarray(shape, dtype=np.float64)
        per_axis = np.divide(2.0, sizes - 1, out=np.zeros_like(sizes), where=sizes > 1)
        if not (w * per_axis).any():        # only along axes of one pixel: constant
            return np.zeros(shape)
        return _unit(height_function(shape, "linear", direction=w * per_axis), None)

class RadialFiltration(_Filter):
    """Radial filtration of images: the image times the distance to a centre.

    As :class:`HeightFiltration`, with the Euclidean distance to
    ``center`` (in pixels, the square root of
    :func:`fasttopo.height_function`'s ``"radial"`` height, the radial
    height function of [1]_) rescaled to [0, 1] in place of the linear
    height; the product is rescaled to [0, 1].

    Parameters
    ----------
    center : (ndim,) array_like, optional
        The centre in pixel coordinates, in the axis order of the images;
        default the centre of each image, ``(shape - 1) / 2``.

    See Also
    --------
    fasttopo.height_function, HeightFiltration

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Kozinski, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8):10588-10595, 2023.
       doi:10.1109/TPAMI.2023.3246921

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import RadialFiltration
    >>> RadialFiltration(center=(0, 0)).fit_transform(np.ones((1, 2, 2)))[0].round(3)
    array([[0.   , 0.707],
           [0.707, 1.   ]])
    """

    def __init__(self, center=None):
        self.center = center

    def _check(self, ndim):
        if self.center is not None:
            _vector(self.center, ndim, "center")

    def _heights(self, shape):
        center = None if self.center is None else _vector(self.center, len(shape), "center")
        return _unit(np.sqrt(height_function(shape, "radial", center=center)), None)

# ------------------------------------------------------------------ persistence
class CubicalPersistence(_Images):
    """Persistence diagrams of images: :func:`fasttopo.persistence_batch` as a step.

    Parameters
    ----------
    max_dim, connectivity, superlevel
        As in :func:`fasttopo.persistence`.
    n_jobs : int, optional
        Number of threads, as in :func:`fasttopo.persistence_batch`
        (None or -1: all cores).  Results do not depend on it.

    See Also
    --------
    fasttopo.persistence_batch

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.sklearn import CubicalPersistence
    >>> images = np.random.default_rng(0).random((4, 8, 8))
    >>> diagrams = CubicalPersistence(max_dim=1).fit_transform(images)
    >>> len(diagrams), diagrams[0].shape
    (4, (8, 8))
    """

    def __init__(self, max_dim=None, connectivity=None, superlevel=False, n_jobs=None):
        self.max_dim = max_dim
        self.connectivity = connectivity
        self.superlevel = superlevel
        self.n_jobs = n_jobs

    def _check(self, ndim):
        self._options(ndim)

    def _options(self, ndim):
        max_dim, connectivity, superlevel = check_options(ndim, self.max_dim, self.connectivity,
                                                          self.superlevel)
        return dict(max_dim=max_dim, connectivity=connectivity, superlevel=superlevel,
                    n_jobs=check_n_jobs(self.n_jobs))

    def transform(self, X):
        """The persistence diagram of every image.

        Parameters
        ----------
        X : (n, ...) array_like or list of array_like
            The images (any real dtype or bool).

        Returns
        -------
        diagrams : list of PersistenceDiagram
            One per image, as :func:`fasttopo.persistence_batch`.
        """
        images, is_stack = _images(X)
        options = self._options(images.ndim - 1 if is_stack else images[0].ndim)
        return persistence_batch(images, **options)

    @classmethod
    def _sklearn_expected_failed_checks(cls):
        """The checks of ``check_estimator`` that cannot apply, and why."""
        reason = ("the output is a list of PersistenceDiagram, not an array: the check "
                  "compares outputs as arrays")
        return {**_IMAGE_CHECKS, **{name: reason for name in _DIAGRAM_OUTPUT_CHECKS}}
