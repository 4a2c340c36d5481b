# cython: language_level=3
"""Cells of the padded voxel grid, shared by the cubical kernels (private).

``cubical_reduction`` (apparent pairs, image columns, the reduction) and
``cubical_clearing`` (the squares that are dimension-2 births) cimport
these inline helpers: the grid (``Grid``), the keys of edges and squares,
the coboundary of an edge and the radix heap of a working column.  See
``cubical_reduction`` for the cell order.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t
from libcpp.vector cimport vector

cdef extern from *:
    """
    static inline int fasttopo_bit_length(unsigned long long x) {
        return x ? 64 - __builtin_clzll(x) : 0;
    }
    """
    int bit_length "fasttopo_bit_length"(unsigned long long x) noexcept nogil
    void prefetch "__builtin_prefetch"(const void* address) noexcept nogil

cdef enum:
    AHEAD = 8       # keys or columns whose cells are asked for ahead of their turn


cdef struct Grid:
    Py_ssize_t stride[3]
    const int32_t* pos
    const int32_t* order
    const int32_t* col_order    # the edges' order (``order`` but for image persistence)
    const uint8_t* cleared      # bit o of voxel m: square 3 * m + o is a dimension-2 birth
    bint clearing               # whether ``cleared`` is used
    int bits                    # low bits of a row key holding the square's min corner (or 0)
    int64_t mask
    const int32_t* pivots


cdef inline int axis_of(int d) noexcept nogil:
    """Axis (z, y, x = 0, 1, 2) of direction d (-z, -y, -x, +x, +y, +z)."""
    return d if d < 3 else 5 - d


cdef inline int sign_of(int d) noexcept nogil:
    return -1 if d < 3 else 1


cdef inline int direction(int axis, int sign) noexcept nogil:
    return axis if sign < 0 else 5 - axis


cdef inline int orientation(int p, int q) noexcept nogil:
    # p < q: (0, 1) -> 0, (0, 2) -> 1, (1, 2) -> 2
    return p + q - 1


cdef inline int local_code(int da, int db) noexcept nogil:
    """Number of the square of an owner spanned by its edges in directions da and db."""
    return (da if da > db else db) * 6 + (da if da < db else db)


cdef inline int64_t square_key(int32_t owner_pos, int da, int db) noexcept nogil:
    """Key of the square of an owner spanned by its edges in directions da and db.

    Squares of one owner are numbered by the direction of their later edge
    (then of the other one): an edge is then the latest face of the first
    of its cofaces that it is the later edge of, so every positive edge with
    such a coface forms an apparent pair.
    """
    cdef int hi = da if da > db else db, lo = da if da < db else db
    return (<int64_t>owner_pos << 8) | (2 << 6) | (hi * 6 + lo)


cdef inline int64_t edge_key(int32_t owner_pos, int d) noexcept nogil:
    return (<int64_t>owner_pos << 8) | (1 << 6) | d


cdef inline int64_t key_between(int32_t pa, int32_t pb, int d) noexcept nogil:
    """Key of the edge between voxels at positions ``pa`` and ``pb`` (``b`` = ``a`` + direction
    ``d``): its owner is the later one."""
    return edge_key(pa, d) if pa > pb else edge_key(pb, 5 - d)


cdef inline int64_t row_key(Grid* g, int32_t owner_pos, int da, int db, Py_ssize_t m) noexcept nogil:
    """Key of a square in the reduction: its filtration order (owner, local number as in
    ``square_key``) above its min corner ``m`` when the key has room (``g.bits``), so
    that its id needs no look-up of the owner (a cache miss on large volumes)."""
    cdef int hi = da if da > db else db, lo = da if da < db else db
    return ((((<int64_t>owner_pos) << 6) | (hi * 6 + lo)) << g.bits) | (m if g.bits else 0)


cdef inline int64_t row_owner(Grid* g, int64_t key) noexcept nogil:
    """Filtration position of the owner of a square's row key."""
    return key >> (g.bits + 6)


cdef inline int64_t square_id(Grid* g, int64_t key) noexcept nogil:
    """Id (3 * min corner + orientation) of a square's row key."""
    cdef int local = <int>((key >> g.bits) & 63), hi = local // 6, lo = local % 6
    cdef Py_ssize_t m
    if g.bits:
        m = key & g.mask
    else:
        m = g.order[key >> 6]
        if sign_of(hi) < 0:
            m -= g.stride[axis_of(hi)]
        if sign_of(lo) < 0:
            m -= g.stride[axis_of(lo)]
    cdef int p = axis_of(hi) if axis_of(hi) < axis_of(lo) else axis_of(lo)
    cdef int q = axis_of(hi) if axis_of(hi) > axis_of(lo) else axis_of(lo)
    return 3 * m + orientation(p, q)


cdef inline int64_t row_local(Grid* g, int64_t key) noexcept nogil:
    """Local number of a square's row key (see ``square_key``)."""
    return (key >> g.bits) & 63


cdef inline int64_t row_square_key(Grid* g, int64_t key) noexcept nogil:
    """The ``square_key`` of a square's row key."""
    return (row_owner(g, key) << 8) | (2 << 6) | row_local(g, key)


cdef inline int64_t edge_id(Grid* g, int64_t key) noexcept nogil:
    cdef int j = <int>(key & 63)
    cdef Py_ssize_t owner = g.col_order[key >> 8]
    cdef Py_ssize_t other = owner + sign_of(j) * g.stride[axis_of(j)]
    cdef Py_ssize_t u = owner if owner < other else other
    return 3 * u + axis_of(j)


cdef inline uint8_t edge_bit(Grid* g, int64_t eid, int64_t owner_pos) noexcept nogil:
    """Bit of edge id ``eid`` among the edges of the voxel at ``owner_pos`` (0 if not its)."""
    cdef Py_ssize_t u = eid // 3
    cdef int axis = <int>(eid % 3)
    cdef Py_ssize_t w = u + g.stride[axis]
    # the owner is the later end; the direction points from it to the other end
    if g.pos[w] > g.pos[u]:
        return <uint8_t>(1 << direction(axis, -1)) if g.pos[w] == owner_pos else 0
    return <uint8_t>(1 << direction(axis, 1)) if g.pos[u] == owner_pos else 0


cdef inline int coboundary(Grid* g, int64_t edge, int64_t* keys) noexcept nogil:
    """Keys of the squares containing edge id ``edge`` (3 * min vertex + axis)."""
    cdef Py_ssize_t u = edge // 3, m
    cdef Py_ssize_t corner[4]
    cdef int a = <int>(edge % 3), b, p, q, s, n = 0, c, best
    cdef int32_t top, value
    for b in range(3):
        if b == a:
            continue
        p = a if a < b else b
        q = b if a < b else a
        for s in range(2):
            m = u if s == 0 else u - g.stride[b]
            corner[0] = m                                  # (0, 0)
            corner[1] = m + g.stride[p]                    # (1, 0)
            corner[2] = m + g.stride[q]                    # (0, 1)
            corner[3] = m + g.stride[p] + g.stride[q]      # (1, 1)
            top = -1
            best = 0
            for c in range(4):
                value = g.pos[corner[c]]
                if value < 0:
                    top = -2
                    break
                if value > top:
                    top = value
                    best = c
            if top < 0 or (g.clearing and (g.cleared[m] >> orientation(p, q)) & 1):
                continue
            # the owner's two edges point into the square
            keys[n] = row_key(g, top, direction(p, -1 if best & 1 else 1),
                              direction(q, -1 if best & 2 else 1), m)
            n += 1
    return n


cdef struct RadixHeap:
    # a monotone priority queue: every key pushed is >= the last minimum taken;
    # bucket b holds keys whose highest bit differing from ``last`` is b - 1
    int64_t last
    Py_ssize_t size


cdef inline void rh_reset(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    cdef int b
    for b in range(65):
        buckets[b].clear()
    h.last = 0
    h.size = 0


cdef inline void rh_push(RadixHeap* h, vector[int64_t]* buckets, int64_t key) noexcept nogil:
    buckets[bit_length(<unsigned long long>(key ^ h.last))].push_back(key)
    h.size += 1


cdef inline int64_t rh_pivot(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    """Smallest key present an odd number of times (Z/2), left in the heap once; -1 if none."""
    cdef int b
    cdef Py_ssize_t t, count
    cdef int64_t low, x
    while h.size > 0:
        if buckets[0].size() == 0:
            b = 1
            while buckets[b].size() == 0:
                b += 1
            low = buckets[b][0]
            for t in range(1, <Py_ssize_t>buckets[b].size()):
                if buckets[b][t] < low:
                    low = buckets[b][t]
            h.last = low
            for t in range(<Py_ssize_t>buckets[b].size()):
                x = buckets[b][t]
                buckets[bit_length(<unsigned long long>(x ^ low))].push_back(x)
            buckets[b].clear()
        count = buckets[0].size()
        if count & 1:
            h.size -= count - 1
            buckets[0].resize(1)
            return h.last
        h.size -= count
        buckets[0].clear()
    return -1


cdef inline void rh_take(RadixHeap* h, vector[int64_t]* buckets) noexcept nogil:
    """Remove the (single) copy of the current pivot."""
    buckets[0].clear()
    h.size -= 1


cdef inline void push_row(Grid* g, RadixHeap* h, vector[int64_t]* buckets, int64_t key) noexcept nogil:
    """Push a square's row key, asking for its pivot-table entry ahead (it is read when
    the key reaches the front, a cache miss on large volumes otherwise)."""
    cdef Py_ssize_t m
    if g.bits:
        m = key & g.mask
        prefetch(&g.pivots[3 * m])
    rh_push(h, buckets, key)
