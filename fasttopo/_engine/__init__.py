"""fasttopo's engine: the one way into the persistence kernels (private).

Everything that needs pairs of images (``persistence``,
``persistence_batch``, the training targets, the image functions, the
metrics, ``fasttopo.nn``) calls ``diagram``, ``diagrams`` or ``pairs``
here; no module outside this package imports its kernels.  ``plan`` is the
one place that decides how an image is computed:

=============  ==========================================================
path           when
=============  ==========================================================
``small``      fewer than ``SMALL`` pixels: one serial Numba call
``split``      ``small`` with the top dimension and ``SPLIT`` pixels or
               more: the two directions in two threads
``batch``      a stack of small images: one chunk of the stack per thread
``threaded``   larger images, and 3D images with dimension 1 (the
               cubical reduction): Python threads around the kernels
=============  ==========================================================

Whatever the path, the pairs of an image come in one canonical order:
finite dimension-0 pairs by increasing death (filtration order), the
essential class, dimension 1 of volumes by increasing birth, then the top
dimension by increasing birth; indices are flat C-order pixel indices
(essential death -1) and values are float64 (essential death +-inf).

Modules: ``keys`` (order-preserving keys, packing, sorting),
``neighbourhood`` (ring, stencils, padded grid), ``scan`` (the raster
scan), ``union_find`` (the sweep and the small-image kernels),
``middle_dimension`` + ``cubical_reduction.pyx`` (dimension 1 of volumes),
``gather`` (values and +-inf), ``threads`` (the threaded path of large
images, the threads around the small-image kernel, scratch buffers),
``cycles`` + ``loops`` (representative cycles of pairs: ``representatives``),
``intrinsics`` (Numba intrinsics), ``compiling`` (the Numba cache and the
first-call notice), ``warmup`` (``fasttopo warmup``).  What each first call
compiles, and why: ``docs/development.rst``, "What a first call compiles".
"""

import math
from collections import namedtuple

import numpy as np

from .. import _diagram
from .._validation import check_finite
from . import compiling
from .cycles import representatives
from .gather import batch_cells, gather_values
from .keys import fill_keys, image_bits, sentinel_room, wide_bits
from .neighbourhood import neighbour_offsets
from .threads import as_3d, chunk_tasks, cores, pool, small_buffers, threaded_pairs
from .union_find import NO_SENTINEL, NOT_FINITE, collect_pairs

__all__ = ["SMALL", "SPLIT", "Plan", "Pairs", "plan", "diagram", "diagrams", "pairs", "split",
           "batch_cells", "cores", "as_3d", "filtration_keys", "neighbour_offsets",
           "representatives"]

# below this many pixels one serial Numba call beats threads and NumPy's sort
SMALL = 1 << 16
# from this many pixels the two directions of a small image run in two threads
SPLIT = 1 << 14
# images per call of the batch path when a progress bar is shown
_CHUNK = 256
# the tasks of the split path: dimension 0 and the top dimension of one image
_TWO_DIRECTIONS = np.array([[0, 1, 1], [0, 1, 2]], dtype=np.int64)

# How one image (or each image of a stack) is computed: ``path`` (see the module
# docstring), ``top`` (the top dimension by duality), ``middle`` (dimension 1 of a
# volume by the cubical reduction) and ``threads`` (threads within the image).
Plan = namedtuple("Plan", ["path", "top", "middle", "threads"])
# Pairs of one or more images, concatenated in the canonical order: ``counts[i]``
# pairs of image i, ``item`` the image of each pair (None for one image).
Pairs = namedtuple("Pairs", ["dim", "birth", "death", "birth_index", "death_index", "counts",
                             "item"])


def _as_float64(image):
    """The values as float64 (exact for every accepted dtype but int64 beyond 2**53,
    rounded as the diagram's float64 values are anyway)."""
    with np.errstate(invalid="ignore"):  # NaN stays NaN; found from the keys' range
        return image.astype(np.float64)


def plan(shape, max_dim, n_threads, stack=False):
    """The ``Plan`` of an image of ``shape`` (or of a stack of them)."""
    ndim = len(shape)
    size = math.prod(shape)
    top = ndim >= 2 and max_dim == ndim - 1
    middle = ndim == 3 and max_dim >= 1
    if size < SMALL and not middle:
        if stack:
            return Plan("batch", top, False, n_threads)
        split = top and n_threads > 1 and size >= SPLIT
        return Plan("split" if split else "small", top, False, 2 if split else 1)
    return Plan("threaded", top, middle, n_threads if size >= SMALL else 1)


def _small(image, p, connectivity, superlevel):
    """``collect_pairs`` of one small validated image (its last item: the status)."""
    bits, kind, signbit, allones = wide_bits(image)
    bits4 = bits.reshape((1,) + as_3d(bits).shape)
    tasks = _TWO_DIRECTIONS if p.path == "split" else None
    rows = small_buffers(bits4, kind, signbit, allones, superlevel, image.ndim, connectivity,
                         3 if p.top else 1, tasks)
    values = image if image.dtype == np.float64 else _as_float64(image)
    return collect_pairs(*rows, np.ascontiguousarray(values).reshape(1, -1), superlevel,
                         image.ndim)


def _check_status(status, image, name):
    """Raise for the status of ``collect_pairs`` unless it is 0 or ``NO_SENTINEL``."""
    if status == NOT_FINITE:  # a NaN or an infinity, found from the keys' range
        check_finite(image, name)
    if status < 0 and status != NO_SENTINEL:  # pragma: no cover - see image_pairs
        raise RuntimeError("internal error: pair rows overflow in the small-image kernel")


def _one(image, max_dim, connectivity, superlevel, n_threads):
    """``(arrays, frozen)`` of one validated image: arrays = (dim, birth, death, bi, di)."""
    ndim = image.ndim
    p = plan(image.shape, max_dim, n_threads)
    if p.path != "threaded":
        arrays = _small(image, p, connectivity, superlevel)
        if arrays[7] == 0:
            return arrays, True
        _check_status(arrays[7], image, "image")
        # NO_SENTINEL (64-bit integers at their extremes): the threaded path, one thread
        p = p._replace(threads=1)
    bits, kind, signbit, allones = image_bits(image)
    found = threaded_pairs(as_3d(bits), kind, signbit, allones, superlevel, ndim, connectivity,
                           p.top, p.threads, p.middle)
    if found is None:  # a NaN or an infinity
        check_finite(image, "image")
    dims, births, deaths = found
    births, deaths = births.astype(np.int64), deaths.astype(np.int64)
    flat = image.reshape(1, -1)
    birth, death = gather_values(flat.view(np.uint8) if flat.dtype == np.bool_ else flat,
                                 np.full(1, births.size, dtype=np.int64), births, deaths,
                                 superlevel)
    return (dims.astype(np.int8, copy=True), birth, death, births, deaths), False


def diagram(image, max_dim, connectivity, superlevel, n_threads):
    """The ``PersistenceDiagram`` of one validated image with validated options.

    ``image`` may still hold NaN or infinities: they are found from the
    range of the keys (no ``np.isfinite`` pass) and raise the located
    ValueError of ``check_finite``.
    """
    arrays, frozen = _one(image, max_dim, connectivity, superlevel, n_threads)
    if frozen:
        return _diagram.PersistenceDiagram._from_frozen(arrays, image.shape, connectivity,
                                                        superlevel)
    return _diagram.PersistenceDiagram._from_owned(*arrays, image.shape, connectivity,
                                                   superlevel)


def pairs(images, max_dim, connectivity, superlevel, n_threads, on_image=None):
    """``Pairs`` of many validated images: a (B, ...) array or a list of same-ndim arrays.

    A stack of small images is one parallel kernel call (in chunks when
    ``on_image``, called with the number of images done, reports
    progress); larger images run one per thread, or one after the other
    with all threads each when there are fewer images than threads.
    """
    count = len(images)
    if count == 0:
        empty = np.empty(0, dtype=np.int64)
        return Pairs(np.empty(0, np.int8), np.empty(0), np.empty(0), empty, empty, empty, empty)
    if isinstance(images, np.ndarray):
        p = plan(images.shape[1:], max_dim, n_threads, stack=True)
        if p.path == "batch" and sentinel_room(images, superlevel):
            return _batch(images, p, connectivity, superlevel, on_image)
    within = count < n_threads

    def one(image):
        return _one(image, max_dim, connectivity, superlevel, n_threads if within else 1)[0]

    parts = []
    if within or n_threads == 1:
        for image in images:
            parts.append(one(image))
            if on_image is not None:
                on_image(1)
    else:
        for future in [pool().submit(one, image) for image in images]:
            parts.append(future.result())
            if on_image is not None:
                on_image(1)
    counts = np.array([part[0].size for part in parts], dtype=np.int64)
    columns = [np.concatenate([part[k] for part in parts]) for k in range(5)]
    item = np.repeat(np.arange(count, dtype=np.int64), counts)
    return Pairs(*columns, counts, item)


def _batch(stack, p, connectivity, superlevel, on_image):
    """``Pairs`` of a (B, ...) stack of small images (the ``batch`` path)."""
    ndim = stack.ndim - 1
    bits, kind, signbit, allones = wide_bits(stack)
    bits4 = bits.reshape((bits.shape[0],) + as_3d(bits[0]).shape)
    values = stack if stack.dtype == np.float64 else _as_float64(stack)
    values = np.ascontiguousarray(values).reshape(stack.shape[0], -1)
    count = stack.shape[0]
    chunk = count if on_image is None else _CHUNK
    directions = 3 if p.top else 1
    parts = []
    for start in range(0, count, chunk):
        part = bits4[start:start + chunk]
        tasks = chunk_tasks(len(part), p.threads, directions) if p.threads > 1 else None
        rows = small_buffers(part, kind, signbit, allones, superlevel, ndim, connectivity,
                             directions, tasks)
        dims, birth, death, births, deaths, per_image, item, status = collect_pairs(
            *rows, values[start:start + chunk], superlevel, ndim)
        if status < 0:  # a NaN or an infinity (64-bit extremes do not take this path)
            bad = start + int(np.argmin(rows[0].min(axis=1)))
            _check_status(status, stack[bad], f"images[{bad}]")
            raise RuntimeError("internal error: a 64-bit stack at its extremes took the batch "
                               "kernel")  # pragma: no cover - ``sentinel_room`` routes them
        parts.append((dims, birth, death, births, deaths, per_image, item + start))
        if on_image is not None:
            on_image(len(part))
    if len(parts) == 1:
        return Pairs(*parts[0])
    return Pairs(*(np.concatenate([part[k] for part in parts]) for k in range(7)))


def diagrams(images, max_dim, connectivity, superlevel, n_threads, on_image=None):
    """``PersistenceDiagram`` of each validated image (see ``pairs``)."""
    found = pairs(images, max_dim, connectivity, superlevel, n_threads, on_image)
    return split(found, [image.shape for image in images] if not isinstance(images, np.ndarray)
                 else images.shape[1:], connectivity, superlevel)


def split(found, shapes, connectivity, superlevel):
    """One ``PersistenceDiagram`` per image of ``Pairs`` (``shapes``: one shape or a list)."""
    arrays = (found.dim, found.birth, found.death, found.birth_index, found.death_index)
    for a in arrays:
        a.setflags(write=False)  # the diagrams' slices inherit it
    ends = [0] + np.cumsum(found.counts).tolist()
    cls = _diagram.PersistenceDiagram
    if isinstance(shapes, tuple):
        return cls._split_owned(arrays, ends, tuple(shapes), connectivity, superlevel)
    return [cls._from_owned(*(a[s:e] for a in arrays), tuple(shape), connectivity, superlevel)
            for s, e, shape in zip(ends[:-1], ends[1:], shapes)]


def filtration_keys(image, superlevel):
    """Order-preserving uint64 keys of a validated image, flat C order.

    ``(keys[i], i)`` sorts like the filtration (keys are inverted for the
    superlevel filtration, so the order is always ascending).  uint64 for
    every dtype, as everywhere in the engine: kernels that read keys
    compile once.
    """
    bits, kind, signbit, allones = image_bits(image)
    bits3 = as_3d(bits)
    shape3 = np.array(bits3.shape, dtype=np.int64)
    keys = np.empty(bits3.size, dtype=np.uint64)
    fill_keys(bits3, kind, signbit, allones, bool(superlevel), keys, shape3,
              np.zeros(3, dtype=np.int64))
    return keys
