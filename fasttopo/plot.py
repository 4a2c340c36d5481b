"""Plots of persistence diagrams (matplotlib, imported lazily)."""

import numpy as np

from ._drawing import add_row, draw_background, draw_cycles, pyplot
from ._matching_plot import plot_matching_errors
from ._validation import check_bool

__all__ = ["plot_diagram", "plot_barcode", "plot_pairs_on_image", "plot_cycles",
           "plot_matching_errors", "diagram_title"]

_MINUS_INF = "\u2212inf"   # typographic minus, as matplotlib's tick labels


def diagram_title(diagram):
    """A short title saying how a diagram was computed.

    Parameters
    ----------
    diagram : PersistenceDiagram

    Returns
    -------
    title : str
        The filtration (sublevel or superlevel), the connectivity and its
        construction, e.g. ``"sublevel filtration, connectivity 2
        (T-construction)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence
    >>> from fasttopo.plot import diagram_title
    >>> diagram_title(persistence(np.eye(3), connectivity=1, superlevel=True))
    'superlevel filtration, connectivity 1 (V-construction)'
    """
    kind = "superlevel" if diagram.superlevel else "sublevel"
    c = diagram.connectivity
    construction = ("V-construction" if c == 1 else "T-construction" if c == diagram.ndim
                    else f"{c}-connectivity")
    return f"{kind} filtration, connectivity {c} ({construction})"


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


def plot_diagram(diagram, *, ax=None, dims=None, colors=None, markersize=12, legend=True,
                 title=None):
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
        Add a legend naming the dimensions.  It goes in the corner the
        points leave empty: lower right for a sublevel diagram (points
        above the diagonal), upper left for a superlevel one.
    title : str, optional
        Axes title.  Default for a PersistenceDiagram: the filtration and
        the connectivity (:func:`diagram_title`); none for an array.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).

    Raises
    ------
    ValueError
        If ``diagram`` is neither a PersistenceDiagram nor an (n, 2) array.
    ImportError
        If matplotlib is not installed (one line naming ``pip install
        "fasttopo[plot]"``).

    Notes
    -----
    Essential classes (infinite death) are drawn on a dashed line labelled
    "inf" just beyond the largest finite value, as GUDHI and persim do.
    For a superlevel diagram deaths are below births and the points lie
    under the diagonal; the essential class is drawn on a line labelled
    "\u2212inf" below the smallest finite value, inside the axes.

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
    plt = pyplot()
    legend = check_bool(legend, "legend")
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
        ax.text(low, neg_level, _MINUS_INF, va="bottom", ha="left", fontsize=8)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_xlabel("birth")
    ax.set_ylabel("death")
    ax.set_aspect("equal")
    if title is None and hasattr(diagram, "superlevel"):
        title = diagram_title(diagram)
    if title:
        ax.set_title(title, fontsize=9)
    if legend and present:
        below = int((death < birth).sum()) > int((death > birth).sum())
        ax.legend(loc="upper left" if below else "lower right", fontsize=8)
    return ax


def plot_barcode(diagram, *, ax=None, dims=None, colors=None, order="birth", max_bars=None,
                 linewidth=1.5, legend=True):
    """Draw the barcode of a persistence diagram: one horizontal bar per pair.

    Parameters
    ----------
    diagram : PersistenceDiagram or (n, 2) array_like
        The pairs; a plain array is taken as (birth, death) of dimension 0.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure's axes).
    dims : sequence of int, optional
        Dimensions to draw (default: all present), stacked from the bottom.
    colors : sequence of colours, optional
        One colour per dimension (default: matplotlib's colour cycle).
    order : {"birth", "lifetime"}, optional
        Order of the bars within a dimension: by birth (default), or by
        decreasing lifetime.
    max_bars : int, optional
        Draw only the ``max_bars`` longest-lived pairs of each dimension.
    linewidth : float, optional
        Bar thickness in points.
    legend : bool, optional
        Add a legend naming the dimensions.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).

    Raises
    ------
    ValueError
        If ``diagram`` is malformed or ``order`` unknown.
    ImportError
        If matplotlib is not installed (``pip install fasttopo[plot]``).

    Notes
    -----
    Essential classes run to a dashed line labelled "inf" just beyond the
    largest finite value (or "-inf" below the smallest, for superlevel
    diagrams), as in :func:`plot_diagram`.

    References
    ----------
    .. [1] R. Ghrist, "Barcodes: the persistent topology of data", Bulletin
       of the American Mathematical Society 45(1), 61-75, 2008.
       https://doi.org/10.1090/S0273-0979-07-01191-3

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import skimage.data
    >>> from fasttopo import persistence
    >>> from fasttopo.plot import plot_barcode
    >>> ax = plot_barcode(persistence(skimage.data.coins()[::8, ::8]), max_bars=20)
    >>> ax.get_xlabel()
    'filtration value'
    """
    plt = pyplot()
    legend = check_bool(legend, "legend")
    if order not in ("birth", "lifetime"):
        raise ValueError(f"order must be 'birth' or 'lifetime', got {order!r}")
    dim, birth, death = _as_points(diagram)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    finite = np.isfinite(death)
    values = np.concatenate([birth, death[finite]])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    span = hi - lo if hi > lo else 1.0
    shown = death.copy()
    shown[np.isposinf(death)] = hi + 0.1 * span
    shown[np.isneginf(death)] = lo - 0.1 * span
    present = sorted(set(dim.tolist())) if dims is None else list(dims)
    cycle = colors or plt.rcParams["axes.prop_cycle"].by_key()["color"]
    row = 0
    for i, d in enumerate(present):
        sel = np.flatnonzero(dim == d)
        lifetime = np.abs(shown[sel] - birth[sel])
        if max_bars is not None:
            sel = sel[np.argsort(-lifetime, kind="stable")[:max_bars]]
            lifetime = np.abs(shown[sel] - birth[sel])
        key = birth[sel] if order == "birth" else -lifetime
        sel = sel[np.argsort(key, kind="stable")]
        rows = row + np.arange(len(sel))
        ax.hlines(rows, birth[sel], shown[sel], colors=cycle[i % len(cycle)], lw=linewidth,
                  label=f"dim {d}")
        row += len(sel)
    if np.isposinf(death).any():
        ax.axvline(hi + 0.1 * span, color="0.3", ls="--", lw=1)
        ax.text(hi + 0.1 * span, row, "inf", ha="center", va="bottom", fontsize=8)
    if np.isneginf(death).any():
        ax.axvline(lo - 0.1 * span, color="0.3", ls="--", lw=1)
        ax.text(lo - 0.1 * span, row, _MINUS_INF, ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("filtration value")
    ax.set_ylabel("pair")
    ax.set_yticks([])
    ax.set_ylim(-1, max(row, 1))
    if legend and present and row:
        ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_pairs_on_image(image, diagram, *, k=10, dim=None, ax=None, cmap="gray",
                        color="tab:red", connect=True, numbers=True):
    """Mark the birth and death pixels of the ``k`` longest-lived pairs on the image.

    Parameters
    ----------
    image : (N,) or (M, N) array_like
        The image (or 1D signal) the diagram was computed from.
    diagram : PersistenceDiagram
        Its diagram (the pixels come from ``birth_index``/``death_index``).
    k : int, optional
        Number of pairs to mark, by decreasing lifetime (default 10);
        essential classes count as longest.
    dim : int, optional
        Only pairs of this dimension (default: all).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure's axes).
    cmap : str, optional
        Colour map of the image (2D images).
    color : colour, optional
        Colour of the markers.
    connect : bool, optional
        Draw a thin line from each birth pixel to its death pixel.
    numbers : bool, optional
        Label each birth pixel with the pair's rank (1 = longest-lived).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).  Birth pixels
        are circles, death pixels crosses; an essential class has a birth
        pixel only.

    Raises
    ------
    TypeError
        If ``diagram`` is not a PersistenceDiagram.
    ValueError
        If ``image`` is not 1D or 2D or its shape differs from
        ``diagram.shape``, or ``k < 0``.
    ImportError
        If matplotlib is not installed (``pip install fasttopo[plot]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import skimage.data
    >>> from fasttopo import persistence
    >>> from fasttopo.plot import plot_pairs_on_image
    >>> image = skimage.data.coins()[::4, ::4]
    >>> ax = plot_pairs_on_image(image, persistence(image, superlevel=True), k=5, dim=0)
    >>> len(ax.images)
    1
    """
    plt = pyplot()
    connect = check_bool(connect, "connect")
    numbers = check_bool(numbers, "numbers")

    from ._diagram import PersistenceDiagram
    from ._validation import check_image

    if not isinstance(diagram, PersistenceDiagram):
        raise TypeError(f"diagram must be a PersistenceDiagram (it carries the birth and death "
                        f"pixels), got {type(diagram).__name__}")
    image = check_image(image, ndims=(1, 2))
    if image.shape != diagram.shape:
        raise ValueError(f"image has shape {image.shape} but the diagram was computed from an "
                         f"image of shape {diagram.shape}")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    top = diagram.top_k(int(k), dim=dim)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6) if image.ndim == 2 else (8, 3))
    births = top.birth_coordinates()
    deaths = top.death_coordinates()
    alive = ~top.is_essential
    if image.ndim == 2:
        ax.imshow(image, cmap=cmap, interpolation="nearest")
        by, bx = births[:, 0], births[:, 1]
        dy, dx = deaths[:, 0], deaths[:, 1]
    else:
        ax.plot(np.arange(image.shape[0]), image, color="0.4", lw=1)
        bx, by = births[:, 0], top.birth
        dx, dy = deaths[:, 0], np.where(alive, top.death, np.nan)
    ax.scatter(bx, by, s=40, facecolors="none", edgecolors=color, linewidths=1.5,
               label="birth pixel")
    ax.scatter(dx[alive], dy[alive], s=40, marker="x", color=color, linewidths=1.5,
               label="death pixel")
    if connect:
        for i in np.flatnonzero(alive):
            ax.plot([bx[i], dx[i]], [by[i], dy[i]], color=color, lw=0.8, alpha=0.7)
    if numbers:
        for i in range(len(top)):
            ax.annotate(str(i + 1), (bx[i], by[i]), xytext=(3, 3), textcoords="offset points",
                        color=color, fontsize=8)
    return ax


def plot_cycles(image, diagram, cycles=None, *, ax=None, colors=None, cmap="gray", axis=0,
                index=None, fill=0.35, markers=True, numbers=True, linewidth=1.5):
    """Draw the representative cycles of the pairs of a diagram over the image.

    Parameters
    ----------
    image : (N,), (M, N) or (P, M, N) array_like
        The image the diagram was computed from.
    diagram : PersistenceDiagram
        The pairs to draw, e.g. ``persistence(image).top_k(5)``.
    cycles : list of (k, ndim) ndarray, optional
        Their cycles, as :func:`fasttopo.representative_cycles` returns
        them (default: computed here).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure's axes).
    colors : sequence of colours, optional
        One colour per pair (cycled; default matplotlib's ``tab10``).
    cmap : str, optional
        Colour map of the image.
    axis : int, optional
        Volumes: the axis across which the picture is taken (0, 1 or 2).
    index : int, optional
        Volumes: draw slice ``index`` along ``axis`` and the cycles' voxels
        on it.  Default: the maximum projection of the image along
        ``axis``, with the cycles' voxels projected onto it.
    fill : float, optional
        Opacity of the components of dimension 0 (regions); cycles of
        higher dimensions are opaque.
    markers : bool, optional
        Mark each pair's birth pixel (circle) and death pixel (cross).
    numbers : bool, optional
        Label each cycle with its row number in ``diagram`` (from 1).
    linewidth : float, optional
        Width of the line through the voxels of a volume's loop
        (dimension 1 of volumes: drawn in walk order, on projections).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).

    Raises
    ------
    TypeError
        If ``diagram`` is not a PersistenceDiagram.
    ValueError
        If ``image`` does not match ``diagram`` (shape, values), ``cycles``
        has not one array per row, ``axis`` or ``index`` is out of range.
    ImportError
        If matplotlib is not installed (``pip install fasttopo[plot]``).

    Notes
    -----
    Cycles are painted in row order, regions (dimension 0) under loops
    and voids; a later cycle covers an earlier one where they share
    pixels.  The cycle of an essential class, every pixel, is not
    painted: its birth pixel is marked.  A 1D signal is drawn as a curve
    with its cycles' samples.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import skimage.data
    >>> from fasttopo import persistence
    >>> from fasttopo.plot import plot_cycles
    >>> image = skimage.data.coins()[::4, ::4]
    >>> ax = plot_cycles(image, persistence(image, superlevel=True).top_k(4, dim=1))
    >>> len(ax.images)   # the image and the cycles' overlay
    2
    """
    plt = pyplot()
    markers = check_bool(markers, "markers")
    numbers = check_bool(numbers, "numbers")
    from . import representative_cycles
    from ._validation import check_image
    if cycles is None:
        cycles = representative_cycles(image, diagram)
    image = check_image(image)
    if len(cycles) != len(diagram):
        raise ValueError(f"cycles must hold one array per row of diagram ({len(diagram)}), "
                         f"got {len(cycles)}")
    ax, picture, axis, index = draw_background(image, ax, cmap, axis, index)
    palette = list(colors) if colors else plt.get_cmap("tab10").colors
    order = sorted(range(len(diagram)), key=lambda i: (diagram.dim[i] != 0, i))
    order = [i for i in order if not diagram.is_essential[i]] + \
        [i for i in order if diagram.is_essential[i]]
    layers, texts = ([], [], [], [], []), []
    births, deaths = diagram.birth_coordinates(), diagram.death_coordinates()
    for i in order:
        color = palette[i % len(palette)]
        essential = bool(diagram.is_essential[i])   # every pixel: marked at its birth only
        birth = add_row(layers, image.ndim, None if essential else cycles[i], diagram.dim[i],
                        essential, births[i:i + 1], deaths[i:i + 1], color, fill, axis, index,
                        markers)
        if numbers and len(birth):
            texts.append((birth[0], str(i + 1), color))
    return draw_cycles(ax, picture, *layers, texts, linewidth)
