"""Binary codes: packing and Hamming distances (all pairs, k nearest neighbours).

Binary codes, such as the 64-bit codes learned from persistence-diagram
histograms by Qin et al. (2021), are compared by the Hamming distance
``popcount(x XOR y)``.  Codes are stored packed, 64 bits per ``uint64`` word;
the kernels in :mod:`fasttopo.hashing._popcount` are compiled by Numba to the CPU's
population-count instruction and run in parallel over rows.
"""

import numpy as np

from . import _popcount as _hamming
from .._validation import check_int, reject_masked

__all__ = ["pack_codes", "hamming_distances", "hamming_blocks", "hamming_knn"]

#: from this many 64-bit words per code on, the symmetric case computes the
#: upper triangle only and mirrors it; below, recomputing the lower triangle
#: is cheaper than transposing it (measured: the mirror costs about as much
#: as 8 words of popcounts per pair)
_HALF_FROM_WORDS = 8
_TILE = 128
#: below this many word comparisons the kernels run in the calling thread:
#: waking the thread pool costs more than the work (milliseconds on a busy
#: machine, when the other cores are busy)
_SERIAL_BELOW = 1 << 23


def pack_codes(bits):
    """Pack binary codes, one per row, into 64-bit words.

    Parameters
    ----------
    bits : (n, L) array_like of bool
        One code of ``L`` bits per row (any dtype: nonzero is a set bit).

    Returns
    -------
    codes : (n, ceil(L / 64)) ndarray of uint64
        Bit ``j`` of a code is bit ``j % 64`` (least significant first) of
        word ``j // 64``.  When ``L`` is not a multiple of 64 the last word is
        padded with zero bits, which leaves Hamming distances unchanged.

    Raises
    ------
    ValueError
        If ``bits`` is not two-dimensional or contains NaN.
    TypeError
        If ``bits`` is not numeric or bool.

    See Also
    --------
    hamming_distances, hamming_knn

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import pack_codes
    >>> bits = np.zeros((2, 70), dtype=bool)
    >>> bits[0, 0] = bits[1, 65] = True
    >>> pack_codes(bits)
    array([[1, 0],
           [0, 2]], dtype=uint64)
    """
    if isinstance(bits, (str, bytes)):
        raise TypeError(f"bits must be an array of bool, got {type(bits).__name__}")
    reject_masked(bits, "bits")
    array = np.asarray(bits)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"bits must be an array of bool, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"bits must be an (n, L) array with one code per row, got shape "
                         f"{array.shape}")
    if array.dtype.kind == "f" and np.isnan(array).any():
        row, col = (int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"bits contains NaN at index ({row}, {col}); a bit must be a number "
                         f"(nonzero: set) or a bool, e.g. pass logits > 0")
    n, length = array.shape
    words = -(-length // 64)
    packed = np.packbits(array != 0, axis=1, bitorder="little")
    padded = np.zeros((n, 8 * words), dtype=np.uint8)
    padded[:, :packed.shape[1]] = packed
    return padded.view("<u8").astype(np.uint64, copy=False).reshape(n, words)


def _check_codes(codes, name):
    """Codes as a C-contiguous (n, words) uint64 array (a view where possible)."""
    if isinstance(codes, (str, bytes)):
        raise TypeError(f"{name} must be an array of integer codes, got {type(codes).__name__}")
    reject_masked(codes, name)
    array = np.asarray(codes)
    if array.dtype.kind == "b":
        raise TypeError(f"{name} has dtype bool; pack the bits first with pack_codes({name})")
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must have an integer dtype (packed bits, e.g. uint64), got "
                        f"dtype {array.dtype}")
    if array.ndim == 1:
        if array.dtype.itemsize != 8:
            raise ValueError(f"a one-dimensional {name} must hold 64-bit codes (dtype uint64 "
                             f"or int64), got dtype {array.dtype}; pass an (n, words) array")
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{name} must be an (n, words) array of packed codes, got shape "
                         f"{array.shape}")
    bits = array.shape[1] * array.dtype.itemsize * 8
    if bits == 0 or bits % 64:
        raise ValueError(f"{name} codes must have a length that is a positive multiple of 64 "
                         f"bits, got {array.shape[1]} x {array.dtype} = {bits} bits")
    array = np.ascontiguousarray(array)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array.view(np.uint64)


def _distance_dtype(words):
    bits = 64 * words
    if bits <= np.iinfo(np.uint8).max:
        return np.uint8
    if bits <= np.iinfo(np.uint16).max:
        return np.uint16
    return np.uint32


def _check_out(out, shape, dtype):
    """``out`` as given, after checking it can take the result in place."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, got {type(out).__name__}")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"out must have shape {shape} and dtype {np.dtype(dtype).name} for "
                         f"these codes, got shape {out.shape} and dtype {out.dtype}")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("out must be a writeable C-contiguous array")
    return out


def hamming_distances(a, b=None, *, out=None):
    """Hamming distances between all pairs of binary codes.

    Parameters
    ----------
    a : (n,) or (n, w) array_like of integers
        Packed codes, one per row: a one-dimensional array of 64-bit
        integers is ``n`` codes of 64 bits; a two-dimensional array of any
        integer dtype holds codes of ``w * itemsize * 8`` bits, which must be
        a multiple of 64 (e.g. ``(n, 2)`` uint64 or ``(n, 16)`` uint8 from
        :func:`numpy.packbits`).  See :func:`pack_codes`.
    b : (m,) or (m, w) array_like of integers, optional
        Second set of codes, of the same length in bits as ``a``.  Default:
        ``a`` itself (the symmetric case).
    out : (n, m) ndarray, optional
        C-contiguous array of the result's dtype (below) to write into:
        reusing one buffer saves allocating and faulting in a large result
        at every call (100 MB for 10,000 codes).  It is returned.

    Returns
    -------
    distances : (n, m) ndarray of uint8, uint16 or uint32
        ``distances[i, j] = popcount(a[i] XOR b[j])``, the number of bits in
        which the codes differ.  The dtype is the smallest unsigned type
        that holds the code length: uint8 up to 192 bits, uint16 up to
        65,472 bits, uint32 beyond.  ``out`` if given.

    Raises
    ------
    TypeError
        If the codes are not integers (bool bit arrays must be packed with
        :func:`pack_codes` first).
    ValueError
        If the codes are not a multiple of 64 bits long, or ``a`` and ``b``
        have codes of different lengths, or ``out`` has the wrong shape,
        dtype or layout.

    See Also
    --------
    pack_codes, hamming_blocks, hamming_knn

    Notes
    -----
    The popcount runs on 64-bit words (LLVM ``ctpop``, vectorised to
    ``vpopcntq`` where the CPU has it), in parallel over rows once there
    are more than about 8 million word comparisons (below that, in the
    calling thread).  In the parallel symmetric case, codes of 512 bits or
    more are compared once per pair and the lower triangle is mirrored from
    the upper one; for shorter codes recomputing a pair is cheaper than
    transposing it, so every row is computed directly.  The result does not
    depend on the number of threads.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import hamming_distances
    >>> codes = np.array([0b0000, 0b0111, 0b1111], dtype=np.uint64)
    >>> hamming_distances(codes)
    array([[0, 3, 4],
           [3, 0, 1],
           [4, 1, 0]], dtype=uint8)
    >>> buffer = np.empty((3, 3), dtype=np.uint8)
    >>> hamming_distances(codes, out=buffer) is buffer
    True
    """
    a = _check_codes(a, "a")
    dtype = _distance_dtype(a.shape[1])
    if b is None:
        shape = (a.shape[0], a.shape[0])
        out = np.empty(shape, dtype=dtype) if out is None else _check_out(out, shape, dtype)
        if a.shape[0]:
            aT = np.ascontiguousarray(a.T)
            if out.size * a.shape[1] < _SERIAL_BELOW:
                _hamming.all_pairs_serial(a, aT, out)
            elif a.shape[1] >= _HALF_FROM_WORDS:
                _hamming.symmetric_tiles(a, aT, out, _TILE)
            else:
                _hamming.all_pairs(a, aT, out)
        return out
    b = _check_codes(b, "b")
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"a and b must hold codes of the same length, got {64 * a.shape[1]} "
                         f"and {64 * b.shape[1]} bits")
    shape = (a.shape[0], b.shape[0])
    out = np.empty(shape, dtype=dtype) if out is None else _check_out(out, shape, dtype)
    if out.size:
        kernel = _hamming.all_pairs_serial if out.size * a.shape[1] < _SERIAL_BELOW \
            else _hamming.all_pairs
        kernel(a, np.ascontiguousarray(b.T), out)
    return out


def hamming_blocks(a, b=None, *, block_rows=None, max_bytes=1 << 26):
    """The all-pairs Hamming matrix streamed in blocks of rows (for matrices that do not fit).

    Parameters
    ----------
    a : (n,) or (n, w) array_like of integers
        Packed codes (as in :func:`hamming_distances`).
    b : (m,) or (m, w) array_like of integers, optional
        Second set of codes (default ``a``).
    block_rows : int, optional
        Rows per block.  Default: as many as fit in ``max_bytes``.
    max_bytes : int, optional
        Size of the block buffer when ``block_rows`` is not given (default
        64 MiB).

    Yields
    ------
    start : int
        Index of the block's first row in ``a``.
    block : (r, m) ndarray of uint8, uint16 or uint32
        ``hamming_distances(a[start:start + r], b)``.  One buffer is reused
        for every block: copy what you keep before asking for the next one.

    Raises
    ------
    TypeError, ValueError
        As :func:`hamming_distances`; also if ``block_rows`` or
        ``max_bytes`` is not a positive int.

    See Also
    --------
    hamming_distances, hamming_knn

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import hamming_blocks
    >>> codes = np.arange(5, dtype=np.uint64)
    >>> nearest_other = np.empty(5, dtype=np.int64)
    >>> for start, block in hamming_blocks(codes, block_rows=2):
    ...     rows = np.arange(len(block))
    ...     block[rows, start + rows] = 255          # hide each code from itself
    ...     nearest_other[start:start + len(block)] = block.argmin(axis=1)
    >>> nearest_other
    array([1, 0, 0, 1, 0])
    """
    a = _check_codes(a, "a")
    b = a if b is None else _check_codes(b, "b")
    if b.shape[1] != a.shape[1]:
        raise ValueError(f"a and b must hold codes of the same length, got {64 * a.shape[1]} "
                         f"and {64 * b.shape[1]} bits")
    dtype = _distance_dtype(a.shape[1])
    m = b.shape[0]
    if block_rows is None:
        max_bytes = check_int(max_bytes, "max_bytes")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
        block_rows = max(1, max_bytes // max(1, m * np.dtype(dtype).itemsize))
    else:
        block_rows = check_int(block_rows, "block_rows")
        if block_rows < 1:
            raise ValueError(f"block_rows must be >= 1, got {block_rows}")
    return _blocks(a, np.ascontiguousarray(b.T), dtype, min(block_rows, max(1, a.shape[0])))


def _blocks(a, bT, dtype, rows):
    buffer = np.empty((rows, bT.shape[1]), dtype=dtype)
    for start in range(0, a.shape[0], rows):
        part = a[start:start + rows]
        out = buffer[:len(part)]
        if out.size:
            kernel = _hamming.all_pairs_serial if out.size * a.shape[1] < _SERIAL_BELOW \
                else _hamming.all_pairs
            kernel(part, bT, out)
        yield start, out


def hamming_knn(queries, codes, k):
    """The ``k`` codes nearest to each query in Hamming distance.

    Parameters
    ----------
    queries : (q,) or (q, w) array_like of integers
        Packed query codes (same format as in :func:`hamming_distances`).
    codes : (n,) or (n, w) array_like of integers
        Packed codes to search, of the same length in bits as the queries.
    k : int
        Number of neighbours, from 0 to ``n``.

    Returns
    -------
    indices : (q, k) ndarray of int64
        Row indices into ``codes`` of the neighbours of each query, by
        increasing distance; ties are broken by the smaller index, so the
        result is deterministic.
    distances : (q, k) ndarray of uint8, uint16 or uint32
        Their Hamming distances (dtype as in :func:`hamming_distances`).

    Raises
    ------
    TypeError
        If the codes are not integers or ``k`` is not an int.
    ValueError
        If the code lengths differ or are not a multiple of 64 bits, or
        ``k`` is outside ``[0, n]``.

    See Also
    --------
    hamming_distances

    Notes
    -----
    Each query's distances are computed into a buffer and the ``k``
    smallest are selected by counting sort on the distance (at most
    ``64 * w + 1`` values), in ``O(n + 64 w)`` per query, in parallel over
    queries.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import hamming_knn
    >>> codes = np.array([0b1111, 0b0001, 0b0011, 0b0000], dtype=np.uint64)
    >>> idx, dist = hamming_knn(np.array([0b0001], dtype=np.uint64), codes, k=3)
    >>> idx
    array([[1, 2, 3]])
    >>> dist
    array([[0, 1, 1]], dtype=uint8)
    """
    queries = _check_codes(queries, "queries")
    codes = _check_codes(codes, "codes")
    if codes.shape[1] != queries.shape[1]:
        raise ValueError(f"queries and codes must have codes of the same length, got "
                         f"{64 * queries.shape[1]} and {64 * codes.shape[1]} bits")
    k = check_int(k, "k")
    n = codes.shape[0]
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and the number of codes ({n}), got {k}")
    dtype = _distance_dtype(codes.shape[1])
    indices = np.empty((queries.shape[0], k), dtype=np.int64)
    distances = np.empty((queries.shape[0], k), dtype=dtype)
    if k and queries.shape[0]:
        codesT = np.ascontiguousarray(codes.T)
        if queries.shape[0] * n * codes.shape[1] < _SERIAL_BELOW:
            _hamming.knn_serial(queries, codesT, k, 64 * codes.shape[1], indices, distances)
        else:
            _hamming.knn(queries, codesT, k, 64 * codes.shape[1], indices, distances, 16)
    return indices, distances
