"""Filtrations with location information: height functions and directional filtrations.

Oner et al. [1]_ add a height function ``g`` (linear, radial or quadratic in
the pixel coordinates, redrawn at random at every training iteration) to
the image before computing persistence, so that pairs carry information
about where they are.  TopologyLayer's adversarial attacks [2]_ use the
persistence of 8 directional filtrations of an image.
"""

import operator

import numpy as np

from ._validation import check_finite, check_image, check_int, check_rng

__all__ = ["height_function", "random_height_function", "localized_filtration",
           "directional_filtrations"]

_KINDS = ("linear", "radial", "quadratic")


def _check_shape(shape):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise ValueError(f"shape must have 1 to 3 positive sizes, got {shape}")
    return shape


def _check_vector(value, ndim, name):
    vector = np.asarray(value, dtype=np.float64)
    if vector.shape != (ndim,):
        raise ValueError(f"{name} must have one entry per axis ({ndim}), got shape "
                         f"{vector.shape}")
    check_finite(vector, name)
    return vector


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    return kind


def height_function(shape, kind="linear", *, direction=None, center=None, scale=1.0):
    """A height function g(p) on the pixels p of an image: linear, radial or quadratic.

    With ``p`` the pixel coordinates (in pixels, in the axis order of the
    array: row, column[, ...]), ``c`` the centre and ``w`` the unit
    direction:

    * ``"linear"``:    g(p) = scale * w . (p - c)
    * ``"radial"``:    g(p) = scale * ||p - c||^2
    * ``"quadratic"``: g(p) = scale * (p - c)^T W (p - c), with W = w w^T,
      i.e. scale * (w . (p - c))^2

    the three height functions of Oner et al. [1]_ (g(p) = w^T p,
    a ||p - q||^2 and p^T W p with W = w^T w, written about a centre c).
    These are the only height functions of fasttopo: the torch loss
    :func:`fasttopo.nn.localized_loss` draws its own from
    :func:`random_height_function`.

    Parameters
    ----------
    shape : tuple of int
        Shape of the image (1 to 3 axes).
    kind : {"linear", "radial", "quadratic"}, optional
        The kind of height function.
    direction : (ndim,) array_like, optional
        Direction ``w`` (normalised to unit length; must not be zero).
        Default: the last axis (columns of a 2D image).  Unused by
        ``"radial"``.
    center : (ndim,) array_like, optional
        Centre ``c`` in pixel coordinates; default the image centre
        ``(shape - 1) / 2``.
    scale : float, optional
        Factor applied to g (units of image value per pixel for
        ``"linear"``, per pixel squared for ``"radial"`` and
        ``"quadratic"``).

    Returns
    -------
    g : ndarray of float64, shape ``shape``
        The height of every pixel.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If ``shape``, ``kind``, ``direction``, ``center`` or ``scale`` is
        invalid (wrong length, zero direction, not finite).

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Kozinski, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8):10588-10595, 2023 (ICLR 2022
       submission). doi:10.1109/TPAMI.2023.3246921

    Examples
    --------
    >>> from fasttopo import height_function
    >>> height_function((2, 3), "linear")
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.]])
    >>> height_function((3, 3), "radial", center=(0, 0), scale=0.5)
    array([[0. , 0.5, 2. ],
           [0.5, 1. , 2.5],
           [2. , 2.5, 4. ]])
    """
    shape = _check_shape(shape)
    kind = _check_kind(kind)
    ndim = len(shape)
    w = np.zeros(ndim)
    w[-1] = 1.0
    if direction is not None:
        w = _check_vector(direction, ndim, "direction")
        norm = np.linalg.norm(w)
        if norm == 0:
            raise ValueError("direction must not be the zero vector")
        w = w / norm
    c = (np.asarray(shape, dtype=np.float64) - 1) / 2
    if center is not None:
        c = _check_vector(center, ndim, "center")
    scale = float(scale)
    if not np.isfinite(scale):
        raise ValueError(f"scale must be finite, got {scale}")
    axes = [np.arange(s, dtype=np.float64) - c[i] for i, s in enumerate(shape)]
    grids = np.meshgrid(*axes, indexing="ij", sparse=True)
    if kind == "radial":
        g = sum(x * x for x in grids)
    else:
        g = sum(w[i] * grids[i] for i in range(ndim))
        if kind == "quadratic":
            g = g * g
    return scale * np.broadcast_to(g, shape).astype(np.float64)


def random_height_function(shape, rng=None, kind="linear", *, amplitude=1.0):
    """A height function with random direction and centre, redrawn for each training step.

    Oner et al. [1]_ draw a new height function at every training
    iteration, so that over many iterations every location and orientation
    is used.  Here the direction is uniform on the unit sphere (a
    normalised standard normal vector) and the centre uniform in the image
    domain; the scale is chosen so that g spans exactly ``amplitude``
    (``g.max() - g.min() == amplitude``), which should be small compared to
    the range of the image it is added to.

    Parameters
    ----------
    shape : tuple of int
        Shape of the image (1 to 3 axes).
    rng : {numpy.random.Generator, int}, optional
        Random generator or seed (as in scikit-image).
    kind : {"linear", "radial", "quadratic"}, optional
        The kind of height function.
    amplitude : float, optional
        Peak-to-peak range of g (>= 0), in image units.

    Returns
    -------
    g : ndarray of float64, shape ``shape``
        ``height_function(shape, kind, direction=w, center=c, scale=s)``
        for the drawn ``w``, ``c`` (drawn in that order) and the ``s`` that
        gives the requested amplitude.

    Raises
    ------
    TypeError, ValueError
        If ``shape`` or ``kind`` is invalid or ``amplitude`` is negative
        or not finite.

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Kozinski, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8):10588-10595, 2023.
       doi:10.1109/TPAMI.2023.3246921

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import random_height_function
    >>> g = random_height_function((64, 64), rng=0, kind="radial", amplitude=0.1)
    >>> g.shape, round(float(np.ptp(g)), 12)
    ((64, 64), 0.1)
    """
    shape = _check_shape(shape)
    kind = _check_kind(kind)
    amplitude = float(amplitude)
    if not np.isfinite(amplitude) or amplitude < 0:
        raise ValueError(f"amplitude must be finite and >= 0, got {amplitude}")
    rng = check_rng(rng)
    ndim = len(shape)
    w = rng.standard_normal(ndim)
    while np.linalg.norm(w) == 0:  # pragma: no cover - probability zero
        w = rng.standard_normal(ndim)
    c = rng.uniform(0.0, 1.0, ndim) * (np.asarray(shape, dtype=np.float64) - 1)
    unit = height_function(shape, kind, direction=w, center=c)
    spread = float(np.ptp(unit))
    scale = amplitude / spread if spread > 0 else 0.0
    return height_function(shape, kind, direction=w, center=c, scale=scale)


def localized_filtration(image, height):
    """The filtration of Oner et al. [1]_: the image plus a height function.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        Any real dtype or bool.
    height : array_like, same shape as ``image``
        A height function, e.g. from :func:`height_function` or
        :func:`random_height_function`.

    Returns
    -------
    filtration : ndarray of float64
        ``image + height``; pass it to :func:`fasttopo.persistence`.

    Raises
    ------
    TypeError, ValueError
        If ``image`` or ``height`` is invalid (see
        :func:`fasttopo.persistence`) or their shapes differ.

    References
    ----------
    .. [1] D. Oner, A. Garin, M. Kozinski, K. Hess, P. Fua, "Persistent
       homology with improved locality information for more effective
       delineation", IEEE TPAMI 45(8):10588-10595, 2023.
       doi:10.1109/TPAMI.2023.3246921

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import height_function, localized_filtration, persistence
    >>> image = np.zeros((4, 4))
    >>> f = localized_filtration(image, height_function(image.shape, "radial"))
    >>> persistence(f).birth_coordinates()[0]   # born at the centre, not at pixel (0, 0)
    array([1, 1])
    """
    image = check_image(image)
    height = check_image(height, name="height")
    if height.shape != image.shape:
        raise ValueError(f"height must have the shape of image {image.shape}, got "
                         f"{height.shape}")
    return image.astype(np.float64) + height.astype(np.float64)


def directional_filtrations(image, n_directions=8, *, origin="corner"):
    """The directional filtrations of TopologyLayer's adversarial-attack features.

    For the angles ``theta_k = 2 pi k / n_directions``, the image is
    multiplied by the linear height ``g_k = cos(theta_k) x + sin(theta_k) y``
    of the pixel coordinates and the product is rescaled to [0, 1] [1]_.
    ``x`` runs along the columns (to the right) and ``y`` along the rows
    (upwards).

    Paper [1]_ describes these filtrations as the product of the image
    with the coordinate functions "x, y, (x + y)/2, ...".  ``(x + y)/2``
    stays in the range of ``x`` and ``y`` only when both are measured from
    a corner in [0, 1]; hence the default ``origin="corner"``: each ``g_k``
    is measured from the corner where it is smallest and runs from 0 to 1
    across the image (``x``, ``y``, ``(x + y)/2``, ``1 - x``, ... for the
    eight directions).  The background (``I = 0``) then sits at the bottom
    of every sweep and the pixels of the object enter in the direction
    ``theta_k``, weighted by their intensity.  ``origin="center"`` centres
    ``x`` and ``y`` on the image (both in [-1, 1]): the background sits in
    the middle of every sweep, the object's pixels on the trailing side go
    below it, and the diagrams differ (see the TopologyLayer example of
    the gallery).

    Parameters
    ----------
    image : (M, N) array_like
        Any real dtype or bool.
    n_directions : int, optional
        Number of equally spaced directions (8 in [1]_).
    origin : {"corner", "center"}, optional
        Where the coordinates are measured from (see above).

    Returns
    -------
    filtrations : ndarray of float64, shape ``(n_directions, M, N)``
        Each in [0, 1] (all zero where the product is constant).

    Raises
    ------
    TypeError, ValueError
        If ``image`` is not a valid 2D image, ``n_directions`` is not a
        positive int or ``origin`` is unknown.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A topology layer for machine learning",
       AISTATS 2020, PMLR 108:1553-1563. arXiv:1905.12200

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import directional_filtrations
    >>> f = directional_filtrations(np.ones((3, 3)))
    >>> f.shape, f[0, 1]            # theta = 0: x, increases to the right
    ((8, 3, 3), array([0. , 0.5, 1. ]))
    >>> f[1]                        # theta = pi/4: (x + y) / 2
    array([[0.5 , 0.75, 1.  ],
           [0.25, 0.5 , 0.75],
           [0.  , 0.25, 0.5 ]])
    >>> f[4, 1]                     # theta = pi: 1 - x
    array([1. , 0.5, 0. ])
    """
    image = check_image(image, ndims=(2,))
    n = check_int(n_directions, "n_directions", 1)
    if origin not in ("corner", "center"):
        raise ValueError(f"origin must be 'corner' or 'center', got {origin!r}")
    rows, cols = image.shape
    x = _unit_axis(cols)[None, :]
    y = -_unit_axis(rows)[:, None]
    values = image.astype(np.float64)
    out = np.empty((n,) + image.shape)
    for k in range(n):
        theta = 2 * np.pi * k / n
        # exact zeros at multiples of pi/2 (cos(pi/2) is 6e-17, not 0)
        cos, sin = (0.0 if abs(v) < 1e-12 else v for v in (np.cos(theta), np.sin(theta)))
        g = cos * x + sin * y
        if origin == "corner":
            lo, hi = g.min(), g.max()
            g = (g - lo) / (hi - lo) if hi > lo else np.zeros_like(g)
        f = values * g
        lo, hi = f.min(), f.max()
        out[k] = (f - lo) / (hi - lo) if hi > lo else 0.0
    return out


def _unit_axis(size):
    """Coordinates from -1 to 1 across ``size`` pixels (0 for a single pixel)."""
    if size == 1:
        return np.zeros(1)
    return np.linspace(-1.0, 1.0, size)
