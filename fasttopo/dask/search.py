"""The distance matrices and the code search of :mod:`fasttopo.dask` (tiles and chunks).

The public names are re-exported by :mod:`fasttopo.dask`.
"""

import math

import dask.array as da
import dask.bag as db
import numpy as np
from dask.delayed import delayed

from .._diagram import PersistenceDiagram
from .._points import check_dim as _check_dim
from .._points import points as _points
from .._validation import check_int
from ..distances.diagram_distances import check_order as _check_order
from ..distances.pairwise import METRICS as _METRICS
from ..distances.pairwise import pairwise_rows as _pairwise_rows
from ..hashing.hamming import _distance_dtype
from ..hashing.hamming import hamming_knn as _hamming_knn



def active_client():
    """The active distributed client, or None (default scheduler)."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - dask[distributed] is in the extra
        return None
    try:
        return default_client()
    except ValueError:
        return None


# --------------------------------------------------------------------------- distances
def _parse_partition(partition, index):
    """``(points, dims)`` of the diagrams of one partition (what the distance code reads)."""
    return [_points(diagram, f"diagram {j} of partition {index}")
            for j, diagram in enumerate(partition)]


def _lengths(partition):
    return [len(partition)]


def _gather(slices, *parts):
    """Concatenate slices ``(part, start, stop)`` of the given partitions (one tile's rows)."""
    return [item for (p, start, stop) in slices for item in parts[p][start:stop]]


def _tile(rows, cols, diagonal, dim, kind, order, internal_p):
    """Distances between the diagrams of a row block and of a column block (i < j only)."""
    if diagonal:
        n = len(rows)
        iu, ju = np.triu_indices(n, k=1)
        values = _pairwise_rows(rows, list(zip(iu.tolist(), ju.tolist())), dim, kind, order,
                                internal_p)
        out = np.zeros((n, n), dtype=np.float64)
        out[iu, ju] = values
        out[ju, iu] = values
        return out
    m = len(rows)
    pairs = [(i, m + j) for i in range(m) for j in range(len(cols))]
    values = _pairwise_rows(list(rows) + list(cols), pairs, dim, kind, order, internal_p)
    return np.asarray(values, dtype=np.float64).reshape(m, len(cols))


def pairwise_distances(diagrams, metric="bottleneck", *, dim=None, tile_size=128, **params):
    """Distance matrix of a collection of diagrams, tile by tile on a Dask cluster.

    Parameters
    ----------
    diagrams : sequence of PersistenceDiagram or (n, 2) array_like, or dask.bag.Bag
        The ``N`` diagrams: a list in this process (sent to the cluster
        once, block by block) or a Dask bag such as the output of
        :func:`persistence`.  A bag is persisted (the points of its
        diagrams are kept in the cluster's memory) and its partition
        lengths are computed.
    metric : {"bottleneck", "wasserstein"}, optional
        The distance (default "bottleneck").
    dim : int, optional
        Homology dimension, as in :func:`fasttopo.pairwise_distances`.
    tile_size : int, optional
        Side of the square tiles (default 128): one task computes the
        ``tile_size**2`` distances between two blocks of diagrams.
    **params
        ``order`` and ``internal_p`` for ``metric="wasserstein"``.

    Returns
    -------
    distances : (N, N) dask.array.Array of float64
        Equal to ``fasttopo.pairwise_distances(diagrams, metric, ...)``.
        The matrix is symmetric: each tile on or above the diagonal is
        computed once, the tiles below are its transposes.

    Raises
    ------
    ValueError
        If ``metric`` is unknown, a parameter does not belong to it, or a
        diagram is malformed (for a bag: when it is persisted).
    TypeError
        If ``diagrams`` is not a sequence or a bag, or ``tile_size`` is not
        an int.

    See Also
    --------
    fasttopo.pairwise_distances

    References
    ----------
    .. [1] M. Kerber, D. Morozov, A. Nigmetov, "Geometry helps to compare
       persistence diagrams", ACM Journal of Experimental Algorithmics 22,
       2017. https://doi.org/10.1145/3064175

    Examples
    --------
    >>> import numpy as np
    >>> import fasttopo, fasttopo.dask
    >>> dgms = [np.array([[0.0, 4.0]]), np.array([[0.0, 3.0]]), np.empty((0, 2))]
    >>> matrix = fasttopo.dask.pairwise_distances(dgms, tile_size=2)
    >>> matrix.chunks
    ((2, 1), (2, 1))
    >>> matrix.compute()
    array([[0. , 1. , 2. ],
           [1. , 0. , 1.5],
           [2. , 1.5, 0. ]])
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    unknown = set(params) - _METRICS[metric]
    if unknown:
        raise ValueError(f"metric={metric!r} takes no parameter(s) {sorted(unknown)}")
    order, internal_p = _check_order(params.get("order", 1.0), params.get("internal_p", np.inf))
    dim = _check_dim(dim)
    tile_size = check_int(tile_size, "tile_size", 1)
    client = active_client()
    if isinstance(diagrams, db.Bag):
        parsed = db.from_delayed([delayed(_parse_partition, pure=True)(part, i)
                                  for i, part in enumerate(diagrams.to_delayed(
                                      optimize_graph=False))])
        parsed = parsed.persist()
        lengths = parsed.map_partitions(_lengths).compute()
        parts = parsed.to_delayed(optimize_graph=False)
        blocks = _blocks_of_partitions(parts, lengths, tile_size)
        n = sum(lengths)
    else:
        if isinstance(diagrams, (PersistenceDiagram, str, bytes)) \
                or not hasattr(diagrams, "__len__"):
            raise TypeError(f"diagrams must be a sequence of diagrams or a dask.bag.Bag, got "
                            f"{type(diagrams).__name__}")
        parsed = [_points(d, f"diagrams[{i}]") for i, d in enumerate(diagrams)]
        n = len(parsed)
        chunks = [parsed[s:s + tile_size] for s in range(0, n, tile_size)]
        if client is not None and chunks:
            blocks = [delayed(f) for f in client.scatter(chunks, hash=False)]
        else:
            blocks = [delayed(chunk, traverse=False) for chunk in chunks]
    if n == 0:
        return da.zeros((0, 0), dtype=np.float64)
    sizes = [min(tile_size, n - s) for s in range(0, n, tile_size)]
    tiles = {}
    for i in range(len(blocks)):
        for j in range(i, len(blocks)):
            task = delayed(_tile, pure=True)(blocks[i], blocks[j], i == j, dim, metric, order,
                                             internal_p)
            tiles[i, j] = da.from_delayed(task, shape=(sizes[i], sizes[j]), dtype=np.float64)
    grid = [[tiles[i, j] if i <= j else tiles[j, i].T for j in range(len(blocks))]
            for i in range(len(blocks))]
    return da.block(grid)


def _blocks_of_partitions(parts, lengths, tile_size):
    """One delayed list of parsed diagrams per block of ``tile_size`` consecutive diagrams."""
    bounds = np.cumsum([0] + list(lengths))
    n = int(bounds[-1])
    blocks = []
    for start in range(0, n, tile_size):
        stop = min(n, start + tile_size)
        needed, slices = [], []
        for p in range(len(lengths)):
            lo, hi = max(start, bounds[p]), min(stop, bounds[p + 1])
            if lo < hi:
                slices.append((len(needed), int(lo - bounds[p]), int(hi - bounds[p])))
                needed.append(parts[p])
        blocks.append(delayed(_gather, pure=True)(slices, *needed))
    return blocks


# --------------------------------------------------------------------------- code search
def _chunk_knn(queries, codes, k, offset):
    """k nearest codes of one chunk (indices shifted to the whole array)."""
    indices, distances = _hamming_knn(queries, codes, min(k, len(codes)))
    return indices + offset, distances


def _merge_knn(k, *results):
    """The k best (distance, then index) of several chunks' k-NN lists."""
    indices = np.concatenate([r[0] for r in results], axis=1)
    distances = np.concatenate([r[1] for r in results], axis=1)
    order = np.lexsort((indices, distances))[:, :k]  # along the last axis, per query
    return (np.take_along_axis(indices, order, axis=1),
            np.take_along_axis(distances, order, axis=1))


def _check_code_array(codes, name):
    if codes.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype (packed bits, e.g. uint64), got "
                        f"dtype {codes.dtype}")
    if codes.ndim == 1:
        if codes.dtype.itemsize != 8:
            raise ValueError(f"a one-dimensional {name} must hold 64-bit codes (dtype uint64 "
                             f"or int64), got dtype {codes.dtype}; pass an (n, words) array")
        words = 1
    elif codes.ndim == 2:
        words = codes.shape[1] * codes.dtype.itemsize // 8
        codes = codes.rechunk({1: -1})
    else:
        raise ValueError(f"{name} must be an (n,) or (n, words) array of packed codes, got "
                         f"shape {codes.shape}")
    if any(math.isnan(c) for c in codes.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() "
                         f"first")
    return codes, words


def hamming_knn(queries, codes, k, *, fan_in=8):
    """The ``k`` codes nearest to each query, over a Dask array of codes.

    Each chunk of ``codes`` gives its own k nearest neighbours with
    :func:`fasttopo.hamming_knn`; the lists are merged in a tree (``fan_in``
    lists per task), keeping the ``k`` best by distance, then index.

    Parameters
    ----------
    queries : (q,) or (q, w) array_like or dask.array.Array of integers
        Packed query codes (chunks along the first axis are query blocks).
    codes : (n,) or (n, w) dask.array.Array (or array_like) of integers
        Packed codes (uint64 words), chunked along the first axis.
    k : int
        Number of neighbours, from 0 to ``n``.
    fan_in : int, optional
        Number of k-NN lists merged by one task (default 8).

    Returns
    -------
    indices : (q, k) dask.array.Array of int64
        Row indices into ``codes``, by increasing distance; ties broken by
        the smaller index: equal to ``fasttopo.hamming_knn(queries, codes,
        k)[0]`` whatever the chunks.
    distances : (q, k) dask.array.Array of uint8, uint16 or uint32
        Their Hamming distances.

    Raises
    ------
    TypeError
        If the codes are not integers or ``k`` is not an int.
    ValueError
        If the code lengths differ, ``k`` is outside ``[0, n]`` or the
        chunk sizes are unknown.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import fasttopo, fasttopo.dask
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 2**63, size=1000, dtype=np.uint64)
    >>> idx, dist = fasttopo.dask.hamming_knn(codes[:5], da.from_array(codes, chunks=300), k=3)
    >>> bool((idx.compute() == fasttopo.hamming_knn(codes[:5], codes, k=3)[0]).all())
    True
    """
    if not isinstance(codes, da.Array):
        codes = da.asarray(codes)
    codes, words = _check_code_array(codes, "codes")
    if not isinstance(queries, da.Array):
        queries = np.asarray(queries)
        queries = da.from_array(queries, chunks=queries.shape or (0,))
    queries, qwords = _check_code_array(queries, "queries")
    if qwords != words:
        raise ValueError(f"queries and codes must have codes of the same length, got "
                         f"{64 * qwords} and {64 * words} bits")
    k = check_int(k, "k")
    n = codes.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and the number of codes ({n}), got {k}")
    fan_in = check_int(fan_in, "fan_in", 2)
    dtype = _distance_dtype(words)
    code_blocks = codes.to_delayed(optimize_graph=False).ravel()
    offsets = np.cumsum((0,) + codes.chunks[0])[:-1].tolist()
    index_parts, distance_parts = [], []
    for query_block, size in zip(queries.to_delayed(optimize_graph=False).ravel(),
                                 queries.chunks[0]):
        if k == 0 or n == 0:
            index_parts.append(da.zeros((size, k), dtype=np.int64))
            distance_parts.append(da.zeros((size, k), dtype=dtype))
            continue
        level = [delayed(_chunk_knn, pure=True)(query_block, block, k, offset)
                 for block, offset in zip(code_blocks, offsets)]
        while len(level) > 1:
            level = [delayed(_merge_knn, pure=True)(k, *level[s:s + fan_in])
                     for s in range(0, len(level), fan_in)]
        result = level[0]
        index_parts.append(da.from_delayed(result[0], shape=(size, k), dtype=np.int64))
        distance_parts.append(da.from_delayed(result[1], shape=(size, k), dtype=dtype))
    return da.concatenate(index_parts), da.concatenate(distance_parts)
