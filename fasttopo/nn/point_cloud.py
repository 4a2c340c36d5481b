"""Differentiable persistence of point clouds: Rips and weak-alpha (Delaunay) filtrations."""

import math
import numbers

import numpy as np
import torch
from torch import nn
from numba import njit
import scipy.spatial
from scipy.spatial import Delaunay
from scipy.spatial.distance import pdist

from .._validation import _as_int, check_finite
from .cubical import check_tensor, cpu_values
from ._loss_tools import module_repr
from .diagrams import Diagrams, Meta, Rows

__all__ = ["rips_persistence", "weak_alpha_persistence", "alpha_persistence", "RipsPersistence",
           "WeakAlphaPersistence", "AlphaPersistence"]

_QhullError = getattr(scipy.spatial, "QhullError", RuntimeError)  # scipy < 1.11


@njit(cache=True, nogil=True)
def _kruskal(u, v, n):
    """Union-find over edges sorted by length (elder rule, ties by vertex index).

    Every vertex is born at 0; when two components meet, the one whose
    smallest vertex is larger dies.  Returns (death edge ids, birth
    vertices, roots of the remaining components).
    """
    parent = np.arange(n)
    edges = np.empty(max(n - 1, 0), np.int64)
    born = np.empty(max(n - 1, 0), np.int64)
    count = 0
    for e in range(u.shape[0]):
        a = u[e]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        b = v[e]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a == b:
            continue
        if a > b:
            a, b = b, a
        parent[b] = a  # roots are the smallest vertex of their component
        edges[count] = e
        born[count] = b
        count += 1
    roots = np.empty(n - count, np.int64)
    k = 0
    for i in range(n):
        if parent[i] == i:
            roots[k] = i
            k += 1
    return edges[:count], born[:count], roots


def _check_points(points):
    points = check_tensor(points, "points")
    if points.ndim not in (2, 3):
        raise ValueError(f"points must be (N, d) or (B, N, d), got shape {tuple(points.shape)}")
    if points.shape[-1] == 0:
        raise ValueError(f"points must have at least one coordinate, got shape "
                         f"{tuple(points.shape)}")
    return points


def _check_max_dim(max_dim):
    max_dim = _as_int(max_dim, "max_dim")
    if max_dim < 0:
        raise ValueError(f"max_dim must be >= 0, got {max_dim}")
    return max_dim


def _rips_edges(x, max_edge_length):
    n = x.shape[0]
    u, v = np.triu_indices(n, 1)
    length = pdist(x) if n > 1 else np.zeros(0)
    if max_edge_length is not None:
        keep = length <= max_edge_length
        u, v, length = u[keep], v[keep], length[keep]
    return u.astype(np.int64), v.astype(np.int64), length


def _delaunay_edges(x):
    n, d = x.shape
    if n <= 2 or d == 1:
        if d == 1:
            order = np.argsort(x[:, 0], kind="stable")
            u, v = order[:-1], order[1:]
        else:
            u, v = np.triu_indices(n, 1)
    else:
        try:
            simplices = Delaunay(x).simplices
        except _QhullError as exc:
            raise ValueError(f"points must be in general position for the Delaunay "
                             f"triangulation (not all on a line / plane); qhull says: "
                             f"{str(exc).splitlines()[0]}") from None
        k = simplices.shape[1]
        pairs = np.array([(i, j) for i in range(k) for j in range(i + 1, k)])
        e = np.sort(simplices[:, pairs].reshape(-1, 2), axis=1)
        e = np.unique(e, axis=0)
        u, v = e[:, 0], e[:, 1]
    u, v = np.minimum(u, v).astype(np.int64), np.maximum(u, v).astype(np.int64)
    length = np.linalg.norm(x[u] - x[v], axis=1)
    return u, v, length


def _flag_pairs(n, u, v, length, max_dim):
    """Pairs of dimensions 1..max_dim of the flag complex of a graph (GUDHI)."""
    try:
        import gudhi
    except ImportError:  # pragma: no cover - gudhi is a test dependency
        raise ImportError("max_dim >= 1 for point clouds needs GUDHI's flag-complex "
                          "persistence generators: pip install gudhi") from None
    st = gudhi.SimplexTree()
    st.insert_batch(np.arange(n)[None, :], np.zeros(n))
    if u.size:
        st.insert_batch(np.stack([u, v]), length)
    st.expansion(max_dim + 1)
    st.compute_persistence(persistence_dim_max=False)
    _, regular, _, essential = st.flag_persistence_generators()
    rows = []
    for k in range(1, max_dim + 1):
        if len(regular) >= k and regular[k - 1].size:
            g = np.asarray(regular[k - 1], dtype=np.int64).reshape(-1, 4)
            rows.append((k, g[:, :2], g[:, 2:]))
        if len(essential) >= k and essential[k - 1].size:
            g = np.asarray(essential[k - 1], dtype=np.int64).reshape(-1, 2)
            rows.append((k, g, np.full((g.shape[0], 2), -1, np.int64)))
    return rows


def _cloud_pairs(x, u, v, length, max_dim):
    """(dim, birth edges, death edges) of one point cloud; edges as (k, 2) vertex pairs."""
    n = x.shape[0]
    order = np.argsort(length, kind="stable")
    su, sv = u[order], v[order]
    dead, born, roots = _kruskal(su, sv, n)
    keep = length[order][dead] > 0          # zero-length pairs are not reported
    dead, born = dead[keep], born[keep]
    dims = [np.zeros(dead.size + roots.size, np.int8)]
    births = [np.column_stack([np.concatenate([born, roots])] * 2)]
    deaths = [np.concatenate([np.column_stack([su[dead], sv[dead]]),
                              np.full((roots.size, 2), -1, np.int64)])]
    if max_dim >= 1:
        for k, b, d in _flag_pairs(n, u, v, length, max_dim):
            dims.append(np.full(b.shape[0], k, np.int8))
            births.append(b)
            deaths.append(d)
    return np.concatenate(dims), np.concatenate(births), np.concatenate(deaths)


def _edge_values(edges, flat_points, offset, np_points):
    """Lengths of edges (k, 2) as a tensor (gathered) and in float64 NumPy."""
    idx = edges + offset[:, None]
    index = torch.from_numpy(idx.reshape(-1)).to(flat_points.device)
    ends = flat_points.index_select(0, index).reshape(idx.shape[0], 2, -1)
    values = torch.linalg.vector_norm(ends[:, 0] - ends[:, 1], dim=-1)
    values_np = np.linalg.norm(np_points[idx[:, 0]] - np_points[idx[:, 1]], axis=1)
    return values, values_np


def _persistence(points, max_dim, kind, edges_of):
    points = _check_points(points)
    max_dim = _check_max_dim(max_dim)
    batch_shape = tuple(points.shape[:-2])
    n_items = math.prod(batch_shape)
    n = points.shape[-2]
    x = cpu_values(points)
    check_finite(x, "points")  # (no engine call to find them)
    x = x.astype(np.float64).reshape(n_items, n, -1)
    parts = [_cloud_pairs(x[i], *edges_of(x[i]), max_dim) for i in range(n_items)]
    counts = [p[0].size for p in parts]
    item = np.repeat(np.arange(n_items, dtype=np.int64), counts)
    if n_items:
        dims = np.concatenate([p[0] for p in parts])
        births = np.concatenate([p[1] for p in parts])
        deaths = np.concatenate([p[2] for p in parts])
    else:
        dims, births, deaths = (np.zeros(0, np.int8), np.zeros((0, 2), np.int64),
                                np.zeros((0, 2), np.int64))
    flat = points.reshape(n_items * n, -1)
    offset = item * n
    essential = deaths[:, 0] < 0
    birth, birth_np = _edge_values(births, flat, offset, x.reshape(n_items * n, -1))
    death, death_np = _edge_values(np.where(essential[:, None], births, deaths), flat, offset,
                                   x.reshape(n_items * n, -1))
    ess_rows = np.flatnonzero(essential)
    if ess_rows.size:
        death = death.index_fill(0, torch.from_numpy(ess_rows).to(points.device), np.inf)
        death_np[ess_rows] = np.inf
    return Diagrams._make(birth, death, Rows(dims, item, births, deaths),
                          Meta(batch_shape, (n,), False, None, max_dim, kind), birth_np, death_np)


def rips_persistence(points, *, max_dim=0, max_edge_length=None):
    """Differentiable Vietoris-Rips persistence of point clouds.

    Dimension 0 comes from a union-find over the edges sorted by length
    (the edge that merges two components kills the younger one and
    carries the gradient through its length); dimensions 1 and up from
    GUDHI's flag-complex persistence generators (optional dependency).
    Lengths are recomputed from ``points`` on its device, so autograd
    moves the endpoints of every birth and death edge.

    Parameters
    ----------
    points : (N, d) or (B, N, d) Tensor
        Floating-point coordinates, finite, on any device.
    max_dim : int, optional
        Largest homology dimension (0: components; 1: loops, needs GUDHI).
    max_edge_length : float, optional
        Leave out longer edges (more essential components may remain).

    Returns
    -------
    diagrams : Diagrams
        ``kind='rips'``, ``batch_shape`` ``()`` or ``(B,)``;
        ``birth_index``/``death_index`` are ``(n, 2)`` vertex pairs of the
        creating and destroying edges (``(v, v)`` for a vertex, ``(-1, -1)``
        for an essential death).  Births of dimension 0 are 0.

    Raises
    ------
    TypeError
        If ``points`` is not a floating-point tensor.
    ValueError
        If ``points`` has the wrong shape or non-finite values, or
        ``max_dim < 0``.
    ImportError
        If ``max_dim >= 1`` and GUDHI is not installed.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson, B. J. Nelson, A. Dwaraknath, P. Skraba,
       L. J. Guibas, G. Carlsson, "A Topology Layer for Machine Learning",
       AISTATS 2020. arXiv:1905.12200
    .. [2] The GUDHI Project, "GUDHI User and Reference Manual",
       https://gudhi.inria.fr/python/latest/

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> points = torch.tensor([[0., 0.], [1., 0.], [0., 3.]], requires_grad=True)
    >>> dgms = tnn.rips_persistence(points)
    >>> dgms.death
    tensor([1., 3., inf], grad_fn=<IndexFillBackward0>)
    >>> tnn.total_persistence(dgms).backward()
    >>> points.grad
    tensor([[-1., -1.],
            [ 1.,  0.],
            [ 0.,  1.]])
    """
    if max_edge_length is not None:
        if isinstance(max_edge_length, bool) or not isinstance(max_edge_length, numbers.Real):
            raise TypeError(f"max_edge_length must be a number or None, got "
                            f"{max_edge_length!r}")
        max_edge_length = float(max_edge_length)
    return _persistence(points, max_dim, "rips", lambda x: _rips_edges(x, max_edge_length))


def weak_alpha_persistence(points, *, max_dim=0):
    """Differentiable weak-alpha persistence: Rips filtration of the Delaunay graph.

    The edges are those of the Delaunay triangulation
    (:class:`scipy.spatial.Delaunay`; consecutive points in 1D), filtered by
    length; higher simplices are the cliques of that graph (the flag
    complex), as in TopologyLayer's weak-alpha layer.  Dimension 0 is a
    union-find over the sorted Delaunay edges (it equals the Rips
    dimension 0: the minimum spanning tree is a subgraph of the Delaunay
    graph); dimensions 1 and up use GUDHI.

    Parameters
    ----------
    points : (N, d) or (B, N, d) Tensor
        Floating-point coordinates in general position (for d >= 2).
    max_dim : int, optional
        Largest homology dimension (>= 1 needs GUDHI).

    Returns
    -------
    diagrams : Diagrams
        As :func:`rips_persistence`, with ``kind='alpha'``.

    Raises
    ------
    TypeError
        If ``points`` is not a floating-point tensor.
    ValueError
        If ``points`` has the wrong shape, non-finite values, or is
        degenerate for the Delaunay triangulation.
    ImportError
        If ``max_dim >= 1`` and GUDHI is not installed.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200
    .. [2] H. Edelsbrunner, J. Harer, "Computational Topology: An
       Introduction", AMS, 2010. doi:10.1090/mbk/069

    Examples
    --------
    >>> import torch
    >>> import fasttopo.nn as tnn
    >>> beta = torch.tensor([[1.0], [1.1], [2.0], [3.0]], requires_grad=True)
    >>> tnn.weak_alpha_persistence(beta).death
    tensor([0.1000, 0.9000, 1.0000,    inf], grad_fn=<IndexFillBackward0>)
    """
    return _persistence(points, max_dim, "alpha", _delaunay_edges)


class RipsPersistence(nn.Module):
    """Vietoris-Rips persistence layer; see :func:`fasttopo.nn.rips_persistence`.

    Parameters
    ----------
    max_dim, max_edge_length
        As in :func:`fasttopo.nn.rips_persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.rips_persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.rips_persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import RipsPersistence
    >>> RipsPersistence()(torch.rand(2, 10, 3)).batch_shape
    (2,)
    """

    def __init__(self, max_dim=0, max_edge_length=None):
        super().__init__()
        self.max_dim = max_dim
        self.max_edge_length = max_edge_length

    def forward(self, points):
        return rips_persistence(points, max_dim=self.max_dim,
                                max_edge_length=self.max_edge_length)

    def extra_repr(self):
        return module_repr(max_dim=self.max_dim, max_edge_length=self.max_edge_length)


class WeakAlphaPersistence(nn.Module):
    """Weak-alpha persistence layer; see :func:`fasttopo.nn.weak_alpha_persistence`.

    Parameters
    ----------
    max_dim : int, optional
        As in :func:`fasttopo.nn.weak_alpha_persistence`.

    Returns
    -------
    diagrams : Diagrams
        From ``forward``, as :func:`fasttopo.nn.weak_alpha_persistence`.

    Raises
    ------
    TypeError, ValueError
        On ``forward``, as :func:`fasttopo.nn.weak_alpha_persistence`.

    References
    ----------
    .. [1] R. Brüel-Gabrielsson et al., "A Topology Layer for Machine
       Learning", AISTATS 2020. arXiv:1905.12200

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn import AlphaPersistence
    >>> len(AlphaPersistence()(torch.rand(20, 2, dtype=torch.float64)))
    20
    """

    def __init__(self, max_dim=0):
        super().__init__()
        self.max_dim = max_dim

    def forward(self, points):
        return weak_alpha_persistence(points, max_dim=self.max_dim)

    def extra_repr(self):
        return module_repr(max_dim=self.max_dim)


#: The former names, kept: the filtration is the weak-alpha one (Delaunay edges).
alpha_persistence = weak_alpha_persistence
AlphaPersistence = WeakAlphaPersistence
