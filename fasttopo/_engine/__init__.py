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
               more: the two directions as two parallel tasks
``batch``      a stack of small images: one parallel call for the stack
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
``gather`` (values and +-inf), ``threads`` (large images, scratch buffers),
``intrinsics`` (Numba intrinsics), ``compiling`` (the Numba cache and the
first-call notice).
"""

import math
from collections import namedtuple

import numpy as np

from .. import _diagram
from .._validation import check_finite
from . import compiling
from .gather import batch_cells, collect_batch, gather_values
from .keys import fill_keys, image_bits, wide_bits
from .neighbourhood import neighbour_offsets
from .threads import as_3d, batch_buffers, cores, pool, stencil_buffer, threaded_pairs
from .union_find import small_pairs, small_pairs_split

__all__ = ["SMALL", "SPLIT", "Plan", "Pairs", "plan", "diagram", "diagrams", "pairs", "split",
           "batch_cells", "cores", "as_3d", "filtration_keys", "neighbour_offsets"]

# below this many pixels one serial Numba call beats threads and NumPy's sort
SMALL = 1 << 16
# from this many pixels the two directions of a small image run as two parallel tasks
SPLIT = 1 << 11
# images per parallel call of the batch kernel when a progress bar is shown
_CHUNK = 256

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
        return Plan("split" if split else "small", top, False, 1)
    return Plan("threaded", top, middle, n_threads if size >= SMALL else 1)


def _one(image, max_dim, connectivity, superlevel, n_threads):
    """``(arrays, frozen)`` of one validated image: arrays = (dim, birth, death, bi, di)."""
    ndim = image.ndim
    p = plan(image.shape, max_dim, n_threads)
    if p.path != "threaded":
        bits, kind, signbit, allones = wide_bits(image)
        values = image if image.dtype == np.float64 else _as_float64(image)
        kernel = small_pairs_split if p.path == "split" else small_pairs
        arrays = kernel(as_3d(bits), values.reshape(-1), kind, signbit, allones, superlevel,
                        ndim, stencil_buffer(as_3d(bits).shape, ndim, connectivity), p.top)
        if not arrays[5]:  # a NaN or an infinity, found from the range of the keys
            check_finite(image, "image")
        return arrays, True
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
        if p.path == "batch":
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
    values = np.ascontiguousarray(values.reshape(stack.shape[0], -1))
    count = stack.shape[0]
    chunk = count if on_image is None else _CHUNK
    parts = []
    for start in range(0, count, chunk):
        buffers = batch_buffers(bits4[start:start + chunk], kind, signbit, allones, superlevel,
                                ndim, connectivity, p.top, p.threads)
        dims, births, deaths, item, birth, death = collect_batch(
            *buffers, values[start:start + chunk], superlevel)
        parts.append((dims, birth, death, births, deaths, buffers[0], item + start))
        if on_image is not None:
            on_image(buffers[0].size)
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
    """Order-preserving unsigned keys of a validated image, flat C order.

    ``(keys[i], i)`` sorts like the filtration (keys are inverted for the
    superlevel filtration, so the order is always ascending).
    """
    bits, kind, signbit, allones = image_bits(image)
    bits3 = as_3d(bits)
    shape3 = np.array(bits3.shape, dtype=np.int64)
    keys = np.empty(bits3.size, dtype=bits3.dtype)
    fill_keys(bits3, kind, signbit, allones, bool(superlevel), keys, shape3,
              np.zeros(3, dtype=np.int64))
    return keys
