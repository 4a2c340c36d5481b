"""Representative cycles: the pixels that carry each persistence pair's class."""

import numpy as np

from . import _engine
from ._diagram import PersistenceDiagram
from ._validation import check_image

__all__ = ["representative_cycles"]


def _check_diagram(diagram):
    if not isinstance(diagram, PersistenceDiagram):
        raise TypeError(f"diagram must be a PersistenceDiagram (computed from the image by "
                        f"fasttopo.persistence), got {type(diagram).__name__}")
    return diagram


def _check_rows(image, diagram):
    """The rows' indices and values against the image (ValueError naming the first bad row)."""
    n, ndim = image.size, image.ndim
    dim, bi, di = diagram.dim.astype(np.int64), diagram.birth_index, diagram.death_index
    essential = di < 0
    bad = (dim < 0) | (dim >= ndim) | (bi < 0) | (bi >= n) | (di >= n) | (di < -1)
    bad |= essential & (dim != 0)
    if ndim == 3 and diagram.connectivity == 2:
        bad |= dim == 1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"diagram row {i} (dim {dim[i]}, birth_index {bi[i]}, death_index "
                         f"{di[i]}) cannot be a pair of a {ndim}D image of {n} pixels with "
                         f"connectivity={diagram.connectivity}")
    flat = image.reshape(-1)
    with np.errstate(invalid="ignore"):
        birth = flat[bi].astype(np.float64)
        death = np.where(essential, diagram.death, flat[np.where(essential, 0, di)]
                         .astype(np.float64))
    wrong = (birth != diagram.birth) | (death != diagram.death)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise ValueError(f"diagram row {i} has birth {diagram.birth[i]!r} and death "
                         f"{diagram.death[i]!r} but the image holds {birth[i]!r} and "
                         f"{death[i]!r} at its birth and death pixels: the diagram was not "
                         f"computed from this image")


def representative_cycles(image, diagram):
    """The pixels of a representative cycle of each pair of a diagram.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        The image the diagram was computed from (any real dtype or bool,
        finite values).
    diagram : PersistenceDiagram
        Its diagram, ``persistence(image, ...)``, or any subset of its rows
        (``dgm.select(1).top_k(5)``, ``dgm[mask]``).  The connectivity and
        the filtration (sublevel or superlevel) are read from it.

    Returns
    -------
    cycles : list of (k, ndim) ndarray of int64
        One array of pixel coordinates (C order: row, column) per row of
        ``diagram``, in the rows' order.  Dimension 0 and the top dimension:
        a set of pixels in increasing flat index; dimension 1 of volumes: a
        closed walk of voxels (see Notes).

    Raises
    ------
    TypeError
        If ``diagram`` is not a PersistenceDiagram, or ``image`` has a
        non-real dtype.
    ValueError
        If ``image`` is empty, has NaN or infinite values, or its shape
        differs from ``diagram.shape``; if a row's birth or death value is
        not the image's value at its pixel, or the row is not a pair of the
        image with the diagram's options (the message names the row and
        says what does not hold).

    Notes
    -----
    The filtration order is the one of :func:`fasttopo.persistence`:
    pixels by value (decreasing for ``superlevel=True``), ties by flat
    index.  For a pair with birth pixel b and death pixel d:

    * **dimension 0**: the pixels connected to b (at the diagram's
      connectivity) through pixels that come before d: the dying component
      just before its death.  Essential class: its component at the end,
      every pixel of the image.
    * **top dimension** (loops of a 2D image, voids of a volume): the hole
      at birth is the set of pixels after b connected to d under the dual
      connectivity (``ndim`` for the V-construction, 1 for the
      T-construction: a 4-connected loop encloses 8-connected pixels, an
      8-connected loop 4-connected ones; 6 / 26 in 3D); the cycle is the
      pixels at or before b (the sublevel set at birth) that are
      neighbours of the hole under that dual connectivity, which include b.
      They cut d off from the image border under the dual connectivity:
      any dual path out of the hole steps onto one of them.  For the
      T-construction they form an 8-connected (26-connected) loop
      (surface), for the V-construction a 4-connected (6-connected) one.
      Pixels of the sublevel set lying inside the hole (islands) are part
      of the hole's boundary and are returned with it.  This is the
      boundary of the hole, the component of the complement that the
      engine's dual union-find merges at b (Alexander duality [1]_).
    * **dimension 1 of volumes**: a closed walk of voxels at or before b
      that starts at b.  V-construction (``connectivity=1``): consecutive
      voxels, and the last and the first, are 6-adjacent, and the walk is
      a 1-cycle of the voxel grid (its edges join consecutive voxels).
      T-construction (``connectivity=3``): consecutive voxels are
      26-adjacent; the cycle is a closed path of cube edges, each on the
      cube of the voxel listed for it.  The walk comes from the cubical
      reduction that ``persistence`` runs: a loop through the pair's birth
      edge, closed by a shortest path through older voxels.  When b gives
      birth to several loops at once, the walk is the sum of the loops
      through b's positive edges that dies exactly at d (found from the
      reduced cochains (V) or from the reduced homology column (T), see
      ``fasttopo/_engine/loops.py``), traversed one after the other, so b
      repeats; a voxel may also repeat on a T walk.  Every cycle
      represents its pair: born at b, it becomes a boundary plus a sum of
      cycles born before b exactly when d enters [2]_ [3]_.

    The cost of the cycles of k pairs is one pass over the image (the
    order keys) plus a search that visits the pixels of the cycles (for
    the top dimension, of the holes) and their neighbours; rows of
    dimension 1 of a volume add one run of the cubical reduction.

    References
    ----------
    .. [1] B. Garin, J. Maurer, U. Rahbek, Y. Roy, "Duality in persistent
       homology of images", 2020. arXiv:2005.04597
    .. [2] H. Edelsbrunner, J. Harer, "Computational Topology: An
       Introduction", AMS, 2010. doi:10.1090/mbk/069
    .. [3] V. de Silva, D. Morozov, M. Vejdemo-Johansson, "Dualities in
       persistent (co)homology", Inverse Problems 27(12), 2011.
       doi:10.1088/0266-5611/27/12/124003

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence, representative_cycles
    >>> image = np.array([[5, 5, 5, 5, 5],
    ...                   [5, 1, 1, 1, 5],
    ...                   [5, 1, 9, 2, 5],
    ...                   [5, 1, 1, 1, 5],
    ...                   [0, 5, 5, 5, 5]])
    >>> dgm = persistence(image, connectivity=1)       # V-construction
    >>> loop = dgm.select(1)
    >>> loop.to_array()
    array([[1., 2., 9.]])
    >>> representative_cycles(image, loop)[0].tolist()  # 4-connected: the ring, corners too
    [[1, 1], [1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2], [3, 3]]
    >>> representative_cycles(image, persistence(image).select(1))[0].tolist()  # T: 8-connected
    [[1, 2], [2, 1], [2, 3], [3, 2]]
    >>> zero = dgm.select(0)    # the ring's component dies at the 5 that joins it to the 0
    >>> zero.death_coordinates()[0], [len(c) for c in representative_cycles(image, zero)]
    (array([3, 0]), [17, 25])
    """
    diagram = _check_diagram(diagram)
    image = check_image(image)
    if image.shape != diagram.shape:
        raise ValueError(f"image has shape {image.shape} but the diagram was computed from an "
                         f"image of shape {diagram.shape}")
    _check_rows(image, diagram)
    found, problems = _engine.representatives(image, diagram.dim, diagram.birth_index,
                                              diagram.death_index, diagram.connectivity,
                                              diagram.superlevel)
    if problems:
        i, reason = problems[0]
        kind = "superlevel" if diagram.superlevel else "sublevel"
        raise ValueError(f"diagram row {i} (dim {diagram.dim[i]}, birth pixel "
                         f"{_pixel(diagram.birth_index[i], image.shape)}, death pixel "
                         f"{_pixel(diagram.death_index[i], image.shape)}) is not a pair of "
                         f"this image with connectivity={diagram.connectivity} and the {kind} "
                         f"filtration: {reason}")
    return found


def _pixel(index, shape):
    return tuple(int(c) for c in np.unravel_index(int(index), shape)) if index >= 0 else None
