"""The error map of a Betti matching (public as :func:`fasttopo.plot.plot_matching_errors`)."""

import numpy as np

from ._drawing import add_row, draw_background, draw_cycles, pyplot
from ._validation import check_bool


def _cycles_or_none(image, diagram):
    """Representative cycles of the rows of ``diagram``; a row whose pair is not one of
    ``persistence(image)`` (ties broken differently by a Betti matching) gets None."""
    from . import representative_cycles
    try:
        return representative_cycles(image, diagram)
    except ValueError:
        found = []
        for i in range(len(diagram)):
            try:
                found.append(representative_cycles(image, diagram[i:i + 1])[0])
            except ValueError:
                found.append(None)
        return found


def plot_matching_errors(prediction, target, matching=None, *, dims=None, ax=None,
                         background="target", colors=("tab:red", "tab:cyan"), cmap="gray",
                         axis=0, index=None, fill=0.35, markers=True, legend=True,
                         max_dim=None, connectivity=None, superlevel=False):
    """The error map of a Betti matching: the unmatched features of both images.

    The representative cycles (:func:`fasttopo.representative_cycles`) of
    the prediction's unmatched bars are painted in one colour, those of the
    target's in another, over one of the images: the places where the
    prediction has a component, loop or void that the target lacks, and
    the reverse.

    Parameters
    ----------
    prediction, target : (N,), (M, N) or (P, M, N) array_like
        The two images, as given to :func:`fasttopo.betti_matching`.
    matching : BettiMatching, optional
        Their matching (default: computed here with ``max_dim``,
        ``connectivity`` and ``superlevel``).
    dims : int or sequence of int, optional
        The dimensions drawn (default all of the matching's).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure's axes).
    background : {"target", "prediction"}, optional
        The image drawn under the features.
    colors : pair of colours, optional
        The prediction's unmatched features, then the target's.
    cmap : str, optional
        Colour map of the background.
    axis, index : int, optional
        Volumes: the axis across which the picture is taken, and the slice
        drawn (default: the maximum projection), as in :func:`plot_cycles`.
    fill : float, optional
        Opacity of the components (dimension 0); loops and voids are opaque.
    markers : bool, optional
        Mark each unmatched bar's birth pixel (circle) and death pixel (cross).
    legend : bool, optional
        A legend with the number of unmatched bars of each image.
    max_dim, connectivity, superlevel
        Options of :func:`fasttopo.betti_matching`, used when ``matching``
        is not given.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on (``plt.show()`` is never called).

    Raises
    ------
    TypeError
        If ``matching`` is not a BettiMatching.
    ValueError
        If the images differ in shape or do not match ``matching``,
        ``background`` or ``dims`` is not one of the allowed values, or
        ``axis`` / ``index`` is out of range.
    ImportError
        If matplotlib is not installed (``pip install fasttopo[plot]``).

    Notes
    -----
    Where an image has ties, the matching orders them by the other image
    (see :func:`fasttopo.betti_matching`), and a bar's pixels may then not
    be a pair of ``persistence`` of that image alone; such a bar is drawn by
    its birth and death pixels only.  Essential classes are drawn by their
    birth pixel.

    References
    ----------
    .. [1] N. Stucki, J. C. Paetzold, S. Shit, B. Menze, U. Bauer, "Topologically
       faithful image segmentation via induced matching of persistence
       barcodes", ICML 2023. arXiv:2211.15272

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from fasttopo.plot import plot_matching_errors
    >>> target = np.zeros((9, 9)); target[2:7, 2:7] = 1; target[4, 4] = 0   # a ring
    >>> prediction = np.zeros((9, 9)); prediction[2:7, 2:7] = 1              # a disk
    >>> ax = plot_matching_errors(prediction, target, superlevel=True)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['prediction unmatched (0)', 'target unmatched (1)']
    """
    pyplot()   # matplotlib, or the ImportError with its hint
    from .betti_matching import BettiMatching, _check_pair, betti_matching
    from ._validation import check_int
    markers = check_bool(markers, "markers")
    legend = check_bool(legend, "legend")
    prediction, target = _check_pair(prediction, target)
    if matching is None:
        matching = betti_matching(prediction, target, max_dim=max_dim,
                                  connectivity=connectivity, superlevel=superlevel)
    elif not isinstance(matching, BettiMatching):
        raise TypeError(f"matching must be a BettiMatching, got {type(matching).__name__}")
    if matching.prediction_unmatched.shape != prediction.shape:
        raise ValueError(f"matching is of images of shape {matching.prediction_unmatched.shape}, "
                         f"got images of shape {prediction.shape}")
    if background not in ("target", "prediction"):
        raise ValueError(f"background must be 'target' or 'prediction', got {background!r}")
    if dims is None:
        dims = range(matching.max_dim + 1)
    dims = [check_int(d, "dims", 0) for d in np.atleast_1d(dims).tolist()]
    if any(d > matching.max_dim for d in dims):
        raise ValueError(f"dims must be at most the matching's max_dim = {matching.max_dim}, "
                         f"got {dims}")
    if len(colors) != 2:
        raise ValueError(f"colors must be a pair of colours, got {len(colors)}")
    shown = target if background == "target" else prediction
    ax, picture, axis, index = draw_background(shown, ax, cmap, axis, index)
    layers, counts = ([], [], [], [], []), []
    for image, dgm, color in ((prediction, matching.prediction_unmatched, colors[0]),
                              (target, matching.target_unmatched, colors[1])):
        dgm = dgm[np.isin(dgm.dim, dims)]
        counts.append(len(dgm))
        cycles = _cycles_or_none(image, dgm)
        births, deaths = dgm.birth_coordinates(), dgm.death_coordinates()
        for i in range(len(dgm)):
            essential = bool(dgm.is_essential[i])
            add_row(layers, image.ndim, None if essential else cycles[i], dgm.dim[i],
                    essential, births[i:i + 1], deaths[i:i + 1], color, fill, axis, index,
                    markers)
    draw_cycles(ax, picture, *layers)
    if legend:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=colors[0], label=f"prediction unmatched ({counts[0]})"),
                           Patch(color=colors[1], label=f"target unmatched ({counts[1]})")],
                  loc="upper right", fontsize=8)
    return ax
