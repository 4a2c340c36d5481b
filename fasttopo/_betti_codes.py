"""Threshold codes of diagrams: bit j = [count_j(D) at t_j >= c_j] (private, NumPy only).

The features are counts of a diagram's points, for points on ``[0, 1]^2``
(a pair is the interval between its birth and its death, whichever is
larger, so that superlevel pairs count the same way):

* kind 0, the Betti number at ``t``: ``#{points with low <= t < high}``;
* kind 1, the lifetime count at ``t``: ``#{points with high - low > t}``.

A code is ``n_bits`` such cuts ``(kind_j, t_j, c_j)``; its Hamming distance
between two diagrams is the number of cuts that separate them.  Summed over
every ``t`` and every integer ``c``, the cuts of kind 0 separate two
diagrams exactly ``sum_t |betti_D(t) - betti_E(t)|`` times, the L1 distance
of their Betti curves, which follows the 1-Wasserstein distance closely;
:func:`select_cuts` picks ``n_bits`` of them (with repetition, i.e. integer
weights) so that the Hamming distance follows exact W1 of training pairs as
closely as possible (Pearson correlation, greedy forward selection then
exchange passes).  Everything is exact integer or sequential floating-point
arithmetic: the result depends on the inputs only.
"""

import numpy as np

__all__ = ["KINDS", "cut_values", "cut_bits", "select_cuts", "candidate_cuts", "left_index"]

#: feature kinds: index -> name
KINDS = ("betti", "lifetime")


def _intervals(points, sizes):
    """(low, high) of the points and the diagram owning each."""
    low = np.minimum(points[:, 0], points[:, 1])
    high = np.maximum(points[:, 0], points[:, 1])
    return low, high, np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


def left_index(grid, x):
    """``np.searchsorted(grid, x, "left")`` for ``x`` in [0, 1] and a sorted ``grid`` of
    distinct values, by a table over ``K`` equal bins (K a power of two, one grid value
    per bin at most): a few gathers instead of a binary search per value."""
    if len(grid) < 2:
        return np.searchsorted(grid, x, side="left")
    scale = 2.0 ** int(np.ceil(np.log2(1.0 / np.diff(grid).min())))
    if scale > 2.0 ** 20:
        return np.searchsorted(grid, x, side="left")
    table = np.searchsorted(grid, np.arange(int(scale) + 1) / scale, side="left")
    base = table[(x * scale).astype(np.int64)]        # #(grid < start of x's bin), exact
    return base + (np.append(grid, np.inf)[base] < x)


def _counts(start, stop, owner, n, size):
    """``out[i, g] = #{points of diagram i with start <= g < stop}`` for g < size."""
    width = size + 1
    flat = np.bincount(owner * width + start, minlength=n * width)
    flat -= np.bincount(owner * width + stop, minlength=n * width)
    return np.cumsum(flat.reshape(n, width), axis=1)[:, :size]


def cut_values(points, sizes, kinds, ts):
    """``(n, q)`` int64: feature ``kinds[k]`` at ``ts[k]`` for each of ``n`` diagrams.

    ``points`` are the concatenated finite points of the diagrams, ``sizes``
    their numbers (see :func:`fasttopo._hasher_inputs.unit_batch`).
    """
    kinds = np.asarray(kinds)
    ts = np.asarray(ts, dtype=np.float64)
    n = len(sizes)
    out = np.zeros((n, len(ts)), dtype=np.int64)
    low, high, owner = _intervals(points, sizes)
    for kind in (0, 1):
        which = np.flatnonzero(kinds == kind)
        if not len(which):
            continue
        grid, inverse = np.unique(ts[which], return_inverse=True)
        if kind == 0:      # alive at grid[g] iff low <= grid[g] < high
            start = left_index(grid, low)
            stop = left_index(grid, high)
        else:              # lifetime > grid[g]
            start = np.zeros(len(low), dtype=np.int64)
            stop = left_index(grid, high - low)
        stop = np.maximum(stop, start)
        out[:, which] = _counts(start, stop, owner, n, len(grid))[:, inverse]
    return out


def cut_bits(points, sizes, kinds, ts, cs):
    """``(n, q)`` bool: the code bits ``cut_values(...) >= cs``."""
    return cut_values(points, sizes, kinds, ts) >= np.asarray(cs)


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
