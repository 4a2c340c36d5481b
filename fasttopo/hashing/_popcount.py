"""Hamming-distance kernels on packed binary codes (private).

Codes are rows of 64-bit words.  The kernels take the second operand
transposed, ``(words, n)``, so that the innermost loop runs over codes with
unit stride: LLVM then vectorises ``popcount(x ^ y)`` (``vpopcntq`` on CPUs
with AVX-512 VPOPCNTDQ, a short bit-twiddling sequence elsewhere).
Results never depend on the number of threads: every output entry is
written by exactly one iteration.
"""

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["popcount", "all_pairs", "all_pairs_serial", "symmetric_tiles", "knn", "knn_serial"]

#: bytes of transposed codes per column block: the block stays in L1 while a
#: group of rows is computed against it
_BLOCK_BYTES = 16384
#: rows per parallel iteration of the all-pairs kernel
_GROUP = 32


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of a 64-bit integer (LLVM ``ctpop``)."""
    if not isinstance(x, types.Integer) or x.bitwidth != 64:
        return None
    sig = types.uint64(x)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i64, [i64]),
                                            "llvm.ctpop.i64")
        return builder.call(fn, [args[0]])

    return sig, codegen


@njit(cache=True, nogil=True, boundscheck=False)
def _row(a, i, bT, out_row, s, e):
    """``out_row[j] = sum_k popcount(a[i, k] ^ bT[k, j])`` for ``s <= j < e``.

    Loops run over slices from 0 so that LLVM sees non-negative indices (no
    wraparound) and vectorises them.
    """
    m = e - s
    o = out_row[s:e]
    x = a[i, 0]
    col = bT[0, s:e]
    for j in range(m):
        o[j] = popcount(x ^ col[j])
    for k in range(1, a.shape[1]):
        x = a[i, k]
        col = bT[k, s:e]
        for j in range(m):
            o[j] += popcount(x ^ col[j])


@njit(cache=True, nogil=True, boundscheck=False)
def _rows(a, i0, i1, bT, out, j0, j1):
    """Rows ``i0:i1``, columns ``j0:j1`` of the distance matrix, column block by block."""
    block = max(64, _BLOCK_BYTES // (8 * a.shape[1]))
    for s in range(j0, j1, block):
        e = min(j1, s + block)
        for i in range(i0, i1):
            _row(a, i, bT, out[i], s, e)


@njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def all_pairs(a, bT, out):
    """``out[i, j]`` = Hamming distance of ``a[i]`` and code ``j`` of ``bT``."""
    n = a.shape[0]
    m = bT.shape[1]
    groups = (n + _GROUP - 1) // _GROUP
    for g in prange(groups):
        i0 = np.int64(g) * _GROUP
        _rows(a, i0, min(n, i0 + _GROUP), bT, out, 0, m)


@njit(cache=True, nogil=True, boundscheck=False)
def all_pairs_serial(a, bT, out):
    """:func:`all_pairs` in the calling thread (small inputs: no thread wake-up)."""
    _rows(a, 0, a.shape[0], bT, out, 0, bT.shape[1])


@njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def symmetric_tiles(a, aT, out, tile):
    """Symmetric case computing only the upper triangle, mirrored tile by tile.

    Block rows are processed in pairs (p, nb-1-p) so that every parallel
    iteration does the same amount of work.  The lower tile ``out[J, I]``
    is copied from the upper tile ``out[I, J]`` while it is still in cache.
    """
    n = a.shape[0]
    nb = (n + tile - 1) // tile
    half = (nb + 1) // 2
    for q in prange(half):
        p = np.int64(q)
        for side in range(2):
            bi = p if side == 0 else nb - 1 - p
            if side == 1 and bi == p:
                break
            i0 = bi * tile
            i1 = min(n, i0 + tile)
            for i in range(i0, i1):
                _row(a, i, aT, out[i], i, i1)
            _rows(a, i0, i1, aT, out, i1, n)
            for bj in range(bi, nb):
                j0 = bj * tile
                j1 = min(n, j0 + tile)
                for j in range(max(j0, i0 + 1), j1):
                    e = min(i1, j)
                    dst = out[j, i0:e]
                    src = out[i0:e, j]
                    for t in range(e - i0):
                        dst[t] = src[t]


@njit(cache=True, nogil=True, boundscheck=False)
def _smallest(dist, k, counts, idx_out, dist_out):
    """The ``k`` smallest entries of ``dist`` by (distance, index), by counting."""
    counts[:] = 0
    for j in range(dist.shape[0]):
        counts[dist[j]] += 1
    # starts[d] = number of entries with distance < d (among the selected ones)
    total = 0
    cut = counts.shape[0] - 1
    for d in range(counts.shape[0]):
        c = counts[d]
        counts[d] = total
        total += c
        if total >= k:
            cut = d
            break
    for d in range(cut + 1, counts.shape[0]):
        counts[d] = k
    for j in range(dist.shape[0]):
        d = dist[j]
        if d <= cut:
            pos = counts[d]
            if pos < k:
                idx_out[pos] = j
                dist_out[pos] = d
                counts[d] = pos + 1


@njit(cache=True, nogil=True, boundscheck=False)
def knn_serial(q, cT, k, bits, idx_out, dist_out):
    """:func:`knn` in the calling thread (small inputs)."""
    dist = np.empty(cT.shape[1], dtype=dist_out.dtype)
    counts = np.empty(bits + 1, dtype=np.int64)
    for i in range(q.shape[0]):
        _row(q, i, cT, dist, 0, cT.shape[1])
        _smallest(dist, k, counts, idx_out[i], dist_out[i])


@njit(cache=True, nogil=True, parallel=True, boundscheck=False)
def knn(q, cT, k, bits, idx_out, dist_out, chunk):
    """For every query row, the ``k`` nearest codes (ties: smaller index first)."""
    nq = q.shape[0]
    m = cT.shape[1]
    n_chunks = (nq + chunk - 1) // chunk
    for c in prange(n_chunks):
        dist = np.empty(m, dtype=dist_out.dtype)
        counts = np.empty(bits + 1, dtype=np.int64)
        for i in range(c * chunk, min(nq, (c + 1) * chunk)):
            _row(q, i, cT, dist, 0, m)
            _smallest(dist, k, counts, idx_out[i], dist_out[i])
