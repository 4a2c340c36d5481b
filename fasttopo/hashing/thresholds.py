"""Threshold codes fitted to exact W1, and codes scored against W1 (private, NumPy and SciPy).

A threshold code is ``n_bits`` cuts ``(kind_j, t_j, c_j)``: bit ``j`` of a
diagram is ``[count kind_j at t_j >= c_j]`` (the counts of
:func:`fasttopo.hashing.features.cut_values`); its Hamming distance between
two diagrams is the number of cuts that separate them.  Summed over every
``t`` and every integer ``c``, the cuts of kind 0 separate two diagrams
exactly ``sum_t |betti_D(t) - betti_E(t)|`` times, the L1 distance of their
Betti curves, which follows the 1-Wasserstein distance closely.
:func:`select_cuts` picks ``n_bits`` of them (with repetition, i.e. integer
weights) so that the Hamming distance follows exact W1 of training pairs as
closely as possible (Pearson correlation; greedy forward selection, then
exchange passes).  Everything is exact integer or sequential floating-point
arithmetic: the result depends on the inputs only.  Used by
:meth:`fasttopo.DiagramHasher.fit` (``method="betti"``) and
:meth:`fasttopo.DiagramHasher.score` (scikit-learn for the Fowlkes-Mallows
score).
"""

import numpy as np

from .features import KINDS, concat, cut_bits, cut_values, exact_w1, split

__all__ = ["candidate_cuts", "select_cuts", "random_pairs", "fit_cuts", "agreement"]


def candidate_cuts(points, sizes, grid=100, levels=40, kinds=(0, 1)):
    """Candidate cuts ``(kinds, ts, cs)``: at ``grid`` evenly spaced ``t`` per kind,
    thresholds at up to ``levels`` quantiles (1 % to 99 %) of the feature's values on
    the diagrams, integers >= 1 (features are counts)."""
    ts = (np.arange(grid) + 0.5) / grid
    out_k, out_t, out_c = [], [], []
    for kind in kinds:
        values = cut_values(points, sizes, np.full(grid, kind), ts)
        for g in range(grid):
            v = values[:, g]
            levels_g = np.unique(np.ceil(np.quantile(v, np.linspace(0.01, 0.99, levels))))
            levels_g = levels_g[(levels_g >= 1) & (levels_g > v.min())]
            out_k += [kind] * len(levels_g)
            out_t += [ts[g]] * len(levels_g)
            out_c += levels_g.tolist()
    return (np.array(out_k, dtype=np.int64), np.array(out_t, dtype=np.float64),
            np.array(out_c, dtype=np.float64))


def _separations(bits, first, second, chunk=256):
    """CSC matrix (pairs, candidates): 1 where the candidate's bit differs on the pair."""
    from scipy.sparse import csc_matrix, hstack

    blocks = []
    for s in range(0, bits.shape[1], chunk):
        part = bits[:, s:s + chunk]
        blocks.append(csc_matrix((part[first] != part[second]).astype(np.int64)))
    if not blocks:
        return csc_matrix((len(first), 0), dtype=np.int64)
    return hstack(blocks, format="csc")


def select_cuts(points, sizes, first, second, distances, n_bits, *, candidates=None,
                passes=2):
    """Cuts whose Hamming distance has the largest Pearson correlation with ``distances``.

    Parameters
    ----------
    points, sizes : (N, 2) float64 array in [0, 1]^2, (n,) int64 array
        Training diagrams: their concatenated points and their sizes.
    first, second : (P,) int64 arrays
        Training pairs, as indices of diagrams.
    distances : (P,) float64 array
        Exact W1 of the pairs.
    n_bits : int
        Number of cuts.
    candidates : (kinds, ts, cs), optional
        Default :func:`candidate_cuts` of ``points``.
    passes : int
        Exchange passes after the greedy forward selection: each chosen
        cut in turn is replaced by the best one given the others.

    Returns
    -------
    kinds, ts, cs : (n_bits,) arrays, sorted by (kind, t, c)
    correlation : float
        Pearson correlation of the codes' Hamming distance with
        ``distances`` on the training pairs.
    """
    kinds, ts, cs = candidate_cuts(points, sizes) if candidates is None else candidates
    bits = cut_bits(points, sizes, kinds, ts, cs)
    sep = _separations(bits, first, second)
    sepT = sep.T.tocsr()
    y = distances - distances.mean()
    p = len(y)
    sxy = sepT @ y                                  # sum_p x_pq y_p
    sx = np.asarray(sep.sum(axis=0)).ravel().astype(np.float64)
    sxx = sx - sx * sx / p                          # p * variance of each (binary) column
    chosen = []
    h = np.zeros(p, dtype=np.int64)

    def best():
        hx = (sepT @ h).astype(np.float64) - sx * (h.sum() / p)
        hc = h - h.mean()
        num = hc @ y + sxy
        den = np.sqrt(np.maximum(hc @ hc + sxx + 2.0 * hx, 1e-300))
        score = np.where(sxx > 0, num / den, -np.inf)
        return int(np.argmax(score))

    for _ in range(n_bits):
        q = best()
        chosen.append(q)
        h += sep[:, q].toarray().ravel()
    for _ in range(passes):
        changed = False
        for j in range(n_bits):
            h -= sep[:, chosen[j]].toarray().ravel()
            q = best()
            changed |= q != chosen[j]
            chosen[j] = q
            h += sep[:, q].toarray().ravel()
        if not changed:
            break
    chosen = np.array(chosen)
    order = np.lexsort((cs[chosen], ts[chosen], kinds[chosen]))
    chosen = chosen[order]
    correlation = float(np.corrcoef(h, distances)[0, 1]) if h.std() > 0 else 0.0
    return kinds[chosen], ts[chosen], cs[chosen], correlation


def random_pairs(n, n_pairs, rng):
    """(P, 2) int64: every pair i < j if there are at most ``n_pairs``, else ``n_pairs``
    random pairs of distinct indices."""
    if n * (n - 1) // 2 <= n_pairs:
        i, j = np.triu_indices(n, 1)
        return np.column_stack([i, j]).astype(np.int64)
    first = rng.integers(0, n, n_pairs)
    second = (first + rng.integers(1, n, n_pairs)) % n
    return np.column_stack([first, second]).astype(np.int64)


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
        distances = np.array([exact_w1(points[pairs[k, 0]], points[pairs[k, 1]]) for k in todo])
    if distances.std() == 0:
        raise ValueError("the training pairs all have the same W1: nothing to learn from")
    allp, sizes = concat(points)
    candidates = candidate_cuts(allp, sizes, grid=resolution, kinds=kinds)
    kind, t, c, correlation = select_cuts(
        allp, sizes, pairs[:, 0], pairs[:, 1], distances, n_bits, candidates=candidates)
    weights = {"kind": kind.astype(np.int64), "t": t, "c": c}
    info = {"method": "betti", "n_pairs": int(len(pairs)), "n_diagrams": int(len(points)),
            "resolution": int(resolution),
            "features": [KINDS[k] for k in kinds],
            "candidates": int(len(candidates[0])),
            "train_correlation": round(correlation, 6)}
    return weights, info


def agreement(points, sizes, codes, distances, ks):
    """Spearman rho and mean Fowlkes-Mallows score (average linkage, ``ks`` clusters) of
    the codes' Hamming distances against the W1 matrix ``distances`` (computed if None)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.stats import spearmanr

    from .._validation import check_int, require
    from ..distances import pairwise_distances
    from .hamming import hamming_distances
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
