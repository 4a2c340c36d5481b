"""Training targets of persistence diagrams: masks at birth and death pixels (private)."""

import numpy as np

from . import _engine
from ._diagram import PersistenceDiagram
from ._persistence import _check_options, _check_stack, n_jobs_threads

__all__ = ["targets", "stack_targets"]


def targets(diagram, k, dim):
    """(k, n) uint8 masks with 1 at the birth and death pixel of the k longest-lived points."""
    top = diagram.top_k(k, dim=dim)
    n = int(np.prod(diagram.shape))
    masks = np.zeros((k, n), dtype=np.uint8)
    rows = np.arange(len(top))
    masks[rows, top.birth_index] = 1
    finite = top.death_index >= 0
    masks[rows[finite], top.death_index[finite]] = 1
    return masks.reshape((k,) + tuple(diagram.shape)), top



def stack_targets(stack, k, dim, connectivity, superlevel, n_jobs):
    """Targets of a (B, ...) stack from the engine's pairs of the whole stack (vectorised)."""
    n_threads = n_jobs_threads(n_jobs)
    stack = _check_stack(stack)
    ndim = stack.ndim - 1
    max_dim, connectivity = _check_options(ndim, dim, connectivity)
    superlevel = bool(superlevel)
    found = _engine.pairs(stack, max_dim, connectivity, superlevel, n_threads)
    count = stack.shape[0]
    npix = stack[0].size
    keep = found.dim == max_dim
    owner, births, deaths = found.item[keep], found.birth_index[keep], found.death_index[keep]
    birth, death = found.birth[keep], found.death[keep]
    essential = deaths < 0
    with np.errstate(invalid="ignore"):
        lifetime = np.abs(death - birth)
    # per image: decreasing lifetime, ties in diagram order (as PersistenceDiagram.top_k)
    order = np.argsort(-lifetime, kind="stable")
    group = owner[order].astype(np.int16 if count < 2**15 else np.int64)
    order = order[np.argsort(group, kind="stable")]  # radix sort on small ints
    owner = owner[order]
    starts = np.searchsorted(owner, np.arange(count + 1))
    rank = np.arange(owner.size) - starts[owner]
    chosen = order[rank < k]
    owner, rank = owner[rank < k], rank[rank < k]
    masks = np.zeros((count, k, npix), dtype=np.uint8)
    masks[owner, rank, births[chosen]] = 1
    finite = ~essential[chosen]
    masks[owner[finite], rank[finite], deaths[chosen][finite]] = 1
    arrays = [np.full(chosen.size, max_dim, dtype=np.int8), birth[chosen], death[chosen],
              births[chosen], deaths[chosen]]
    for a in arrays:
        a.setflags(write=False)
    ends = np.searchsorted(owner, np.arange(count + 1))
    shape = tuple(stack.shape[1:])
    points = PersistenceDiagram._split_owned(arrays, ends.tolist(), shape, connectivity,
                                             superlevel)
    return masks.reshape((count, k) + shape), points
