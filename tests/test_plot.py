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
