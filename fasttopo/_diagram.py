"""The result type: an immutable persistence diagram with birth and death pixels."""

import numpy as np

from ._validation import check_bool, check_connectivity, check_dim, check_int

__all__ = ["PersistenceDiagram"]

#: beyond this magnitude float64 no longer holds every integer difference exactly
_EXACT_LIMIT = 2**52


def _frozen(array, dtype, name):
    """A read-only 1-D copy of ``array`` as ``dtype``, checked: numbers only, integers for
    integer fields (no NaN silently cast to -2**63), no NaN for values."""
    if isinstance(array, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(array).__name__}")
    try:
        values = np.asarray(array)
    except Exception as exc:  # ragged lists ...
        raise TypeError(f"{name} must be a 1-D array of numbers ({exc})") from None
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
    if values.ndim > 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}")
    if np.dtype(dtype).kind == "i" and values.dtype.kind == "f":
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            raise ValueError(f"{name} must hold integers, got {values[bad][:3].tolist()}")
    if values.dtype.kind == "f" and np.isnan(values).any():
        where = int(np.flatnonzero(np.isnan(values))[0])
        raise ValueError(f"{name} contains NaN at position {where}")
    out = np.array(values, dtype=dtype, copy=True).reshape(-1)
    out.setflags(write=False)
    return out


def _check_shape(shape):
    """The image shape as a tuple of ints >= 1 (1 to 3 dimensions, as the engine's)."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    dims = tuple(check_int(s, "shape", 1) for s in dims)
    if not 1 <= len(dims) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 dimensions, got {dims}")
    return dims


def _check_fields(fields, shape):
    """ValueError for dimensions, pixel indices or births the image cannot have."""
    size = int(np.prod(shape))
    dim, bi, di = fields["dim"], fields["birth_index"], fields["death_index"]
    if len(dim) and (dim.min() < 0 or dim.max() >= len(shape)):
        raise ValueError(f"dim must be between 0 and {len(shape) - 1} for a {len(shape)}D "
                         f"image, got {int(dim.min())}..{int(dim.max())}")
    if len(bi) and (bi.min() < 0 or bi.max() >= size):
        raise ValueError(f"birth_index must be flat indices of an image of shape {shape} "
                         f"(0 to {size - 1}), got {int(bi.min())}..{int(bi.max())}")
    if len(di) and (di.min() < -1 or di.max() >= size):
        raise ValueError(f"death_index must be flat indices of an image of shape {shape} "
                         f"(0 to {size - 1}, -1 for an essential class), got "
                         f"{int(di.min())}..{int(di.max())}")
    if not np.isfinite(fields["birth"]).all():
        raise ValueError("birth must be finite (only the death of an essential class is "
                         "infinite)")


class PersistenceDiagram:
    """Persistence pairs of one image, each with its birth and death pixel.

    All arrays have the same length ``n`` (the number of pairs) and are
    read-only.  Pairs are grouped by dimension in increasing order.

    Parameters
    ----------
    dim : (n,) array_like of int
        Homological dimension of each pair (0: components, 1: loops,
        2: voids).
    birth, death : (n,) array_like of float
        Filtration values (image intensities) at which each class is born
        and dies, as float64.  An essential class has ``death = +inf`` for
        the sublevel filtration and ``-inf`` for the superlevel filtration.
        For int64/uint64 images with values beyond 2**52 these are the
        nearest float64 values; the exact ones are in :attr:`exact_birth`
        and :attr:`exact_death`, and :attr:`lifetime`, :meth:`top_k` and
        the functions built on them use the exact values.
    birth_index, death_index : (n,) array_like of int
        Flat C-order indices into the image of the birth pixel and the
        death pixel (``np.unravel_index(i, shape)`` gives coordinates).
        ``death_index`` is -1 for an essential class.
    shape : tuple of int
        Shape of the image the diagram was computed from.
    connectivity : int
        Connectivity used (1 = V-construction, ``len(shape)`` =
        T-construction), as in :func:`skimage.measure.label`.
    superlevel : bool, optional
        True if the diagram is of the superlevel-set filtration.

    Attributes
    ----------
    dim : (n,) ndarray of int8
    birth, death : (n,) ndarray of float64
    birth_index, death_index : (n,) ndarray of int64
    shape : tuple of int
    connectivity : int
    superlevel : bool

    Raises
    ------
    TypeError
        If an array does not hold real numbers (strings, objects, dates,
        complex), ``shape`` is not a tuple of ints, ``connectivity`` is
        not an int or ``superlevel`` not a bool.
    ValueError
        If the arrays do not all have the same length or are not 1-D,
        an integer field holds non-integers or NaN, a value is NaN or a
        birth infinite, ``shape`` has a size < 1 or more than 3
        dimensions, ``connectivity`` is not from 1 to ``len(shape)``, a
        dimension is not from 0 to ``len(shape) - 1`` or a pixel index
        lies outside the image (-1 only for an essential death).

    Notes
    -----
    The pairing is always computed on the exact image values.  For an
    int64 or uint64 image with a value beyond 2**52 in magnitude, float64
    ``birth`` and ``death`` are rounded (at 2**62 their spacing is 1024),
    so the diagram also keeps the exact integer values at the birth and
    death pixels: :attr:`exact_birth`, :attr:`exact_death`.  From them
    :attr:`lifetime` is computed exactly and rounded once (a lifetime of 1
    stays 1.0), and :meth:`top_k` orders by the exact lifetimes, so
    training targets and lifetime thresholds are those of the unshifted
    image.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence
    >>> image = np.array([[0, 5, 1], [5, 5, 5], [2, 5, 3]])
    >>> dgm = persistence(image, connectivity=1)
    >>> len(dgm)
    4
    >>> dgm.select(0).to_pairs()
    array([[ 1.,  5.],
           [ 2.,  5.],
           [ 3.,  5.],
           [ 0., inf]])
    """

    __slots__ = ("dim", "birth", "death", "birth_index", "death_index",
                 "shape", "connectivity", "superlevel", "_exact")

    def __init__(self, dim, birth, death, birth_index, death_index, *,
                 shape, connectivity, superlevel=False):
        fields = {
            "dim": _frozen(dim, np.int8, "dim"),
            "birth": _frozen(birth, np.float64, "birth"),
            "death": _frozen(death, np.float64, "death"),
            "birth_index": _frozen(birth_index, np.int64, "birth_index"),
            "death_index": _frozen(death_index, np.int64, "death_index"),
        }
        lengths = {name: len(a) for name, a in fields.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"diagram arrays must have equal lengths, got {lengths}")
        shape = _check_shape(shape)
        connectivity = check_connectivity(check_int(connectivity, "connectivity"), len(shape))
        superlevel = check_bool(superlevel, "superlevel")
        _check_fields(fields, shape)
        for name, a in fields.items():
            object.__setattr__(self, name, a)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "connectivity", connectivity)
        object.__setattr__(self, "superlevel", superlevel)

    @classmethod
    def _from_owned(cls, dim, birth, death, birth_index, death_index, shape,
                    connectivity, superlevel):
        """Fast constructor for arrays the engine has just created (no copy)."""
        self = object.__new__(cls)
        setattr_ = object.__setattr__
        for name, a in (("dim", dim), ("birth", birth), ("death", death),
                        ("birth_index", birth_index), ("death_index", death_index)):
            a.setflags(write=False)
            setattr_(self, name, a)
        setattr_(self, "shape", shape)
        setattr_(self, "connectivity", connectivity)
        setattr_(self, "superlevel", superlevel)
        return self

    @classmethod
    def _from_frozen(cls, arrays, shape, connectivity, superlevel):
        """Fastest constructor: ``arrays`` = (dim, birth, death, birth_index,
        death_index, ...) as a small-image kernel returns them, read-only
        already.  Runs once per ``persistence`` call of a small image, so it
        is written out (no loop, no flag set).
        """
        self = object.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(self, "dim", arrays[0])
        setattr_(self, "birth", arrays[1])
        setattr_(self, "death", arrays[2])
        setattr_(self, "birth_index", arrays[3])
        setattr_(self, "death_index", arrays[4])
        setattr_(self, "shape", shape)
        setattr_(self, "connectivity", connectivity)
        setattr_(self, "superlevel", superlevel)
        return self

    @classmethod
    def _split_owned(cls, arrays, ends, shape, connectivity, superlevel):
        """Diagrams ``arrays[k][ends[i]:ends[i + 1]]`` for each i (many small diagrams).

        ``arrays`` are the five engine-owned columns (dim, birth, death,
        birth_index, death_index), already read-only; ``ends`` a list of
        ints.  The slots are filled directly (this runs once per image of
        a batch).
        """
        dim, birth, death, birth_index, death_index = arrays
        setters = [cls.__dict__[name].__set__ for name in cls.__slots__[:8]]
        s_dim, s_b, s_d, s_bi, s_di, s_shape, s_conn, s_sup = setters
        new = object.__new__
        out = []
        for a, b in zip(ends[:-1], ends[1:]):
            self = new(cls)
            s_dim(self, dim[a:b])
            s_b(self, birth[a:b])
            s_d(self, death[a:b])
            s_bi(self, birth_index[a:b])
            s_di(self, death_index[a:b])
            s_shape(self, shape)
            s_conn(self, connectivity)
            s_sup(self, superlevel)
            out.append(self)
        return out

    def __setattr__(self, name, value):
        raise AttributeError("PersistenceDiagram is immutable")

    def __delattr__(self, name):
        raise AttributeError("PersistenceDiagram is immutable")

    def __reduce__(self):
        return (_rebuild, (self.dim, self.birth, self.death, self.birth_index,
                           self.death_index, self.shape, self.connectivity,
                           self.superlevel, self._exact_values()))

    # ------------------------------------------------------- exact values
    def _exact_values(self):
        """``(birth, death)`` exact integer arrays, or None (float64 is exact)."""
        return getattr(self, "_exact", None)

    def _attach_exact(self, birth, death):
        """Keep exact integer values (owned arrays of the diagram's length)."""
        birth, death = np.asarray(birth), np.asarray(death)
        if birth.shape != self.birth.shape or death.shape != self.death.shape:
            raise ValueError(f"exact values must have {len(self)} entries, got "
                             f"{birth.shape} and {death.shape}")
        birth.setflags(write=False)
        death.setflags(write=False)
        object.__setattr__(self, "_exact", (birth, death))
        return self

    def _with_image(self, image):
        """Attach the exact values of ``image`` at the pixels if float64 rounds them.

        Only int64/uint64 images with a value beyond 2**52 at a birth or
        death pixel need it; every other diagram is returned unchanged.
        """
        if image.dtype.kind not in "iu" or image.dtype.itemsize < 8 or not len(self):
            return self
        flat = image.reshape(-1)
        essential = self.death_index < 0
        birth = flat[self.birth_index]
        death = flat[np.where(essential, 0, self.death_index)]
        death[essential] = 0
        big = ((birth > _EXACT_LIMIT) | (death > _EXACT_LIMIT)).any()
        if image.dtype.kind == "i":
            big = big or ((birth < -_EXACT_LIMIT) | (death < -_EXACT_LIMIT)).any()
        return self._attach_exact(birth, death) if big else self

    def _exact_lifetime(self):
        """Exact lifetimes as uint64 (essential: 0), or None when float64 is exact."""
        exact = self._exact_values()
        if exact is None:
            return None
        birth, death = exact
        high, low = np.maximum(birth, death), np.minimum(birth, death)
        out = high.astype(np.uint64) - low.astype(np.uint64)  # mod 2**64: exact, < 2**64
        out[self.is_essential] = 0
        return out

    @property
    def exact_birth(self):
        """Birth values exactly as in the image.

        For an int64/uint64 image with values beyond 2**52, an array of the
        image's dtype; otherwise :attr:`birth` itself (float64 is exact).
        """
        exact = self._exact_values()
        return self.birth if exact is None else exact[0]

    @property
    def exact_death(self):
        """Death values exactly as in the image (see :attr:`exact_birth`).

        In the integer case an essential class, which never dies, holds 0
        here (:attr:`is_essential` marks it); :attr:`death` holds +-inf.
        """
        exact = self._exact_values()
        return self.death if exact is None else exact[1]

    # ------------------------------------------------------------------ basics
    def __len__(self):
        return len(self.dim)

    @property
    def ndim(self):
        """Number of dimensions of the image (``len(shape)``)."""
        return len(self.shape)

    def counts(self):
        """Number of pairs in each dimension, as a dict ``{dim: count}``."""
        dims, counts = np.unique(self.dim, return_counts=True)
        return {int(d): int(c) for d, c in zip(dims, counts)}

    def __repr__(self):
        kind = "superlevel" if self.superlevel else "sublevel"
        return (f"PersistenceDiagram(shape={self.shape}, connectivity={self.connectivity}, "
                f"{kind}, pairs per dimension={self.counts()})")

    def __eq__(self, other):
        if not isinstance(other, PersistenceDiagram):
            return NotImplemented
        return (self.shape == other.shape and self.connectivity == other.connectivity
                and self.superlevel == other.superlevel
                and all(np.array_equal(getattr(self, f), getattr(other, f))
                        for f in ("dim", "birth", "death", "birth_index", "death_index",
                                  "exact_birth", "exact_death")))

    __hash__ = None

    def __getitem__(self, key):
        """Subset of pairs selected by a boolean mask, index array or slice."""
        if isinstance(key, (int, np.integer)):
            key = [key]
        out = PersistenceDiagram(
            self.dim[key], self.birth[key], self.death[key], self.birth_index[key],
            self.death_index[key], shape=self.shape, connectivity=self.connectivity,
            superlevel=self.superlevel)
        exact = self._exact_values()
        if exact is not None:
            out._attach_exact(exact[0][key].reshape(-1), exact[1][key].reshape(-1))
        return out

    # ------------------------------------------------------------- derived data
    @property
    def lifetime(self):
        """Lifetime (persistence) ``|death - birth|`` of each pair, ``inf`` if essential.

        float64.  For int64/uint64 images beyond 2**52 it is computed from
        the exact values and rounded once, so small lifetimes stay exact.
        """
        exact = self._exact_lifetime()
        if exact is not None:
            out = exact.astype(np.float64)
            out[self.is_essential] = np.inf
            return out
        with np.errstate(invalid="ignore"):
            return np.abs(self.death - self.birth)

    @property
    def is_essential(self):
        """Boolean mask of the essential classes (those that never die)."""
        return self.death_index < 0

    def select(self, dim):
        """Pairs of one dimension (an int) or several (a sequence of ints).

        Raises ValueError for a dimension outside 0 to ``ndim - 1``.
        """
        dims = [dim] if np.ndim(dim) == 0 else list(np.asarray(dim).reshape(-1))
        for d in dims:
            check_dim(d, self.ndim)
        return self[np.isin(self.dim, np.asarray(dims, dtype=np.int64))]

    def finite(self):
        """The pairs with a finite death (essential classes removed)."""
        return self[~self.is_essential]

    def top_k(self, k, dim=None):
        """The ``k`` longest-lived pairs, by decreasing lifetime.

        Essential classes (infinite lifetime) come first.  Ties in lifetime
        keep the diagram's order (stable sort).  ``dim`` restricts to one
        dimension first.  Lifetimes are compared exactly, also for
        int64/uint64 images beyond 2**53 (see :attr:`exact_birth`).
        """
        k = check_int(k, "k", 0)
        dgm = self if dim is None else self.select(check_dim(dim, self.ndim))
        exact = dgm._exact_lifetime()
        if exact is None:
            order = np.argsort(-dgm.lifetime, kind="stable")[:k]
        else:  # essential first, then decreasing exact lifetime; lexsort is stable
            order = np.lexsort((~exact, ~dgm.is_essential))[:k]
        return dgm[order]

    def birth_coordinates(self):
        """Coordinates of the birth pixels, an ``(n, ndim)`` int64 array."""
        return np.stack(np.unravel_index(self.birth_index, self.shape), axis=-1).astype(np.int64)

    def death_coordinates(self):
        """Coordinates of the death pixels, ``(n, ndim)`` int64; rows of -1 if essential."""
        idx = np.where(self.death_index < 0, 0, self.death_index)
        coords = np.stack(np.unravel_index(idx, self.shape), axis=-1).astype(np.int64)
        coords[self.death_index < 0] = -1
        return coords.reshape(len(self), len(self.shape))

    def to_array(self):
        """An ``(n, 3)`` float64 array of ``(dim, birth, death)`` rows."""
        return np.column_stack([self.dim.astype(np.float64), self.birth, self.death])

    def to_pairs(self, dim=None):
        """An ``(n, 2)`` float64 array of ``(birth, death)``, optionally of one dimension."""
        dgm = self if dim is None else self.select(dim)
        return np.column_stack([dgm.birth, dgm.death])

    def to_gudhi(self):
        """The pairs in GUDHI's format: a list of ``(dim, (birth, death))``."""
        return [(int(d), (float(b), float(e)))
                for d, b, e in zip(self.dim, self.birth, self.death)]

    def to_dict(self):
        """Plain dict of arrays (for ``np.savez``); inverse: ``PersistenceDiagram.from_dict``.

        Holds ``exact_birth``/``exact_death`` too when the diagram keeps
        exact integer values (int64/uint64 images beyond 2**52).
        """
        out = {"dim": self.dim, "birth": self.birth, "death": self.death,
               "birth_index": self.birth_index, "death_index": self.death_index,
               "shape": np.array(self.shape, dtype=np.int64),
               "connectivity": np.int64(self.connectivity),
               "superlevel": np.bool_(self.superlevel)}
        exact = self._exact_values()
        if exact is not None:
            out["exact_birth"], out["exact_death"] = exact
        return out

    @classmethod
    def from_dict(cls, d):
        """Rebuild a diagram from :meth:`to_dict` output (or a loaded ``.npz``)."""
        out = cls(d["dim"], d["birth"], d["death"], d["birth_index"], d["death_index"],
                  shape=tuple(np.asarray(d["shape"]).tolist()),
                  connectivity=int(d["connectivity"]), superlevel=bool(d["superlevel"]))
        if "exact_birth" in d:
            out._attach_exact(np.array(d["exact_birth"]), np.array(d["exact_death"]))
        return out


def _rebuild(dim, birth, death, birth_index, death_index, shape, connectivity, superlevel,
             exact=None):
    out = PersistenceDiagram(dim, birth, death, birth_index, death_index, shape=shape,
                             connectivity=connectivity, superlevel=superlevel)
    if exact is not None:
        out._attach_exact(np.array(exact[0]), np.array(exact[1]))
    return out
