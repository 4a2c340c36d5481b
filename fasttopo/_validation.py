"""Input validation shared by the public functions (private)."""

import importlib
import operator
import os

import numpy as np

__all__ = ["check_image", "check_connectivity", "check_max_dim", "check_options", "check_n_jobs",
           "check_finite", "check_bool", "check_dim", "check_images_type", "check_stack",
           "check_list", "check_rng", "reject_masked", "require", "warn_if_colour"]

# native-order dtypes accepted as they are (the common case, checked first)
_PLAIN_DTYPES = frozenset(np.dtype(code) for code in "?bBhHiIlLqQfd")


def warn_if_colour(shape, name="image"):
    """A UserWarning, as scikit-image gives, for an (M, N, 3|4) image: persistence treats it
    as a volume of 3 or 4 slices, which is rarely what a colour image means."""
    if len(shape) == 3 and shape[-1] in (3, 4) and min(shape[:2]) > 4:
        import warnings
        warnings.warn(f"{name} of shape {tuple(shape)} looks like a colour (RGB/RGBA) image; "
                      f"persistence treats it as a volume of {shape[-1]} slices. Convert it "
                      f"to grey first (skimage.color.rgb2gray), or pass one channel, e.g. "
                      f"{name}[..., 0]", UserWarning, stacklevel=3)


def check_finite(array, name):
    """Raise ValueError naming the first NaN or infinite entry of a float array."""
    if array.dtype.kind != "f":
        return
    if np.isfinite(array).all():
        return
    bad = ~np.isfinite(array)
    where = tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), array.shape))
    value = array[where]
    what = "NaN" if np.isnan(value) else str(value)
    raise ValueError(f"{name} contains {what} at index {where}; persistence needs finite "
                     f"values (replace them, e.g. with np.nan_to_num, or crop them out)")


def check_image(image, name="image", ndims=(1, 2, 3), allow_float16=True, finite=True):
    """Validate an image and return it as an ndarray with a supported dtype.

    Accepts any real dtype or bool; float16 is upcast to float32 (exact).
    With ``finite=False`` NaN and infinities are let through: the caller
    must then reject them itself (``check_finite``).  The returned array
    may share memory with the input: callers must not write to it.
    """
    if (type(image) is np.ndarray and image.dtype in _PLAIN_DTYPES and image.ndim in ndims
            and image.size):
        if finite:
            check_finite(image, name)
        return image
    if isinstance(image, (str, bytes)):
        raise TypeError(f"{name} must be an array of numbers, got {type(image).__name__}")
    reject_masked(image, name)
    try:
        array = np.asarray(image)
    except Exception as exc:  # ragged nested lists, objects without __array__ ...
        raise TypeError(f"{name} must be convertible to a NumPy array ({exc})") from None
    kind = array.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{name} must have a real numeric or bool dtype, got dtype "
                        f"{array.dtype} (complex, object, string and datetime are not supported)")
    if array.dtype == np.float16 and allow_float16:
        array = array.astype(np.float32)
    elif kind == "f" and array.dtype.itemsize > 8:
        raise TypeError(f"{name} has dtype {array.dtype}; use float64 (long double is not "
                        f"supported because it cannot be ordered exactly here)")
    if array.ndim not in ndims:
        raise ValueError(f"{name} must have {_ndims_text(ndims)} dimensions, got "
                         f"ndim={array.ndim} with shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if finite:
        check_finite(array, name)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _ndims_text(ndims):
    ndims = tuple(ndims)
    if len(ndims) == 1:
        return str(ndims[0])
    return ", ".join(str(d) for d in ndims[:-1]) + f" or {ndims[-1]}"


def _as_int(value, name):
    """An exact Python int from an integer-like value (bools are refused)."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")


def check_int(value, name, minimum=None):
    """An exact Python int (bools refused), at least ``minimum`` if given.

    Raises TypeError naming ``name`` for a non-integer, ValueError below
    ``minimum``.
    """
    value = _as_int(value, name)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_connectivity(connectivity, ndim):
    """Return the connectivity (1..ndim); None means ndim (as skimage.measure.label)."""
    if connectivity is None:
        return ndim
    c = _as_int(connectivity, "connectivity")
    if not 1 <= c <= ndim:
        raise ValueError(f"connectivity must be between 1 and image.ndim={ndim}, got {c}")
    return c


def check_max_dim(max_dim, ndim):
    """Return the largest homology dimension to compute (0..ndim-1); None means ndim-1."""
    if max_dim is None:
        return ndim - 1
    k = _as_int(max_dim, "max_dim")
    if not 0 <= k <= ndim - 1:
        raise ValueError(f"max_dim must be between 0 and image.ndim - 1 = {ndim - 1}, got {k}")
    return k


def check_options(ndim, max_dim, connectivity, superlevel=False):
    """``(max_dim, connectivity, superlevel)`` of a persistence computation, validated.

    The one check of the options every function that computes diagrams
    takes (``persistence``, the batch, the targets, the torch layer, Dask).
    """
    connectivity = check_connectivity(connectivity, ndim)
    max_dim = check_max_dim(max_dim, ndim)
    if ndim == 3 and max_dim >= 1 and connectivity == 2:
        raise ValueError("connectivity=2 on a 3D image (18-neighbour components) defines "
                         "dimension 0 only; use connectivity=1 (V-construction) or 3 "
                         "(T-construction) for max_dim >= 1, or max_dim=0")
    return max_dim, connectivity, check_bool(superlevel, "superlevel")


def check_n_jobs(n_jobs):
    """Threads for ``n_jobs``, fasttopo's one meaning of it: None or -1 is all cores.

    ``n_jobs`` >= 1 is that many threads (at most 4 times the cores: more
    would only cost memory).  Results never depend on it, and no function
    starts processes because of it.
    """
    if n_jobs is None or (not isinstance(n_jobs, (bool, np.bool_))
                          and isinstance(n_jobs, (int, np.integer)) and n_jobs == -1):
        return _cores()
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r} "
                        f"({type(n_jobs).__name__})")
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, or -1 or None for all cores, got {n_jobs}")
    return int(min(n_jobs, 4 * _cores()))


def check_rng(rng, name="rng"):
    """A ``numpy.random.Generator`` from None, an int seed or a Generator (kept as given).

    Strings, floats and other objects are refused with a TypeError naming
    ``name`` (NumPy would raise a less helpful error, or accept them).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, (int, np.integer,
                                                                  np.random.SeedSequence)):
        raise TypeError(f"{name} must be None, an int seed or a numpy.random.Generator, got "
                        f"{rng!r} ({type(rng).__name__})")
    if not isinstance(rng, np.random.SeedSequence) and rng < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {rng}")
    return np.random.default_rng(rng)


def _cores():
    return os.cpu_count() or 1


def check_bool(value, name, none=False):
    """``value`` as a bool; only ``True``/``False`` (and NumPy bools) are accepted.

    ``bool("no")`` is True, so strings, numbers and other objects are
    refused with a TypeError naming ``name`` rather than silently
    converted.  With ``none=True``, None is passed through.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if none and value is None:
        return None
    allowed = "True, False or None" if none else "True or False"
    raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")


def check_dim(dim, ndim=None, name="dim"):
    """A homology dimension as an int, 0 to ``ndim - 1`` when ``ndim`` is known.

    Raises TypeError for a non-integer (bools included), ValueError for a
    negative dimension or one an ``ndim``-dimensional image cannot have.
    """
    d = _as_int(dim, name)
    if d < 0:
        raise ValueError(f"{name} must be >= 0 (a homology dimension), got {d}")
    if ndim is not None and d >= ndim:
        raise ValueError(f"{name} must be between 0 and {ndim - 1} for a diagram of a "
                         f"{ndim}D image, got {d}")
    return d


def check_dims_within(dims, max_dim, name="dim"):
    """ValueError if a dimension of ``dims`` (a tuple, or None: all) exceeds ``max_dim``."""
    if dims is not None and dims and max(dims) > max_dim:
        raise ValueError(f"{name} must be between 0 and {max_dim} (the diagrams hold dimensions "
                         f"up to max_dim={max_dim}), got {max(dims)}")
    return dims


def reject_masked(array, name):
    """TypeError for a ``numpy.ma.MaskedArray`` (its mask would be silently ignored)."""
    if isinstance(array, np.ma.MaskedArray):
        raise TypeError(f"{name} is a numpy.ma.MaskedArray, and fasttopo does not use masks; "
                        f"pass {name}.filled(value) with the value masked pixels should take "
                        f"in the filtration (e.g. the maximum, so that they enter last in the "
                        f"sublevel filtration), or np.asarray({name}) to drop the mask")


#: optional dependency -> (pip extra, what it is called)
_EXTRAS = {"matplotlib": ("plot", "matplotlib"), "torch": ("torch", "PyTorch"),
           "tqdm": ("progress", "tqdm"), "dask": ("dask", "Dask"), "ot": ("ot", "POT"),
           "sklearn": ("ml", "scikit-learn")}


def missing_extra(module, purpose):
    """The one-line message for a missing optional dependency."""
    top = module.split(".")[0]
    extra, package = _EXTRAS.get(top, (top, top))
    return f'{purpose} needs {package}, which is not installed: pip install "fasttopo[{extra}]"'


def require(module, purpose):
    """Import an optional dependency, or raise a one-line ImportError naming its extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(missing_extra(module, purpose)) from None


def check_images_type(images):
    """TypeError for what cannot be a batch of images (None, dict, set, str, scalar)."""
    if (images is None or isinstance(images, (dict, set, frozenset, str, bytes))
            or not (hasattr(images, "__iter__") or hasattr(images, "__array__"))):
        raise TypeError(f"images must be a (B, ...) array stacking equally-shaped images, or a "
                        f"list of image arrays, got {type(images).__name__}")
    reject_masked(images, "images")


def check_list(images):
    """``(images, ndim)`` of a sequence of images of one ndim, each validated.

    NaN and infinities are left to the engine (which names ``images[i]``).
    """
    images = [check_image(image, name=f"images[{i}]", finite=False)
              for i, image in enumerate(images)]
    ndims = {image.ndim for image in images}
    if len(ndims) > 1:
        raise ValueError(f"images must all have the same ndim, got ndims {sorted(ndims)}")
    return images, (ndims.pop() if ndims else 1)


def check_stack(images):
    """A (B, ...) stack of 1D, 2D or 3D images, validated (NaN and inf: left to the engine)."""
    stack = np.asarray(images)
    if stack.ndim < 2 or stack.ndim > 4:
        raise ValueError(f"images must be a (B, ...) stack of 1D, 2D or 3D images (ndim 2 to 4), "
                         f"got ndim={stack.ndim} with shape {stack.shape}")
    if stack.shape[0] == 0:
        return stack
    stack = check_image(stack, name="images", ndims=(2, 3, 4), finite=False)
    return stack
