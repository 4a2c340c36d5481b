"""Persistence diagrams of images: validation, dtype handling and dispatch."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._diagram import PersistenceDiagram
from ._sorting import fill_keys, fix_ties, image_bits, packing
from ._stencil import dual_connectivity, geometry, stencil
from ._union_find import batch_pairs, image_pairs, scan_rows, sweep, unpad
from ._validation import check_connectivity, check_image, check_max_dim

__all__ = ["persistence", "persistence_batch"]

_INT32_LIMIT = 2**31 - 16
# below this many pixels one serial Numba call beats threads and NumPy's sort
_SMALL = 1 << 16
_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1),
                                   thread_name_prefix="fasttopo")
    return _POOL


def _as_3d(array):
    return array.reshape((1,) * (3 - array.ndim) + array.shape)


def _check_options(ndim, max_dim, connectivity):
    connectivity = check_connectivity(connectivity, ndim)
    max_dim = check_max_dim(max_dim, ndim)
    if ndim == 3 and max_dim >= 1 and connectivity == 2:
        raise ValueError("connectivity=2 on a 3D image (18-neighbour components) defines "
                         "dimension 0 only; use connectivity=1 (V-construction) or 3 "
                         "(T-construction) for max_dim >= 1, or max_dim=0")
    return max_dim, connectivity


def _index_dtype(shape):
    padded = int(np.prod(np.asarray(shape, dtype=np.int64) + 2))
    return np.int32 if padded < _INT32_LIMIT else np.int64


def _middle_pairs(image, connectivity, superlevel):
    raise NotImplementedError(
        "dimension 1 of 3D images needs the cubical reduction (Persistence engine II); "
        "pass max_dim=0 for now")


def _threaded_pairs(bits3, kind, signbit, allones, superlevel, ndim, connectivity, top,
                    n_threads):
    """Union-find pairs of one large image; returns (dims, births, deaths) as flat C indices.

    With the top dimension and two threads or more, each direction (scan,
    sort, sweep) runs in its own thread; dimension 0 alone splits its scan
    into row blocks.  The result does not depend on ``n_threads``.
    """
    shape3 = np.array(bits3.shape, dtype=np.int64)
    padded, pad = geometry(shape3, ndim)
    npad = int(np.prod(padded))
    n = bits3.size
    width = int(shape3[2])
    rows = int(shape3[0] * shape3[1])
    idx = _index_dtype(bits3.shape)
    keys = np.empty(npad + 1, dtype=bits3.dtype)  # + a slot for the exterior cell
    kmin, kmax, varying, first, _ = fill_keys(bits3, kind, signbit, allones, superlevel,
                                              keys, padded, pad)
    kmin, kmax, varying = np.uint64(kmin), np.uint64(kmax), np.uint64(varying)
    shift, index_bits, exact = packing(kmin, kmax, varying, npad + 1)

    def direction(reverse, blocks):
        conn = dual_connectivity(ndim, connectivity) if reverse else connectivity
        st = stencil(ndim, conn, padded)
        parent = np.empty(npad + 1, dtype=idx)
        parent[npad] = npad
        cand = np.empty(n, dtype=np.uint64)
        edges = [rows * i // blocks for i in range(blocks + 1)]

        def scan_block(i):
            r0, r1 = edges[i], edges[i + 1]
            out = cand[r0 * width:]
            res = scan_rows(keys, padded, pad, shape3, ndim, r0, r1, npad, kmin, kmax, shift,
                            index_bits, not reverse, parent, st, out, reverse, parent, st, out)
            return res[2:] if reverse else res[:2]

        if blocks == 1:
            results = [scan_block(0)]
        else:
            results = list(_pool().map(scan_block, range(blocks)))
        m = 0
        for i, (count, _) in enumerate(results):
            start = edges[i] * width
            if start != m:
                cand[m:m + count] = cand[start:start + count]
            m += count
        roots = sum(res[1] for res in results)
        view = cand[:m]
        view.sort()
        if not exact:
            fix_ties(view, m, keys, index_bits, reverse)
        out_b = np.empty(roots + 2, dtype=idx)
        out_d = np.empty(roots + 2, dtype=idx)
        count = sweep(keys, parent, view, m, index_bits, reverse, st, npad, out_b, out_d, 0)
        if count < 0:  # pragma: no cover - bounded by the number of roots
            raise RuntimeError("internal error: pair buffer overflow in the union-find sweep")
        out_b, out_d = out_b[:count], out_d[:count]
        if reverse:  # found by decreasing birth; report increasing
            out_b, out_d = out_b[::-1].copy(), out_d[::-1].copy()
        unpad(out_b, padded, pad, shape3)
        unpad(out_d, padded, pad, shape3)
        return out_b, out_d

    if top and n_threads > 1:
        future = _pool().submit(direction, True, 1)
        b0, d0 = direction(False, 1)
        b1, d1 = future.result()
    else:
        b0, d0 = direction(False, min(n_threads, rows))
        if top:
            b1, d1 = direction(True, 1)
        else:
            b1 = d1 = np.empty(0, dtype=idx)
    essential = np.array([first], dtype=idx)
    unpad(essential, padded, pad, shape3)
    births = np.concatenate([b0, essential, b1])
    deaths = np.concatenate([d0, np.array([-1], dtype=idx), d1])
    dims = np.zeros(births.size, dtype=np.int8)
    dims[b0.size + 1:] = ndim - 1
    return dims, births, deaths


def _serial_pairs(bits3, kind, signbit, allones, superlevel, ndim, connectivity, top):
    cap = bits3.size + 1
    idx = _index_dtype(bits3.shape)
    out_dim = np.empty(cap, dtype=np.int8)
    out_b = np.empty(cap, dtype=idx)
    out_d = np.empty(cap, dtype=idx)
    count = image_pairs(bits3, kind, signbit, allones, superlevel, ndim, connectivity, top,
                        out_dim, out_b, out_d)
    if count < 0:  # pragma: no cover - bounded by the pixel count
        raise RuntimeError("internal error: pair buffer overflow in the union-find kernel")
    return out_dim[:count], out_b[:count], out_d[:count]


def _assemble(values, dims, births, deaths, shape, connectivity, superlevel):
    """Gather values at the pixels and build the diagram (engine-owned arrays)."""
    flat = values.reshape(-1)
    birth_index = births.astype(np.int64)
    death_index = deaths.astype(np.int64)
    birth = flat[birth_index].astype(np.float64)
    essential = death_index < 0
    death = flat[np.where(essential, 0, death_index)].astype(np.float64)
    death[essential] = -np.inf if superlevel else np.inf
    return PersistenceDiagram._from_owned(dims.astype(np.int8, copy=True), birth, death,
                                          birth_index, death_index, tuple(shape),
                                          connectivity, superlevel)


def _diagram(image, max_dim, connectivity, superlevel, n_threads):
    """Diagram of a validated image with validated options."""
    ndim = image.ndim
    if ndim == 3 and max_dim >= 1:
        _middle_pairs(image, connectivity, superlevel)
    bits, kind, signbit, allones = image_bits(image)
    bits3 = _as_3d(bits)
    top = ndim >= 2 and max_dim == ndim - 1
    if image.size < _SMALL or n_threads < 1:
        dims, births, deaths = _serial_pairs(bits3, kind, signbit, allones, superlevel, ndim,
                                             connectivity, top)
    else:
        dims, births, deaths = _threaded_pairs(bits3, kind, signbit, allones, superlevel, ndim,
                                               connectivity, top, n_threads)
    return _assemble(image, dims, births, deaths, image.shape, connectivity, superlevel)


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
        exact values (int64 beyond 2**53 is not rounded).
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
        dies at ``-inf``).

    Returns
    -------
    diagram : PersistenceDiagram
        Pairs grouped by increasing dimension.  Dimension 0 lists the
        finite pairs in filtration order of their death pixel, then the
        essential class (born at the first pixel of the filtration).  The
        top dimension lists pairs in filtration order of their birth pixel.
        Pairs of zero lifetime are not reported.

    Raises
    ------
    TypeError
        If ``image`` has a complex, object, string or other non-real
        dtype, or ``max_dim``/``connectivity`` are not ints.
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
    >>> image = np.array([[1, 1, 1, 1],
    ...                   [1, 0, 3, 1],
    ...                   [1, 1, 1, 1]])
    >>> dgm = persistence(image)
    >>> dgm.to_array()
    array([[ 0.,  0.,  1.],
           [ 0.,  0., inf],
           [ 1.,  1.,  3.]])
    >>> dgm.birth_coordinates()[2], dgm.death_coordinates()[2]
    (array([0, 0]), array([1, 2]))
    """
    image = check_image(image)
    max_dim, connectivity = _check_options(image.ndim, max_dim, connectivity)
    return _diagram(image, max_dim, connectivity, bool(superlevel), os.cpu_count() or 1)


def persistence_batch(images, *, max_dim=None, connectivity=None, superlevel=False,
                      n_jobs=None, progress=False):
    """Persistence diagrams of many images, computed in parallel.

    Parameters
    ----------
    images : (B, ...) array_like or sequence of array_like
        A stack of equally-shaped images (the first axis indexes images),
        or a list of images whose shapes may differ.
    max_dim, connectivity, superlevel
        As in :func:`persistence`, applied to every image.
    n_jobs : int, optional
        Number of threads (default: all cores).  Results do not depend on
        it.
    progress : bool, optional
        Show a tqdm progress bar (for long batches of large images).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One per image, identical to ``persistence(image, ...)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`persistence`; the message names the offending image
        (``images[i]``).

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_batch
    >>> patches = np.random.default_rng(0).random((128, 32, 32))
    >>> diagrams = persistence_batch(patches, max_dim=0)
    >>> len(diagrams), diagrams[0].shape
    (128, (32, 32))
    """
    raise NotImplementedError
