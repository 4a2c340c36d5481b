"""Persistence of image collections, distance matrices and code search on a Dask cluster.

The functions of this module build Dask collections (lazy task graphs) that
run the local functions of :mod:`fasttopo` chunk by chunk: one task per chunk
of images calls :func:`fasttopo.persistence_batch`, one task per tile of a
distance matrix calls the same code as :func:`fasttopo.pairwise_distances`,
one task per chunk of codes calls :func:`fasttopo.hamming_knn`.  The results
are identical to those of the local functions, whatever the number of
workers and the chunk sizes.

They run on the default scheduler (threads of this process) when no
:class:`distributed.Client` is active, else on the active client's cluster;
the compiled kernels are then warmed once per worker process by a worker
plugin (:func:`warm_up`).  ``import fasttopo`` does not import Dask (install
with ``pip install fasttopo[dask]``).
"""

import math
import numbers
import os

import dask
import dask.array as da
import dask.bag as db
import numpy as np
from dask.delayed import delayed

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - dask[distributed] is in the extra
    WorkerPlugin = object

from ._diagram import PersistenceDiagram
from ._persistence import _check_options, persistence_batch
from ._points import check_dim as _check_dim
from ._points import points as _points
from ._validation import check_int
from .cli import load_image
from .distances import _METRICS, _check_order, _pairwise_rows
from .hashing import _distance_dtype
from .hashing import hamming_knn as _hamming_knn
from .processing import persistence_targets_batch

__all__ = ["persistence", "persistence_targets", "pairwise_distances", "hamming_knn",
           "warm_up"]

#: warm-up images are at most this many pixels (above the engine's small-image
#: threshold, so that its large-image path is compiled too)
_WARM_PIXELS = 1 << 17
_REGISTERED = set()


# --------------------------------------------------------------------------- warm-up
def _client():
    """The active distributed client, or None (default scheduler)."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - dask[distributed] is in the extra
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _warm_shape(shape):
    """``shape`` reduced (same ndim, same aspect) to at most ``_WARM_PIXELS`` pixels."""
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    if size <= _WARM_PIXELS:
        return shape
    scale = (_WARM_PIXELS / size) ** (1.0 / len(shape))
    return tuple(max(2, int(s * scale)) for s in shape)


def _warm(dtype, shape, options):
    """Run the kernels once on a small random stack of this dtype, shape and options."""
    rng = np.random.default_rng(0)
    stack = rng.integers(0, 100, size=(2,) + _warm_shape(shape)).astype(dtype)
    persistence_batch(stack, **options)


class _WarmUp(WorkerPlugin):
    """Worker plugin: compile (or load from Numba's cache) the kernels of one signature."""

    idempotent = True  # a worker that has it already does not run it again

    def __init__(self, dtype, shape, options):
        self.dtype, self.shape, self.options = np.dtype(dtype).str, tuple(shape), dict(options)
        key = (self.dtype, _warm_shape(self.shape), sorted(self.options.items()))
        self.name = "fasttopo-warm-up-" + dask.base.tokenize(key)

    def setup(self, worker=None):
        _warm(self.dtype, self.shape, self.options)


def warm_up(dtype=np.float64, shape=(64, 64), *, client=None, max_dim=None, connectivity=None,
            superlevel=False):
    """Compile the kernels for one kind of image once on every worker of a cluster.

    Registers a :class:`distributed.WorkerPlugin` that runs
    :func:`fasttopo.persistence_batch` on a small random stack of the given
    dtype and shape on every worker, now and on every worker that joins
    later (or restarts).  Numba compiles a kernel (or loads it from its
    on-disk cache) on its first call in each process: this moves that cost
    out of the first task of each worker.  :func:`persistence` of a Dask
    array does it itself for the array's dtype and shape.

    Parameters
    ----------
    dtype : dtype, optional
        Dtype of the images (default float64).
    shape : tuple of int, optional
        Shape of one image (default (64, 64)); large shapes are reduced to
        about ``2**17`` pixels, keeping the number of dimensions.
    client : distributed.Client, optional
        Default: the active client.  Without one (default scheduler), the
        kernels are warmed in this process.
    max_dim, connectivity, superlevel
        As in :func:`fasttopo.persistence`.

    Returns
    -------
    name : str
        The name of the registered plugin (None without a client).

    Raises
    ------
    TypeError, ValueError
        If the dtype or the options are invalid.

    Examples
    --------
    >>> import numpy as np
    >>> import fasttopo.dask
    >>> fasttopo.dask.warm_up(np.uint8, (32, 32)) is None   # no client: this process
    True
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "biuf":
        raise TypeError(f"dtype must be a real or bool dtype, got {dtype}")
    shape = tuple(check_int(s, "shape", 1) for s in shape)
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must be the shape of a 1D, 2D or 3D image, got {shape}")
    max_dim, connectivity = _check_options(len(shape), max_dim, connectivity)
    options = {"max_dim": max_dim, "connectivity": connectivity,
               "superlevel": bool(superlevel)}
    client = client if client is not None else _client()
    if client is None:
        _warm(dtype, shape, options)
        return None
    plugin = _WarmUp(dtype, shape, options)
    key = (client.id, client.scheduler.address, plugin.name)
    if key not in _REGISTERED:
        client.register_plugin(plugin, name=plugin.name)
        _REGISTERED.add(key)
    return plugin.name


# --------------------------------------------------------------------------- persistence
_FIELDS = ("dim", "birth", "death", "birth_index", "death_index")


class _Diagrams(list):
    """The diagrams of one partition; pickled as five concatenated arrays.

    Moving a partition between processes then costs a few array copies
    instead of five small arrays and a validating constructor per diagram
    (diagrams of one Dask-array chunk share shape and options).
    """

    __slots__ = ()

    def __reduce__(self):
        if self and all(type(d) is PersistenceDiagram for d in self):
            first = self[0]
            key = (first.shape, first.connectivity, first.superlevel)
            if all((d.shape, d.connectivity, d.superlevel) == key for d in self):
                ends = np.cumsum([0] + [len(d) for d in self]).tolist()
                arrays = tuple(np.concatenate([getattr(d, name) for d in self])
                               for name in _FIELDS)
                return (_unpack, (arrays, ends) + key)
        return (_Diagrams, (list(self),))


class _DiagramBag(db.Bag):
    """A Bag of diagrams whose computed list also travels as five arrays.

    Dask concatenates the partitions on a worker (a final task) and sends
    the list to the client: as a ``_Diagrams`` it is sent in one piece.
    """

    def __dask_postcompute__(self):
        return _finalize, ()


def _finalize(results):
    return _Diagrams(db.core.finalize(results))


def _diagram_bag(bag):
    return _DiagramBag(bag.dask, bag.name, bag.npartitions)


def _unpack(arrays, ends, shape, connectivity, superlevel):
    for array in arrays:
        array.setflags(write=False)
    return _Diagrams(PersistenceDiagram._split_owned(arrays, ends, shape, connectivity,
                                                     superlevel))


def _located(exc, where):
    """The same exception type, its message prefixed with where it happened."""
    return type(exc)(f"{where}: {exc}")


def _stack_or_list(items):
    """A (B, ...) stack when the images share shape and dtype (one batched call), else a list."""
    if items and all(isinstance(a, np.ndarray) for a in items):
        first = items[0]
        if all(a.shape == first.shape and a.dtype == first.dtype for a in items) \
                and 1 <= first.ndim <= 3:
            return np.stack(items)
    return items


def _block_diagrams(block, start, options):
    """Diagrams of one chunk ``images[start:start + len(block)]`` of a Dask array."""
    try:
        return _Diagrams(persistence_batch(np.asarray(block), **options))
    except (TypeError, ValueError) as exc:
        raise _located(exc, f"images[{start}:{start + len(block)}]") from None


def _partition_diagrams(partition, index, options):
    """Diagrams of one partition of a Dask bag of images."""
    items = list(partition)
    try:
        return _Diagrams(persistence_batch(_stack_or_list(items), **options) if items else [])
    except (TypeError, ValueError) as exc:
        raise _located(exc, f"partition {index} of the bag") from None


def _file_diagrams(paths, options):
    """Read image files (as the ``fasttopo`` command does) and compute their diagrams."""
    images = [load_image(path) for path in paths]
    try:
        return _Diagrams(persistence_batch(_stack_or_list(images), **options) if images else [])
    except (TypeError, ValueError) as exc:
        raise _located(exc, f"files {paths[0]} ... {paths[-1]}") from None


def _check_dask_stack(images, name):
    if images.ndim < 2 or images.ndim > 4:
        raise ValueError(f"{name} must be a (B, ...) Dask array of 1D, 2D or 3D images (ndim "
                         f"2 to 4), got ndim={images.ndim} with shape {images.shape}")
    if images.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a real or bool dtype, got dtype {images.dtype}")
    if any(math.isnan(c) for c in images.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes along the first axis; call "
                         f"{name}.compute_chunk_sizes() first")
    # one chunk along every image axis: each task sees whole images
    return images.rechunk({axis: -1 for axis in range(1, images.ndim)})


def _is_paths(images):
    return (isinstance(images, (list, tuple)) and len(images) > 0
            and all(isinstance(p, (str, os.PathLike)) for p in images))


def persistence(images, *, max_dim=None, connectivity=None, superlevel=False, n_jobs=1,
                partition_size=None):
    """Persistence diagrams of a collection of images, chunk by chunk on a Dask cluster.

    Parameters
    ----------
    images : dask.array.Array, dask.bag.Bag or list of str
        One of:

        * a ``(B, ...)`` Dask array of 1D, 2D or 3D images (``da.from_zarr``,
          ``da.from_npy_stack``, ``da.from_array`` of a memory map, ...).
          Each chunk along the first axis is one task; chunks along the
          other axes are merged first (a task needs whole images);
        * a Dask bag of arrays (of any shapes; one task per partition);
        * a list of image file paths, read on the workers by the reader of
          the ``fasttopo`` command (:func:`fasttopo.cli.load_image`: PNG,
          TIFF, JPEG, ``.npy``, ``.npz``).  The files must be readable by
          the workers at these paths.
    max_dim, connectivity, superlevel
        As in :func:`fasttopo.persistence`, for every image.
    n_jobs : int, optional
        Threads of each task (default 1: Dask runs one task per worker
        thread).  Results do not depend on it.
    partition_size : int, optional
        Files per task for a list of paths (default: Dask's choice, at most
        100 tasks).  Ignored for arrays and bags.

    Returns
    -------
    diagrams : dask.bag.Bag of PersistenceDiagram
        One diagram per image, in input order, each identical to
        ``fasttopo.persistence(image, ...)``.  The partitions are the
        chunks of the Dask array (or the bag's partitions, or the groups of
        files).  Call ``.compute()`` for a list, or ``.persist()`` to keep
        them in the cluster's memory for later steps.

    Raises
    ------
    TypeError
        If ``images`` is none of the above, or has a non-real dtype.
    ValueError
        If a Dask array is not a stack of 1D to 3D images or the options are
        invalid.  Errors in the images themselves (NaN, inconsistent
        dimensions, unreadable files) are raised when the bag is computed,
        with the chunk, partition or files named.

    See Also
    --------
    fasttopo.persistence_batch : the function each task calls.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import fasttopo.dask
    >>> stack = da.from_array(np.random.default_rng(0).random((6, 16, 16)), chunks=(2, 16, 16))
    >>> bag = fasttopo.dask.persistence(stack, max_dim=0)
    >>> bag.npartitions
    3
    >>> diagrams = bag.compute()       # default scheduler, or the active Client's cluster
    >>> diagrams == fasttopo.persistence_batch(stack.compute(), max_dim=0)
    True
    """
    n_jobs = check_int(n_jobs, "n_jobs", 1)
    if isinstance(images, da.Array):
        images = _check_dask_stack(images, "images")
        max_dim, connectivity = _check_options(images.ndim - 1, max_dim, connectivity)
        options = {"max_dim": max_dim, "connectivity": connectivity,
                   "superlevel": bool(superlevel), "n_jobs": n_jobs}
        if images.shape[0] and _client() is not None:
            warm_up(images.dtype, images.shape[1:], max_dim=max_dim,
                    connectivity=connectivity, superlevel=superlevel)
        blocks = images.to_delayed(optimize_graph=False).ravel()
        starts = np.cumsum((0,) + images.chunks[0])[:-1].tolist()
        parts = [delayed(_block_diagrams, pure=True)(block, start, options)
                 for block, start in zip(blocks, starts)]
        return _diagram_bag(db.from_delayed(parts))
    if isinstance(max_dim, (bool, np.bool_)) or not (max_dim is None
                                                      or isinstance(max_dim, numbers.Integral)):
        raise TypeError(f"max_dim must be an int or None, got {max_dim!r}")
    options = {"max_dim": max_dim, "connectivity": connectivity,
               "superlevel": bool(superlevel), "n_jobs": n_jobs}
    if isinstance(images, db.Bag):
        parts = [delayed(_partition_diagrams, pure=True)(part, i, options)
                 for i, part in enumerate(images.to_delayed(optimize_graph=False))]
        return _diagram_bag(db.from_delayed(parts))
    if _is_paths(images):
        paths = [os.fspath(p) for p in images]
        if partition_size is not None:
            partition_size = check_int(partition_size, "partition_size", 1)
        groups = db.from_sequence(paths, partition_size=partition_size)
        return _diagram_bag(groups.map_partitions(_file_diagrams, options))
    raise TypeError(f"images must be a (B, ...) dask.array.Array, a dask.bag.Bag of arrays or "
                    f"a non-empty list of file paths, got {type(images).__name__}; wrap NumPy "
                    f"data with dask.array.from_array(images, chunks=(size, ...))")


def _block_targets(block, start, k, dim, connectivity, superlevel, n_jobs):
    try:
        masks, points = persistence_targets_batch(np.asarray(block), k=k, dim=dim,
                                                  connectivity=connectivity,
                                                  superlevel=superlevel, n_jobs=n_jobs)
        return masks, _Diagrams(points)
    except (TypeError, ValueError) as exc:
        raise _located(exc, f"images[{start}:{start + len(block)}]") from None


def persistence_targets(images, *, k=10, dim=0, connectivity=1, superlevel=False, n_jobs=1):
    """Training targets of a Dask array of images: :func:`fasttopo.persistence_targets_batch`.

    Parameters
    ----------
    images : (B, ...) dask.array.Array
        A stack of 1D, 2D or 3D images, chunked along the first axis.
    k, dim, connectivity, superlevel
        As in :func:`fasttopo.persistence_targets` (defaults 10, 0, 1,
        False).
    n_jobs : int, optional
        Threads of each task (default 1).

    Returns
    -------
    masks : dask.array.Array of uint8, shape ``(B, k, *images.shape[1:])``
        ``masks[b, i]`` is 1 at the birth and the death pixel of the i-th
        longest-lived point of image ``b``, chunked as ``images`` along
        the first axis.
    points : dask.bag.Bag of PersistenceDiagram
        The points of each image in the order of its masks.  Computed by
        the same tasks as ``masks``: ``dask.compute(masks, points)`` runs
        each chunk once.

    Raises
    ------
    TypeError, ValueError
        As :func:`persistence` and :func:`fasttopo.persistence_targets`.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", Proceedings of the AAAI Conference
       on Artificial Intelligence 37, 2023.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import fasttopo, fasttopo.dask
    >>> patches = da.random.default_rng(0).random((8, 32, 32), chunks=(4, 32, 32))
    >>> masks, points = fasttopo.dask.persistence_targets(patches, k=10)
    >>> masks.shape, masks.dtype, masks.chunks[0]
    ((8, 10, 32, 32), dtype('uint8'), (4, 4))
    >>> local, _ = fasttopo.persistence_targets_batch(patches.compute(), k=10)
    >>> bool((masks.compute() == local).all())
    True
    """
    if not isinstance(images, da.Array):
        raise TypeError(f"images must be a (B, ...) dask.array.Array, got "
                        f"{type(images).__name__}")
    k = check_int(k, "k", 1)
    n_jobs = check_int(n_jobs, "n_jobs", 1)
    images = _check_dask_stack(images, "images")
    _check_options(images.ndim - 1, dim, connectivity)
    if images.shape[0] and _client() is not None:
        warm_up(images.dtype, images.shape[1:], max_dim=dim, connectivity=connectivity,
                superlevel=superlevel)
    blocks = images.to_delayed(optimize_graph=False).ravel()
    starts = np.cumsum((0,) + images.chunks[0])[:-1].tolist()
    shape = tuple(images.shape[1:])
    parts = [delayed(_block_targets, pure=True, nout=2)(block, start, k, dim, connectivity,
                                                         bool(superlevel), n_jobs)
             for block, start in zip(blocks, starts)]
    masks = [da.from_delayed(part[0], shape=(size, k) + shape, dtype=np.uint8)
             for part, size in zip(parts, images.chunks[0])]
    masks = da.concatenate(masks) if masks else da.zeros((0, k) + shape, dtype=np.uint8)
    return masks, _diagram_bag(db.from_delayed([part[1] for part in parts]))


# --------------------------------------------------------------------------- distances
def _parse_partition(partition, index):
    """``(points, dims)`` of the diagrams of one partition (what the distance code reads)."""
    return [_points(diagram, f"diagram {j} of partition {index}")
            for j, diagram in enumerate(partition)]


def _lengths(partition):
    return [len(partition)]


def _gather(slices, *parts):
    """Concatenate slices ``(part, start, stop)`` of the given partitions (one tile's rows)."""
    return [item for (p, start, stop) in slices for item in parts[p][start:stop]]


def _tile(rows, cols, diagonal, dim, kind, order, internal_p):
    """Distances between the diagrams of a row block and of a column block (i < j only)."""
    if diagonal:
        n = len(rows)
        iu, ju = np.triu_indices(n, k=1)
        values = _pairwise_rows(rows, list(zip(iu.tolist(), ju.tolist())), dim, kind, order,
                                internal_p)
        out = np.zeros((n, n), dtype=np.float64)
        out[iu, ju] = values
        out[ju, iu] = values
        return out
    m = len(rows)
    pairs = [(i, m + j) for i in range(m) for j in range(len(cols))]
    values = _pairwise_rows(list(rows) + list(cols), pairs, dim, kind, order, internal_p)
    return np.asarray(values, dtype=np.float64).reshape(m, len(cols))


def pairwise_distances(diagrams, metric="bottleneck", *, dim=None, tile_size=128, **params):
    """Distance matrix of a collection of diagrams, tile by tile on a Dask cluster.

    Parameters
    ----------
    diagrams : sequence of PersistenceDiagram or (n, 2) array_like, or dask.bag.Bag
        The ``N`` diagrams: a list in this process (sent to the cluster
        once, block by block) or a Dask bag such as the output of
        :func:`persistence`.  A bag is persisted (the points of its
        diagrams are kept in the cluster's memory) and its partition
        lengths are computed.
    metric : {"bottleneck", "wasserstein"}, optional
        The distance (default "bottleneck").
    dim : int, optional
        Homology dimension, as in :func:`fasttopo.pairwise_distances`.
    tile_size : int, optional
        Side of the square tiles (default 128): one task computes the
        ``tile_size**2`` distances between two blocks of diagrams.
    **params
        ``order`` and ``internal_p`` for ``metric="wasserstein"``.

    Returns
    -------
    distances : (N, N) dask.array.Array of float64
        Equal to ``fasttopo.pairwise_distances(diagrams, metric, ...)``.
        The matrix is symmetric: each tile on or above the diagonal is
        computed once, the tiles below are its transposes.

    Raises
    ------
    ValueError
        If ``metric`` is unknown, a parameter does not belong to it, or a
        diagram is malformed (for a bag: when it is persisted).
    TypeError
        If ``diagrams`` is not a sequence or a bag, or ``tile_size`` is not
        an int.

    See Also
    --------
    fasttopo.pairwise_distances

    References
    ----------
    .. [1] M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare
       persistence diagrams", ACM Journal of Experimental Algorithmics 22,
       2017. https://doi.org/10.1145/3064175

    Examples
    --------
    >>> import numpy as np
    >>> import fasttopo, fasttopo.dask
    >>> dgms = [np.array([[0.0, 4.0]]), np.array([[0.0, 3.0]]), np.empty((0, 2))]
    >>> matrix = fasttopo.dask.pairwise_distances(dgms, tile_size=2)
    >>> matrix.chunks
    ((2, 1), (2, 1))
    >>> matrix.compute()
    array([[0. , 1. , 2. ],
           [1. , 0. , 1.5],
           [2. , 1.5, 0. ]])
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    unknown = set(params) - _METRICS[metric]
    if unknown:
        raise ValueError(f"metric={metric!r} takes no parameter(s) {sorted(unknown)}")
    order, internal_p = _check_order(params.get("order", 1.0), params.get("internal_p", np.inf))
    dim = _check_dim(dim)
    tile_size = check_int(tile_size, "tile_size", 1)
    client = _client()
    if isinstance(diagrams, db.Bag):
        parsed = db.from_delayed([delayed(_parse_partition, pure=True)(part, i)
                                  for i, part in enumerate(diagrams.to_delayed(
                                      optimize_graph=False))])
        parsed = parsed.persist()
        lengths = parsed.map_partitions(_lengths).compute()
        parts = parsed.to_delayed(optimize_graph=False)
        blocks = _blocks_of_partitions(parts, lengths, tile_size)
        n = sum(lengths)
    else:
        if isinstance(diagrams, (PersistenceDiagram, str, bytes)) \
                or not hasattr(diagrams, "__len__"):
            raise TypeError(f"diagrams must be a sequence of diagrams or a dask.bag.Bag, got "
                            f"{type(diagrams).__name__}")
        parsed = [_points(d, f"diagrams[{i}]") for i, d in enumerate(diagrams)]
        n = len(parsed)
        chunks = [parsed[s:s + tile_size] for s in range(0, n, tile_size)]
        if client is not None and chunks:
            blocks = [delayed(f) for f in client.scatter(chunks, hash=False)]
        else:
            blocks = [delayed(chunk, traverse=False) for chunk in chunks]
    if n == 0:
        return da.zeros((0, 0), dtype=np.float64)
    sizes = [min(tile_size, n - s) for s in range(0, n, tile_size)]
    tiles = {}
    for i in range(len(blocks)):
        for j in range(i, len(blocks)):
            task = delayed(_tile, pure=True)(blocks[i], blocks[j], i == j, dim, metric, order,
                                             internal_p)
            tiles[i, j] = da.from_delayed(task, shape=(sizes[i], sizes[j]), dtype=np.float64)
    grid = [[tiles[i, j] if i <= j else tiles[j, i].T for j in range(len(blocks))]
            for i in range(len(blocks))]
    return da.block(grid)


def _blocks_of_partitions(parts, lengths, tile_size):
    """One delayed list of parsed diagrams per block of ``tile_size`` consecutive diagrams."""
    bounds = np.cumsum([0] + list(lengths))
    n = int(bounds[-1])
    blocks = []
    for start in range(0, n, tile_size):
        stop = min(n, start + tile_size)
        needed, slices = [], []
        for p in range(len(lengths)):
            lo, hi = max(start, bounds[p]), min(stop, bounds[p + 1])
            if lo < hi:
                slices.append((len(needed), int(lo - bounds[p]), int(hi - bounds[p])))
                needed.append(parts[p])
        blocks.append(delayed(_gather, pure=True)(slices, *needed))
    return blocks


# --------------------------------------------------------------------------- code search
def _chunk_knn(queries, codes, k, offset):
    """k nearest codes of one chunk (indices shifted to the whole array)."""
    indices, distances = _hamming_knn(queries, codes, min(k, len(codes)))
    return indices + offset, distances


def _merge_knn(k, *results):
    """The k best (distance, then index) of several chunks' k-NN lists."""
    indices = np.concatenate([r[0] for r in results], axis=1)
    distances = np.concatenate([r[1] for r in results], axis=1)
    order = np.lexsort((indices, distances))[:, :k]  # along the last axis, per query
    return (np.take_along_axis(indices, order, axis=1),
            np.take_along_axis(distances, order, axis=1))


def _check_code_array(codes, name):
    if codes.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype (packed bits, e.g. uint64), got "
                        f"dtype {codes.dtype}")
    if codes.ndim == 1:
        if codes.dtype.itemsize != 8:
            raise ValueError(f"a one-dimensional {name} must hold 64-bit codes (dtype uint64 "
                             f"or int64), got dtype {codes.dtype}; pass an (n, words) array")
        words = 1
    elif codes.ndim == 2:
        words = codes.shape[1] * codes.dtype.itemsize // 8
        codes = codes.rechunk({1: -1})
    else:
        raise ValueError(f"{name} must be an (n,) or (n, words) array of packed codes, got "
                         f"shape {codes.shape}")
    if any(math.isnan(c) for c in codes.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() "
                         f"first")
    return codes, words


def hamming_knn(queries, codes, k, *, fan_in=8):
    """The ``k`` codes nearest to each query, over a Dask array of codes.

    Each chunk of ``codes`` gives its own k nearest neighbours with
    :func:`fasttopo.hamming_knn`; the lists are merged in a tree (``fan_in``
    lists per task), keeping the ``k`` best by distance, then index.

    Parameters
    ----------
    queries : (q,) or (q, w) array_like or dask.array.Array of integers
        Packed query codes (chunks along the first axis are query blocks).
    codes : (n,) or (n, w) dask.array.Array (or array_like) of integers
        Packed codes (uint64 words), chunked along the first axis.
    k : int
        Number of neighbours, from 0 to ``n``.
    fan_in : int, optional
        Number of k-NN lists merged by one task (default 8).

    Returns
    -------
    indices : (q, k) dask.array.Array of int64
        Row indices into ``codes``, by increasing distance; ties broken by
        the smaller index: equal to ``fasttopo.hamming_knn(queries, codes,
        k)[0]`` whatever the chunks.
    distances : (q, k) dask.array.Array of uint8, uint16 or uint32
        Their Hamming distances.

    Raises
    ------
    TypeError
        If the codes are not integers or ``k`` is not an int.
    ValueError
        If the code lengths differ, ``k`` is outside ``[0, n]`` or the
        chunk sizes are unknown.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import fasttopo, fasttopo.dask
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 2**63, size=1000, dtype=np.uint64)
    >>> idx, dist = fasttopo.dask.hamming_knn(codes[:5], da.from_array(codes, chunks=300), k=3)
    >>> bool((idx.compute() == fasttopo.hamming_knn(codes[:5], codes, k=3)[0]).all())
    True
    """
    if not isinstance(codes, da.Array):
        codes = da.asarray(codes)
    codes, words = _check_code_array(codes, "codes")
    if not isinstance(queries, da.Array):
        queries = np.asarray(queries)
        queries = da.from_array(queries, chunks=queries.shape or (0,))
    queries, qwords = _check_code_array(queries, "queries")
    if qwords != words:
        raise ValueError(f"queries and codes must have codes of the same length, got "
                         f"{64 * qwords} and {64 * words} bits")
    k = check_int(k, "k")
    n = codes.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and the number of codes ({n}), got {k}")
    fan_in = check_int(fan_in, "fan_in", 2)
    dtype = _distance_dtype(words)
    code_blocks = codes.to_delayed(optimize_graph=False).ravel()
    offsets = np.cumsum((0,) + codes.chunks[0])[:-1].tolist()
    index_parts, distance_parts = [], []
    for query_block, size in zip(queries.to_delayed(optimize_graph=False).ravel(),
                                 queries.chunks[0]):
        if k == 0 or n == 0:
            index_parts.append(da.zeros((size, k), dtype=np.int64))
            distance_parts.append(da.zeros((size, k), dtype=dtype))
            continue
        level = [delayed(_chunk_knn, pure=True)(query_block, block, k, offset)
                 for block, offset in zip(code_blocks, offsets)]
        while len(level) > 1:
            level = [delayed(_merge_knn, pure=True)(k, *level[s:s + fan_in])
                     for s in range(0, len(level), fan_in)]
        result = level[0]
        index_parts.append(da.from_delayed(result[0], shape=(size, k), dtype=np.int64))
        distance_parts.append(da.from_delayed(result[1], shape=(size, k), dtype=dtype))
    return da.concatenate(index_parts), da.concatenate(distance_parts)
