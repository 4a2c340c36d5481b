"""Diagram inputs of the toolbox: PersistenceDiagram or (n, 2) arrays (private)."""

import operator

import numpy as np

from ._diagram import PersistenceDiagram
from ._validation import check_dim as _check_dim_range
from ._validation import reject_masked

__all__ = ["points", "check_dim", "check_dim_of", "check_dim_applies", "select", "as_batch"]


def points(diagram, name):
    """``(points, dims)``: (n, 2) float64 points and their dimensions (None for arrays).

    The points may share memory with the caller's array: never write to them.
    """
    if isinstance(diagram, PersistenceDiagram):
        return np.column_stack([diagram.birth, diagram.death]), diagram.dim
    if isinstance(diagram, (str, bytes)) or diagram is None:
        raise TypeError(f"{name} must be a PersistenceDiagram or an (n, 2) array of "
                        f"(birth, death), got {type(diagram).__name__}")
    reject_masked(diagram, name)
    try:
        array = np.asarray(diagram, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a PersistenceDiagram or an (n, 2) array of "
                        f"(birth, death) ({exc})") from None
    if array.size == 0 and array.ndim <= 1:
        array = array.reshape(0, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must be a PersistenceDiagram or an (n, 2) array of "
                         f"(birth, death), got shape {array.shape}")
    nan = np.isnan(array).any(axis=1)
    if nan.any():
        raise ValueError(f"{name} contains NaN in row {int(np.flatnonzero(nan)[0])}; diagram "
                         f"points must be numbers (+-inf allowed for essential classes)")
    return array, None


def check_dim(dim):
    """``dim`` as an int >= 0, or None."""
    if dim is None:
        return None
    if isinstance(dim, (bool, np.bool_)):
        raise TypeError(f"dim must be an int or None, got {dim!r}")
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"dim must be an int or None, got {dim!r} ({type(dim).__name__})") \
            from None
    return _check_dim_range(dim)


def check_dim_of(dim, diagram):
    """ValueError if ``dim`` (not None) is beyond what ``diagram``'s image can have."""
    if dim is not None and isinstance(diagram, PersistenceDiagram):
        _check_dim_range(dim, diagram.ndim)


def check_dim_applies(dim, diagrams, what):
    """ValueError if ``dim`` is given but none of ``diagrams`` is a PersistenceDiagram.

    Plain arrays of (birth, death) points carry no dimensions: beside a
    PersistenceDiagram they are taken as the points of dimension ``dim``,
    but with arrays alone ``dim`` would select nothing (``what`` names them).
    """
    if dim is not None and not any(isinstance(d, PersistenceDiagram) for d in diagrams):
        raise ValueError(f"dim={dim} selects a homology dimension of PersistenceDiagram "
                         f"inputs, but {what} arrays of (birth, death) points, which have "
                         f"none: pass dim=None, or select the points of one dimension first")


def select(diagram, dim, name):
    """The (n, 2) points of one diagram, restricted to dimension ``dim`` if given."""
    array, dims = points(diagram, name)
    check_dim_of(dim, diagram)
    if dim is not None and dims is not None:
        array = array[dims == dim]
    return array


def _is_item(obj):
    """True for something that is one diagram rather than a collection of them."""
    if isinstance(obj, PersistenceDiagram):
        return True
    if isinstance(obj, np.ndarray):
        return obj.ndim <= 2
    return False


def as_batch(diagrams, dim, name="diagrams", strict=True):
    """``(list of (n, 2) arrays, is_batch)`` from one diagram or a collection.

    One diagram: a PersistenceDiagram or an (n, 2) array (also a nested
    list of pairs).  A collection: a list/tuple of diagrams or an
    (N, n, 2) array.  With ``strict``, a ``dim`` given for arrays alone is
    a ValueError (``check_dim_applies``).
    """
    dim = check_dim(dim)
    if strict and dim is not None:
        items = [diagrams] if _is_item(diagrams) or not isinstance(diagrams, (list, tuple)) \
            else diagrams
        check_dim_applies(dim, items, f"{name} {'is' if items is not diagrams else 'are'}")
    if _is_item(diagrams):
        return [select(diagrams, dim, name)], False
    if isinstance(diagrams, np.ndarray):          # ndim 3
        return [select(d, dim, f"{name}[{i}]") for i, d in enumerate(diagrams)], True
    if isinstance(diagrams, (list, tuple)):
        if len(diagrams) and all(_is_item(d) for d in diagrams):
            return [select(d, dim, f"{name}[{i}]") for i, d in enumerate(diagrams)], True
        if len(diagrams) == 0:
            return [], True
        array = np.asarray(diagrams, dtype=object if _ragged(diagrams) else np.float64)
        if array.dtype != object and array.ndim == 2:
            return [select(array, dim, name)], False
        return [select(d, dim, f"{name}[{i}]") for i, d in enumerate(diagrams)], True
    raise TypeError(f"{name} must be a PersistenceDiagram, an (n, 2) array of (birth, death), "
                    f"or a sequence of them, got {type(diagrams).__name__}")


def _ragged(seq):
    try:
        np.asarray(seq, dtype=np.float64)
        return False
    except (TypeError, ValueError):
        return True
