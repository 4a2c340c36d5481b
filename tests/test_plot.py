"""Plots render to PNG with the Agg backend and return their Axes."""

import io

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fasttopo import persistence  # noqa: E402
from fasttopo.plot import plot_barcode, plot_diagram, plot_pairs_on_image  # noqa: E402


def render(ax):
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def image():
    return np.random.default_rng(0).random((24, 30))


def test_plot_diagram_and_barcode(image):
    for superlevel in (False, True):
        dgm = persistence(image, superlevel=superlevel)
        ax = plot_diagram(dgm)
        assert len(ax.collections) == 2                    # one scatter per dimension
        render(ax)
        ax = plot_barcode(dgm)
        assert sum(len(c.get_segments()) for c in ax.collections) == len(dgm)
        render(ax)
    ax = plot_barcode(dgm, max_bars=3, order="lifetime", dims=[1])
    assert sum(len(c.get_segments()) for c in ax.collections) == 3
    render(ax)
    render(plot_barcode(np.array([[0.0, 1.0], [0.5, np.inf]])))
    render(plot_barcode(np.empty((0, 2))))
    fig, given = plt.subplots()
    assert plot_barcode(dgm, ax=given) is given
    plt.close(fig)
    with pytest.raises(ValueError, match="order"):
        plot_barcode(dgm, order="death")


def test_plot_pairs_on_image(image):
    dgm = persistence(image)
    ax = plot_pairs_on_image(image, dgm, k=4)
    assert len(ax.images) == 1
    births = ax.collections[0].get_offsets()
    top = dgm.top_k(4)
    np.testing.assert_array_equal(births, top.birth_coordinates()[:, ::-1])   # (x, y) = (col, row)
    deaths = ax.collections[1].get_offsets()
    assert len(deaths) == (~top.is_essential).sum()
    render(ax)
    signal = image[0]
    render(plot_pairs_on_image(signal, persistence(signal), k=3))
    with pytest.raises(ValueError, match="shape"):
        plot_pairs_on_image(image[:10], dgm)
    with pytest.raises(TypeError, match="PersistenceDiagram"):
        plot_pairs_on_image(image, dgm.to_pairs())
    with pytest.raises(ValueError, match="k must be"):
        plot_pairs_on_image(image, dgm, k=-1)
    plt.close("all")


# ----------------------------------------------------------------- issue 16
@pytest.mark.parametrize("superlevel", [False, True])
def test_essential_point_inside_axes_and_outside_legend(superlevel):
    """The essential class is drawn inside the axes, on a labelled line, not under the legend."""
    import skimage.data
    image = skimage.data.coins()[::8, ::8]
    dgm = persistence(image, superlevel=superlevel)
    fig, ax = plt.subplots(figsize=(5, 5))
    plot_diagram(dgm, ax=ax)
    fig.canvas.draw()
    essential = dgm[dgm.is_essential]
    assert len(essential) == 1
    level = [t for t in ax.texts if t.get_text() == ("\u2212inf" if superlevel else "inf")]
    assert len(level) == 1                                  # the line is labelled
    line_y = [ln.get_ydata()[0] for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(line_y) == 1
    point = ax.transData.transform((essential.birth[0], line_y[0]))
    box = ax.get_window_extent()
    assert box.x0 < point[0] < box.x1 and box.y0 < point[1] < box.y1
    legend = ax.get_legend().get_window_extent()
    margin = 6  # the marker's radius in pixels, about
    inside_legend = (legend.x0 - margin < point[0] < legend.x1 + margin
                     and legend.y0 - margin < point[1] < legend.y1 + margin)
    assert not inside_legend
    kind = "superlevel" if superlevel else "sublevel"
    assert ax.get_title() == f"{kind} filtration, connectivity 2 (T-construction)"
    plt.close(fig)


def test_missing_matplotlib_is_one_line(monkeypatch, image):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError) as info:
        plot_diagram(persistence(image))
    message = str(info.value)
    assert "\n" not in message and 'pip install "fasttopo[plot]"' in message
