"""What the losses of ``fasttopo.nn`` share: argument checks, row selection, reductions."""

import numbers

import numpy as np
import torch

from .diagrams import Diagrams

__all__ = ["check_diagrams", "check_dims", "check_number", "check_count", "check_reduction",
           "finite_rows", "ranked", "sum_items", "reduce_items", "module_repr"]


def check_diagrams(value, name):
    """Raise TypeError unless ``value`` is a Diagrams."""
    if not isinstance(value, Diagrams):
        raise TypeError(f"{name} must be a fasttopo.nn.Diagrams (from fasttopo.nn.persistence, "
                        f"rips_persistence, alpha_persistence or Diagrams.from_numpy), got "
                        f"{type(value).__name__}")
    return value


def check_dims(dim, name="dim"):
    """A sorted tuple of dimensions from an int, a sequence of ints or None (all)."""
    if dim is None:
        return None
    values = np.atleast_1d(np.asarray(dim))
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an int, a non-empty sequence of ints or None, got {dim!r}")
    if (values < 0).any():
        raise ValueError(f"{name} must be >= 0, got {dim!r}")
    return tuple(sorted(set(int(v) for v in values)))


def finite_rows(dgm, dims):
    """Sorted indices of the finite pairs of dimensions ``dims`` (None: all)."""
    keep = ~np.isinf(dgm.death_array)
    if dims is None or set(range(int(dgm.dim.max(initial=0)) + 1)) <= set(dims):
        return np.flatnonzero(keep)    # every dimension there is (the usual case)
    if len(dims) == 1:
        keep &= dgm.dim == dims[0]
    else:
        wanted = np.zeros(256, dtype=bool)
        wanted[[d for d in dims if d < 256]] = True
        keep &= wanted[dgm.dim.astype(np.uint8)]
    return np.flatnonzero(keep)


def ranked(dgm, rows):
    """Rows sorted by (item, dim, decreasing lifetime), with each row's rank in its group.

    Ties in lifetime keep the diagram order (stable).  Returns ``(rows, group,
    rank)`` where ``group = item * (largest dim + 1) + dim``.
    """
    life = np.abs(dgm.death_array[rows] - dgm.birth_array[rows])
    group = dgm.item[rows] * (int(dgm.dim.max(initial=0)) + 1) + dgm.dim[rows]
    order = np.lexsort((-life, group))
    rows, group = rows[order], group[order]
    m = rows.shape[0]
    if m == 0:
        return rows, group, np.zeros(0, np.int64)
    new = np.concatenate([[True], group[1:] != group[:-1]])
    starts = np.flatnonzero(new)
    rank = np.arange(m) - np.repeat(starts, np.diff(np.append(starts, m)))
    return rows, group, rank


def reduce_items(per_item, batch_shape, reduction):
    """Apply a torch-style reduction to a (n_items,) tensor of per-input losses."""
    if reduction == "none":
        return per_item.reshape(batch_shape)
    if reduction == "sum":
        return per_item.sum()
    if per_item.numel() == 0:
        return per_item.sum()   # an empty batch: a zero, on the graph when per_item is
    return per_item.mean()


def check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def check_number(value, name, low=None, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def sum_items(values, item, n_items, like):
    """Per-input sums of ``values`` (index ``item``) as a (n_items,) tensor."""
    if n_items == 0:   # an empty batch: keep the graph (a loss of it is a zero with grad)
        return like.reshape(-1)[:0]
    out = like.new_zeros(n_items)
    if values.numel() == 0:
        return out
    return out.index_add(0, torch.from_numpy(item).to(values.device, non_blocking=True),
                         values.to(out.dtype))


def module_repr(**kwargs):
    """The ``extra_repr`` of a Module: its options as ``name=value``."""
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
