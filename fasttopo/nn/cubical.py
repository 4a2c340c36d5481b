"""Differentiable cubical persistence of batches of images (tensors on any device)."""

import math

import numpy as np
import torch
from torch import nn

from .. import _engine
from .._validation import _as_int, check_bool, check_finite, check_options
from ._loss_tools import module_repr
from .diagrams import Diagrams, Meta, Rows

__all__ = ["persistence"]

_EXACT_UPCAST = (torch.float16, torch.bfloat16)


def check_tensor(x, name="x"):
    """Raise TypeError unless ``x`` is a real floating-point tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype (the values carry the "
                        f"gradient), got {x.dtype}")
    return x


def spatial_split(x, spatial_dims, name="x"):
    """(batch_shape, image shape) of a tensor: the last ``spatial_dims`` axes are the image."""
    if spatial_dims is None:
        if x.ndim in (1, 2, 3):
            spatial_dims = x.ndim
        elif x.ndim in (4, 5):
            spatial_dims = x.ndim - 2
        else:
            raise ValueError(f"{name} must be (N,), (H, W), (D, H, W), (B, C, H, W) or "
                             f"(B, C, D, H, W), got shape {tuple(x.shape)}; pass spatial_dims "
                             f"for other layouts")
    else:
        spatial_dims = _as_int(spatial_dims, "spatial_dims")
        if not 1 <= spatial_dims <= 3 or spatial_dims > x.ndim:
            raise ValueError(f"spatial_dims must be 1, 2 or 3 and at most {name}.ndim="
                             f"{x.ndim}, got {spatial_dims}")
    shape = tuple(x.shape[x.ndim - spatial_dims:])
    if math.prod(shape) == 0:
        raise ValueError(f"{name} must have non-empty images, got shape {tuple(x.shape)}")
    return tuple(x.shape[:x.ndim - spatial_dims]), shape


def cpu_values(x):
    """A NumPy view or copy of ``x`` on the CPU (no grad; float16/bfloat16 upcast exactly)."""
    values = x.detach()
    if values.dtype in _EXACT_UPCAST:
        values = values.to(torch.float32)
    return values.cpu().resolve_conj().resolve_neg().numpy()


def persistence(x, *, max_dim=None, connectivity=None, superlevel=False, spatial_dims=None):
    """Differentiable persistence diagrams of a batch of images (cubical complexes).

    The pairs (which pixel creates and which destroys each class) are
    computed on the CPU by fasttopo's engine, for the whole batch in one
    parallel call and without gradient.  The birth and death values are
    then gathered from ``x`` on its own device, so autograd gives exact
    subgradients: the gradient of a pair's birth (death) lands on its birth
    (death) pixel, and no custom backward is needed.

    Parameters
    ----------
    x : Tensor
        Floating-point images on any device: ``(B, C, H, W)`` or
        ``(B, C, D, H, W)`` batches, or one ``(N,)``, ``(H, W)`` or
        ``(D, H, W)`` image.  Any layout (non-contiguous is fine).  Values
        must be finite.  ``x`` is not modified.
    max_dim : int, optional
        Largest homology dimension, 0 to ``ndim - 1`` (default all).
    connectivity : int, optional
        1 (V-construction: 4-neighbour in 2D, 6 in 3D) to ``ndim``
        (T-construction: 8 / 26, the default), as in
        :func:`fasttopo.persistence`.
    superlevel : bool, optional
        Superlevel-set filtration (births are high values; the essential
        class dies at ``-inf``).
    spatial_dims : int, optional
        Number of trailing image axes (1, 2 or 3); the leading axes, any
        number of them, form the batch.  Default: ``x.ndim`` for 1 to 3
        axes, ``x.ndim - 2`` for 4 or 5 axes.  Use it for batches of
        signals, ``(B, C, N)`` with ``spatial_dims=1``, or ``(B, H, W)`` with
        ``spatial_dims=2``.

    Returns
    -------
    diagrams : Diagrams
        Flat tensors ``birth``, ``death`` (dtype and device of ``x``) with
        CPU indices ``dim``, ``item`` (index in the flattened batch),
        ``birth_index``, ``death_index`` (flat C-order pixel indices within
        the image), ``batch_shape`` (``(B, C)``, or ``()`` for one image).
        For each input the pairs are exactly those of
        :func:`fasttopo.persistence` (``diagrams.to_numpy()`` equals
        :func:`fasttopo.persistence_batch`).  Essential deaths are
        ``+inf`` / ``-inf`` and carry no gradient.

    Raises
    ------
    TypeError
        If ``x`` is not a floating-point tensor, or the options are not
        ints.
    ValueError
        If ``x`` has an unsupported shape, empty images or non-finite
        values (the index is given), or an option is out of range.

    See Also
    --------
    fasttopo.persistence : the NumPy function.
    CubicalPersistence : the same as an ``nn.Module``.

    Notes
    -----
    Between two changes of the pairing (ties or crossings of values) the
    diagram is a selection of pixel values, so its derivative is exact;
    at ties the gradient is the one of the pairing fasttopo's
    deterministic tie-break selects, a subgradient in the sense of [1]_.
    This is how TopologyLayer [2]_ and CubicalRipser's torch helper route
    gradients, for a whole batch at once and on any device.

    References
    ----------
    .. [1] M. Carrière, F. Chazal, M. Glisse, Y. Ike, H. Kannan, Y. Umeda,
       "Optimizing persistent homology based functions", ICML 2021.
       arXiv:2010.08356
    .. [2] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A Topology Layer for Machine Learning",
       AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[2., 1., 1., 1.],
    ...                   [1., 4., 3., 1.],
    ...                   [0., 1., 1., 1.]], requires_grad=True)
    >>> dgms = tnn.persistence(x)
    >>> dgms.dim, dgms.birth.detach(), dgms.death.detach()
    (array([0, 1], dtype=int8), tensor([0., 1.]), tensor([inf, 4.]))
    >>> (dgms.death - dgms.birth)[1].backward()   # lifetime of the loop
    >>> x.grad
    tensor([[ 0.,  0.,  0.,  0.],
            [ 0.,  1.,  0.,  0.],
            [ 0.,  0., -1.,  0.]])
    """
    x = check_tensor(x)
    batch_shape, shape = spatial_split(x, spatial_dims)
    max_dim, connectivity, superlevel = check_options(len(shape), max_dim, connectivity,
                                                     superlevel)
    n_items = math.prod(batch_shape)
    meta = Meta(batch_shape, shape, superlevel, connectivity, max_dim, "cubical")
    if n_items == 0:
        empty = x.reshape(-1)[:0]   # attached to x's graph: losses of it are a zero with grad
        none = np.zeros(0, np.int64)
        return Diagrams._make(empty, empty, Rows(np.zeros(0, np.int8), none, none, none),
                              meta, np.zeros(0), np.zeros(0))
    values = cpu_values(x)
    stack = values.reshape((n_items,) + shape)
    try:  # NaN and inf: found by the engine, located in x's own shape here
        found = _engine.compute(stack, _engine.Options(max_dim, connectivity, superlevel,
                                                       _engine.cores()), as_pairs=True)
    except ValueError:
        check_finite(values, "x")
        raise
    births, deaths, item = found.birth_index, found.death_index, found.item
    # cells in the flattened batch; the birth cell stands in for an essential death
    birth_cells, death_cells = _engine.batch_cells(item, births, deaths, stack[0].size)
    # the values are gathered from x when first used (one index_select per loss)
    return Diagrams._gathered(x.reshape(-1), birth_cells, death_cells,
                              Rows(found.dim, item, births, deaths), meta, found.birth,
                              found.death)


class CubicalPersistence(nn.Module):
    """Differentiable persistence diagrams of images, as a layer.

    See :func:`fasttopo.nn.persistence` for the parameters; ``forward(x)``
    returns its :class:`~fasttopo.nn.Diagrams`.  The layer has no
    parameters and runs on the device of its input.

    Parameters
    ----------
    max_dim, connectivity, superlevel, spatial_dims
        As in :func:`fasttopo.nn.persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import CubicalPersistence, TotalPersistence
    >>> layer, loss_fn = CubicalPersistence(superlevel=True), TotalPersistence(dim=0)
    >>> x = torch.rand(4, 1, 16, 16, requires_grad=True)
    >>> loss = loss_fn(layer(x))
    >>> loss.backward()
    >>> x.grad.shape
    torch.Size([4, 1, 16, 16])
    """

    def __init__(self, max_dim=None, connectivity=None, superlevel=False, spatial_dims=None):
        super().__init__()
        self.max_dim = max_dim
        self.connectivity = connectivity
        self.superlevel = check_bool(superlevel, "superlevel")
        self.spatial_dims = spatial_dims

    def forward(self, x):
        return persistence(x, max_dim=self.max_dim, connectivity=self.connectivity,
                           superlevel=self.superlevel, spatial_dims=self.spatial_dims)

    def extra_repr(self):
        return module_repr(max_dim=self.max_dim, connectivity=self.connectivity,
                     superlevel=self.superlevel)
