"""The E(p, q, i0) feature grid of TopologyLayer (Gabrielsson et al. 2020)."""

import numbers

import numpy as np
import torch

from ._loss_tools import check_diagrams, check_dims, finite_rows, ranked

__all__ = ["persistence_features"]


def _exponents(values, name):
    values = [values] if isinstance(values, numbers.Real) else list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one exponent, got {values!r}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
            raise TypeError(f"{name} must be finite real numbers, got {v!r}")
        if name == "p" and v < 0:
            raise ValueError(f"p must be >= 0, got {v}")
        out.append(float(v))
    return out


def persistence_features(diagrams, p=(0, 1, 2), q=(0, 1, 2), *, i0=1, dim=(0, 1)):
    r"""The grid of total persistences :math:`E(p, q, i_0)` of each diagram, in one call.

    For every dimension ``k`` in ``dim``, every ``p`` and every ``q``:

    .. math::

        E(p, q, i_0; \mathrm{PD}_k) = \sum_{i \ge i_0,\ d_i < \infty}
            (d_i - b_i)^{p} \left(\frac{d_i + b_i}{2}\right)^{q},

    the bars of :math:`\mathrm{PD}_k` being indexed from 1 by decreasing
    lifetime, **essential classes first** (their lifetime is infinite),
    as in the paper [1]_, where :math:`E(p, q, i_0)` for a range of ``p``
    and ``q`` and each dimension are the topological features of a
    diagram.  Essential classes are counted by :math:`i_0` but never
    summed (their term is infinite).  The same as
    :func:`total_persistence` with ``skip = max(i0 - 1 - e, 0)`` for an
    input with ``e`` essential classes in that dimension.

    Parameters
    ----------
    diagrams : Diagrams
        From :func:`persistence` (sublevel or superlevel: lifetimes are
        taken as ``|d - b|``).
    p, q : float or sequence of float, optional
        Exponents of the lifetime (``p >= 0``; ``p = 0`` counts bars) and
        of the mid-point.
    i0 : int, optional
        Index of the first bar summed (1: all finite bars).
    dim : int or sequence of int, optional
        Homology dimensions.

    Returns
    -------
    features : Tensor
        Shape ``(*batch_shape, len(dim), len(p), len(q))``, differentiable
        through the birth and death values.

    Raises
    ------
    TypeError
        If ``diagrams`` is not a Diagrams, or an exponent or ``i0`` has
        the wrong type.
    ValueError
        If ``p < 0``, ``i0 < 1``, no exponent is given, or a dimension is
        negative.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A Topology Layer for Machine Learning",
       AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> x = torch.tensor([[0., 3., 1.], [3., 3., 3.], [2., 3., 0.5]])
    >>> dgms = tnn.persistence(x)          # PD0: one essential class, bars 2.5, 2, 1
    >>> tnn.persistence_features(dgms, p=(0, 1), q=0, i0=2, dim=0)[0, :, 0]
    tensor([3.0000, 5.5000])
    >>> tnn.persistence_features(dgms, p=1, q=0, i0=3, dim=0).item()    # all but 2.5
    3.0
    """
    dgm = check_diagrams(diagrams, "diagrams")
    ps, qs = _exponents(p, "p"), _exponents(q, "q")
    if isinstance(i0, bool) or not isinstance(i0, numbers.Integral):
        raise TypeError(f"i0 must be an int, got {i0!r}")
    if i0 < 1:
        raise ValueError(f"i0 must be >= 1 (bars are indexed from 1), got {i0}")
    dims = check_dims(dim)
    if dims is None:
        dims = list(range(int(dgm.dim.max(initial=0)) + 1))
    essential = np.isinf(dgm.death_array)
    device = dgm.device
    out = []
    for k in dims:
        n_essential = np.bincount(dgm.item[essential & (dgm.dim == k)],
                                  minlength=dgm.n_items)
        skip = np.maximum(int(i0) - 1 - n_essential, 0)
        rows, _, rank = ranked(dgm, finite_rows(dgm, [k]))
        rows = rows[rank >= skip[dgm.item[rows]]]
        birth, death = dgm.values(rows, finite=True)
        life = (death - birth).abs()
        mid = (birth + death) / 2
        item = torch.from_numpy(dgm.item[rows]).to(device)
        grid = []
        for pe in ps:
            for qe in qs:
                term = life.pow(pe)
                if qe != 0:
                    term = term * mid.pow(qe)
                grid.append(term.new_zeros(dgm.n_items).index_add(0, item, term))
        out.append(torch.stack(grid, -1).reshape(dgm.n_items, len(ps), len(qs))
                   if grid else None)
    features = torch.stack(out, 1)
    return features.reshape(dgm.batch_shape + (len(dims), len(ps), len(qs)))
