"""Plots of persistence diagrams (matplotlib, imported lazily)."""

import numpy as np

__all__ = ["plot_diagram"]


def _as_points(diagram):
    """(dims, births, deaths) from a PersistenceDiagram or an (n, 2) array (dim 0)."""
    from ._diagram import PersistenceDiagram
    if isinstance(diagram, PersistenceDiagram):
        return diagram.dim.astype(int), diagram.birth, diagram.death
    points = np.asarray(diagram, dtype=np.float64)
    if points.size == 0:
        points = points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"diagram must be a PersistenceDiagram or an (n, 2) array of "
                         f"(birth, death), got shape {points.shape}")
    return np.zeros(len(points), dtype=int), points[:, 0], points[:, 1]


def plot_diagram(diagram, *, ax=None, dims=None, colors=None, markersize=12, legend=True):
    """Draw a persistence diagram: one colour per dimension, diagonal, infinity line.

    Parameters
    ----------
    diagram : PersistenceDiagram or (n, 2) array_like
        The pairs; a plain array is taken as (birth, death) of dimension 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure's axes).
    dims : sequence of int, optional
        Dimensions to draw (default: all present).
    colors : sequence of colours, optional
        One colour per dimension (default: matplotlib's colour cycle).
    markersize : float, optional
        Marker area in points^2.
    legend : bool, optional
        Add a legend naming the dimensions.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).

    Raises
    ------
    ValueError
        If ``diagram`` is neither a PersistenceDiagram nor an (n, 2) array.
    ImportError
        If matplotlib is not installed (``pip install fasttopo[plot]``).

    Notes
    -----
    Essential classes (infinite death) are drawn on a dashed line labelled
    "inf" just beyond the largest finite value, as GUDHI and persim do.
    For a superlevel diagram deaths are below births and the points lie
    under the diagonal.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import skimage.data
    >>> from fasttopo import persistence
    >>> from fasttopo.plot import plot_diagram
    >>> ax = plot_diagram(persistence(skimage.data.camera()[::4, ::4]))
    >>> ax.get_xlabel()
    'birth'
    """
    import matplotlib.pyplot as plt

    dim, birth, death = _as_points(diagram)
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    finite = np.isfinite(death)
    values = np.concatenate([birth, death[finite]])
    if values.size:
        lo, hi = float(values.min()), float(values.max())
    else:
        lo, hi = 0.0, 1.0
    span = hi - lo if hi > lo else 1.0
    inf_level = hi + 0.1 * span
    neg_level = lo - 0.1 * span
    shown_death = death.copy()
    shown_death[np.isposinf(death)] = inf_level
    shown_death[np.isneginf(death)] = neg_level
    present = sorted(set(dim.tolist())) if dims is None else list(dims)
    cycle = colors or plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, d in enumerate(present):
        sel = dim == d
        ax.scatter(birth[sel], shown_death[sel], s=markersize, color=cycle[i % len(cycle)],
                   label=f"dim {d}", alpha=0.8, edgecolors="none")
    low, high = min(lo, neg_level) - 0.05 * span, max(hi, inf_level) + 0.05 * span
    ax.plot([low, high], [low, high], color="0.5", lw=1)
    if np.isposinf(death).any():
        ax.axhline(inf_level, color="0.3", ls="--", lw=1)
        ax.text(low, inf_level, "inf", va="bottom", ha="left", fontsize=8)
    if np.isneginf(death).any():
        ax.axhline(neg_level, color="0.3", ls="--", lw=1)
        ax.text(low, neg_level, "-inf", va="top", ha="left", fontsize=8)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("birth")
    ax.set_ylabel("death")
    ax.set_aspect("equal")
    if legend and present:
        ax.legend(loc="lower right", fontsize=8)
    return ax
