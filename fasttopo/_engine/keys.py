"""Numba kernels: order-preserving integer keys and sorting of packed keys (private).

Every real dtype is mapped to an unsigned integer *key* of the same width
whose unsigned order is the numeric order of the values (IEEE floats: flip
all bits of negatives, set the sign bit of positives; -0.0 is mapped to
+0.0; signed ints: flip the sign bit).  For the superlevel filtration all
key bits are inverted.  The filtration order is ``(key, flat index)``.

To sort a subset of pixels by ``(key, index)`` a single uint64 is packed
per pixel: the key bits that vary across the image (shifted down) above
``2 * padded index + flag`` (a one-bit flag the caller may use; it cannot
change the order because indices are distinct).  When key bits and index
bits do not fit in 64 bits the lowest key bits are dropped and runs of
equal packed keys are re-sorted on the full key afterwards (``fix_ties``),
so the order is always exact.
"""

from collections import namedtuple

import numpy as np
from numba import njit

__all__ = ["KIND_UNSIGNED", "KIND_SIGNED", "KIND_FLOAT", "Packing", "image_bits", "wide_bits",
           "sentinel_room",
           "fill_keys", "keys_finite", "packing", "pack", "unpack", "fix_ties", "radix_sort_u64"]

KIND_UNSIGNED, KIND_SIGNED, KIND_FLOAT = 0, 1, 2
_SHORT_RUN = 16  # longer runs of ties: merge sort instead of insertion sort

# How keys in [kmin, kmax] (uint64) are packed with a cell index into one uint64
# (see ``packing``): key bits shifted down by ``shift``, ``index_bits`` of index;
# ``exact`` is false when low key bits were dropped (``fix_ties`` then finishes).
Packing = namedtuple("Packing", ["kmin", "kmax", "shift", "index_bits", "exact"])


def _bits_of(dtype):
    """``(unsigned dtype, kind, signbit, allones)`` of a validated dtype (see ``image_bits``)."""
    if dtype == np.bool_:
        kind = KIND_UNSIGNED
    else:
        kind = {"u": KIND_UNSIGNED, "i": KIND_SIGNED, "f": KIND_FLOAT}[dtype.kind]
    utype = np.dtype(f"u{dtype.itemsize}")
    signbit = utype.type(1 << (8 * utype.itemsize - 1))
    allones = utype.type((1 << (8 * utype.itemsize)) - 1)
    return utype, kind, signbit, allones


_BITS = {}


def image_bits(image):
    """View an image's bits as unsigned ints of the same width: (bits, kind, signbit, allones).

    ``image`` must already be validated (real dtype or bool, no float16).
    Returns a C-contiguous array (a copy only if ``image`` is not C-contiguous).
    """
    a = np.ascontiguousarray(image)
    found = _BITS.get(a.dtype)
    if found is None:  # a handful of dtypes: kept once computed
        found = _BITS[a.dtype] = _bits_of(a.dtype)
    utype, kind, signbit, allones = found
    return a.view(utype), kind, signbit, allones


# the exact 64-bit type of each narrower kind (every value is represented exactly);
# unsigned ints widen to int64 so that their keys stay away from both ends of the
# uint64 range (the padding's sentinel key, see ``scan.scan_rows``, always fits)
_WIDE = {"b": np.int64, "u": np.int64, "i": np.int64, "f": np.float64}


def wide_bits(image):
    """``image_bits`` of ``image`` converted exactly to a 64-bit type.

    Small images go through kernels compiled for 64-bit keys only (one
    compilation serves every dtype); the conversion keeps the values and
    their order, so the pairs and the float64 values are the same.
    """
    a = np.asarray(image)
    if a.dtype.itemsize != 8:
        with np.errstate(invalid="ignore"):  # NaN stays NaN; found from the keys' range
            a = a.astype(_WIDE[a.dtype.kind])
    return image_bits(a)


def sentinel_room(image, superlevel):
    """Whether the keys of ``image`` (after ``wide_bits``) leave the largest uint64 key free.

    Always, except for 64-bit integers holding their maximum (sublevel) or
    minimum (superlevel): the largest key, which ``scan.scan_rows`` needs
    for the padding.  Only those images are read.
    """
    if image.dtype.kind not in "iu" or image.dtype.itemsize != 8:
        return True
    info = np.iinfo(image.dtype)
    return not (image == (info.min if superlevel else info.max)).any()


@njit(cache=True, nogil=True)
def fill_keys(bits, kind, signbit, allones, superlevel, keys, padded_shape, pad):
    """Write the key of each pixel of ``bits`` (D, H, W) into the flat padded array ``keys``.

    Returns ``(kmin, kmax, varying, first)``: the smallest and largest
    key, the OR of ``key ^ first key`` (the bits that vary), and the padded
    index of the first pixel of the filtration order.  The per-row loops
    are branch-free so that they vectorise.
    """
    D, H, W = bits.shape
    Hp, Wp = padded_shape[1], padded_shape[2]
    pz, py, px = pad[0], pad[1], pad[2]
    # rows are addressed by unsigned offsets into the flat arrays rather than by
    # views: no reference counting per row, and the loops still vectorise
    src = bits.reshape(-1)
    k0 = src[0]
    kmin = allones
    kmax = allones ^ allones
    varying = allones ^ allones
    first_row = -1
    for z in range(D):
        for y in range(H):
            base = np.uint64(((z + pz) * Hp + (y + py)) * Wp + px)
            s0 = np.uint64((z * H + y) * W)
            if kind == KIND_SIGNED:
                for x in range(W):
                    ux = np.uint64(x)
                    keys[base + ux] = src[s0 + ux] ^ signbit
            elif kind == KIND_FLOAT:
                for x in range(W):
                    ux = np.uint64(x)
                    k = src[s0 + ux]
                    k = k ^ signbit if k == signbit else k  # -0.0 orders like +0.0
                    keys[base + ux] = k ^ allones if (k & signbit) else k | signbit
            else:
                for x in range(W):
                    ux = np.uint64(x)
                    keys[base + ux] = src[s0 + ux]
            if superlevel:
                for x in range(W):
                    ux = np.uint64(x)
                    keys[base + ux] = keys[base + ux] ^ allones
            if z == 0 and y == 0:
                k0 = keys[base]
            row_min = allones
            row_max = allones ^ allones
            for x in range(W):
                k = keys[base + np.uint64(x)]
                row_min = k if k < row_min else row_min
                row_max = k if k > row_max else row_max
                varying |= k ^ k0
            # the row holding the first minimum in C order
            if row_min < kmin or first_row < 0:
                kmin = row_min
                first_row = z * H + y
            kmax = row_max if row_max > kmax else kmax
    # the first pixel of the filtration is the first minimum in C order: searched
    # for in its row only
    z, y = first_row // H, first_row % H
    base = ((z + pz) * Hp + (y + py)) * Wp + px
    first = base
    while keys[np.uint64(first)] != kmin:
        first += 1
    return np.uint64(kmin), np.uint64(kmax), np.uint64(varying), first


@njit(inline="always", cache=True)  # also called from Python (large images)
def keys_finite(kind, kmin, kmax, superlevel, signbit, allones):
    """Whether no key of ``fill_keys``'s range [kmin, kmax] is a NaN or an infinity.

    Float keys keep the value's order, so the non-finite values are the
    keys at or beyond those of -inf and +inf (NaNs lie beyond both): the
    range decides, without another pass over the image.
    """
    if kind != KIND_FLOAT:
        return True
    # the exponent field (float32 or float64, the only float bit widths here)
    if allones == np.uint64(0xFFFFFFFF):
        exponent = np.uint64(0x7F800000)
    else:
        exponent = np.uint64(0x7FF0000000000000)
    plus_inf = exponent | np.uint64(signbit)  # the keys of +inf and -inf (sublevel)
    minus_inf = np.uint64(allones) ^ plus_inf
    low = (np.uint64(kmax) ^ np.uint64(allones)) if superlevel else np.uint64(kmin)
    high = (np.uint64(kmin) ^ np.uint64(allones)) if superlevel else np.uint64(kmax)
    return low > minus_inf and high < plus_inf


@njit(cache=True, nogil=True)
def _bit_length(v):
    n = 0
    while v:
        v >>= np.uint64(1)
        n += 1
    return n


@njit(cache=True, nogil=True)
def packing(kmin, kmax, varying, npad, width=64, whole_bytes=False):
    """The ``Packing`` of keys in [kmin, kmax] (uint64) with indices of cells below ``npad``.

    The index field holds ``2 * cell + flag`` for cells below ``npad``;
    packed keys use at most ``width`` bits (fewer bits: fewer radix passes,
    more runs of equal truncated keys for ``fix_ties``).  With
    ``whole_bytes`` the index field is widened to whole bytes, so that a
    radix sort of values already in index order can skip it
    (``radix_sort_u64``'s ``skip``).
    """
    index_bits = _bit_length(np.uint64(2 * npad + 1))
    if whole_bytes:
        index_bits = (index_bits + 7) // 8 * 8
    low = 0
    if varying:
        while not (varying >> np.uint64(low)) & np.uint64(1):
            low += 1
    span = _bit_length((kmax >> np.uint64(low)) - (kmin >> np.uint64(low)))
    avail = width - index_bits
    exact = span <= avail
    # if not exact, one spare bit: differences of floor-shifted keys can round up by one
    shift = low if exact else low + (span - avail) + 1
    return Packing(np.uint64(kmin), np.uint64(kmax), np.int64(shift), np.int64(index_bits), exact)


@njit(inline="always")
def pack(key, index, kmin, kmax, shift, index_bits, reverse):
    """One uint64 whose order is (key, index), or its reverse if ``reverse``."""
    s = np.uint64(shift)
    if reverse:
        hi = (kmax >> s) - (np.uint64(key) >> s)
        lo = (np.uint64(1) << np.uint64(index_bits)) - np.uint64(1) - np.uint64(index)
    else:
        hi = (np.uint64(key) >> s) - (kmin >> s)
        lo = np.uint64(index)
    return (hi << np.uint64(index_bits)) | lo


@njit(inline="always")
def unpack(packed, index_bits, reverse):
    mask = (np.uint64(1) << np.uint64(index_bits)) - np.uint64(1)
    lo = packed & mask
    if reverse:
        return np.intp(mask - lo)
    return np.intp(lo)


@njit(cache=True, nogil=True)
def _stable_order(values):
    """``np.argsort(values, kind="stable")`` by a bottom-up merge sort (NumPy's, compiled
    by Numba, takes three times longer to compile and is no faster here)."""
    n = values.size
    order = np.arange(n)
    spare = np.empty(n, dtype=order.dtype)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a, b, k = lo, mid, lo
            while a < mid and b < hi:
                take_b = values[order[b]] < values[order[a]]  # ties: the left run first
                spare[k] = order[b] if take_b else order[a]
                b += take_b
                a += not take_b
                k += 1
            while a < mid:
                spare[k] = order[a]
                a += 1
                k += 1
            while b < hi:
                spare[k] = order[b]
                b += 1
                k += 1
        order, spare = spare, order
        width *= 2
    return order


@njit(cache=True, nogil=True)
def fix_ties(packed, count, keys, index_bits, reverse):
    """Re-sort runs of equal truncated keys by the full ``(key, index)``.

    Within a run the packed values are already in index order (increasing
    for the forward order, decreasing if ``reverse``), so a stable sort by
    the full key finishes it: insertion sort for short runs, a stable
    merge sort for long ones (a narrow range of values next to an outlier
    makes runs as long as the image).
    """
    i = 0
    while i < count:
        hi = packed[i] >> np.uint64(index_bits)
        j = i + 1
        while j < count and (packed[j] >> np.uint64(index_bits)) == hi:
            j += 1
        if j - i > _SHORT_RUN:
            run = packed[i:j].copy()
            full = np.empty(j - i, dtype=keys.dtype)
            for a in range(j - i):
                k = keys[unpack(run[a], index_bits, reverse) >> 1]
                full[a] = ~k if reverse else k
            order = _stable_order(full)
            for a in range(j - i):
                packed[i + a] = run[order[a]]
        elif j - i > 1:
            for a in range(i + 1, j):
                v = packed[a]
                va = unpack(v, index_bits, reverse)
                kv = keys[va >> 1]
                b = a - 1
                while b >= i:
                    w = packed[b]
                    wb = unpack(w, index_bits, reverse)
                    kw = keys[wb >> 1]
                    if reverse:
                        before = kw > kv or (kw == kv and wb > va)
                    else:
                        before = kw < kv or (kw == kv and wb < va)
                    if before:
                        break
                    packed[b + 1] = w
                    b -= 1
                packed[b + 1] = v
        i = j


@njit(cache=True, nogil=True)
def radix_sort_u64(values, count, scratch, skip=0, backwards=False):
    """Sort ``values[:count]`` (uint64) in place by LSD radix, 8-bit digits.

    Digits on which all values agree are skipped.  ``scratch`` must hold
    ``count`` values.  With ``skip`` the lowest ``skip`` bytes are not
    sorted on: values equal above them keep their input order (the sort is
    stable), or the reverse of it with ``backwards``.  Sorts the
    candidates of every image (small ones: no call into NumPy; large ones:
    fewer passes than ``np.sort``) and the voxel order of volumes.
    """
    if count < 2:
        return
    # all eight histograms in one pass, unrolled (faster than looping over the
    # digits that are sorted on, ~15 % of the sort for a thousand values); the
    # digits all values agree on (the unused high ones too) are skipped below
    hist = np.zeros((8, 256), dtype=np.int64)
    for i in range(count):
        v = values[i]
        hist[0, np.intp(v & np.uint64(255))] += 1
        hist[1, np.intp((v >> np.uint64(8)) & np.uint64(255))] += 1
        hist[2, np.intp((v >> np.uint64(16)) & np.uint64(255))] += 1
        hist[3, np.intp((v >> np.uint64(24)) & np.uint64(255))] += 1
        hist[4, np.intp((v >> np.uint64(32)) & np.uint64(255))] += 1
        hist[5, np.intp((v >> np.uint64(40)) & np.uint64(255))] += 1
        hist[6, np.intp((v >> np.uint64(48)) & np.uint64(255))] += 1
        hist[7, np.intp(v >> np.uint64(56))] += 1
    src = values[:count]
    dst = scratch[:count]
    swapped = False
    reverse_next = backwards  # the first pass that runs reads the input from its end
    pos = np.empty(256, dtype=np.int64)
    for d in range(skip, 8):
        shift = np.uint64(8 * d)
        if hist[d, np.intp((src[0] >> shift) & np.uint64(255))] == count:
            continue
        total = 0
        for b in range(256):
            pos[b] = total
            total += hist[d, b]
        if reverse_next:
            for i in range(count - 1, -1, -1):
                v = src[i]
                b = np.intp((v >> shift) & np.uint64(255))
                dst[pos[b]] = v
                pos[b] += 1
            reverse_next = False
        else:
            for i in range(count):
                v = src[i]
                b = np.intp((v >> shift) & np.uint64(255))
                dst[pos[b]] = v
                pos[b] += 1
        src, dst = dst, src
        swapped = not swapped
    if swapped:
        for i in range(count):  # (a loop: a slice assignment compiles a shape check)
            values[i] = src[i]
    if reverse_next:  # no pass ran (all equal above the skipped bytes): reverse the order
        for i in range(count // 2):
            v = values[i]
            values[i] = values[count - 1 - i]
            values[count - 1 - i] = v
