"""Dimension 1 of 3D images: the voxel order and the Cython cubical reduction (private).

Dimension 1 is computed on a 6-connected V-complex whose vertices are
voxels (see ``cubical_reduction.pyx``):

* for the V-construction (``connectivity=1``) it is the image itself, in
  filtration order, and the negative edges come from the forward sweep of
  dimension 0;
* for the T-construction (``connectivity=3``) it is, by Alexander duality,
  the complement: the padded grid in reverse filtration order with the
  padding (the exterior) first, whose negative edges come from the reverse
  sweep that also gives dimension 2.  A pair (edge, square) of the
  complement is the pair (square, edge) of the image: a tunnel of the
  image is born when the complement's loop dies and vice versa (Garin et
  al. 2020, arXiv:2005.04597).
"""

import numpy as np
from numba import njit

from .cubical_clearing import square_births
from .cubical_reduction import apparent_pairs, reduce_columns
from .keys import fix_ties, pack, radix_sort_u64, unpack

__all__ = ["voxel_order", "dimension_one"]

# columns left per voxel by the apparent pairs from which a volume is reduced with
# clearing and flowing (uniform noise: 0.3; the MNI T1 volume: 0.02; noise smoothed
# with sigma 1: 0.1, sigma 2: 0.04)
_NOISY = 0.2
# key values up to which the voxel order is counted rather than sorted (more when the
# volume has more voxels than a quarter of them)
_COUNTED = 1 << 16


@njit(cache=True, nogil=True)
def _pack_voxels(keys, padded, pad, shape3, kmin, kmax, shift, index_bits, out):
    """Packed (key, index) sort values of every voxel, in C order."""
    Hp, Wp = padded[1], padded[2]
    i = 0
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                out[i] = pack(keys[base + x], 2 * (base + x), kmin, kmax, shift, index_bits,
                              False)
                i += 1


@njit(cache=True, nogil=True)
def _padding_first(padded, pad, pos, order):
    """Give the padding cells the first positions (C order); returns their count."""
    Dp, Hp, Wp = padded[0], padded[1], padded[2]
    k = 0
    for z in range(Dp):
        zb = z == 0 or z == Dp - 1
        for y in range(Hp):
            yb = y == 0 or y == Hp - 1
            for x in range(Wp):
                if zb or yb or x == 0 or x == Wp - 1:
                    cell = (z * Hp + y) * Wp + x
                    pos[cell] = k
                    order[k] = cell
                    k += 1
    return k


@njit(cache=True, nogil=True)
def _positions(sorted_packed, index_bits, pos, order, offset, reverse):
    """Positions of the voxels from their sorted packed values (reversed if asked)."""
    n = sorted_packed.size
    for i in range(n):
        cell = unpack(sorted_packed[i], index_bits, False) >> 1
        k = offset + (n - 1 - i if reverse else i)
        pos[cell] = k
        order[k] = cell


@njit(cache=True, nogil=True)
def _counting_order(keys, padded, pad, shape3, kmin, shift, span, pos, order, offset, reverse):
    """Positions of the voxels by a counting sort of their keys (``span + 1`` values of
    ``(key >> shift) - (kmin >> shift)``, exact): voxels of one key keep C order."""
    Hp, Wp = padded[1], padded[2]
    s = np.uint64(shift)
    low = np.uint64(kmin) >> s
    count = np.zeros(span + 2, dtype=np.int64)
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                count[np.intp((np.uint64(keys[base + x]) >> s) - low) + 1] += 1
    for b in range(span + 1):
        count[b + 1] += count[b]
    last = offset + shape3[0] * shape3[1] * shape3[2] - 1
    for z in range(shape3[0]):
        for y in range(shape3[1]):
            base = ((z + pad[0]) * Hp + (y + pad[1])) * Wp + pad[2]
            for x in range(shape3[2]):
                b = np.intp((np.uint64(keys[base + x]) >> s) - low)
                k = count[b]
                count[b] = k + 1
                k = last - k if reverse else offset + k
                pos[base + x] = k
                order[k] = base + x


def voxel_order(keys, padded, pad, shape3, dual, pk):
    """Filtration position of every voxel (``pos``, -1 absent) and voxel at each position.

    The forward order for the V-complex of the image; for ``dual`` the padding
    first, then the voxels in reverse order (the complement's filtration).
    Keys of few values (8- and 16-bit images) are counted; the others sorted.
    """
    npad = int(np.prod(padded))
    n = int(np.prod(shape3))
    pos = np.full(npad, -1, dtype=np.int32)
    order = np.empty(npad if dual else n, dtype=np.int32)
    first_real = _padding_first(padded, pad, pos, order) if dual else 0
    span = (int(pk.kmax) >> int(pk.shift)) - (int(pk.kmin) >> int(pk.shift))
    if pk.exact and span < max(_COUNTED, n // 4):
        _counting_order(keys, padded, pad, shape3, pk.kmin, pk.shift, span, pos, order,
                        first_real, dual)
        return pos, order, first_real
    packed = np.empty(n, dtype=np.uint64)
    _pack_voxels(keys, padded, pad, shape3, pk.kmin, pk.kmax, pk.shift, pk.index_bits, packed)
    # packed in C order: a stable radix sort on the bytes above the index field gives
    # the order of a full sort (5 passes for float32 keys; np.sort took twice as long)
    radix_sort_u64(packed, n, np.empty(n, dtype=np.uint64), pk.index_bits // 8)
    if not pk.exact:
        fix_ties(packed, n, keys, pk.index_bits, False)
    _positions(packed, pk.index_bits, pos, order, first_real, dual)
    return pos, order, first_real


def dimension_one(keys, padded, pad, shape3, negative, dual, ordering, n_threads=1,
                  run=None):
    """Dimension-1 pairs of a 3D image as (births, deaths) padded indices, zero length dropped.

    ``negative`` holds the negative edges of the 6-connected direction
    (forward for the V-construction, reverse with ``dual=True`` for the
    T-construction), ``ordering`` is ``voxel_order(...)``; ``run`` maps a
    function over slabs in parallel (e.g. a thread pool's ``map``).  Pairs
    are returned by increasing filtration order of the birth pixel.
    """
    pos, order, first_real = ordering
    npad = pos.size
    if 3 * npad >= 2**31 - 1:
        raise MemoryError(f"a volume of {int(np.prod(shape3))} voxels is too large for the "
                          f"dimension-1 reduction (limit about 700 million voxels); use max_dim=0")
    pivots = np.full(3 * npad, -1, dtype=np.int32)
    Hp, Wp = int(padded[1]), int(padded[2])
    plane = Hp * Wp
    # the apparent pass runs on slabs of planes in parallel (disjoint pivot entries)
    slabs = max(1, min(n_threads, int(padded[0]) - 2))
    cuts = [plane * (1 + (int(padded[0]) - 2) * i // slabs) for i in range(slabs + 1)]
    cuts[0], cuts[-1] = 0, npad

    def slab(i):
        return apparent_pairs(pos, negative[:npad], pivots, Hp, Wp, first_real, cuts[i],
                              cuts[i + 1])

    parts = list(run(slab, range(slabs))) if (run is not None and slabs > 1) else \
        [slab(i) for i in range(slabs)]
    columns = np.concatenate(parts) if len(parts) > 1 else parts[0]
    columns.sort()
    # noise-like volumes (many columns left by the apparent pairs) are reduced with
    # clearing on the rows and flowing kept columns; smoother ones without (see
    # ``reduce_columns``): only the time and the memory differ, never the pairs
    noisy = columns.size >= _NOISY * int(np.prod(shape3))
    cleared = None
    if noisy:
        cleared = np.empty(npad, dtype=np.uint8)
        square_births(pos, order, pivots, cleared, np.empty(npad + 1, dtype=np.int32),
                      int(padded[0]), Hp, Wp, first_real)
    births, deaths = reduce_columns(pos, order, pivots, columns, Hp, Wp, cleared=cleared,
                                    flowing=noisy)
    if dual:
        births, deaths = deaths, births
    keep = keys[births] != keys[deaths]
    births, deaths = births[keep], deaths[keep]
    rank = pos[births]
    by_birth = np.argsort(-rank if dual else rank, kind="stable")
    return births[by_birth], deaths[by_birth]
