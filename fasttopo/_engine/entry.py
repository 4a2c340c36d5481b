"""The engine's one entry, ``compute``: every caller's way to pairs and diagrams (private).

``compute`` takes one image or many (a (B, ...) stack or a list),
validated by ``fasttopo._validation`` (dtype, shape, options) but not
checked for NaN and infinities: those are found from the range of the
order-preserving keys (no ``np.isfinite`` pass) and raise the located
ValueError of ``check_finite``, naming ``image`` or ``images[i]``.  It
returns ``PersistenceDiagram`` objects (with the exact values of 64-bit
integer images attached) or, for callers that gather the pairs
themselves (the training targets, the torch layer), the concatenated
``Pairs``.  How each image is computed is decided by ``planning.plan``.

Whatever the path, the pairs of an image come in one canonical order:
finite dimension-0 pairs by increasing death (filtration order), the
essential class, dimension 1 of volumes by increasing birth, then the top
dimension by increasing birth; indices are flat C-order pixel indices
(essential death -1) and values are float64 (essential death +-inf).
"""

from collections import namedtuple

import numpy as np

from .. import _diagram
from .._validation import check_finite
from .buffers import as_3d, pool
from .gather import gather_values
from .keys import fill_keys, image_bits, sentinel_room, wide_bits
from .large_images import threaded_pairs
from .planning import check_memory, plan
from .small_images import NO_SENTINEL, NOT_FINITE, chunk_tasks, collect_pairs, small_buffers

__all__ = ["Options", "Pairs", "compute", "filtration_keys"]

# images per call of the batch path when a progress bar is shown
_CHUNK = 256
# the tasks of the split path: dimension 0 and the top dimension of one image
_TWO_DIRECTIONS = np.array([[0, 1, 1], [0, 1, 2]], dtype=np.int64)

# The validated options of a computation (``_validation.check_options``) and the
# number of threads it may use.
Options = namedtuple("Options", ["max_dim", "connectivity", "superlevel", "n_threads"])
# Pairs of one or more images, concatenated in the canonical order: ``counts[i]``
# pairs of image i, ``item`` the image of each pair.
Pairs = namedtuple("Pairs", ["dim", "birth", "death", "birth_index", "death_index", "counts",
                             "item"])


def compute(images, options, *, one=False, as_pairs=False, on_image=None):
    """Pairs of validated images: the engine's one entry.

    Parameters
    ----------
    images : ndarray or sequence of ndarray
        One image (``one=True``), a (B, ...) stack or a list of same-ndim
        images, validated but possibly holding NaN or infinities.
    options : Options
        Validated ``max_dim``, ``connectivity``, ``superlevel`` and the
        number of threads (results never depend on it).
    one : bool
        ``images`` is one image: return one ``PersistenceDiagram``.
    as_pairs : bool
        Return the concatenated ``Pairs`` of all images instead of diagrams.
    on_image : callable, optional
        Called with the number of images done (a progress bar).

    Returns
    -------
    PersistenceDiagram, list of PersistenceDiagram or Pairs
    """
    if one:
        check_memory(images.shape, options.max_dim)
        arrays, frozen = _one(images, options, options.n_threads, "image")
        cls = _diagram.PersistenceDiagram
        make = cls._from_frozen if frozen else (lambda a, *rest: cls._from_owned(*a, *rest))
        found = make(arrays, images.shape, options.connectivity, options.superlevel)
        return found._with_image(images)
    found = _pairs(images, options, on_image)
    if as_pairs:
        return found
    stacked = isinstance(images, np.ndarray)
    diagrams = _split(found, images.shape[1:] if stacked else [im.shape for im in images],
                      options.connectivity, options.superlevel)
    if stacked:
        return [d._with_image(images[i]) for i, d in enumerate(diagrams)] \
            if _exact_kind(images) else diagrams
    return [d._with_image(image) if _exact_kind(image) else d
            for d, image in zip(diagrams, images)]


def _exact_kind(array):
    """Whether float64 may round the values (64-bit integers)."""
    return array.dtype.kind in "iu" and array.dtype.itemsize == 8


def _as_float64(image):
    """The values as float64 (exact for every accepted dtype but int64 beyond 2**53,
    rounded as the diagram's float64 values are anyway)."""
    with np.errstate(invalid="ignore"):  # NaN stays NaN; found from the keys' range
        return image.astype(np.float64)


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


def _one(image, options, n_threads, name):
    """``(arrays, frozen)`` of one validated image: arrays = (dim, birth, death, bi, di)."""
    ndim = image.ndim
    max_dim, connectivity, superlevel = options[:3]
    p = plan(image.shape, max_dim, n_threads)
    if p.path != "threaded":
        arrays = _small(image, p, connectivity, superlevel)
        if arrays[7] == 0:
            return arrays, True
        _check_status(arrays[7], image, name)
        # NO_SENTINEL (64-bit integers at their extremes): the threaded path, one thread
        p = p._replace(threads=1)
    bits, kind, signbit, allones = image_bits(image)
    found = threaded_pairs(as_3d(bits), kind, signbit, allones, superlevel, ndim, connectivity,
                           p.top, p.threads, p.middle)
    if found is None:  # a NaN or an infinity
        check_finite(image, name)
    dims, births, deaths = found
    births, deaths = births.astype(np.int64), deaths.astype(np.int64)
    flat = image.reshape(1, -1)
    birth, death = gather_values(flat.view(np.uint8) if flat.dtype == np.bool_ else flat,
                                 np.full(1, births.size, dtype=np.int64), births, deaths,
                                 superlevel)
    return (dims.astype(np.int8, copy=True), birth, death, births, deaths), False


def _pairs(images, options, on_image=None):
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
    max_dim, connectivity, superlevel, n_threads = options
    shapes = {image.shape for image in images} if not isinstance(images, np.ndarray) \
        else {images.shape[1:]}
    for shape in shapes:
        check_memory(shape, max_dim, min(n_threads, count), "images")
    if isinstance(images, np.ndarray):
        p = plan(images.shape[1:], max_dim, n_threads, stack=True)
        if p.path == "batch" and sentinel_room(images, superlevel):
            return _batch(images, p, connectivity, superlevel, on_image)
    within = count < n_threads

    def one(i, image):
        return _one(image, options, n_threads if within else 1, f"images[{i}]")[0]

    parts = []
    if within or n_threads == 1:
        for i, image in enumerate(images):
            parts.append(one(i, image))
            if on_image is not None:
                on_image(1)
    else:
        for future in [pool().submit(one, i, image) for i, image in enumerate(images)]:
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


def _split(found, shapes, connectivity, superlevel):
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
