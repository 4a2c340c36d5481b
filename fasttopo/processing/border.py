"""Border modification: objects touching the border are born through it (Vandaele et al.)."""

import numpy as np

from .._validation import check_bool, check_image, check_int

__all__ = ["modify_border", "set_border"]


def set_border(array, width, value):
    """Set the ``width`` outermost pixels along every axis of ``array`` to ``value``."""
    for axis, size in enumerate(array.shape):
        index = [slice(None)] * array.ndim
        index[axis] = slice(0, min(width, size))
        array[tuple(index)] = value
        index[axis] = slice(max(size - width, 0), size)
        array[tuple(index)] = value


def modify_border(image, width, *, value=None, superlevel=False):
    """Set every pixel within ``width`` of the image border to the image minimum.

    With the border at the minimum (the maximum for the superlevel
    filtration), the border is born first, so it carries the single
    essential class, and every object touching the border is born through
    it instead of forming a long-lived class of its own [1]_.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        Any real dtype or bool.
    width : int
        Border width in pixels: the ``width`` outermost pixels along every
        axis are modified (0 returns an unmodified copy).  A width of half
        the shortest side or more reaches every pixel: the result is then
        a constant image (every pixel lies within ``width`` of the border).
    value : scalar, optional
        The value given to the border.  Default: ``image.min()``, or
        ``image.max()`` if ``superlevel``.  It must be finite and
        representable in ``image.dtype``.
    superlevel : bool, optional
        Use the image maximum as the default ``value`` (for bright objects
        and the superlevel filtration).

    Returns
    -------
    modified : ndarray
        A copy of ``image`` (same shape and dtype) with the border set.

    Raises
    ------
    TypeError
        If ``image`` is not real-valued or ``width`` is not an int.
    ValueError
        If ``image`` is empty, not 1D/2D/3D, contains NaN or infinity,
        ``width`` is negative, or ``value`` is NaN, infinite or not
        representable in ``image.dtype``.

    References
    ----------
    .. [1] R. Vandaele, G. A. Nervo, O. Gevaert, "Topological image
       modification for object detection and topological image processing
       of skin lesions", Scientific Reports 10:21061, 2020.
       doi:10.1038/s41598-020-77933-y

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import modify_border
    >>> modify_border(np.arange(16).reshape(4, 4), 1)
    array([[ 0,  0,  0,  0],
           [ 0,  5,  6,  0],
           [ 0,  9, 10,  0],
           [ 0,  0,  0,  0]])
    """
    image = check_image(image)
    width = check_int(width, "width", 0)
    superlevel = check_bool(superlevel, "superlevel")
    if value is not None:
        _check_value(value)
    out = np.array(image, copy=True)
    if width == 0:
        return out
    if value is None:
        fill = image.max() if superlevel else image.min()
    else:
        fill = _representable(value, image.dtype)
    set_border(out, width, fill)
    return out


def _check_value(value):
    """The border value must be one finite real number (not a bool, NaN or inf)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        raise TypeError(f"value must be a real number, got {value!r}")
    try:
        finite = bool(np.isfinite(value))
    except TypeError:
        raise TypeError(f"value must be a real number, got {value!r}") from None
    if not finite:
        raise ValueError(f"value must be finite (persistence needs finite values), got {value!r}")


def _representable(value, dtype):
    try:
        cast = np.asarray(value).astype(dtype)
        same = cast.shape == () and bool(cast == np.asarray(value))
    except (TypeError, ValueError, OverflowError):
        same = False
    if not same:
        raise ValueError(f"value must be a scalar representable in the image dtype {dtype}, "
                         f"got {value!r}")
    return cast
