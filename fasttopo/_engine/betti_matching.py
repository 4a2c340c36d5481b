"""Betti matching of two validated images: bars of P, G, C and of the images, matched (private).

The one entry is ``betti_matching_pairs``.  For the prediction P, the
target G and C = min(P, G) it computes, per dimension, the bars of the
three filtrations and of the images of H(P) -> H(C) and H(G) -> H(C), all
as (birth pixel, death pixel) of the pixel orders ``(key, flat index)``:

* dimension 0: union-find over C with the images' births
  (``induced_matching.image_sweep``), and over P and G alone;
* the top dimension: the same sweeps on the complements (Alexander
  duality), over P and over G each with the image births of C's, and
  over C alone;
* dimension 1 of volumes: the cubical reduction (``cubical_reduction``),
  with the columns in the order of the source and the pivots in the
  order of the target for the images (image persistence), on the image
  (V-construction) or on its complement (T-construction, by duality, as
  the engine computes it).

Bars are those of the total orders: bars of zero length in value (ties)
are kept for C and the images, where they take part in the matching;
bars of P and G of zero length are dropped (they come last among the
bars of their birth pixel, so they take no match from another bar).
``_compose`` then applies the induced matchings of Bauer and Lesnick: a
bar of P and a bar of the image of P with the same birth pixel are
matched in order of decreasing length, a bar of the image and a bar of
C with the same death pixel in order of decreasing length; bars of P and
G matched to the same bar of C are matched.
"""

from collections import namedtuple

import numpy as np

from .cubical_reduction import image_columns, reduce_columns
from .induced_matching import image_sweep, sorted_cells
from .keys import fill_keys, image_bits
from .neighbourhood import dual_connectivity, grid, neighbour_offsets
from .threads import as_3d, pool
from .union_find import unpad

__all__ = ["Matched", "betti_matching_pairs"]

# The result, flat C-order pixel indices (essential death -1), grouped by dimension:
# matched bars of P and G (row i of one with row i of the other), then the unmatched
# bars of each; ``*_dim`` the dimension of each row.
Matched = namedtuple("Matched", ["dim", "p_birth", "p_death", "g_birth", "g_death",
                                 "p_dim", "p_un_birth", "p_un_death",
                                 "g_dim", "g_un_birth", "g_un_death"])
# One filtration: flat padded keys (a slot for the exterior), the pixels in order
# (padded indices), the position of each cell (-1 padding; ``npad``: n, essential deaths)
Filtration = namedtuple("Filtration", ["keys", "order", "rank"])
_EMPTY = np.empty(0, dtype=np.int64)


def _filtration(keys, order, npad):
    rank = np.full(npad + 1, -1, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    rank[npad] = order.size    # rank[-1]: an essential death comes after every pixel
    return Filtration(keys, order, rank)


def _filtrations(prediction, target, superlevel, g):
    """The ``Filtration`` of P, G and C = min(P, G) (by keys) on the padded grid ``g``."""
    npad = int(g.npad)
    origin = int((g.pad[0] * g.padded[1] + g.pad[1]) * g.padded[2] + g.pad[2])
    found = []
    for image in (prediction, target):
        bits, kind, signbit, allones = image_bits(image)
        keys = np.zeros(npad + 1, dtype=np.uint64)
        kmin, kmax, varying, _ = fill_keys(as_3d(bits), kind, signbit, allones, superlevel,
                                           keys, g.padded, g.pad)
        found.append((keys, np.uint64(kmin), np.uint64(kmax), np.uint64(varying)))
    (kp, pmin, pmax, pvar), (kg, gmin, gmax, gvar) = found
    kc = np.minimum(kp, kg)
    # C's keys are keys of P or G: their range and varying bits are within those
    cstats = (min(pmin, gmin), max(pmax, gmax), pvar | gvar | (kp[origin] ^ kg[origin]))
    out = []
    for keys, stats in ((kp, found[0][1:]), (kg, found[1][1:]), (kc, cstats)):
        order = sorted_cells(keys, g.padded, g.pad, g.shape3, *stats)
        out.append(_filtration(keys, order, npad))
    return out


def _sweep(target, sources, reverse, offsets, g, negative=None):
    """``image_sweep`` of ``target`` with up to two source filtrations; bars as (b, d) pairs.

    Returns the target's bars and each source image's, as (births,
    deaths) padded int64 arrays in the original orientation (for the
    reverse sweep of the top dimension: birth = the joining pixel).
    """
    a = sources[0] if sources else target
    b = sources[1] if len(sources) > 1 else a
    neg = negative if negative is not None else np.zeros(1, dtype=np.uint8)
    bars, counts = image_sweep(target.keys, target.order, a.keys, a.order, b.keys, b.order,
                               len(sources), reverse, offsets, g.padded, g.pad, neg)
    out = []
    for k in range(1 + len(sources)):
        young = bars[k, 0, :counts[k]].astype(np.int64)
        joined = bars[k, 1, :counts[k]].astype(np.int64)
        out.append((joined, young) if reverse else (young, joined))
    return out


def _essential(birth):
    return np.array([birth], dtype=np.int64), np.array([-1], dtype=np.int64)


def _cat(*parts):
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def _dual_positions(f, g, first_real, padding):
    """Positions in the complement's filtration: the padding first, then reverse order."""
    npad = int(g.npad)
    n = f.order.size
    pos = np.empty(npad, dtype=np.int32)
    pos[padding] = np.arange(first_real, dtype=np.int32)
    rev = f.order[::-1]
    pos[rev] = np.arange(first_real, first_real + n, dtype=np.int32)
    order = np.concatenate([padding.astype(np.int32), rev])
    return pos, order


def _reduce(pos_s, order_s, pos_t, order_t, negative, g, first_real, n_threads):
    """Bars (source owner of the edge, target owner of the square) of dimension 1."""
    npad = int(g.npad)
    if 3 * npad >= 2**31 - 1:
        raise MemoryError(f"a volume of {int(np.prod(g.shape3))} voxels is too large for the "
                          f"dimension-1 reduction (limit about 700 million voxels); use max_dim=0")
    pivots = np.full(3 * npad, -1, dtype=np.int32)
    Hp, Wp = int(g.padded[1]), int(g.padded[2])
    plane = Hp * Wp
    slabs = max(1, min(n_threads, int(g.padded[0]) - 2))
    cuts = [plane * (1 + (int(g.padded[0]) - 2) * i // slabs) for i in range(slabs + 1)]
    cuts[0], cuts[-1] = 0, npad

    def slab(i):
        return image_columns(pos_s, pos_t, order_t, negative[:npad], pivots, Hp, Wp,
                             first_real, cuts[i], cuts[i + 1])

    parts = list(pool().map(slab, range(slabs))) if slabs > 1 else [slab(0)]
    columns = np.concatenate([p[0] for p in parts])
    columns.sort()
    births, deaths = reduce_columns(pos_t, order_t, pivots, columns, Hp, Wp, order_s)
    return (np.concatenate([births] + [p[1] for p in parts]),
            np.concatenate([deaths] + [p[2] for p in parts]))


def _middle(P, G, C, negs, g, dual, n_threads):
    """Dimension-1 bars of P, G, C and of the two images, (birth, death) padded indices."""
    if dual:
        padding = np.flatnonzero(P.rank[:int(g.npad)] < 0)
        first_real = padding.size
        pp, pg, pc = (_dual_positions(f, g, first_real, padding) for f in (P, G, C))
        neg_p, neg_g, neg_c = negs
        # the complement of C is inside those of P and G: it is the source
        runs = [(pp, pp, neg_p), (pg, pg, neg_g), (pc, pc, neg_c), (pc, pp, neg_c),
                (pc, pg, neg_c)]
    else:
        first_real = 0
        pp, pg, pc = ((f.rank[:int(g.npad)], f.order) for f in (P, G, C))
        neg_p, neg_g, neg_c = negs
        runs = [(pp, pp, neg_p), (pg, pg, neg_g), (pc, pc, neg_c), (pp, pc, neg_p),
                (pg, pc, neg_g)]
    out = []
    for (pos_s, order_s), (pos_t, order_t), neg in runs:
        b, d = _reduce(pos_s, order_s, pos_t, order_t, neg, g, first_real, n_threads)
        out.append((d, b) if dual else (b, d))
    return out


def _keep(bars, fb, fd):
    """Bars that are intervals of the total orders: (key, index) of birth before death."""
    b, d = bars
    kb, kd = fb.keys[b], fd.keys[d]
    keep = (kb < kd) | ((kb == kd) & (b < d)) | (d < 0)
    return b[keep], d[keep]


def _positive(bars, f):
    """Bars of one filtration of positive length in value (essential kept)."""
    b, d = bars
    keep = (d < 0) | (f.keys[b] != f.keys[d])
    return b[keep], d[keep]


def _rank_in_groups(group, order):
    """Rank of each element in its group, ordered by ``order`` then by position."""
    n = group.size
    idx = np.lexsort((order, group))  # stable: ties keep their positions' order
    g = group[idx]
    start = np.ones(n, dtype=bool)
    start[1:] = g[1:] != g[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[idx] = np.arange(n) - first
    return rank


def _match(left_group, left_order, right_group, right_order):
    """For each right element, the left one of the same group and rank (-1 if none)."""
    if right_group.size == 0 or left_group.size == 0:
        return np.full(right_group.size, -1, dtype=np.int64)
    lr = _rank_in_groups(left_group, left_order)
    rr = _rank_in_groups(right_group, right_order)
    m = int(max(lr.max(), rr.max())) + 1
    lkey = (left_group.astype(np.int64) + 1) * m + lr
    rkey = (right_group.astype(np.int64) + 1) * m + rr
    sorter = np.argsort(lkey, kind="stable")
    at = np.minimum(np.searchsorted(lkey, rkey, sorter=sorter), lkey.size - 1)
    hit = sorter[at]
    return np.where(lkey[hit] == rkey, hit, -1)


def _image_partners(bars, image, comparison, source, C):
    """For each bar of the image: its bar of the source (or -1) and of C."""
    ib, idd = image
    # image -> C (injective): same death, decreasing length (increasing birth)
    c_of = _match(comparison[1], C.rank[comparison[0]], idd, source.rank[ib])
    if (c_of < 0).any():  # pragma: no cover - Bauer-Lesnick: every image bar has one
        raise RuntimeError("internal error: a bar of the image of H(P) -> H(C) found no bar "
                           "of C")
    # source -> image (surjective): same birth, decreasing length (decreasing death)
    s_of = _match(bars[0], -source.rank[bars[1]], ib, -C.rank[idd])
    return s_of, c_of


def _compose(p, g, c, ip, ig, P, G, C):
    """Indices of the matched bars of P and G (row by row) under Bauer-Lesnick's rule."""
    p_of_ip, c_of_ip = _image_partners(p, ip, c, P, C)
    g_of_ig, c_of_ig = _image_partners(g, ig, c, G, C)
    n = c[0].size
    c_p = np.full(n, -1, dtype=np.int64)
    c_g = np.full(n, -1, dtype=np.int64)
    c_p[c_of_ip] = p_of_ip
    c_g[c_of_ig] = g_of_ig
    both = (c_p >= 0) & (c_g >= 0)
    mp, mg = c_p[both], c_g[both]
    by_p = np.argsort(mp, kind="stable")
    return mp[by_p], mg[by_p]


def betti_matching_pairs(prediction, target, max_dim, connectivity, superlevel, n_threads=1):
    """``Matched`` bars of two validated images of one shape and dtype."""
    ndim = prediction.ndim
    shape3 = np.array(as_3d(prediction).shape, dtype=np.int64)
    g = grid(shape3, ndim)
    P, G, C = _filtrations(np.ascontiguousarray(prediction), np.ascontiguousarray(target),
                           superlevel, g)
    npad = int(g.npad)
    middle = ndim == 3 and max_dim >= 1
    top = ndim >= 2 and max_dim == ndim - 1
    dual = connectivity != 1
    negs = [np.zeros(npad + 1 if middle and not dual else 1, dtype=np.uint8) for _ in range(3)]
    forward = neighbour_offsets(ndim, connectivity, g.padded)
    bars = {}
    (p0,) = _sweep(P, [], False, forward, g, negs[0])
    (g0,) = _sweep(G, [], False, forward, g, negs[1])
    c0, ip0, ig0 = _sweep(C, [P, G], False, forward, g, negs[2])
    bars[0] = (_cat(p0, _essential(P.order[0])), _cat(g0, _essential(G.order[0])),
               _cat(c0, _essential(C.order[0])), _cat(ip0, _essential(P.order[0])),
               _cat(ig0, _essential(G.order[0])))
    dnegs = [np.zeros(npad + 1 if middle and dual else 1, dtype=np.uint8) for _ in range(3)]
    if top or (middle and dual):  # (the complements' sweeps give the reduction's clearing)
        backward = neighbour_offsets(ndim, dual_connectivity(ndim, connectivity), g.padded)
        pt, ipt = _sweep(P, [C], True, backward, g, dnegs[0])
        gt, igt = _sweep(G, [C], True, backward, g, dnegs[1])
        (ct,) = _sweep(C, [], True, backward, g, dnegs[2])
        bars[ndim - 1] = (pt, gt, ct, ipt, igt)
    if middle:
        bars[1] = tuple(_middle(P, G, C, dnegs if dual else negs, g, dual, n_threads))
    dims, pb, pd, gb, gd = [], [], [], [], []
    up, ug = [], []
    for k in range(max_dim + 1):
        p, gg, c, ip, ig = bars[k]
        p, gg = _positive(p, P), _positive(gg, G)
        c = _keep(c, C, C)
        ip, ig = _keep(ip, P, C), _keep(ig, G, C)
        mp, mg = _compose(p, gg, c, ip, ig, P, G, C)
        dims.append(np.full(mp.size, k, dtype=np.int8))
        pb.append(p[0][mp])
        pd.append(p[1][mp])
        gb.append(gg[0][mg])
        gd.append(gg[1][mg])
        rest_p = np.ones(p[0].size, dtype=bool)
        rest_p[mp] = False
        rest_g = np.ones(gg[0].size, dtype=bool)
        rest_g[mg] = False
        up.append((np.full(int(rest_p.sum()), k, dtype=np.int8), p[0][rest_p], p[1][rest_p]))
        ug.append((np.full(int(rest_g.sum()), k, dtype=np.int8), gg[0][rest_g],
                   gg[1][rest_g]))
    columns = [np.concatenate(x) if x else _EMPTY for x in (dims, pb, pd, gb, gd)]
    columns += [np.concatenate([u[i] for u in up]) for i in range(3)]
    columns += [np.concatenate([u[i] for u in ug]) for i in range(3)]
    for i, col in enumerate(columns):
        if col.dtype != np.int8:
            col = col.astype(np.int64)
            unpad(col, g.padded, g.pad, g.shape3)
            columns[i] = col
    return Matched(*columns)
