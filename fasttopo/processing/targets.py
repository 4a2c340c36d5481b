"""Training targets: masks at the birth and death pixels of the longest-lived points.

The targets of the neural approximation of 0-dimensional diagrams (Slater
and Weighill, AAAI 2023).
"""

import numpy as np

from .. import _engine
from .._diagram import PersistenceDiagram
from .._persistence import persistence, persistence_batch
from .._validation import (check_bool, check_dim, check_image, check_images_type, check_int,
                           check_n_jobs, check_options, check_stack)

__all__ = ["persistence_targets", "persistence_targets_batch"]


def persistence_targets(image, *, k=10, dim=0, connectivity=None, superlevel=False):
    """Training targets: one mask per long-lived point, with 1 at its birth and death pixel.

    The targets of the neural approximation of 0-dimensional persistence
    diagrams [1]_: a segmentation network learns, for each of the ``k``
    longest-lived points, a mask that is 1 at the point's birth pixel and
    at its death pixel.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        Any real dtype or bool.
    k : int, optional
        Number of points (masks), default 10.
    dim : int, optional
        Homology dimension of the points, default 0.
    connectivity : int, optional
        1 to ``image.ndim`` as in :func:`skimage.measure.label`; default
        ``image.ndim`` (T-construction), as in :func:`fasttopo.persistence`.
        The PD0 approximator is trained with 1 (V-construction).
    superlevel : bool, optional
        Use the superlevel filtration.

    Returns
    -------
    masks : ndarray of uint8, shape ``(k, *image.shape)``
        ``masks[i]`` is 1 at the birth pixel of the i-th longest-lived
        point and at its death pixel (at the birth pixel only for an
        essential class), 0 elsewhere.  Masks beyond the number of points
        are all zero.
    points : PersistenceDiagram
        The points, in the order of the masks: essential classes first,
        then by decreasing lifetime (ties keep the diagram's order, see
        :meth:`PersistenceDiagram.top_k`).  Lifetimes are compared
        exactly, also for int64/uint64 images beyond 2**53.

    Raises
    ------
    TypeError, ValueError
        As :func:`fasttopo.persistence`; also if ``k`` is not an int >= 1
        or ``dim`` is not between 0 and ``image.ndim - 1``.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", Proceedings of the AAAI Conference
       on Artificial Intelligence 37, 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_targets
    >>> image = np.array([[0, 5, 1],
    ...                   [5, 5, 5],
    ...                   [2, 5, 3]])
    >>> masks, points = persistence_targets(image, k=2)
    >>> points.to_pairs()
    array([[ 0., inf],
           [ 1.,  5.]])
    >>> masks[1]
    array([[0, 1, 1],
           [0, 0, 0],
           [0, 0, 0]], dtype=uint8)
    """
    k = check_int(k, "k", 1)
    image = check_image(image, finite=False)
    dim = check_dim(dim, image.ndim)
    diagram = persistence(image, max_dim=dim, connectivity=connectivity,
                          superlevel=superlevel)
    return targets(diagram, k, dim)


def persistence_targets_batch(images, *, k=10, dim=0, connectivity=None, superlevel=False,
                              n_jobs=None):
    """:func:`persistence_targets` of a stack of images, computed in parallel.

    Parameters
    ----------
    images : (B, ...) array_like
        A stack of equally-shaped 1D, 2D or 3D images, e.g. ``(B, H, W)``
        patches.
    k : int, optional
        Number of points (masks) per image, default 10.
    dim : int, optional
        Homology dimension of the points, default 0.
    connectivity : int, optional
        As in :func:`persistence_targets` (default ``images.ndim - 1``).
    superlevel : bool, optional
        Use the superlevel filtration.
    n_jobs : int, optional
        Threads (default: all cores); results do not depend on it.

    Returns
    -------
    masks : ndarray of uint8, shape ``(B, k, *images.shape[1:])``
        ``masks[b]`` is ``persistence_targets(images[b], ...)[0]``.
    points : list of PersistenceDiagram
        One per image, as in :func:`persistence_targets`.

    Raises
    ------
    TypeError, ValueError
        As :func:`fasttopo.persistence_batch`, or if ``k`` is invalid.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", Proceedings of the AAAI Conference
       on Artificial Intelligence 37, 2023 (batches of 128 patches of
       32 x 32 pixels).

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_targets_batch
    >>> patches = np.random.default_rng(0).random((128, 32, 32))
    >>> masks, points = persistence_targets_batch(patches, k=10)
    >>> masks.shape, masks.dtype, len(points)
    ((128, 10, 32, 32), dtype('uint8'), 128)
    >>> bool((masks.reshape(128, 10, -1).sum(axis=2) == 2)[:, 1:].all())
    True
    """
    k = check_int(k, "k", 1)
    superlevel = check_bool(superlevel, "superlevel")
    check_images_type(images)
    stack = np.asarray(images) if not isinstance(images, np.ndarray) else images
    if stack.ndim < 2:
        raise ValueError(f"images must be a (B, ...) stack of images, got ndim={stack.ndim} "
                         f"with shape {stack.shape}")
    dim = check_dim(dim, stack.ndim - 1)
    exact = stack.dtype.kind in "iu" and stack.dtype.itemsize == 8  # lifetimes beyond 2**53
    if stack.shape[0] and not exact:
        return stack_targets(stack, k, dim, connectivity, superlevel, n_jobs)
    diagrams = persistence_batch(stack, max_dim=dim, connectivity=connectivity,
                                 superlevel=superlevel, n_jobs=n_jobs)
    masks = np.zeros((len(diagrams), k) + tuple(stack.shape[1:]), dtype=np.uint8)
    points = []
    for i, diagram in enumerate(diagrams):
        masks[i], top = targets(diagram, k, dim)
        points.append(top)
    return masks, points


def targets(diagram, k, dim):
    """(k, n) uint8 masks with 1 at the birth and death pixel of the k longest-lived points."""
    top = diagram.top_k(k, dim=dim)
    n = int(np.prod(diagram.shape))
    masks = np.zeros((k, n), dtype=np.uint8)
    rows = np.arange(len(top))
    masks[rows, top.birth_index] = 1
    finite = top.death_index >= 0
    masks[rows[finite], top.death_index[finite]] = 1
    return masks.reshape((k,) + tuple(diagram.shape)), top



def stack_targets(stack, k, dim, connectivity, superlevel, n_jobs):
    """Targets of a (B, ...) stack from the engine's pairs of the whole stack (vectorised)."""
    n_threads = check_n_jobs(n_jobs)
    stack = check_stack(stack)
    ndim = stack.ndim - 1
    max_dim, connectivity, superlevel = check_options(ndim, dim, connectivity, superlevel)
    found = _engine.compute(stack, _engine.Options(max_dim, connectivity, superlevel, n_threads),
                            as_pairs=True)
    count = stack.shape[0]
    npix = stack[0].size
    keep = found.dim == max_dim
    owner, births, deaths = found.item[keep], found.birth_index[keep], found.death_index[keep]
    birth, death = found.birth[keep], found.death[keep]
    essential = deaths < 0
    with np.errstate(invalid="ignore"):
        lifetime = np.abs(death - birth)
    # per image: decreasing lifetime, ties in diagram order (as PersistenceDiagram.top_k)
    order = np.argsort(-lifetime, kind="stable")
    group = owner[order].astype(np.int16 if count < 2**15 else np.int64)
    order = order[np.argsort(group, kind="stable")]  # radix sort on small ints
    owner = owner[order]
    starts = np.searchsorted(owner, np.arange(count + 1))
    rank = np.arange(owner.size) - starts[owner]
    chosen = order[rank < k]
    owner, rank = owner[rank < k], rank[rank < k]
    masks = np.zeros((count, k, npix), dtype=np.uint8)
    masks[owner, rank, births[chosen]] = 1
    finite = ~essential[chosen]
    masks[owner[finite], rank[finite], deaths[chosen][finite]] = 1
    arrays = [np.full(chosen.size, max_dim, dtype=np.int8), birth[chosen], death[chosen],
              births[chosen], deaths[chosen]]
    for a in arrays:
        a.setflags(write=False)
    ends = np.searchsorted(owner, np.arange(count + 1))
    shape = tuple(stack.shape[1:])
    points = PersistenceDiagram._split_owned(arrays, ends.tolist(), shape, connectivity,
                                             superlevel)
    return masks.reshape((count, k) + shape), points
