"""Betti matching: the induced matching of two images' barcodes through their minimum."""

import numpy as np

from . import _engine
from ._diagram import PersistenceDiagram
from ._validation import check_bool, check_image, check_images_type, check_n_jobs, check_options
from .metrics import _check_binary_connectivity

__all__ = ["BettiMatching", "betti_matching", "betti_matching_batch", "betti_matching_error"]

_FIELDS = ("prediction_matched", "target_matched", "prediction_unmatched", "target_unmatched")


class BettiMatching:
    """The Betti matching of a prediction and a target (see :func:`betti_matching`).

    Four :class:`PersistenceDiagram` of the image they come from: row
    ``i`` of ``prediction_matched`` is matched to row ``i`` of
    ``target_matched``; the bars left unmatched are in
    ``prediction_unmatched`` and ``target_unmatched``.  Rows are grouped by
    increasing dimension.  The prediction's bars (matched and unmatched)
    are the diagram of ``persistence(prediction, ...)``, the target's that
    of ``persistence(target, ...)``; birth and death pixels are the same
    too, except where an image has ties (see :func:`betti_matching`).

    Attributes
    ----------
    prediction_matched, target_matched : PersistenceDiagram
        Matched bars, row by row (same length, same ``dim``).
    prediction_unmatched, target_unmatched : PersistenceDiagram
        The other bars of each image.
    max_dim : int
        Largest dimension computed.
    n_matched, n_prediction_unmatched, n_target_unmatched : (max_dim + 1,) ndarray of int64
        Counts per dimension.
    error : (max_dim + 1,) ndarray of int64
        The Betti matching error per dimension: the number of unmatched
        bars of both images.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import betti_matching
    >>> target = np.array([[0, 0, 0, 0, 0],
    ...                    [0, 1, 0, 1, 0],
    ...                    [0, 0, 0, 0, 0]], dtype=float)
    >>> m = betti_matching(0.9 * target, target, superlevel=True)
    >>> m.n_matched, m.error
    (array([2, 0]), array([0, 0]))
    >>> m.prediction_matched.birth, m.target_matched.birth
    (array([0.9, 0.9]), array([1., 1.]))
    """

    __slots__ = _FIELDS + ("max_dim",)

    def __init__(self, prediction_matched, target_matched, prediction_unmatched,
                 target_unmatched, max_dim):
        values = (prediction_matched, target_matched, prediction_unmatched, target_unmatched)
        for name, value in zip(_FIELDS, values):
            if not isinstance(value, PersistenceDiagram):
                raise TypeError(f"{name} must be a PersistenceDiagram, got "
                                f"{type(value).__name__}")
            object.__setattr__(self, name, value)
        if len(prediction_matched) != len(target_matched):
            raise ValueError(f"prediction_matched and target_matched must have the same "
                             f"length, got {len(prediction_matched)} and {len(target_matched)}")
        object.__setattr__(self, "max_dim", int(max_dim))

    def __setattr__(self, name, value):
        raise AttributeError("BettiMatching is immutable")

    def __reduce__(self):
        return (BettiMatching, tuple(getattr(self, f) for f in self.__slots__))

    def _per_dim(self, dgm):
        return np.bincount(dgm.dim.astype(np.int64), minlength=self.max_dim + 1)

    @property
    def n_matched(self):
        """Matched pairs of bars per dimension."""
        return self._per_dim(self.prediction_matched)

    @property
    def n_prediction_unmatched(self):
        """Unmatched bars of the prediction per dimension."""
        return self._per_dim(self.prediction_unmatched)

    @property
    def n_target_unmatched(self):
        """Unmatched bars of the target per dimension."""
        return self._per_dim(self.target_unmatched)

    @property
    def error(self):
        """The Betti matching error per dimension: unmatched bars of both images."""
        return self.n_prediction_unmatched + self.n_target_unmatched

    def __repr__(self):
        return (f"BettiMatching(matched={self.n_matched.tolist()}, "
                f"prediction_unmatched={self.n_prediction_unmatched.tolist()}, "
                f"target_unmatched={self.n_target_unmatched.tolist()})")


def _check_pair(prediction, target, pname="prediction", tname="target"):
    """Validated arrays of one shape and one dtype (NumPy's common type if they differ)."""
    prediction = check_image(prediction, name=pname)
    target = check_image(target, name=tname)
    if prediction.shape != target.shape:
        raise ValueError(f"{pname} and {tname} must have the same shape, got "
                         f"{prediction.shape} and {target.shape}")
    if prediction.dtype != target.dtype:
        common = np.result_type(prediction.dtype, target.dtype)
        prediction, target = prediction.astype(common), target.astype(common)
    return prediction, target


def _diagram(image, dims, births, deaths, connectivity, superlevel):
    flat = image.reshape(-1)
    birth = flat[births].astype(np.float64)
    death = np.where(deaths < 0, -np.inf if superlevel else np.inf,
                     flat[np.maximum(deaths, 0)].astype(np.float64))
    dgm = PersistenceDiagram._from_owned(dims, birth, death, births, deaths, image.shape,
                                         connectivity, superlevel)
    return dgm._with_image(image)


def _result(prediction, target, found, max_dim, connectivity, superlevel):
    def make(image, dims, b, d):
        return _diagram(image, dims, b, d, connectivity, superlevel)

    return BettiMatching(make(prediction, found.dim, found.p_birth, found.p_death),
                         make(target, found.dim.copy(), found.g_birth, found.g_death),
                         make(prediction, found.p_dim, found.p_un_birth, found.p_un_death),
                         make(target, found.g_dim, found.g_un_birth, found.g_un_death), max_dim)


def betti_matching(prediction, target, *, max_dim=None, connectivity=None, superlevel=False):
    r"""Betti matching of a prediction and a target: which of their bars correspond.

    The induced matching of Stucki et al. [1]_: with the comparison image
    :math:`C = \min(P, G)` (``superlevel=True``: :math:`\max(P, G)`) every
    sublevel set of the prediction :math:`P` and of the target :math:`G`
    lies in the sublevel set of :math:`C` of the same value; the inclusions
    induce maps of persistence modules :math:`H(P) \to H(C) \leftarrow
    H(G)`, and the induced matchings of Bauer and Lesnick [2]_ match bars
    of :math:`P` to bars of :math:`C` (through the image of the map: the
    same birth, then the same death, each in order of decreasing length)
    and bars of :math:`G` likewise.  Two bars of :math:`P` and :math:`G`
    are matched when they are matched to the same bar of :math:`C`; the
    others are unmatched.  Unlike a Wasserstein matching, it matches
    features that are at the same place.

    Parameters
    ----------
    prediction, target : (N,), (M, N) or (P, M, N) array_like
        Images of the same shape, any real dtype or bool, finite.  Values
        are compared exactly (in NumPy's common dtype of the two when
        their dtypes differ).
    max_dim : int, optional
        Largest homology dimension, 0 to ``ndim - 1`` (default all).
    connectivity : int, optional
        1 (V-construction) to ``ndim`` (T-construction, the default), as
        in :func:`persistence`; in 3D, 2 only with ``max_dim=0``.
    superlevel : bool, optional
        Superlevel-set filtrations (likelihoods: the foreground first);
        the comparison image is then the maximum.

    Returns
    -------
    matching : BettiMatching
        ``prediction_matched`` and ``target_matched`` (row i with row i),
        ``prediction_unmatched``, ``target_unmatched``
        (:class:`PersistenceDiagram`), and the counts per dimension
        (``n_matched``, ``error``...).

    Raises
    ------
    TypeError
        If an image has a non-real dtype or an option has the wrong type.
    ValueError
        If the images differ in shape, are empty, not 1D/2D/3D or contain
        NaN or infinities, or an option is out of range.

    See Also
    --------
    betti_matching_batch : many pairs in threads.
    betti_matching_error : the error of two binary masks.
    fasttopo.nn.betti_matching_loss : the loss for training (PyTorch).

    Notes
    -----
    *Ties.*  The matching needs one total order of the pixels of the three
    filtrations, a perturbation of the values that keeps :math:`P, G \ge
    C`: pixels are ordered by value, ties by the other image's value at
    the pixel, then by flat index (smaller first; in the superlevel
    direction, larger values first) -- :math:`P + \epsilon G +
    \epsilon^2 i`, :math:`G + \epsilon P + \epsilon^2 i` and :math:`C = \min(P,
    G) + \epsilon \max(P, G) + \epsilon^2 i`.  Bars are those of this order, so
    the matching is well defined on images with ties, such as binary
    targets, whose features are then born and die where the prediction
    is most confident.  (:func:`persistence` breaks ties by flat index
    alone: the diagrams are the same, the pixels of tied bars may
    differ.)  Bars of zero length (equal values) are not reported, as in
    :func:`persistence`; a bar matched to one of them is reported
    unmatched.

    *Essential classes.*  Each image has one, in dimension 0 (born at its
    first pixel, death ``+inf``, ``-inf`` for the superlevel filtration).
    They are matched like bars of infinite death (as the authors do), so
    the essential classes of the prediction and of the target are always
    matched to each other.

    *Computation.*  Dimension 0 and the top dimension are computed by
    union-find: one sweep over :math:`C` gives its bars and those of the
    images of :math:`H_0(P)` and :math:`H_0(G)` (a component of
    :math:`C` remembers the first pixel of :math:`P` and of :math:`G` it
    holds), and the top dimension is dimension 0 of the complements, by
    Alexander duality [3]_.  Dimension 1 of volumes is a cubical
    reduction, with the rows of the image's matrix in the order of
    :math:`P` and its columns in that of :math:`C` (image persistence
    [4]_).

    References
    ----------
    .. [1] N. Stucki, J. C. Paetzold, S. Shit, B. Menze, U. Bauer,
       "Topologically faithful image segmentation via induced matching of
       persistence barcodes", ICML 2023. arXiv:2211.15272
    .. [2] U. Bauer, M. Lesnick, "Induced matchings and the algebraic
       stability of persistence barcodes", J. Comput. Geom. 6(2), 2015.
       doi:10.20382/jocg.v6i2a9
    .. [3] B. Garin, J. Maurer, U. Rahbek, Y. Roy, "Duality in persistent
       homology of images", 2020. arXiv:2005.04597
    .. [4] U. Bauer, M. Schmahl, "Efficient computation of image
       persistence", SoCG 2023. doi:10.4230/LIPIcs.SoCG.2023.14
    .. [5] N. Stucki, V. Buergin, J. C. Paetzold, U. Bauer, "Efficient
       Betti matching enables topology-aware 3D segmentation via
       persistent homology", 2024. arXiv:2407.04683

    Examples
    --------
    A target with two blobs and a prediction that finds one of them:

    >>> import numpy as np
    >>> from fasttopo import betti_matching
    >>> target = np.zeros((5, 9))
    >>> target[1:4, 1:3] = 1
    >>> target[1:4, 5:7] = 1
    >>> prediction = np.full((5, 9), 0.1)
    >>> prediction[1:4, 1:3] = 0.8
    >>> prediction[3, 8] = 0.3                 # a faint spot away from the second blob
    >>> m = betti_matching(prediction, target, superlevel=True)
    >>> m.n_matched, m.n_prediction_unmatched, m.n_target_unmatched
    (array([1, 0]), array([1, 0]), array([1, 0]))
    >>> m.prediction_matched.to_array(), m.target_matched.to_array()
    (array([[ 0. ,  0.8, -inf]]), array([[  0.,   1., -inf]]))
    >>> m.prediction_unmatched.to_array()      # the spot: unmatched
    array([[0. , 0.3, 0.1]])
    >>> m.target_unmatched.birth_coordinates()  # the missed blob
    array([[1, 5]])

    Had the spot been inside the second blob (``prediction[2, 5] = 0.3``),
    the two would be matched.
    """
    prediction, target = _check_pair(prediction, target)
    max_dim, connectivity, superlevel = check_options(prediction.ndim, max_dim, connectivity,
                                                      superlevel)
    (found,) = _engine.matched_bars([(prediction, target)], max_dim, connectivity, superlevel,
                                    _engine.cores())
    return _result(prediction, target, found, max_dim, connectivity, superlevel)


def _as_list(images, name):
    check_images_type(images)
    if isinstance(images, np.ndarray) or (hasattr(images, "__array__")
                                          and not isinstance(images, (list, tuple))):
        stack = np.asarray(images)
        if stack.ndim < 2 or stack.ndim > 4:
            raise ValueError(f"{name} must be a (B, ...) stack of 1D, 2D or 3D images (ndim 2 "
                             f"to 4), got ndim={stack.ndim} with shape {stack.shape}")
        return list(stack)
    return list(images)


def betti_matching_batch(predictions, targets, *, max_dim=None, connectivity=None,
                         superlevel=False, n_jobs=None):
    """Betti matchings of many pairs of images, computed in threads.

    Parameters
    ----------
    predictions, targets : (B, ...) array_like or sequences of array_like
        Stacks of images, or lists whose items may differ in shape from
        pair to pair (``predictions[i]`` and ``targets[i]`` have one
        shape); all of one ndim.
    max_dim, connectivity, superlevel
        As in :func:`betti_matching`, for every pair.
    n_jobs : int, optional
        Number of threads (None or -1: all cores).  The kernels release
        the GIL; the results do not depend on ``n_jobs``.

    Returns
    -------
    matchings : list of BettiMatching
        ``matchings[i]`` equals ``betti_matching(predictions[i], targets[i], ...)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`betti_matching`, naming the pair (``predictions[i]``);
        ValueError also if the two batches differ in length or ndim.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import betti_matching_batch
    >>> rng = np.random.default_rng(0)
    >>> predictions = rng.random((8, 32, 32))
    >>> targets = rng.random((8, 32, 32)) > 0.5
    >>> matchings = betti_matching_batch(predictions, targets, superlevel=True, n_jobs=2)
    >>> len(matchings), matchings[0].max_dim
    (8, 1)
    """
    n_threads = check_n_jobs(n_jobs)
    superlevel = check_bool(superlevel, "superlevel")
    predictions = _as_list(predictions, "predictions")
    targets = _as_list(targets, "targets")
    if len(predictions) != len(targets):
        raise ValueError(f"predictions and targets must have the same length, got "
                         f"{len(predictions)} and {len(targets)}")
    pairs = [_check_pair(p, t, f"predictions[{i}]", f"targets[{i}]")
             for i, (p, t) in enumerate(zip(predictions, targets))]
    if not pairs:
        return []
    ndims = {p.ndim for p, _ in pairs}
    if len(ndims) > 1:
        raise ValueError(f"the images must all have the same ndim, got ndims {sorted(ndims)}")
    max_dim, connectivity, superlevel = check_options(ndims.pop(), max_dim, connectivity,
                                                      superlevel)
    found = _engine.matched_bars(pairs, max_dim, connectivity, superlevel, n_threads)
    return [_result(p, t, f, max_dim, connectivity, superlevel) for (p, t), f in zip(pairs, found)]


def _mask(image, threshold, name):
    image = check_image(image, name=name)
    if image.dtype == np.bool_:
        return image
    return image > threshold


def betti_matching_error(prediction, target, *, connectivity=None, threshold=0.5):
    """Betti matching error of two segmentations: unmatched features per dimension.

    The metric of Stucki et al. [1]_: the features (components, holes,
    voids) of the two masks are matched by :func:`betti_matching` (the
    foreground enters first: the superlevel filtration of the masks),
    and the features of either mask left unmatched are counted.  Unlike
    :func:`betti_error`, which compares the numbers of features, it counts
    a feature of the prediction that is not where the target's is.

    Parameters
    ----------
    prediction, target : (N,), (M, N) or (P, M, N) array_like
        Binary masks (bool: True is the foreground), or probabilities /
        scores thresholded as ``image > threshold``; the same shape.
    connectivity : int, optional
        Connectivity of the foreground, as in :func:`betti_numbers`
        (1: 4/6-neighbour, ``ndim`` (default): 8/26); 2 is refused in 3D.
    threshold : float, optional
        Threshold of non-bool images, default 0.5.

    Returns
    -------
    error : (ndim,) ndarray of int64
        Unmatched features of both masks in each dimension (0 to
        ``ndim - 1``); ``error.sum()`` is the total Betti matching error.
        ``error[d] >= |b_d(prediction) - b_d(target)|``.

    Raises
    ------
    TypeError, ValueError
        As :func:`betti_matching`; also for a ``threshold`` that is not a
        finite number.

    Notes
    -----
    The essential classes of the two filtrations are matched to each
    other; when one mask has no foreground at all, its essential class is
    no feature, and the other mask's first component is counted as
    unmatched.

    References
    ----------
    .. [1] N. Stucki, J. C. Paetzold, S. Shit, B. Menze, U. Bauer,
       "Topologically faithful image segmentation via induced matching of
       persistence barcodes", ICML 2023. arXiv:2211.15272

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import betti_matching_error, betti_numbers
    >>> target = np.zeros((8, 12), dtype=bool)
    >>> target[2:6, 1:5] = True
    >>> prediction = np.zeros((8, 12), dtype=bool)
    >>> prediction[2:6, 7:11] = True                 # one blob, elsewhere
    >>> prediction[0, 0] = True                      # and a speck
    >>> betti_numbers(prediction), betti_numbers(target)
    ((2, 0), (1, 0))
    >>> betti_matching_error(prediction, target)
    array([1, 0])
    """
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float,
                                                                             np.number)):
        raise TypeError(f"threshold must be a number, got {threshold!r}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    pm = _mask(prediction, threshold, "prediction")
    tm = _mask(target, threshold, "target")
    if pm.shape != tm.shape:
        raise ValueError(f"prediction and target must have the same shape, got {pm.shape} "
                         f"and {tm.shape}")
    ndim = pm.ndim
    connectivity = _check_binary_connectivity(connectivity, ndim)
    (found,) = _engine.matched_bars([(pm, tm)], ndim - 1, connectivity, True, _engine.cores())
    error = (np.bincount(found.p_dim.astype(np.int64), minlength=ndim)
             + np.bincount(found.g_dim.astype(np.int64), minlength=ndim))
    error[0] += pm.any() != tm.any()
    return error
