"""The batched diagram type of ``fasttopo.nn``: flat tensors plus CPU-side indices."""

import math
from collections import namedtuple

import numpy as np
import torch

from .._diagram import PersistenceDiagram

__all__ = ["Diagrams"]

_KINDS = ("cubical", "rips", "alpha", "custom")
# The fields of ``Diagrams`` travel in two groups: one entry per pair (``Rows``) and
# what holds for the whole batch (``Meta``).
Rows = namedtuple("Rows", ["dim", "item", "birth_index", "death_index"])
Meta = namedtuple("Meta", ["batch_shape", "shape", "superlevel", "connectivity", "max_dim",
                           "kind"])


def _as_index(values, n, name):
    out = np.asarray(values, dtype=np.int64)
    if out.shape[:1] != (n,):
        raise ValueError(f"{name} must have {n} rows (one per pair), got shape {out.shape}")
    return out


class Diagrams:
    """Persistence diagrams of a batch of inputs, stored as flat tensors.

    The pairs of all inputs of the batch are concatenated: row ``i`` is a
    pair of dimension ``dim[i]`` of input ``item[i]`` (an index into the
    flattened batch), with values ``birth[i]`` and ``death[i]``.  The
    values are tensors on the device of the input, gathered from it, so
    that autograd sends the gradient of a pair to its birth and death
    cells.  The indices are NumPy arrays: they are computed on the CPU and
    carry no gradient.  Rows are grouped by ``item`` (increasing), and
    within an input by increasing dimension.

    Objects of this class are returned by :func:`fasttopo.nn.persistence`,
    :func:`fasttopo.nn.rips_persistence` and
    :func:`fasttopo.nn.alpha_persistence`, and consumed by the losses.

    Parameters
    ----------
    birth, death : (n,) Tensor
        Birth and death values (floating point, same dtype and device).
        An essential class has ``death = +inf`` (sublevel) or ``-inf``
        (superlevel).
    dim : (n,) array_like of int
        Homological dimension of each pair.
    item : (n,) array_like of int
        Index of the input of each pair in the flattened batch
        (``0 <= item < prod(batch_shape)``), non-decreasing.
    batch_shape : tuple of int
        Shape of the batch: ``(B, C)`` for a ``(B, C, H, W)`` input, ``()``
        for a single image.
    birth_index, death_index : (n,) or (n, 2) array_like of int, optional
        The cells that create and destroy each class.  Cubical complexes:
        flat C-order pixel indices within the input (-1 for an essential
        death).  Point clouds: the vertex pair ``(u, v)`` of an edge,
        ``(v, v)`` for a vertex, ``(-1, -1)`` for an essential death.
        Default: -1 (unknown).
    shape : tuple of int, optional
        Shape of one input (image shape, or ``(N,)`` points).
    superlevel : bool, optional
        True for a superlevel-set filtration (births above deaths).
    connectivity : int, optional
        Connectivity of the cubical complex (``None`` otherwise).
    max_dim : int, optional
        Largest homology dimension that was computed (default: the largest
        in ``dim``, or 0).
    kind : {'cubical', 'rips', 'alpha', 'custom'}, optional
        What the diagrams were computed from.

    Attributes
    ----------
    birth, death : (n,) Tensor
    dim : (n,) ndarray of int8
    item : (n,) ndarray of int64
    birth_index, death_index : (n,) or (n, 2) ndarray of int64
    batch_shape, shape : tuple of int
    superlevel : bool
    connectivity : int or None
    max_dim : int
    kind : str

    Raises
    ------
    TypeError
        If ``birth``/``death`` are not floating-point tensors.
    ValueError
        If the arrays do not have one row per pair, ``item`` is out of
        range or not sorted, or ``kind`` is unknown.

    See Also
    --------
    fasttopo.nn.persistence : diagrams of a batch of images.

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[[[0., 3., 1.],
    ...                     [3., 3., 3.],
    ...                     [2., 3., 0.5]]]], requires_grad=True)
    >>> dgms = tnn.persistence(x)
    >>> dgms.batch_shape, len(dgms)
    ((1, 1), 4)
    >>> dgms.birth.tolist(), dgms.death.tolist(), dgms.item.tolist()
    ([1.0, 2.0, 0.5, 0.0], [3.0, 3.0, 3.0, inf], [0, 0, 0, 0])
    >>> dgms.birth_index, dgms.death_index     # flat pixel indices; -1: never dies
    (array([2, 6, 8, 0]), array([ 1,  3,  4, -1]))
    >>> birth, death, mask = dgms.to_padded(dim=0)
    >>> birth.shape, mask.sum().item()
    (torch.Size([1, 1, 4]), 4)
    """

    __slots__ = ("_birth", "_death", "dim", "item", "birth_index", "death_index",
                 "batch_shape", "shape", "superlevel", "connectivity", "max_dim", "kind",
                 "_birth_np", "_death_np", "_source")

    def __init__(self, birth, death, dim, item, *, batch_shape, birth_index=None,
                 death_index=None, shape=None, superlevel=False, connectivity=None,
                 max_dim=None, kind="custom"):
        for name, t in (("birth", birth), ("death", death)):
            if not isinstance(t, torch.Tensor) or not t.is_floating_point():
                raise TypeError(f"{name} must be a floating-point torch.Tensor, got "
                                f"{type(t).__name__}"
                                f"{' of dtype ' + str(t.dtype) if isinstance(t, torch.Tensor) else ''}")
        birth, death = birth.reshape(-1), death.reshape(-1)
        n = birth.shape[0]
        if death.shape[0] != n:
            raise ValueError(f"birth and death must have the same length, got {n} and "
                             f"{death.shape[0]}")
        if death.dtype != birth.dtype or death.device != birth.device:
            raise ValueError(f"birth and death must have the same dtype and device, got "
                             f"{birth.dtype}/{birth.device} and {death.dtype}/{death.device}")
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        batch_shape = tuple(int(s) for s in batch_shape)
        items = math.prod(batch_shape)
        dim = _as_index(dim, n, "dim").astype(np.int8)
        item = _as_index(item, n, "item")
        if n and (item.min() < 0 or item.max() >= items or np.any(np.diff(item) < 0)):
            raise ValueError(f"item must be non-decreasing indices in [0, {items}) for "
                             f"batch_shape={batch_shape}")
        birth_index = (np.full(n, -1, np.int64) if birth_index is None
                       else _as_index(birth_index, n, "birth_index"))
        death_index = (np.full(n, -1, np.int64) if death_index is None
                       else _as_index(death_index, n, "death_index"))
        values = torch.stack([birth.detach(), death.detach()]).to("cpu", torch.float64)
        meta = Meta(batch_shape, None if shape is None else tuple(int(s) for s in shape),
                    bool(superlevel), None if connectivity is None else int(connectivity),
                    int(dim.max(initial=0)) if max_dim is None else int(max_dim), kind)
        self._set(birth, death, Rows(dim, item, birth_index, death_index), meta,
                  values[0].numpy(), values[1].numpy())

    def _set(self, birth, death, rows, meta, birth_np, death_np, source=None):
        # ``source`` (cubical diagrams of fasttopo.nn.persistence): the flattened input
        # and, per row, the flat indices of the birth and death cells in it (the birth
        # cell standing in for an essential death); ``birth``/``death`` are then
        # gathered from it when first asked for (None until then), and the losses
        # gather the rows they use straight from it (``values``)
        # (``rows``: a ``Rows``; ``meta``: a ``Meta``; ``birth_np``/``death_np``: the
        # values as float64 NumPy arrays)
        self._birth, self._death = birth, death
        self._source = source
        self.dim, self.item, self.birth_index, self.death_index = rows
        (self.batch_shape, self.shape, self.superlevel, self.connectivity, self.max_dim,
         self.kind) = meta
        self._birth_np, self._death_np = birth_np, death_np
        return self

    @classmethod
    def _make(cls, birth, death, rows, meta, birth_np, death_np, source=None):
        """Fast constructor from already consistent fields (no checks, no copies)."""
        return object.__new__(cls)._set(birth, death, rows, meta, birth_np, death_np, source)

    @classmethod
    def _gathered(cls, flat, birth_cells, death_cells, rows, meta, birth_np, death_np):
        """Diagrams whose values are ``flat[birth_cells]``, ``flat[death_cells]``.

        ``flat`` is a 1-D tensor (the input, flattened), the cells are int64
        NumPy arrays (one per row; any value for an essential death).  The
        values are gathered lazily, with the grad mode of this call, and only
        if ``flat`` has not been modified in place since; the other arguments
        are those of ``_make``.
        """
        if not torch.is_grad_enabled():
            flat = flat.detach()
        return cls._make(None, None, rows, meta, birth_np, death_np,
                         (flat, birth_cells, death_cells, flat._version))

    def _rows(self):
        return Rows(self.dim, self.item, self.birth_index, self.death_index)

    def _meta(self):
        return Meta(self.batch_shape, self.shape, self.superlevel, self.connectivity,
                    self.max_dim, self.kind)

    @property
    def birth_array(self):
        """Birth values as a read-only (n,) float64 NumPy array (no gradient, on the CPU)."""
        return self._birth_np

    @property
    def death_array(self):
        """Death values as a read-only (n,) float64 NumPy array (``±inf``: essential)."""
        return self._death_np

    def values(self, rows=None, *, finite=False):
        """Birth and death values of some rows, with gradient.

        Equal to ``birth[rows], death[rows]``.  For diagrams of
        :func:`fasttopo.nn.persistence` they are gathered from the input in
        one ``index_select`` (a shorter autograd graph, used by the losses).

        Parameters
        ----------
        rows : (m,) array_like of int, optional
            Row indices, in any order (default: all rows).
        finite : bool, optional
            The caller knows that no row is an essential class (e.g. rows
            of finite pairs): the deaths are not checked for ``±inf``.

        Returns
        -------
        birth, death : (m,) Tensor
            dtype and device of the diagrams; ``death`` is ``±inf`` for
            essential classes.

        Raises
        ------
        RuntimeError
            If the input of :func:`fasttopo.nn.persistence` was modified in
            place after the call and before its values were first read.

        Examples
        --------
        >>> import numpy as np, torch
        >>> import fasttopo.nn as tnn
        >>> x = torch.tensor([[0., 3., 1.], [3., 3., 3.], [2., 3., 0.5]], requires_grad=True)
        >>> birth, death = tnn.persistence(x).values(np.array([2, 0]))
        >>> birth.tolist(), death.tolist()
        ([0.5, 1.0], [3.0, 3.0])
        """
        rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        return self._values(rows, bool(finite))

    def _values(self, rows, finite):
        """``values(rows)``; ``finite``: the caller knows that no row is essential."""
        if self._source is None or self._birth is not None:
            if rows is None:
                return self.birth, self.death
            t = torch.from_numpy(rows).to(self.device, non_blocking=True)
            return self.birth.index_select(0, t), self.death.index_select(0, t)
        flat, birth_cells, death_cells, version = self._source
        if flat._version != version:
            raise RuntimeError("the input of fasttopo.nn.persistence was modified in place "
                               "after the diagrams were computed; compute them again (or "
                               "read birth/death before modifying it)")
        if rows is not None:
            birth_cells, death_cells = birth_cells[rows], death_cells[rows]
        n = birth_cells.shape[0]
        if n == 0:
            return flat[:0], flat[:0]
        index = torch.from_numpy(np.concatenate([birth_cells, death_cells]))
        birth, death = flat.index_select(0, index.to(flat.device, non_blocking=True)).split(n)
        if finite:
            return birth, death
        death_np = self._death_np if rows is None else self._death_np[rows]
        essential = np.flatnonzero(np.isinf(death_np))
        if essential.size:
            death = death.index_fill(0, torch.from_numpy(essential).to(flat.device),
                                     -np.inf if self.superlevel else np.inf)
        return birth, death

    def _materialise(self):
        self._birth, self._death = self.values()

    @property
    def birth(self):
        """Birth values, (n,) tensor with gradient."""
        if self._birth is None:
            self._materialise()
        return self._birth

    @property
    def death(self):
        """Death values, (n,) tensor with gradient (``±inf`` for essential classes)."""
        if self._death is None:
            self._materialise()
        return self._death

    @classmethod
    def from_numpy(cls, diagrams, *, batch_shape=None, device=None, dtype=torch.float64):
        """Diagrams (without gradient) from NumPy :class:`~fasttopo.PersistenceDiagram` objects.

        Parameters
        ----------
        diagrams : PersistenceDiagram or sequence of PersistenceDiagram
            One diagram (``batch_shape=()``) or one per input of the batch.
        batch_shape : tuple of int, optional
            Default ``()`` for one diagram, ``(len(diagrams),)`` for a list.
        device : torch.device or str, optional
            Where to put the values (default CPU).
        dtype : torch.dtype, optional
            Floating dtype of the values (default float64).

        Returns
        -------
        Diagrams

        Raises
        ------
        TypeError
            If an element is not a PersistenceDiagram.
        ValueError
            If ``batch_shape`` does not match the number of diagrams.

        Examples
        --------
        >>> import numpy as np, fasttopo
        >>> from fasttopo.nn import Diagrams
        >>> target = Diagrams.from_numpy(fasttopo.persistence(np.eye(3)))  # a ring of 0s
        >>> target.batch_shape, target.dim, target.death
        ((), array([0, 1], dtype=int8), tensor([inf, 1.], dtype=torch.float64))
        """
        single = isinstance(diagrams, PersistenceDiagram)
        items = [diagrams] if single else list(diagrams)
        for i, d in enumerate(items):
            if not isinstance(d, PersistenceDiagram):
                raise TypeError(f"diagrams[{i}] must be a PersistenceDiagram, got "
                                f"{type(d).__name__}")
        if batch_shape is None:
            batch_shape = () if single else (len(items),)
        batch_shape = tuple(int(s) for s in batch_shape)
        if math.prod(batch_shape) != len(items):
            raise ValueError(f"batch_shape={batch_shape} does not hold {len(items)} diagrams")
        cat = (lambda name, dt: np.concatenate([getattr(d, name) for d in items]).astype(dt)
               if items else np.empty(0, dt))
        counts = [len(d) for d in items]
        item = np.repeat(np.arange(len(items), dtype=np.int64), counts)
        birth_np, death_np = cat("birth", np.float64), cat("death", np.float64)
        shapes = {d.shape for d in items}
        conns = {d.connectivity for d in items}
        supers = {d.superlevel for d in items}
        if len(supers) > 1:
            raise ValueError("diagrams mix sublevel and superlevel filtrations")
        dim = cat("dim", np.int8)
        rows = Rows(dim, item, cat("birth_index", np.int64), cat("death_index", np.int64))
        meta = Meta(batch_shape, shapes.pop() if len(shapes) == 1 else None,
                    supers.pop() if supers else False, conns.pop() if len(conns) == 1 else None,
                    int(dim.max(initial=0)), "cubical")
        return cls._make(torch.tensor(birth_np, dtype=dtype, device=device),
                         torch.tensor(death_np, dtype=dtype, device=device), rows, meta,
                         birth_np, death_np)

    # ------------------------------------------------------------------ basics
    def __len__(self):
        return self.dim.shape[0]

    @property
    def n_items(self):
        """Number of inputs in the batch (``prod(batch_shape)``)."""
        return math.prod(self.batch_shape)

    @property
    def device(self):
        """Device of the values."""
        return (self._source[0] if self._birth is None else self._birth).device

    @property
    def dtype(self):
        """dtype of the values."""
        return (self._source[0] if self._birth is None else self._birth).dtype

    def __repr__(self):
        level = "superlevel" if self.superlevel else "sublevel"
        return (f"Diagrams(kind={self.kind!r}, batch_shape={self.batch_shape}, "
                f"shape={self.shape}, {level}, pairs={len(self)}, max_dim={self.max_dim}, "
                f"device={self.device}, dtype={self.dtype})")

    @property
    def lifetime(self):
        """Lifetimes ``|death - birth|`` (a tensor with gradient; ``inf`` if essential)."""
        return self.birth - self.death if self.superlevel else self.death - self.birth

    @property
    def is_essential(self):
        """Boolean NumPy mask of the essential classes (infinite death)."""
        return np.isinf(self._death_np)

    def counts(self, dim=None):
        """Number of pairs of each input (of dimension(s) ``dim``), shape ``batch_shape``."""
        item = self.item if dim is None else self.item[np.isin(self.dim, np.atleast_1d(dim))]
        return np.bincount(item, minlength=self.n_items).reshape(self.batch_shape)

    def _take(self, rows):
        """The subset of rows ``rows`` (sorted int array), keeping the batch."""
        fields = (Rows(*(a[rows] for a in self._rows())), self._meta(), self._birth_np[rows],
                  self._death_np[rows])
        if self._source is not None and self._birth is None:
            flat, birth_cells, death_cells, version = self._source
            return Diagrams._make(None, None, *fields,
                                  (flat, birth_cells[rows], death_cells[rows], version))
        return Diagrams._make(*self.values(rows), *fields)

    def select(self, dim):
        """The pairs of one dimension (an int) or several (a sequence of ints)."""
        return self._take(np.flatnonzero(np.isin(self.dim, np.atleast_1d(dim))))

    def finite(self):
        """The pairs with a finite death (essential classes removed)."""
        return self._take(np.flatnonzero(~self.is_essential))

    def detach(self):
        """The same diagrams with values detached from the autograd graph."""
        return Diagrams._make(self.birth.detach(), self.death.detach(), self._rows(),
                              self._meta(), self._birth_np, self._death_np)

    def to_padded(self, dim=None, fill=0.0):
        """Padded ``(*batch_shape, L)`` tensors of births and deaths, and a mask.

        Parameters
        ----------
        dim : int or sequence of int, optional
            Keep these dimensions only (default all).
        fill : float, optional
            Value of the padding.

        Returns
        -------
        birth, death : (*batch_shape, L) Tensor
            ``L`` is the largest number of pairs of an input; differentiable.
        mask : (*batch_shape, L) bool Tensor
            True where a pair is stored.
        """
        dgm = self if dim is None else self.select(dim)
        n_items = dgm.n_items
        counts = np.bincount(dgm.item, minlength=n_items)
        width = int(counts.max(initial=0))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = dgm.item * width + (np.arange(len(dgm)) - starts[dgm.item])
        index = torch.from_numpy(pos).to(dgm.device)
        out = []
        for values in (dgm.birth, dgm.death):
            flat = values.new_full((n_items * width,), fill)
            out.append(flat.index_put((index,), values).reshape(self.batch_shape + (width,)))
        mask = torch.zeros(n_items * width, dtype=torch.bool, device=dgm.device)
        mask[index] = True
        return out[0], out[1], mask.reshape(self.batch_shape + (width,))

    def to_arrays(self):
        """One ``(n_i, 3)`` float64 NumPy array of ``(dim, birth, death)`` rows per input."""
        table = np.column_stack([self.dim.astype(np.float64), self._birth_np, self._death_np])
        ends = np.cumsum(np.bincount(self.item, minlength=self.n_items))
        return np.split(table, ends[:-1])

    def to_numpy(self):
        """One :class:`~fasttopo.PersistenceDiagram` per input (cubical diagrams only).

        The diagrams equal those of :func:`fasttopo.persistence_batch` on the
        inputs (values converted to float64).
        """
        if self.kind not in ("cubical",):
            raise TypeError(f"to_numpy() needs cubical diagrams (pixel indices), these are "
                            f"{self.kind!r}; use to_arrays()")
        ends = np.cumsum(np.bincount(self.item, minlength=self.n_items)).tolist()
        starts = [0] + ends[:-1]
        return [PersistenceDiagram(self.dim[a:b], self._birth_np[a:b], self._death_np[a:b],
                                   self.birth_index[a:b], self.death_index[a:b],
                                   shape=self.shape, connectivity=self.connectivity,
                                   superlevel=self.superlevel)
                for a, b in zip(starts, ends)]
