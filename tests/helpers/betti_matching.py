"""Slow reference for Betti matching, written from the definition (pure Python).

The definition (``fasttopo.betti_matching``'s docstring): sublevel
filtrations of P, G and C = min(P, G) (superlevel: the values negated),
pixels totally ordered by (value, the other image's value, flat index).
Filtering P, G and C by one common index set -- the ranks of all the
(value, other value, pixel) triples of P and G together (C's are the
smaller of the two at each pixel) -- makes the inclusions
P_t, G_t within C_t maps of persistence modules indexed by that set; their
barcodes are multisets of (birth pixel, death pixel) intervals, and the
induced matchings of Bauer and Lesnick are applied to them literally.

* ``cubical``: the whole cubical complex (V- or T-construction) of a
  pixel function, cell by cell (``reference._cells``).
* ``reduce_pairs``: the standard column algorithm on the Z/2 boundary
  matrix (columns are Python ints used as bit sets), with the rows in the
  order of one filtration and the columns in the order of another: with
  the same order it gives the barcode, with rows in P's order and
  columns in C's it gives the barcode of the image of H(P) -> H(C)
  (Cohen-Steiner, Edelsbrunner, Harer, Morozov 2009; Bauer, Schmahl 2023).
* ``rank_barcode``: the barcode of the image module straight from its
  rank function, rank(H_k(P_s) -> H_k(C_t)), by inclusion-exclusion; no
  reduction at all.  Slower still: the tests use it to check
  ``reduce_pairs`` on tiny images.
* ``induced_matching``: Bauer and Lesnick's rule, P -> im -> C <- im <- G.
"""

import numpy as np

from helpers.reference import _cell_pixels, _cells

INF = float("inf")


def joint_ranks(prediction, target, superlevel=False):
    """Ranks of the pixels of P, G and C = min(P, G) in one common total order.

    Returns ``(P, G, C, values)``: int arrays of the flat pixels' ranks, and
    the float values behind them (``values[rank]``), negated for the
    superlevel filtration.
    """
    sign = -1.0 if superlevel else 1.0
    p = sign * np.asarray(prediction, dtype=np.float64).ravel()
    g = sign * np.asarray(target, dtype=np.float64).ravel()
    n = p.size
    tp = [(float(p[i]), float(g[i]), i) for i in range(n)]
    tg = [(float(g[i]), float(p[i]), i) for i in range(n)]
    items = sorted(set(tp) | set(tg))
    rank = {item: r for r, item in enumerate(items)}
    P = np.array([rank[t] for t in tp])
    G = np.array([rank[t] for t in tg])
    return P, G, np.minimum(P, G), np.array([v for v, _, _ in items])


def cubical(shape, construction):
    """Cells (doubled-grid tuples), their dimension, pixels and faces."""
    grid, cells = _cells(shape, construction)
    dims = {c: sum(x % 2 for x in c) for c in cells}
    pixels = {c: [int(np.ravel_multi_index(p, shape)) for p in _cell_pixels(c, shape, construction)]
              for c in cells}
    faces = {}
    for c in cells:
        out = []
        for axis, x in enumerate(c):
            if x % 2 == 1:
                for delta in (-1, 1):
                    f = list(c)
                    f[axis] += delta
                    if 0 <= f[axis] < grid[axis]:
                        out.append(tuple(f))
        faces[c] = out
    return cells, dims, pixels, faces


def cell_values(complex_, ranks, construction):
    """Filtration rank and owner pixel of every cell for the pixel ranks ``ranks``."""
    cells, _, pixels, _ = complex_
    out = {}
    for c in cells:
        pix = pixels[c]
        r = [ranks[p] for p in pix]
        k = int(np.argmin(r)) if construction == "T" else int(np.argmax(r))
        out[c] = (r[k], pix[k])
    return out


def reduce_pairs(complex_, rows, columns):
    """Pivot pairs (row cell, column cell) of the boundary matrix.

    ``rows`` and ``columns`` map cells to their filtration (rank, owner);
    cells are ordered by (rank, dim, cell).  Also returns the cells that
    are neither pivots nor pivot rows (essential, in the same order).
    """
    cells, dims, _, faces = complex_
    row_order = sorted(cells, key=lambda c: (rows[c][0], dims[c], c))
    row_pos = {c: i for i, c in enumerate(row_order)}
    col_order = sorted(cells, key=lambda c: (columns[c][0], dims[c], c))
    pivots = {}
    pairs = []
    for cell in col_order:
        col = 0
        for f in faces[cell]:
            col ^= 1 << row_pos[f]
        while col:
            low = col.bit_length() - 1
            if low in pivots:
                col ^= pivots[low]
            else:
                pivots[low] = col
                pairs.append((row_order[low], cell))
                break
    return pairs


def barcodes(complex_, rows, columns, max_dim):
    """Bars per dimension: lists of (birth rank, death rank, birth pixel, death pixel).

    Pivot pairs give the finite bars (dropped when the birth rank is not
    below the death rank: no interval); the essential class of a box is
    added to dimension 0 (born at the first pixel of ``rows``).
    """
    _, dims, _, _ = complex_
    out = {k: [] for k in range(max_dim + 1)}
    for row, col in reduce_pairs(complex_, rows, columns):
        k = dims[row]
        if k > max_dim:
            continue
        (b, bp), (d, dp) = rows[row], columns[col]
        if b < d:
            out[k].append((b, d, bp, dp))
    first = min(rows.values())
    out[0].append((first[0], INF, first[1], -1))
    return out


def _homology_ranks(complex_, sub, big, k):
    """rank(H_k(sub) -> H_k(big)) for cell sets ``sub`` within ``big``."""
    cells, dims, _, faces = complex_
    kcells = [c for c in cells if dims[c] == k]
    pos = {c: i for i, c in enumerate(c for c in cells if dims[c] == k - 1)}

    def boundary(c):
        v = 0
        for f in faces[c]:
            v ^= 1 << pos[f]
        return v

    # cycles of sub: the kernel of the boundary, by Gaussian elimination with history
    basis = {}
    cycles = []
    for i, c in enumerate(kcells):
        if c not in sub:
            continue
        v, h = boundary(c), 1 << i
        while v:
            low = v.bit_length() - 1
            if low not in basis:
                basis[low] = (v, h)
                break
            v ^= basis[low][0]
            h ^= basis[low][1]
        if not v:
            cycles.append(h)
    # boundaries of big, as k-chains
    kpos = {c: i for i, c in enumerate(kcells)}

    def rank_of(vectors):
        echelon = {}
        for v in vectors:
            while v:
                low = v.bit_length() - 1
                if low not in echelon:
                    echelon[low] = v
                    break
                v ^= echelon[low]
        return len(echelon)

    bounds = []
    for c in cells:
        if dims[c] == k + 1 and c in big:
            v = 0
            for f in faces[c]:
                v ^= 1 << kpos[f]
            bounds.append(v)
    return rank_of(bounds + cycles) - rank_of(bounds)


def rank_barcode(complex_, source, target, k, size):
    """Barcode of im(H_k(source) -> H_k(target)) from its rank function.

    ``source``/``target`` map cells to (rank, owner) with source >= target
    cellwise; indices run from 0 to ``size - 1`` (at ``size - 1`` every
    cell is in).  Returns the sorted multiset of (birth rank, death rank),
    death inf for essential bars.
    """
    cells = complex_[0]
    memo = {}

    def r(s, t):
        if s < 0:
            return 0
        if (s, t) not in memo:
            sub = {c for c in cells if source[c][0] <= s}
            big = {c for c in cells if target[c][0] <= t}
            memo[(s, t)] = _homology_ranks(complex_, sub, big, k)
        return memo[(s, t)]

    last = size - 1
    bars = []
    for b in range(size):
        for d in range(b + 1, size):
            m = r(b, d - 1) - r(b - 1, d - 1) - r(b, d) + r(b - 1, d)
            bars.extend([(b, d)] * m)
        bars.extend([(b, INF)] * (r(b, last) - r(b - 1, last)))
    return sorted(bars)


def _match(left, right, group, order):
    """Bauer-Lesnick: within each group (key ``group``), match in the order ``order``.

    ``left`` and ``right`` are lists of bars; returns {index in right: index
    in left}; every bar of ``right`` must find one (the smaller side).
    """
    out = {}
    groups = {}
    for i, bar in enumerate(left):
        groups.setdefault(group(bar), ([], []))[0].append(i)
    for j, bar in enumerate(right):
        groups.setdefault(group(bar), ([], []))[1].append(j)
    for ls, rs in groups.values():
        ls.sort(key=lambda i: (order(left[i]), i))
        rs.sort(key=lambda j: (order(right[j]), j))
        assert len(rs) <= len(ls), "an induced matching left a bar of the image unmatched"
        for i, j in zip(ls, rs):
            out[j] = i
    return out


def induced_matching(p_bars, g_bars, c_bars, ip_bars, ig_bars):
    """Matched (P bar, G bar) index pairs of one dimension, by Bauer-Lesnick.

    Bars are (birth rank, death rank, birth pixel, death pixel).  P -> im
    is surjective: bars of the same birth matched by decreasing length;
    im -> C is injective: bars of the same death matched by decreasing
    length; identical image bars take their partners in the same order
    on both sides.
    """
    def by_birth(bar):
        return bar[0]

    def longest_first_death(bar):
        return -bar[1]

    def by_death(bar):
        return bar[1]

    def longest_first_birth(bar):
        return bar[0]

    # matched image bar -> P bar (surjection) and image bar -> C bar (injection)
    p_of_ip = _match(p_bars, ip_bars, by_birth, longest_first_death)
    c_of_ip = _match(c_bars, ip_bars, by_death, longest_first_birth)
    g_of_ig = _match(g_bars, ig_bars, by_birth, longest_first_death)
    c_of_ig = _match(c_bars, ig_bars, by_death, longest_first_birth)
    for j, i in p_of_ip.items():
        assert ip_bars[j][1] <= p_bars[i][1] and ip_bars[j][0] == p_bars[i][0]
    for j, i in c_of_ip.items():
        assert c_bars[i][0] <= ip_bars[j][0] and ip_bars[j][1] == c_bars[i][1]
    p_of_c = {c: p_of_ip[j] for j, c in c_of_ip.items()}
    g_of_c = {c: g_of_ig[j] for j, c in c_of_ig.items()}
    return [(p_of_c[c], g_of_c[c]) for c in sorted(p_of_c) if c in g_of_c]


def reference_betti_matching(prediction, target, connectivity=None, superlevel=False,
                             max_dim=None):
    """Betti matching from the definition.

    Returns ``(matched, unmatched_prediction, unmatched_target)``: sorted
    lists of (dim, P birth pixel, P death pixel, G birth pixel, G death
    pixel), of (dim, birth pixel, death pixel) and of the same for the
    target.  Only bars of positive length in value are reported; a bar
    matched to one of zero length (a tie) counts as unmatched.
    """
    prediction = np.asarray(prediction)
    ndim = prediction.ndim
    connectivity = ndim if connectivity is None else connectivity
    max_dim = ndim - 1 if max_dim is None else max_dim
    construction = "V" if connectivity == 1 else "T"
    P, G, C, values = joint_ranks(prediction, target, superlevel)
    cx = cubical(prediction.shape, construction)
    fp, fg, fc = (cell_values(cx, r, construction) for r in (P, G, C))
    bp, bg, bc = (barcodes(cx, f, f, max_dim) for f in (fp, fg, fc))
    ip, ig = barcodes(cx, fp, fc, max_dim), barcodes(cx, fg, fc, max_dim)

    def value(rank):
        return INF if rank == INF else values[rank]

    def positive(bar):
        return value(bar[0]) != value(bar[1])

    matched, un_p, un_g = [], [], []
    for k in range(max_dim + 1):
        pairs = induced_matching(bp[k], bg[k], bc[k], ip[k], ig[k])
        pairs = [(i, j) for i, j in pairs if positive(bp[k][i]) and positive(bg[k][j])]
        done_p = {i for i, _ in pairs}
        done_g = {j for _, j in pairs}
        for i, j in pairs:
            matched.append((k, bp[k][i][2], bp[k][i][3], bg[k][j][2], bg[k][j][3]))
        un_p += [(k, b[2], b[3]) for i, b in enumerate(bp[k]) if positive(b) and i not in done_p]
        un_g += [(k, b[2], b[3]) for i, b in enumerate(bg[k]) if positive(b) and i not in done_g]
    return sorted(matched), sorted(un_p), sorted(un_g)


def image_barcode_two_ways(prediction, target, connectivity=None, superlevel=False, k=0):
    """The image barcode of H_k(P) -> H_k(C) by reduction and from the ranks (for tests)."""
    prediction = np.asarray(prediction)
    ndim = prediction.ndim
    connectivity = ndim if connectivity is None else connectivity
    construction = "V" if connectivity == 1 else "T"
    P, G, C, values = joint_ranks(prediction, target, superlevel)
    cx = cubical(prediction.shape, construction)
    fp, fc = cell_values(cx, P, construction), cell_values(cx, C, construction)
    reduced = sorted((b, d) for b, d, _, _ in barcodes(cx, fp, fc, k)[k])
    ranked = rank_barcode(cx, fp, fc, k, len(values))
    return reduced, ranked


__all__ = ["joint_ranks", "cubical", "cell_values", "reduce_pairs", "barcodes", "rank_barcode",
           "induced_matching", "reference_betti_matching", "image_barcode_two_ways"]
