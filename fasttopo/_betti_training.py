"""Fitting threshold codes to exact W1, and scoring codes against W1 (private).

Used by :meth:`fasttopo.DiagramHasher.fit` (``method="betti"``) and
:meth:`fasttopo.DiagramHasher.score`.  NumPy and SciPy only (scikit-learn
for the Fowlkes-Mallows score).
"""

import numpy as np

from . import _betti_codes
from ._hasher_inputs import concat
from ._matching import wasserstein_matching

__all__ = ["fit_cuts", "agreement", "random_pairs"]


def random_pairs(n, n_pairs, rng):
    """(P, 2) int64: every pair i < j if there are at most ``n_pairs``, else ``n_pairs``
    random pairs of distinct indices."""
    if n * (n - 1) // 2 <= n_pairs:
        i, j = np.triu_indices(n, 1)
        return np.column_stack([i, j]).astype(np.int64)
    first = rng.integers(0, n, n_pairs)
    second = (first + rng.integers(1, n, n_pairs)) % n
    return np.column_stack([first, second]).astype(np.int64)


def _w1(x, y):
    return wasserstein_matching(x, y, 1.0, np.inf)[0]


def _check_pairs(pairs, distances, n):
    pairs = np.asarray(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu" or not len(pairs):
        raise ValueError(f"pairs must be a non-empty (P, 2) array of int indices, got shape "
                         f"{pairs.shape} and dtype {pairs.dtype}")
    if pairs.min() < 0 or pairs.max() >= n:
        raise ValueError(f"pairs must index the {n} diagrams, got indices from {pairs.min()} "
                         f"to {pairs.max()}")
    if distances is None:
        return pairs.astype(np.int64), None
    distances = np.asarray(distances, dtype=np.float64)
    if distances.shape != (len(pairs),) or not np.isfinite(distances).all() \
            or (distances < 0).any():
        raise ValueError(f"distances must be the ({len(pairs)},) finite, non-negative W1 of "
                         f"the pairs, got shape {distances.shape}")
    return pairs.astype(np.int64), distances


def fit_cuts(points, pairs, distances, *, n_bits, n_pairs, resolution, kinds, seed, progress):
    """Weights (kind, t, c) and info of a threshold code fitted to W1 of training pairs."""
    if not any(len(p) for p in points):
        raise ValueError("the training diagrams have no finite points: nothing to learn from")
    if len(points) < 2:
        raise ValueError(f"fit needs at least 2 diagrams, got {len(points)}")
    rng = np.random.default_rng(seed)
    if pairs is None:
        if distances is not None:
            raise ValueError("distances needs pairs: the W1 of which pairs?")
        pairs = random_pairs(len(points), n_pairs, rng)
    pairs, distances = _check_pairs(pairs, distances, len(points))
    if distances is None:
        todo = range(len(pairs))
        if progress:
            from tqdm.auto import tqdm
            todo = tqdm(todo, desc="DiagramHasher.fit: exact W1 of training pairs",
                        unit="pair")
        distances = np.array([_w1(points[pairs[k, 0]], points[pairs[k, 1]]) for k in todo])
    if distances.std() == 0:
        raise ValueError("the training pairs all have the same W1: nothing to learn from")
    allp, sizes = concat(points)
    candidates = _betti_codes.candidate_cuts(allp, sizes, grid=resolution, kinds=kinds)
    kind, t, c, correlation = _betti_codes.select_cuts(
        allp, sizes, pairs[:, 0], pairs[:, 1], distances, n_bits, candidates=candidates)
    weights = {"kind": kind.astype(np.int64), "t": t, "c": c}
    info = {"method": "betti", "n_pairs": int(len(pairs)), "n_diagrams": int(len(points)),
            "resolution": int(resolution),
            "features": [_betti_codes.KINDS[k] for k in kinds],
            "candidates": int(len(candidates[0])),
            "train_correlation": round(correlation, 6)}
    return weights, info


def agreement(points, sizes, codes, distances, ks):
    """Spearman rho and mean Fowlkes-Mallows score (average linkage, ``ks`` clusters) of
    the codes' Hamming distances against the W1 matrix ``distances`` (computed if None)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.stats import spearmanr

    from ._validation import check_int, require
    from .distances import pairwise_distances
    from .hashing import hamming_distances
    metrics = require("sklearn.metrics", "DiagramHasher.score")
    if isinstance(ks, (str, bytes)) or not hasattr(ks, "__iter__"):
        ks = [ks]
    ks = [check_int(k, "ks", minimum=2) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one number of clusters")
    n = len(sizes)
    if n <= max(ks):
        raise ValueError(f"score needs more diagrams than the largest k ({max(ks)}), got {n}")
    if distances is None:
        from ._hasher_inputs import split
        w1 = pairwise_distances(split(points, sizes), "wasserstein")
    else:
        w1 = np.asarray(distances, dtype=np.float64)
        if w1.shape != (n, n) or not np.isfinite(w1).all():
            raise ValueError(f"distances must be the finite ({n}, {n}) W1 matrix of the "
                             f"diagrams, got shape {w1.shape}")
    iu = np.triu_indices(n, 1)
    hamming = hamming_distances(codes).astype(np.float64)[iu]
    rho = spearmanr(w1[iu], hamming)[0]
    truth, mine = linkage(w1[iu], "average"), linkage(hamming, "average")
    fms = {}
    for k in ks:
        fms[int(k)] = float(metrics.fowlkes_mallows_score(fcluster(truth, k, "maxclust"),
                                                          fcluster(mine, k, "maxclust")))
    return {"spearman": float(rho), "fowlkes_mallows": float(np.mean(list(fms.values()))),
            "fowlkes_mallows_k": fms}
