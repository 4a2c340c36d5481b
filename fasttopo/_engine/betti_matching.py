"""Betti matching of two validated images: bars of P, G, C and of the images, matched (private).

The one entry is ``matched_bars``.  For the prediction P, the
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

from .cubical_reduction import apparent_pairs, image_columns, reduce_columns
from .induced_matching import (aggregate_roots, group_ranks, image_sweep, pair_keys,
                               sort_candidates, sorted_cells)
from .keys import fill_keys, image_bits, packing
from .neighbourhood import Grid, geometry
from .scan import NO_EDGES, NO_SWEEP_EDGES, Edges, Side, scan_rows
from .buffers import as_3d, pool, stencils
from .union_find import unpad

__all__ = ["Matched", "matched_bars"]

# The result, flat C-order pixel indices (essential death -1), grouped by dimension:
# matched bars of P and G (row i of one with row i of the other), then the unmatched
# bars of each; ``*_dim`` the dimension of each row.
Matched = namedtuple("Matched", ["dim", "p_birth", "p_death", "g_birth", "g_death",
                                 "p_dim", "p_un_birth", "p_un_death",
                                 "g_dim", "g_un_birth", "g_un_death"])
# One filtration on the padded grid: flat padded keys (the padding and the exterior slot
# hold the largest key), the range and varying bits of the pixels' keys, its first pixel
# (padded index), and ``unit``: keys // unit are the keys of the own values alone
Filtration = namedtuple("Filtration", ["keys", "kmin", "kmax", "varying", "first", "unit"])
_EMPTY = np.empty(0, dtype=np.int64)
_TOP = np.uint64(0xFFFFFFFFFFFFFFFF)
_INT32_LIMIT = 2**31 - 16
# below this many pixels the three filtrations run one after the other (threads cost more)
_THREADED = 1 << 15


def _pixel_cells(g):
    """Padded indices of the pixels, in C order."""
    z, y, x = np.indices(tuple(int(v) for v in g.shape3)).reshape(3, -1)
    return ((z + g.pad[0]) * g.padded[1] + (y + g.pad[1])) * g.padded[2] + (x + g.pad[2])


def _image_keys(image, superlevel, g):
    """The engine's order-preserving keys of an image's pixels (flat C order, uint64)."""
    bits, kind, signbit, allones = image_bits(image)
    keys = np.empty(int(g.npad) + 1, dtype=np.uint64)
    fill_keys(as_3d(bits), kind, signbit, allones, superlevel, keys, g.padded, g.pad)
    return keys


def _tie_broken(kp, kg):
    """Keys of (own value, other image's value) pairs, ordered lexicographically, from the
    ranks of the values of both images together (``pair_keys`` packs keys of <= 32 bits
    side by side instead)."""
    values, inverse = np.unique(np.concatenate([kp, kg]), return_inverse=True)
    if values.size >= 2**32:  # pragma: no cover - more than 2**31 pixels
        raise MemoryError("too many distinct values for Betti matching")
    m = np.uint64(values.size)
    rp = inverse[:kp.size].astype(np.uint64)
    rg = inverse[kp.size:].astype(np.uint64)
    return rp * m + rg, rg * m + rp, m


def _filtration(keys_pixels, cells, npad, unit):
    keys = np.full(npad + 1, _TOP, dtype=np.uint64)  # the padding: the sentinel key
    keys[cells] = keys_pixels
    kmin, kmax = keys_pixels.min(), keys_pixels.max()
    varying = np.bitwise_or.reduce(keys_pixels ^ keys_pixels[0])
    first = int(cells[np.argmin(keys_pixels)])  # the first minimum in C order
    return Filtration(keys, np.uint64(kmin), np.uint64(kmax), np.uint64(varying), first, unit)


def _filtrations(prediction, target, superlevel, g):
    """The ``Filtration`` of P, G and C = min(P, G) on the padded grid ``g``.

    Pixels are ordered by (value, the other image's value, flat index):
    ties of one image are broken by the other's values, then by index.
    """
    npad = int(g.npad)
    kp = _image_keys(prediction, superlevel, g)
    kg = _image_keys(target, superlevel, g)
    if prediction.dtype.itemsize <= 4:
        kc = np.empty_like(kp)
        stats, room = pair_keys(kp, kg, kc, g.padded, g.pad, g.shape3)
        if room:
            return [Filtration(keys, *(np.uint64(v) for v in stats[i, :3]), int(stats[i, 3]),
                               np.uint64(1 << 32)) for i, keys in enumerate((kp, kg, kc))]
        kp = _image_keys(prediction, superlevel, g)   # no room for the sentinel: ranks
        kg = _image_keys(target, superlevel, g)
    cells = _pixel_cells(g)
    kp, kg, unit = _tie_broken(kp[cells], kg[cells])
    return [_filtration(k, cells, npad, unit) for k in (kp, kg, np.minimum(kp, kg))]


def _scan(f, g, connectivity, forward, reverse, record, negative):
    """The engine's raster scan of ``f`` in the asked directions (``record``: 0, 1 or 2)."""
    npad = int(g.npad)
    n = int(np.prod(g.shape3))
    st_f, st_r = stencils(tuple(int(v) for v in g.shape3), int(g.ndim), connectivity)
    pk = packing(f.kmin, f.kmax, f.varying, npad + 1, 64, True)
    pk = pk._replace(kmin=np.uint64(pk.kmin), kmax=np.uint64(pk.kmax))
    sides = []
    for active, st in ((forward, st_f), (reverse, st_r)):
        parent = np.empty(npad + 1 if active else 1, dtype=np.int32)
        parent[-1] = npad
        sides.append(Side(active, parent, st, np.empty(n if active else 1, dtype=np.uint64)))
    rings = np.empty(npad, dtype=np.uint32)
    edges = Edges(negative, record) if record else NO_EDGES
    rows = int(g.shape3[0] * g.shape3[1])
    nc_f, nr_f, nc_r, nr_r = scan_rows(f.keys, g, pk, (0, rows), sides[0], sides[1], rings,
                                       edges)
    return pk, rings, (sides[0], nc_f, nr_f), (sides[1], nc_r, nr_r)


def _sweep(f, scanned, reverse, sources, g, record, negative):
    """Bars of one direction of ``f`` and of the images of up to two source filtrations.

    ``scanned`` is ``_scan``'s result.  Returns the target's bars and each
    source image's, as (births, deaths) padded int64 arrays in the original
    orientation (for the reverse sweep of the top dimension: birth = the
    candidate).
    """
    pk, rings, fwd, rev = scanned
    side, ncand, nroots = rev if reverse else fwd
    sort_candidates(side.candidates, ncand, f.keys, pk.index_bits, reverse, pk.exact)
    born = [np.empty(int(g.npad) + 1, dtype=np.int32) for _ in sources]
    dummy = (f.keys, side.parent)
    a = (sources[0].keys, born[0]) if sources else dummy
    b = (sources[1].keys, born[1]) if len(sources) > 1 else a
    if sources:
        aggregate_roots(side.parent, g.padded, g.pad, g.shape3, reverse, a[0], a[1], b[0], b[1],
                        len(sources))
    out = np.empty((3, 2, nroots + 2), dtype=np.int32)
    edges = Edges(negative, 2 if reverse else 1) if record else NO_SWEEP_EDGES
    counts = image_sweep(f.keys, side, ncand, pk.index_bits, reverse, rings, edges,
                         (a[0], a[1], b[0], b[1]), len(sources), out)
    bars = []
    for k in range(1 + len(sources)):
        young = out[k, 0, :counts[k]].astype(np.int64)
        joined = out[k, 1, :counts[k]].astype(np.int64)
        bars.append((joined, young) if reverse else (young, joined))
    return bars


def _essential(birth):
    return np.array([birth], dtype=np.int64), np.array([-1], dtype=np.int64)


def _cat(*parts):
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def _orders(fs, g, dual):
    """(positions, order) of each filtration's voxels for the reduction.

    Forward: positions of the voxels (-1 on the padding).  ``dual``: the
    complement's filtration, the padding first (in cell order), then the
    voxels in reverse order; returns also the number of padding cells.
    """
    npad = int(g.npad)
    padding = None
    if dual:
        is_pad = np.ones(npad, dtype=bool)
        is_pad[_pixel_cells(g)] = False
        padding = np.flatnonzero(is_pad).astype(np.int32)
    first_real = 0 if padding is None else padding.size
    cells = _pixel_cells(g)
    out = []
    for f in fs:
        order = sorted_cells(f.keys, cells)
        if dual:
            order = np.concatenate([padding, order[::-1]])
        pos = np.full(npad, -1, dtype=np.int32)
        pos[order] = np.arange(order.size, dtype=np.int32)
        out.append((pos, order))
    return out, first_real


def _reduce(pos_s, order_s, pos_t, order_t, negative, g, first_real, n_threads):
    """Bars (source owner of the edge, target owner of the square) of dimension 1.

    With one filtration (``pos_s is pos_t``) the engine's apparent pairs
    (of zero length: one owner) are left out.
    """
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
        if pos_s is pos_t:
            return (apparent_pairs(pos_s, negative[:npad], pivots, Hp, Wp, first_real, cuts[i],
                                   cuts[i + 1]), _EMPTY, _EMPTY)
        return image_columns(pos_s, pos_t, order_t, negative[:npad], pivots, Hp, Wp,
                             first_real, cuts[i], cuts[i + 1])

    parts = list(pool().map(slab, range(slabs))) if slabs > 1 else [slab(0)]
    columns = np.concatenate([p[0] for p in parts])
    columns.sort()
    births, deaths = reduce_columns(pos_t, order_t, pivots, columns, Hp, Wp, col_order=order_s)
    return (np.concatenate([births] + [p[1] for p in parts]),
            np.concatenate([deaths] + [p[2] for p in parts]))


def _middle(P, G, C, negs, g, dual, n_threads):
    """Dimension-1 bars of P, G, C and of the two images, (birth, death) padded indices.

    The reduction runs on the 6-connected side: the image (V-construction)
    or its complement (T-construction); for the images the source is P or
    G on the image, the complement of C on the complement (it is inside
    the complements of P and G).
    """
    (pp, pg, pc), first_real = _orders((P, G, C), g, dual)
    neg_p, neg_g, neg_c = negs
    if dual:
        runs = [(pp, pp, neg_p), (pg, pg, neg_g), (pc, pc, neg_c), (pc, pp, neg_c),
                (pc, pg, neg_c)]
    else:
        runs = [(pp, pp, neg_p), (pg, pg, neg_g), (pc, pc, neg_c), (pp, pc, neg_p),
                (pg, pc, neg_g)]

    def run(job):
        (pos_s, order_s), (pos_t, order_t), neg = job
        b, d = _reduce(pos_s, order_s, pos_t, order_t, neg, g, first_real, 1)
        return (d, b) if dual else (b, d)

    if n_threads > 1:  # the two images first: they take longest
        order = [3, 4, 0, 1, 2]
        done = dict(zip(order, pool().map(run, [runs[i] for i in order])))
        return [done[i] for i in range(5)]
    return [run(job) for job in runs]


def _keep(bars, fb, fd):
    """Bars that are intervals of the total orders: (key, index) of birth before death."""
    b, d = bars
    kb, kd = fb.keys[b], fd.keys[d]
    keep = (kb < kd) | ((kb == kd) & (b < d)) | (d < 0)
    return b[keep], d[keep]


def _positive(bars, f):
    """Bars of one filtration of positive length in value (essential kept)."""
    b, d = bars
    keep = (d < 0) | (f.keys[b] // f.unit != f.keys[d] // f.unit)
    return b[keep], d[keep]


def _match(left, right):
    """For each right element, the left one of the same group and rank (-1 if none).

    ``left`` and ``right`` are ``(group, keys, cells, late)``: elements are
    grouped by ``group`` and ranked in each group by ``(keys[cell], cell)``
    (decreasing if ``late``), ties by position.
    """
    if right[0].size == 0 or left[0].size == 0:
        return np.full(right[0].size, -1, dtype=np.int64)
    lr = group_ranks(np.argsort(left[0], kind="stable"), *left)
    rr = group_ranks(np.argsort(right[0], kind="stable"), *right)
    m = int(max(lr.max(), rr.max())) + 1
    lkey = (left[0].astype(np.int64) + 1) * m + lr
    rkey = (right[0].astype(np.int64) + 1) * m + rr
    sorter = np.argsort(lkey)
    at = np.minimum(np.searchsorted(lkey, rkey, sorter=sorter), lkey.size - 1)
    hit = sorter[at]
    return np.where(lkey[hit] == rkey, hit, -1)


def _image_partners(bars, image, comparison, source, C):
    """For each bar of the image: its bar of the source (or -1) and of C."""
    ib, idd = image
    # image -> C (injective): same death, decreasing length (increasing birth)
    c_of = _match((comparison[1], C.keys, comparison[0], False),
                  (idd, source.keys, ib, False))
    if (c_of < 0).any():  # pragma: no cover - Bauer-Lesnick: every image bar has one
        raise RuntimeError("internal error: a bar of the image of H(P) -> H(C) found no bar "
                           "of C")
    # source -> image (surjective): same birth, decreasing length (decreasing death)
    s_of = _match((bars[0], source.keys, bars[1], True), (ib, C.keys, idd, True))
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


def _bars(P, G, C, g, ndim, max_dim, connectivity, n_threads):
    """Bars per dimension: (P, G, C, image of P, image of G), (births, deaths) padded."""
    npad = int(g.npad)
    middle = ndim == 3 and max_dim >= 1
    top = ndim >= 2 and max_dim == ndim - 1
    dual = connectivity != 1
    reverse = top or (middle and dual)   # (the complements' sweeps clear the reduction)
    record = (2 if dual else 1) if middle else 0
    negs = [np.zeros(npad + 1 if record else 1, dtype=np.uint8) for _ in range(3)]

    def pipeline(f, forward_sources, reverse_sources, neg):
        scanned = _scan(f, g, connectivity, True, reverse, record, neg)
        fwd = _sweep(f, scanned, False, forward_sources, g, record == 1, neg)
        rev = _sweep(f, scanned, True, reverse_sources, g, record == 2, neg) if reverse else None
        return fwd, rev

    jobs = [(C, [P, G], [], negs[2]), (P, [], [C], negs[0]), (G, [], [C], negs[1])]
    if n_threads > 1:
        futures = [pool().submit(pipeline, *job) for job in jobs[1:]]
        results = [pipeline(*jobs[0])] + [f.result() for f in futures]
    else:
        results = [pipeline(*job) for job in jobs]
    (c_f, c_r), (p_f, p_r), (g_f, g_r) = results
    bars = {0: (_cat(p_f[0], _essential(P.first)), _cat(g_f[0], _essential(G.first)),
                _cat(c_f[0], _essential(C.first)), _cat(c_f[1], _essential(P.first)),
                _cat(c_f[2], _essential(G.first)))}
    if top:
        bars[ndim - 1] = (p_r[0], g_r[0], c_r[0], p_r[1], g_r[1])
    if middle:
        bars[1] = tuple(_middle(P, G, C, negs, g, dual, n_threads))
    return bars


def _matched(prediction, target, max_dim, connectivity, superlevel, n_threads):
    """``Matched`` bars of two validated images of one shape and dtype."""
    ndim = prediction.ndim
    shape3 = np.array(as_3d(prediction).shape, dtype=np.int64)
    padded, pad = geometry(shape3, ndim)
    npad = int(np.prod(padded))
    if npad >= _INT32_LIMIT:
        raise MemoryError(f"an image of {prediction.size} pixels is too large for Betti "
                          f"matching (limit about 2 billion pixels)")
    g = Grid(shape3, padded, pad, int(ndim), npad)
    if prediction.size < _THREADED:
        n_threads = 1
    P, G, C = _filtrations(np.ascontiguousarray(prediction), np.ascontiguousarray(target),
                           superlevel, g)
    bars = _bars(P, G, C, g, ndim, max_dim, connectivity, n_threads)
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


def matched_bars(pairs, max_dim, connectivity, superlevel, n_threads):
    """``Matched`` bars of each validated (prediction, target) pair (one shape and dtype each).

    With fewer pairs than threads the pairs run one after the other, each
    with every thread; otherwise each thread takes every ``n_threads``-th
    pair.  The kernels release the GIL, and the results do not depend on
    ``n_threads``.
    """
    within = n_threads if len(pairs) < n_threads else 1

    def one(pair):
        return _matched(pair[0], pair[1], max_dim, connectivity, superlevel, within)

    if n_threads == 1 or within > 1:
        return [one(pair) for pair in pairs]
    chunks = [pairs[i::n_threads] for i in range(n_threads)]
    done = list(pool().map(lambda chunk: [one(pair) for pair in chunk], chunks))
    out = [None] * len(pairs)
    for i, part in enumerate(done):
        out[i::n_threads] = part
    return out
