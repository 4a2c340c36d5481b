"""Persistence diagrams of images: validation, dtype handling and dispatch."""

import numpy as np

from . import _engine
from ._validation import (check_bool, check_image, check_images_type, check_list, check_n_jobs,
                          check_options, check_stack, require, warn_if_colour)

__all__ = ["persistence", "persistence_batch"]


def persistence(image, *, max_dim=None, connectivity=None, superlevel=False):
    """Persistence diagram of a 1D, 2D or 3D image, with birth and death pixels.

    Computes the persistent homology of the sublevel-set filtration of
    ``image`` (or of the superlevel-set filtration with
    ``superlevel=True``) as a cubical complex.  Dimension 0 and the top
    dimension are computed by union-find; dimension 1 of 3D images by a
    cubical reduction.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        Any real dtype or bool, any memory layout.  float16 is upcast to
        float32.  Values must be finite.  The pairing is computed on the
        exact values (int64 beyond 2**53 is not rounded).  A colour image
        (M, N, 3|4) is a volume to this function (with a UserWarning, as
        scikit-image's grey-level functions give): convert it first, e.g.
        with :func:`skimage.color.rgb2gray`.
    max_dim : int, optional
        Largest homology dimension to compute, from 0 to ``image.ndim - 1``.
        Default: all (``image.ndim - 1``).
    connectivity : int, optional
        1 to ``image.ndim``, as in :func:`skimage.measure.label`.  1 is the
        V-construction (pixels are vertices; 4-neighbour components in 2D,
        6 in 3D), ``image.ndim`` is the T-construction (pixels are top
        cells; 8 / 26-neighbour components).  Default ``image.ndim``.  In
        3D, 2 (18-neighbour) is allowed with ``max_dim=0`` only.
    superlevel : bool, optional
        Compute the superlevel-set filtration (pixels enter from the
        highest value down; births are high values, the essential class
        dies at ``-inf``).  Must be a bool (``"no"`` is a TypeError).

    Returns
    -------
    diagram : PersistenceDiagram
        Pairs grouped by increasing dimension.  Dimension 0 lists the
        finite pairs in filtration order of their death pixel, then the
        essential class (born at the first pixel of the filtration).  The
        top dimension lists pairs in filtration order of their birth pixel.
        Pairs of zero lifetime are not reported.  ``birth`` and ``death``
        are float64; for int64/uint64 images beyond 2**52 the exact values
        are kept too (:attr:`PersistenceDiagram.exact_birth`) and
        lifetimes are exact.

    Raises
    ------
    TypeError
        If ``image`` has a complex, object, string or other non-real
        dtype, is a ``numpy.ma.MaskedArray`` (masks are not used: fill
        the masked pixels first), ``max_dim``/``connectivity`` are not
        ints or ``superlevel`` is not a bool.
    ValueError
        If ``image`` is empty, 0-d or has more than 3 dimensions, contains
        NaN or infinite values (the message gives the index), or
        ``max_dim``/``connectivity`` are out of range.

    Notes
    -----
    The filtration order is total: pixels are ordered by value (decreasing
    value for ``superlevel=True``) and ties by flat C-order index, smaller
    index first, in both directions.  Birth and death pixels are those of
    this order: ``image.flat[birth_index] == birth`` and
    ``image.flat[death_index] == death`` for every finite pair.  When two
    components meet, the one whose first pixel comes later in this order
    dies (elder rule).  The diagram (values only) does not depend on the
    tie-breaking and equals GUDHI's and CubicalRipser's as a multiset.

    The top dimension (loops in 2D, voids in 3D) is computed by Alexander
    duality as dimension 0 of the complement with the complementary
    connectivity and one exterior cell [1]_, which is also how
    CubicalRipser computes it [2]_.

    References
    ----------
    .. [1] B. Garin, J. Maurer, U. Rahbek, Y. Roy, "Duality in persistent
       homology of images", 2020. arXiv:2005.04597
    .. [2] S. Kaji, T. Sudo, K. Ahara, "Cubical Ripser: Software for
       computing persistent homology of image and volume data", 2020.
       arXiv:2005.12692
    .. [3] H. Edelsbrunner, J. Harer, "Computational Topology: An
       Introduction", AMS, 2010. doi:10.1090/mbk/069

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence
    >>> image = np.array([[2, 1, 1, 1],
    ...                   [1, 4, 3, 1],
    ...                   [0, 1, 1, 1]])
    >>> dgm = persistence(image)
    >>> dgm.to_array()
    array([[ 0.,  0., inf],
           [ 1.,  1.,  4.]])
    >>> dgm.birth_coordinates()[1], dgm.death_coordinates()[1]
    (array([2, 2]), array([1, 1]))
    >>> persistence(image, connectivity=1).to_array()  # 4-neighbour loops need the corner 2
    array([[ 0.,  0., inf],
           [ 1.,  2.,  4.]])
    """
    image = check_image(image, finite=False)  # NaN and inf: found by the engine
    warn_if_colour(image.shape)
    options = check_options(image.ndim, max_dim, connectivity, superlevel)
    return _engine.compute(image, _engine.Options(*options, _engine.cores()), one=True)


def persistence_batch(images, *, max_dim=None, connectivity=None, superlevel=False,
                      n_jobs=None, progress=False):
    """Persistence diagrams of many images, computed in parallel.

    Parameters
    ----------
    images : (B, ...) array_like or sequence of array_like
        A stack of equally-shaped images (the first axis indexes images),
        or a list (tuple, iterator) of images whose shapes may differ.
        Not None, a dict, a set or a string.
    max_dim, connectivity, superlevel
        As in :func:`persistence`, applied to every image.
    n_jobs : int, optional
        Number of threads (default: all cores).  Results do not depend on
        it.
    progress : bool, optional
        Show a tqdm progress bar (for long batches of large images; needs
        the ``progress`` extra, ``pip install "fasttopo[progress]"``).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One per image, identical to ``persistence(image, ...)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`persistence`; the message names the offending image
        (``images[i]``).  TypeError also if ``images`` is None, a dict, a
        set or a string, or ``superlevel``/``progress`` are not bools.
    ImportError
        If ``progress=True`` and tqdm is not installed (one line naming
        ``pip install "fasttopo[progress]"``).

    References
    ----------
    .. [1] H. Edelsbrunner, J. Harer, "Computational Topology: An
       Introduction", AMS, 2010. doi:10.1090/mbk/069
    .. [2] B. Garin, J. Maurer, U. Rahbek, Y. Roy, "Duality in persistent
       homology of images", 2020. arXiv:2005.04597

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_batch
    >>> patches = np.random.default_rng(0).random((128, 32, 32))
    >>> diagrams = persistence_batch(patches, max_dim=0)
    >>> len(diagrams), diagrams[0].shape
    (128, (32, 32))
    """
    n_threads = check_n_jobs(n_jobs)
    superlevel = check_bool(superlevel, "superlevel")
    progress = check_bool(progress, "progress")
    check_images_type(images)
    if progress:
        require("tqdm", "progress=True")
    if isinstance(images, np.ndarray) or (hasattr(images, "__array__")
                                          and not isinstance(images, (list, tuple))):
        images = check_stack(images)
        ndim = images.ndim - 1
        warn_if_colour(images.shape[1:], "images[0]")
    else:
        images, ndim = check_list(images)
    if len(images) == 0:
        return []
    options = check_options(ndim, max_dim, connectivity, superlevel)
    bar = _progress_bar(progress, len(images))
    try:  # NaN and inf: found by the engine, which names images[i]
        return _engine.compute(images, _engine.Options(*options, n_threads),
                               on_image=bar.update if progress else None)
    finally:
        bar.close()


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(progress, total):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="persistence", unit="image")
