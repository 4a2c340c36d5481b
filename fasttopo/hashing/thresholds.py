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

from .._validation import require
from .features import KINDS, concat, cut_values, exact_w1, split

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


def _columns(kinds, ts):
    """Start and end of each run of candidates with the same (kind, t): a column."""
    change = np.flatnonzero((np.diff(kinds) != 0) | (np.diff(ts) != 0)) + 1
    return np.concatenate([[0], change]), np.concatenate([change, [len(kinds)]])


class _Separations:
    """Sums over the pairs each candidate cut separates, for every group of pairs.

    In a column (one kind and ``t``) the candidates are increasing
    thresholds; a pair with counts ``lo <= hi`` there is separated by the
    thresholds ``lo < c <= hi``, a run ``[start, stop)`` of the column: a
    sum over the pairs is a difference array and a cumulative sum.
    """

    def __init__(self, values, first, second, cs, starts, stops, groups, n_groups):
        self.values, self.first, self.second, self.cs = values, first, second, cs
        self.n_groups, self.width = n_groups, len(cs) + 1
        self.column = np.repeat(np.arange(len(starts)), stops - starts)
        offset = groups.astype(np.int64) * self.width
        self.start = np.empty((len(starts), len(first)), dtype=np.int32)
        self.stop = np.empty_like(self.start)
        for col, (s, e) in enumerate(zip(starts, stops)):
            lo, hi = self._counts(col)
            self.start[col] = offset + s + np.searchsorted(cs[s:e], lo, side="right")
            self.stop[col] = offset + s + np.searchsorted(cs[s:e], hi, side="right")

    def _counts(self, col):
        a, b = self.values[self.first, col], self.values[self.second, col]
        return np.minimum(a, b), np.maximum(a, b)

    def separated(self, q):
        """(P,) int64: 1 for the pairs candidate ``q`` separates."""
        lo, hi = self._counts(self.column[q])
        return ((lo < self.cs[q]) & (self.cs[q] <= hi)).astype(np.int64)

    def sums(self, weights, chunk=16):
        """(groups, candidates): sum of ``weights`` over the pairs of each group that each
        candidate separates (sequential sums: the same inputs give the same bits)."""
        size = self.n_groups * self.width
        total = np.zeros(size)
        for s in range(0, len(self.start), chunk):
            w = np.tile(weights, len(self.start[s:s + chunk]))
            total += np.bincount(self.start[s:s + chunk].ravel(), w, minlength=size)
            total -= np.bincount(self.stop[s:s + chunk].ravel(), w, minlength=size)
        return np.cumsum(total.reshape(self.n_groups, self.width), axis=1)[:, :-1]


def select_cuts(points, sizes, first, second, distances, n_bits, *, candidates=None,
                groups=None, passes=2):
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
        Sorted by (kind, t, c); default :func:`candidate_cuts` of ``points``.
    groups : (P,) int64 array, optional
        Group of each pair: the objective is the mean over the groups of
        the Pearson correlation within each (default one group), so that a
        group of small distances counts as much as one of large distances.
    passes : int
        Exchange passes after the greedy forward selection: each chosen
        cut in turn is replaced by the best one given the others.

    Returns
    -------
    kinds, ts, cs : (n_bits,) arrays, sorted by (kind, t, c)
    correlation : float
        The objective on the training pairs (mean correlation over the
        groups).
    """
    kinds, ts, cs = candidate_cuts(points, sizes) if candidates is None else candidates
    groups = np.zeros(len(first), dtype=np.int64) if groups is None else groups
    n_groups = int(groups.max()) + 1
    starts, stops = _columns(kinds, ts)
    values = cut_values(points, sizes, kinds[starts], ts[starts])
    sep = _Separations(values, first, second, cs, starts, stops, groups, n_groups)
    count = np.bincount(groups, minlength=n_groups).astype(np.float64)
    yc = distances - (np.bincount(groups, distances, n_groups) / count)[groups]
    syy = np.bincount(groups, yc * yc, n_groups)
    sx = sep.sums(np.ones(len(first)))
    sxy = sep.sums(yc)
    sxx = sx - sx * sx / count[:, None]             # per group: n * variance of the column
    useless = sxx.sum(axis=0) <= 0
    chosen = []
    h = np.zeros(len(first))

    def correlation(cov, var):
        # Hamming distances are integers: n * variance is 0 or >= 1 - 1 / n; below 1/4 the
        # distances of the group are constant (whatever rounding says) and correlate 0
        yy = syy if var.ndim == 1 else syy[:, None]
        ok = (var > 0.25) & (yy > 0)
        return np.where(ok, cov / np.sqrt(np.where(ok, var * yy, 1.0)), 0.0)

    def objective(extra=None):
        hc = h - (np.bincount(groups, h, n_groups) / count)[groups]
        shh = np.bincount(groups, hc * hc, n_groups)
        shy = np.bincount(groups, hc * yc, n_groups)
        if extra is None:
            return float(np.mean(correlation(shy, shh)))
        hx = extra - sx * (np.bincount(groups, h, n_groups) / count)[:, None]
        corr = correlation(shy[:, None] + sxy, shh[:, None] + sxx + 2.0 * hx)
        return np.where(useless, -np.inf, corr.mean(axis=0))

    def best():
        return int(np.argmax(objective(sep.sums(h))))

    for _ in range(n_bits):
        q = best()
        chosen.append(q)
        h += sep.separated(q)
    for _ in range(passes):
        changed = False
        for j in range(n_bits):
            h -= sep.separated(chosen[j])
            q = best()
            changed |= q != chosen[j]
            chosen[j] = q
            h += sep.separated(q)
        if not changed:
            break
    chosen = np.array(chosen)
    chosen = chosen[np.lexsort((cs[chosen], ts[chosen], kinds[chosen]))]
    return kinds[chosen], ts[chosen], cs[chosen], float(objective())


def random_pairs(n, n_pairs, rng):
    """(P, 2) int64: every pair i < j if there are at most ``n_pairs``, else ``n_pairs``
    random pairs of distinct indices."""
    if n * (n - 1) // 2 <= n_pairs:
        i, j = np.triu_indices(n, 1)
        return np.column_stack([i, j]).astype(np.int64)
    first = rng.integers(0, n, n_pairs)
    second = (first + rng.integers(1, n, n_pairs)) % n
    return np.column_stack([first, second]).astype(np.int64)


def _check_groups(groups, n_pairs):
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.shape != (n_pairs,) or groups.dtype.kind not in "iu" or (groups < 0).any():
        raise ValueError(f"groups must be ({n_pairs},) non-negative ints, one per pair, got "
                         f"shape {groups.shape} and dtype {groups.dtype}")
    _, dense = np.unique(groups, return_inverse=True)
    return dense.astype(np.int64)


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


def fit_cuts(points, pairs, distances, groups, *, n_bits, n_pairs, resolution, kinds, seed,
             progress):
    """Weights (kind, t, c) and info of a threshold code fitted to W1 of training pairs."""
    if not any(len(p) for p in points):
        raise ValueError("the training diagrams have no finite points: nothing to learn from")
    if len(points) < 2:
        raise ValueError(f"fit needs at least 2 diagrams, got {len(points)}")
    rng = np.random.default_rng(seed)
    if pairs is None:
        if distances is not None or groups is not None:
            raise ValueError("distances and groups need pairs: the W1 of which pairs?")
        pairs = random_pairs(len(points), n_pairs, rng)
    pairs, distances = _check_pairs(pairs, distances, len(points))
    groups = _check_groups(groups, len(pairs))
    if distances is None:
        todo = range(len(pairs))
        if progress:
            require("tqdm", "DiagramHasher(progress=True)")
            from tqdm.auto import tqdm
            todo = tqdm(todo, desc="DiagramHasher.fit: exact W1 of training pairs",
                        unit="pair")
        distances = np.array([exact_w1(points[pairs[k, 0]], points[pairs[k, 1]]) for k in todo])
    if distances.std() == 0:
        raise ValueError("the training pairs all have the same W1: nothing to learn from")
    allp, sizes = concat(points)
    candidates = candidate_cuts(allp, sizes, grid=resolution, kinds=kinds)
    kind, t, c, correlation = select_cuts(
        allp, sizes, pairs[:, 0], pairs[:, 1], distances, n_bits, candidates=candidates,
        groups=groups)
    weights = {"kind": kind.astype(np.int64), "t": t, "c": c}
    info = {"method": "betti", "n_pairs": int(len(pairs)), "n_diagrams": int(len(points)),
            "resolution": int(resolution),
            "features": [KINDS[k] for k in kinds],
            "candidates": int(len(candidates[0])),
            "groups": 1 if groups is None else int(groups.max()) + 1,
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
