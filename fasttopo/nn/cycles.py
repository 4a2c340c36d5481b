"""Representative cycles of ``fasttopo.nn`` diagrams: pixel indices and weight maps.

Losses on whole cycles (push every pixel of a spurious loop, not only its
birth and death pixel) need the cycles' pixels; they are computed on the
CPU without gradient (:func:`fasttopo.representative_cycles`) and handed
to torch as indices into the input, on its device.
"""

import numpy as np
import torch
from torch import nn

from .._diagram import PersistenceDiagram
from .._validation import check_dims_within, check_int
from ..cycles import representative_cycles
from ._loss_tools import check_diagrams, check_dims, finite_rows, module_repr
from .cubical import check_tensor, cpu_values

__all__ = ["cycle_indices", "cycle_weights", "CycleWeights"]


def _selected(dgm, dim, k):
    """The finite rows of dimensions ``dim``, the ``k`` longest-lived of each input."""
    dims = check_dims_within(check_dims(dim), dgm.max_dim)
    rows = finite_rows(dgm, dims)
    life = np.abs(dgm.death_array[rows] - dgm.birth_array[rows])
    rows = rows[np.lexsort((-life, dgm.item[rows]))]   # by input, longest first (stable)
    if k is not None:
        item = dgm.item[rows]
        rank = np.arange(rows.size) - np.searchsorted(item, item)
        rows = rows[rank < check_int(k, "k", 0)]
    return rows


def _check_input(dgm, x):
    if dgm.kind != "cubical" or dgm.shape is None:
        raise ValueError(f"diagrams must be cubical diagrams of images (fasttopo.nn.persistence"
                         f"), got kind={dgm.kind!r}")
    x = check_tensor(x)
    if tuple(x.shape) != tuple(dgm.batch_shape) + tuple(dgm.shape):
        raise ValueError(f"x must be the tensor the diagrams were computed from, of shape "
                         f"{tuple(dgm.batch_shape) + tuple(dgm.shape)}, got {tuple(x.shape)}")
    return x


def cycle_indices(diagrams, x, *, dim=None, k=None):
    """The pixels of the representative cycles of pairs of ``diagrams``, as indices into ``x``.

    Parameters
    ----------
    diagrams : Diagrams
        Cubical diagrams, ``fasttopo.nn.persistence(x, ...)``.
    x : Tensor
        The input they were computed from, ``(*batch_shape, *shape)``.
    dim : int or sequence of int, optional
        Dimensions of the pairs (default: all).
    k : int, optional
        Only the ``k`` longest-lived pairs of each input (the selected
        dimensions ranked together; default: all).  Essential classes,
        whose cycle is the whole image, are left out.

    Returns
    -------
    rows : (m,) ndarray of int64
        The selected rows of ``diagrams``: by input, then by decreasing
        lifetime (ties in diagram order).
    index : (N,) LongTensor
        Flat indices into ``x.reshape(-1)`` of the pixels of the cycles,
        concatenated in the order of ``rows``; on ``x.device``.
    segment : (N,) LongTensor
        For each entry of ``index``, the position of its row in ``rows``.

    Raises
    ------
    TypeError
        If ``diagrams`` is not a Diagrams, ``x`` not a floating-point
        tensor, ``dim`` or ``k`` not ints.
    ValueError
        If the diagrams are not cubical, ``x`` has another shape or other
        values than the input of the diagrams, or ``dim``/``k`` are out of
        range.

    See Also
    --------
    fasttopo.representative_cycles : the meaning of the cycles.
    cycle_weights : the same pixels as a weight map.

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[5., 5., 5., 5.],
    ...                   [5., 1., 1., 5.],
    ...                   [5., 1., 8., 1.],
    ...                   [5., 1., 1., 5.]], requires_grad=True)
    >>> rows, index, segment = tnn.cycle_indices(tnn.persistence(x), x, dim=1)
    >>> rows, index.tolist()     # the loop: the 4-neighbours of the 8
    (array([1]), [6, 9, 11, 14])
    >>> per_cycle = torch.zeros(len(rows)).index_add(0, segment, x.reshape(-1)[index])
    >>> per_cycle      # a loss on the whole cycle, differentiable in x
    tensor([4.], grad_fn=<IndexAddBackward0>)
    """
    dgm = check_diagrams(diagrams, "diagrams")
    x = _check_input(dgm, x)
    rows = _selected(dgm, dim, k)
    values = cpu_values(x).reshape((-1,) + tuple(dgm.shape))
    npix = int(np.prod(dgm.shape))
    pieces, owners = [], []
    items = dgm.item[rows]
    starts = np.flatnonzero(np.concatenate([[True], items[1:] != items[:-1]])) \
        if rows.size else np.zeros(0, np.int64)
    for a, b in zip(starts.tolist(), starts[1:].tolist() + [rows.size]):
        sel = rows[a:b]
        item = int(items[a])
        one = PersistenceDiagram(dgm.dim[sel], dgm.birth_array[sel], dgm.death_array[sel],
                                 dgm.birth_index[sel], dgm.death_index[sel], shape=dgm.shape,
                                 connectivity=dgm.connectivity, superlevel=dgm.superlevel)
        try:
            cycles = representative_cycles(values[item], one)
        except ValueError as exc:
            raise ValueError(f"input {item} of the batch: {exc}") from None
        for j, coords in enumerate(cycles):
            pieces.append(np.ravel_multi_index(tuple(coords.T), dgm.shape) + item * npix)
            owners.append(np.full(len(coords), a + j, dtype=np.int64))
    index = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
    segment = np.concatenate(owners) if owners else np.zeros(0, np.int64)
    return (rows, torch.from_numpy(index).to(x.device),
            torch.from_numpy(segment).to(x.device))


def cycle_weights(diagrams, x, *, dim=None, k=None):
    """A weight map with 1 on the pixels of the representative cycles of pairs of ``diagrams``.

    Parameters
    ----------
    diagrams, x, dim, k
        As in :func:`cycle_indices`.

    Returns
    -------
    weights : Tensor
        Shape, dtype and device of ``x``; 1 on the pixels of the selected
        pairs' cycles, 0 elsewhere.  No gradient: the weights are
        constants of a loss such as ``(weights * (x - target) ** 2).sum()``,
        whose gradient flows to ``x`` on the cycles only.

    Raises
    ------
    TypeError, ValueError
        As :func:`cycle_indices`.

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.rand(2, 1, 16, 16, dtype=torch.float64, requires_grad=True)
    >>> w = tnn.cycle_weights(tnn.persistence(x), x, dim=1, k=3)
    >>> w.shape, w.requires_grad
    (torch.Size([2, 1, 16, 16]), False)
    >>> loss = (w * x).sum()   # pushes down every pixel of the three longest loops
    >>> loss.backward()
    >>> bool((x.grad == w).all())
    True
    """
    _, index, _ = cycle_indices(diagrams, x, dim=dim, k=k)
    weights = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    weights[index] = 1
    return weights.reshape(x.shape)


class CycleWeights(nn.Module):
    """Weight map of the cycles of pairs; see :func:`fasttopo.nn.cycle_weights`.

    Parameters
    ----------
    dim, k
        As in :func:`fasttopo.nn.cycle_weights`.

    Returns
    -------
    weights : Tensor
        From ``forward(diagrams, x)``, as :func:`fasttopo.nn.cycle_weights`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.cycle_weights`.

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, CycleWeights
    >>> x = torch.rand(4, 1, 12, 12)
    >>> CycleWeights(dim=0, k=2)(CubicalPersistence()(x), x).shape
    torch.Size([4, 1, 12, 12])
    """

    def __init__(self, dim=None, k=None):
        super().__init__()
        self.dim, self.k = dim, k

    def forward(self, diagrams, x):
        return cycle_weights(diagrams, x, dim=self.dim, k=self.k)

    def extra_repr(self):
        return module_repr(dim=self.dim, k=self.k)
