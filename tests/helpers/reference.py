"""Slow, obviously-correct references for the kernels (pure Python / NumPy).

* ``reference_persistence``: builds the whole cubical complex of an image
  (V- or T-construction) cell by cell, orders the cells, and reduces the
  Z/2 boundary matrix with the standard column algorithm (columns are
  Python ints used as bit sets).  All dimensions, any ndim <= 3.
* ``reference_dim0``: plain union-find on the pixel graph with the elder
  rule, written for clarity rather than speed.

Both return lists of ``(dim, birth, death, birth_pixel, death_pixel)`` with
flat C-order pixel indices (the death pixel of an essential class is -1);
pixel indices are meaningful when the image values are distinct.
"""

import itertools

import numpy as np


def _cells(shape, construction):
    """Cells of the cubical complex as coordinate tuples in the doubled grid."""
    if construction == "T":
        grid = tuple(2 * s + 1 for s in shape)
    else:
        grid = tuple(2 * s - 1 for s in shape)
    return grid, list(itertools.product(*(range(g) for g in grid)))


def _cell_pixels(cell, shape, construction):
    """Pixels (as tuples) whose values determine the cell's filtration value."""
    options = []
    for c, s in zip(cell, shape):
        if construction == "T":
            # pixel i sits at odd coordinate 2i+1
            if c % 2 == 1:
                options.append([(c - 1) // 2])
            else:
                options.append([i for i in ((c - 2) // 2, c // 2) if 0 <= i < s])
        else:
            # pixel i sits at even coordinate 2i
            if c % 2 == 0:
                options.append([c // 2])
            else:
                options.append([(c - 1) // 2, (c + 1) // 2])
    return list(itertools.product(*options))


def reference_persistence(image, connectivity=None, superlevel=False):
    """All persistence pairs of ``image`` by explicit boundary-matrix reduction."""
    image = np.asarray(image)
    values = image.astype(np.float64)
    if superlevel:
        values = -values
    ndim = image.ndim
    connectivity = ndim if connectivity is None else connectivity
    construction = "V" if connectivity == 1 else "T"
    shape = image.shape
    flat_rank = np.empty(image.size, dtype=np.int64)
    # total order of pixels: (value, flat index)
    order = sorted(range(image.size), key=lambda i: (values.flat[i], i))
    flat_rank[order] = np.arange(image.size)

    grid, cells = _cells(shape, construction)
    info = {}
    for cell in cells:
        pixels = [int(np.ravel_multi_index(p, shape)) for p in _cell_pixels(cell, shape, construction)]
        ranks = [flat_rank[p] for p in pixels]
        if construction == "T":
            pix = pixels[int(np.argmin(ranks))]
        else:
            pix = pixels[int(np.argmax(ranks))]
        dim = sum(c % 2 for c in cell)  # number of odd coordinates, in both constructions
        info[cell] = (flat_rank[pix], dim, pix)
    # filtration: by pixel rank, then dimension (faces first), then cell coords
    ordered = sorted(cells, key=lambda c: (info[c][0], info[c][1], c))
    position = {c: i for i, c in enumerate(ordered)}
    pivots = {}
    pairs = []
    paired = set()
    for j, cell in enumerate(ordered):
        col = 0
        for axis, c in enumerate(cell):
            if c % 2 == 1:  # faces: move an odd coordinate by one
                for delta in (-1, 1):
                    face = list(cell)
                    face[axis] += delta
                    if 0 <= face[axis] < grid[axis]:
                        col ^= 1 << position[tuple(face)]
        while col:
            low = col.bit_length() - 1
            if low in pivots:
                col ^= pivots[low]
            else:
                pivots[low] = col
                birth_cell = ordered[low]
                paired.add(low)
                paired.add(j)
                pairs.append((birth_cell, cell))
                break
    result = []
    for bcell, dcell in pairs:
        bpix, dpix = info[bcell][2], info[dcell][2]
        b, d = values.flat[bpix], values.flat[dpix]
        if b == d:
            continue
        result.append((info[bcell][1], b, d, bpix, dpix))
    for i, cell in enumerate(ordered):
        if i not in paired:
            result.append((info[cell][1], values.flat[info[cell][2]], np.inf, info[cell][2], -1))
    if superlevel:
        result = [(k, -b, -d, bp, dp) for k, b, d, bp, dp in result]
    return result


def reference_dim0(image, connectivity=None, superlevel=False):
    """Dimension-0 pairs by a plain union-find over the pixel graph (elder rule)."""
    image = np.asarray(image)
    values = image.astype(np.float64)
    if superlevel:
        values = -values
    ndim = image.ndim
    connectivity = ndim if connectivity is None else connectivity
    order = sorted(range(image.size), key=lambda i: (values.flat[i], i))
    rank = {p: r for r, p in enumerate(order)}
    parent = {}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    steps = [d for d in itertools.product((-1, 0, 1), repeat=ndim)
             if 0 < sum(map(abs, d)) <= connectivity]
    pairs = []
    for p in order:
        parent[p] = p
        coords = np.unravel_index(p, image.shape)
        for step in steps:
            q = tuple(c + s for c, s in zip(coords, step))
            if not all(0 <= c < s for c, s in zip(q, image.shape)):
                continue
            q = int(np.ravel_multi_index(q, image.shape))
            if q not in parent:
                continue
            a, b = find(p), find(q)
            if a == b:
                continue
            young, old = (a, b) if rank[a] > rank[b] else (b, a)
            if values.flat[young] != values.flat[p]:
                pairs.append((0, values.flat[young], values.flat[p], young, p))
            parent[young] = old
    pairs.append((0, values.flat[order[0]], np.inf, order[0], -1))
    if superlevel:
        pairs = [(k, -b, -d, bp, dp) for k, b, d, bp, dp in pairs]
    return pairs
