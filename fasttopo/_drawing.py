"""Drawing helpers shared by :mod:`fasttopo.plot` and the Betti matching error map
(matplotlib, imported lazily)."""

import numpy as np

from ._validation import require


def pyplot():
    require("matplotlib", "fasttopo.plot")
    import matplotlib.pyplot as plt
    return plt


def plane(image, axis, index):
    """A 3D image as the 2D picture drawn: slice ``index`` along ``axis``, or the maximum
    projection along it (``index`` None); 1D and 2D images unchanged."""
    if image.ndim < 3:
        return image
    return image.max(axis=axis) if index is None else np.take(image, index, axis=axis)


def project(coords, ndim, axis, index):
    """(k, 2) coordinates drawn for (k, ndim) pixels: the other two axes of a volume, keeping
    only the slice's pixels when ``index`` is given; (k, ndim) unchanged below 3D."""
    if ndim < 3:
        return coords
    keep = [a for a in range(3) if a != axis]
    if index is not None:
        coords = coords[coords[:, axis] == index]
    return coords[:, keep]


def draw_background(image, ax, cmap, axis, index):
    """Check a volume's ``axis`` and ``index`` and draw the picture of ``image`` (a new
    figure's axes when ``ax`` is None); ``(ax, picture, axis, index)``."""
    from ._validation import check_int
    if image.ndim == 3:
        axis = check_int(axis, "axis", 0)
        if axis > 2:
            raise ValueError(f"axis must be 0, 1 or 2 for a volume, got {axis}")
        if index is not None:
            index = check_int(index, "index", 0)
            if index >= image.shape[axis]:
                raise ValueError(f"index must be below image.shape[{axis}] = "
                                 f"{image.shape[axis]}, got {index}")
    picture = plane(image, axis, index)
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6, 6) if image.ndim > 1 else (8, 3))
    if picture.ndim == 2:
        ax.imshow(picture, cmap=cmap, interpolation="nearest")
    else:
        ax.plot(np.arange(picture.size), picture, color="0.4", lw=1)
    return ax, picture, axis, index


def add_row(layers, ndim, cycle, dim, essential, birth, death, color, fill, axis, index,
            markers):
    """Append one pair to ``layers = (drawn, shades, fills, walks, marks)`` of
    :func:`draw_cycles`: its cycle (None: not painted), its walk (loops of a volume's
    projection) and its birth/death markers; returns its projected birth pixel (none
    when off the slice)."""
    drawn, shades, fills, walks, marks = layers
    if cycle is not None:
        coords = project(np.asarray(cycle, dtype=np.int64).reshape(-1, ndim), ndim, axis,
                         index)
        drawn.append(coords)
        shades.append(color)
        fills.append(fill if dim == 0 else 1.0)
        if ndim == 3 and dim == 1 and index is None:
            walks.append((coords, color))
    birth = project(birth, ndim, axis, index)
    death = project(death, ndim, axis, index)
    if markers and len(birth):
        marks.append((birth[0], death[0] if len(death) and not essential else None, color))
    return birth


def draw_cycles(ax, picture, cycles, colors, fills, walks=(), markers=(), labels=(),
                linewidth=1.5):
    """Paint cycles over a 2D ``picture`` already shown on ``ax`` (or a 1D signal drawn).

    ``cycles``: (k, 2) (or (k, 1)) drawn coordinates per cycle; ``colors``:
    one colour each; ``fills``: the opacity of each (regions below 1, loops
    1).  ``walks``: ``(coords, colour)`` polylines closed back to their
    start; ``markers``: ``(birth, death or None, colour)`` pixels;
    ``labels``: ``(pixel, text, colour)``.  Shared by :func:`plot_cycles`
    and an error map of matched features (two colours, one per image).
    """
    from matplotlib.colors import to_rgba
    if picture.ndim == 1:
        for coords, color, fill in zip(cycles, colors, fills):
            x = np.unique(coords[:, 0])
            ax.scatter(x, picture[x], s=12, color=color, alpha=max(fill, 0.5), zorder=3)
        for birth, death, color in markers:
            ax.scatter([birth[0]], [picture[birth[0]]], s=40, facecolors="none",
                       edgecolors=color, linewidths=1.5, zorder=4)
            if death is not None:
                ax.scatter([death[0]], [picture[death[0]]], s=40, marker="x", color=color,
                           linewidths=1.5, zorder=4)
        for pixel, text, color in labels:
            ax.annotate(text, (pixel[0], picture[pixel[0]]), xytext=(3, 3),
                        textcoords="offset points", color=color, fontsize=8)
        return ax
    overlay = np.zeros(picture.shape + (4,))
    for coords, color, fill in zip(cycles, colors, fills):
        if len(coords):
            overlay[coords[:, 0], coords[:, 1]] = to_rgba(color, alpha=fill)
    ax.imshow(overlay, interpolation="nearest")
    for coords, color in walks:
        if len(coords) > 1:
            closed = np.vstack([coords, coords[:1]])
            ax.plot(closed[:, 1], closed[:, 0], color=color, lw=linewidth)
    for birth, death, color in markers:
        ax.scatter([birth[1]], [birth[0]], s=40, facecolors="none", edgecolors=color,
                   linewidths=1.5)
        if death is not None:
            ax.scatter([death[1]], [death[0]], s=40, marker="x", color=color, linewidths=1.5)
    for pixel, text, color in labels:
        ax.annotate(text, (pixel[1], pixel[0]), xytext=(3, 3), textcoords="offset points",
                    color=color, fontsize=8)
    return ax
