"""Persistence of image collections, distance matrices and code search on a Dask cluster.

The functions of this module build Dask collections (lazy task graphs) that
run the local functions of :mod:`fasttopo` chunk by chunk: one task per chunk
of images calls :func:`fasttopo.persistence_batch`, one task per tile of a
distance matrix calls the same code as :func:`fasttopo.pairwise_distances`,
one task per chunk of codes calls :func:`fasttopo.hamming_knn`.  The results
are identical to those of the local functions, whatever the number of
workers and the chunk sizes.

They run in threads of this process when no :class:`distributed.Client` is
active and no scheduler is chosen (also the bags of diagrams, whose Dask
default would be processes), else on the active client's cluster or the
chosen scheduler;
the compiled kernels are then warmed once per worker process by a worker
plugin (:func:`warm_up`).  ``import fasttopo`` does not import Dask (install
with ``pip install fasttopo[dask]``).
"""

import math
import numbers
import os

import dask
import dask.array as da
import dask.threaded
import dask.bag as db
import numpy as np
from dask.delayed import delayed

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - dask[distributed] is in the extra
    WorkerPlugin = object

from .._diagram import PersistenceDiagram
from .._io import load_image
from .._persistence import persistence_batch
from .._validation import check_bool, check_int, check_n_jobs, check_options
from ..processing import persistence_targets_batch
from .search import active_client

__all__ = ["persistence", "persistence_targets", "warm_up"]

#: warm-up images are at most this many pixels (above the engine's small-image
#: threshold, so that its large-image path is compiled too)
_WARM_PIXELS = 1 << 17
_REGISTERED = set()


# --------------------------------------------------------------------------- warm-up
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
    max_dim, connectivity, superlevel = check_options(len(shape), max_dim, connectivity,
                                                     superlevel)
    options = {"max_dim": max_dim, "connectivity": connectivity, "superlevel": superlevel}
    client = client if client is not None else active_client()
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

    # Dask's bags compute in processes by default; these run in threads of this process
    # (the kernels release the GIL), unless a distributed Client is active or a scheduler
    # is chosen (``compute(scheduler=...)``, ``dask.config.set(scheduler=...)``)
    __dask_scheduler__ = staticmethod(dask.threaded.get)

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
    n_jobs = check_n_jobs(n_jobs)
    if isinstance(images, da.Array):
        images = _check_dask_stack(images, "images")
        max_dim, connectivity, superlevel = check_options(images.ndim - 1, max_dim,
                                                         connectivity, superlevel)
        options = {"max_dim": max_dim, "connectivity": connectivity, "superlevel": superlevel,
                   "n_jobs": n_jobs}
        if images.shape[0] and active_client() is not None:
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
    superlevel = check_bool(superlevel, "superlevel")  # the rest: per image, by the tasks
    options = {"max_dim": max_dim, "connectivity": connectivity, "superlevel": superlevel,
               "n_jobs": n_jobs}
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


def persistence_targets(images, *, k=10, dim=0, connectivity=None, superlevel=False,
                        n_jobs=1):
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
    n_jobs = check_n_jobs(n_jobs)
    images = _check_dask_stack(images, "images")
    _, connectivity, superlevel = check_options(images.ndim - 1, dim, connectivity, superlevel)
    if images.shape[0] and active_client() is not None:
        warm_up(images.dtype, images.shape[1:], max_dim=dim, connectivity=connectivity,
                superlevel=superlevel)
    blocks = images.to_delayed(optimize_graph=False).ravel()
    starts = np.cumsum((0,) + images.chunks[0])[:-1].tolist()
    shape = tuple(images.shape[1:])
    parts = [delayed(_block_targets, pure=True, nout=2)(block, start, k, dim, connectivity,
                                                         superlevel, n_jobs)
             for block, start in zip(blocks, starts)]
    masks = [da.from_delayed(part[0], shape=(size, k) + shape, dtype=np.uint8)
             for part, size in zip(parts, images.chunks[0])]
    masks = da.concatenate(masks) if masks else da.zeros((0, k) + shape, dtype=np.uint8)
    return masks, _diagram_bag(db.from_delayed([part[1] for part in parts]))
