"""Oracle wrappers: GUDHI and CubicalRipser (cripser) diagrams as sorted multisets.

Both return sorted lists of ``(dim, birth, death)`` with zero-length pairs
dropped, for the V-construction (``connectivity=1``) or the
T-construction (``connectivity=image.ndim``), sublevel or superlevel
(computed on the negated image).
"""

import numpy as np


def _prepare(image, superlevel):
    values = np.asarray(image).astype(np.float64)
    return -values if superlevel else values


def _finish(pairs, superlevel, max_dim):
    out = []
    for d, b, e in pairs:
        if b == e or (max_dim is not None and d > max_dim):
            continue
        if superlevel:
            b, e = -b, -e
        out.append((int(d), float(b), float(e)))
    return sorted(out)


def gudhi_pairs(image, connectivity=None, superlevel=False, max_dim=None):
    import gudhi
    values = _prepare(image, superlevel)
    connectivity = values.ndim if connectivity is None else connectivity
    if connectivity == 1:
        cc = gudhi.CubicalComplex(vertices=values)
    else:
        cc = gudhi.CubicalComplex(top_dimensional_cells=values)
    pairs = cc.persistence(homology_coeff_field=2, min_persistence=0)
    return _finish([(d, b, e) for d, (b, e) in pairs], superlevel, max_dim)


def cripser_pairs(image, connectivity=None, superlevel=False, max_dim=None):
    """cripser's diagram.  Its V-construction is wrong on 1 x n images: use GUDHI there."""
    import cripser
    values = _prepare(image, superlevel)
    connectivity = values.ndim if connectivity is None else connectivity
    if values.ndim == 1:
        values = values[None, :]
    maxdim = values.ndim - 1 if max_dim is None else max_dim
    rows = cripser.compute_ph(values, maxdim=maxdim,
                              filtration="V" if connectivity == 1 else "T")
    return _finish([(r[0], r[1], r[2]) for r in rows], superlevel, max_dim)


def ours(diagram, max_dim=None):
    """A PersistenceDiagram as the same sorted multiset."""
    return sorted((int(d), float(b), float(e))
                  for d, b, e in zip(diagram.dim, diagram.birth, diagram.death)
                  if max_dim is None or d <= max_dim)
