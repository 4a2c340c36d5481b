"""Dense Wasserstein sub-problems as optimal transport, solved by POT (private).

When most pairs of two point sets are worth matching, the assignment graph
on points and diagonal copies is nearly complete and a sparse assignment
solver is slow.  The transport form is four times smaller: one row per
distinct point of A (mass = its multiplicity) plus the diagonal (mass = the
number of points of B), one column per distinct point of B plus the
diagonal, solved by POT's network simplex (``ot.emd``).  Network simplex
returns a vertex of the transport polytope, which is integral for integral
masses, so the plan expands back into a matching.  Pair costs are capped at
the cost of sending both points to the diagonal (see ``transport_pairs``).
"""

import numpy as np
from numba import njit

__all__ = ["transport_pairs"]


def _distinct(points):
    """Distinct rows (in order of first occurrence), the row of each point, multiplicities.

    First-occurrence order keeps the caller's order: POT's network simplex
    is measurably slower on lexicographically sorted points.
    """
    order = np.lexsort((points[:, 1], points[:, 0]))
    ordered = points[order]
    new = np.ones(len(points), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    label = np.empty(len(points), dtype=np.int64)
    label[order] = np.cumsum(new) - 1
    first = np.full(int(new.sum()), len(points), dtype=np.int64)
    np.minimum.at(first, label, np.arange(len(points)))
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    inverse = rank[label]
    return points[np.sort(first)], inverse, np.bincount(inverse, minlength=len(first))


@njit(cache=True, nogil=True, boundscheck=False)
def _pair_ground(a, b, order, internal_p, out):
    """``out[i, j] = ||a_i - b_j||_q ** p`` for distinct points (dense)."""
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            x = abs(a[i, 0] - b[j, 0])
            y = abs(a[i, 1] - b[j, 1])
            if internal_p == np.inf:
                c = max(x, y)
            elif internal_p == 1.0:
                c = x + y
            elif internal_p == 2.0:
                c = np.sqrt(x * x + y * y)
            else:
                c = (x ** internal_p + y ** internal_p) ** (1.0 / internal_p)
            out[i, j] = c if order == 1.0 else c ** order


def _slots(groups, flows, members_order, starts):
    """Member of each unit of flow, units ordered by (flow entry, copy)."""
    total = int(flows.sum())
    entry = np.repeat(np.arange(len(flows)), flows)
    first = np.repeat(np.cumsum(flows) - flows, flows)
    copy = np.arange(total) - first
    # units of the same group take consecutive members of that group
    order = np.lexsort((copy, entry, groups[entry]))
    rank = np.empty(total, dtype=np.int64)
    group_sorted = groups[entry][order]
    group_first = np.searchsorted(group_sorted, group_sorted, side="left")
    rank[order] = np.arange(total) - group_first
    return members_order[starts[groups[entry]] + rank]


def transport_pairs(a, b, diag_a, diag_b, order, internal_p):
    """Optimal matching of point sets a, b (local (k, 2) pairs, -1 = diagonal).

    ``diag_a``/``diag_b`` are the costs (already to the power ``order``) of
    sending each point to the diagonal.  Returns None when POT is missing
    or its network simplex stops before optimality.
    """
    try:
        import ot
    except ImportError:  # POT is an optional dependency
        return None
    ua, inv_a, wa = _distinct(a)
    ub, inv_b, wb = _distinct(b)
    ka, kb = len(ua), len(ub)
    cost = np.empty((ka + 1, kb + 1), dtype=np.float64)
    _pair_ground(ua, ub, float(order), float(internal_p), cost[:ka, :kb])
    first_a = np.zeros(ka, dtype=np.int64)      # a representative of each distinct row
    first_a[inv_a[::-1]] = np.arange(len(a))[::-1]
    first_b = np.zeros(kb, dtype=np.int64)
    first_b[inv_b[::-1]] = np.arange(len(b))[::-1]
    cost[:ka, kb] = diag_a[first_a]
    cost[ka, :kb] = diag_b[first_b]
    cost[ka, kb] = 0.0
    # A pair dearer than sending both points to the diagonal is never needed:
    # capping its cost at that detour leaves the optimum unchanged and makes
    # the network simplex markedly faster; flow on a capped pair is routed
    # through the diagonal afterwards (the diagonal-diagonal cell has room:
    # it carries one unit per point of B matched to a point of A).
    detour = cost[:ka, kb, None] + cost[None, ka, :kb]
    capped = cost[:ka, :kb] > detour
    np.minimum(cost[:ka, :kb], detour, out=cost[:ka, :kb])
    scale = cost.max()
    if scale > 0:
        cost /= scale                            # POT's tolerances are absolute
    mass_a = np.append(wa, len(b)).astype(np.float64)
    mass_b = np.append(wb, len(a)).astype(np.float64)
    plan, log = ot.emd(mass_a, mass_b, cost, numItermax=max(10 ** 6, 50 * cost.size),
                       log=True)
    if log["result_code"] != 1:
        return None
    flow = np.rint(plan).astype(np.int64)
    flow[ka, kb] = 0
    if not (np.array_equal(flow[:, :kb].sum(0), wb)
            and np.array_equal(flow[:ka].sum(1), wa)):
        return None                              # not integral: let the caller fall back
    rows, cols = np.nonzero(flow)
    flows = flow[rows, cols]
    # members of each distinct point, grouped
    a_members = np.argsort(inv_a, kind="stable")
    b_members = np.argsort(inv_b, kind="stable")
    a_starts = np.append(0, np.cumsum(wa))
    b_starts = np.append(0, np.cumsum(wb))
    real_a, real_b = rows < ka, cols < kb
    out_a = np.full(int(flows.sum()), -1, dtype=np.int64)
    out_b = np.full(int(flows.sum()), -1, dtype=np.int64)
    unit_entry = np.repeat(np.arange(len(flows)), flows)
    ra = np.flatnonzero(real_a[unit_entry])
    rb = np.flatnonzero(real_b[unit_entry])
    sel_a = real_a
    out_a[ra] = _slots(rows[sel_a], flows[sel_a], a_members, a_starts)
    sel_b = real_b
    out_b[rb] = _slots(cols[sel_b], flows[sel_b], b_members, b_starts)
    detoured = np.zeros(len(flows), dtype=bool)
    both = real_a & real_b
    detoured[both] = capped[rows[both], cols[both]]
    split = detoured[unit_entry]
    none = np.full(int(split.sum()), -1, dtype=np.int64)
    return np.concatenate([np.column_stack([out_a[~split], out_b[~split]]),
                           np.column_stack([out_a[split], none]),
                           np.column_stack([none, out_b[split]])])
