"""The error map of a Betti matching: fasttopo.plot.plot_matching_errors."""

import io

import numpy as np
import pytest

from fasttopo import betti_matching, representative_cycles

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from fasttopo._matching_plot import _cycles_or_none  # noqa: E402
from fasttopo.plot import plot_matching_errors  # noqa: E402


def _overlay(ax):
    return np.asarray(ax.images[-1].get_array())


def _painted(ax, color):
    """Pixels of the overlay painted in ``color`` (any opacity)."""
    rgba = _overlay(ax)
    return (rgba[..., 3] > 0) & np.all(np.isclose(rgba[..., :3], to_rgba(color)[:3]), axis=-1)


def _close(ax):
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def _expected(image, dgm):
    mask = np.zeros(image.shape, dtype=bool)
    for i, cycle in enumerate(representative_cycles(image, dgm)):
        if not dgm.is_essential[i]:
            mask[tuple(cycle.T)] = True
    return mask


def test_each_image_unmatched_cycles_in_its_colour():
    # tie-free likelihoods over a ramp with one maximum: the target has a ring, the
    # prediction a disk and a spot the target lacks
    ramp = 0.05 * (1 - np.arange(256.0).reshape(16, 16) / 256)
    target = ramp.copy()
    target[3:10, 3:10] += 0.8
    target[6, 6] -= 0.8
    prediction = ramp.copy()
    prediction[3:10, 3:10] += 0.8
    prediction[12:14, 12:14] += 0.6
    m = betti_matching(prediction, target, superlevel=True)
    assert m.n_prediction_unmatched.sum() > 0 and m.n_target_unmatched.sum() > 0
    ax = plot_matching_errors(prediction, target, m, colors=("red", "blue"))
    assert np.array_equal(_painted(ax, "blue"), _expected(target, m.target_unmatched))
    assert np.array_equal(_painted(ax, "red") & ~_painted(ax, "blue"),
                          _expected(prediction, m.prediction_unmatched)
                          & ~_expected(target, m.target_unmatched))
    assert _painted(ax, "red")[12:14, 12:14].all()       # the spot the target lacks
    cross = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)   # the T-construction's
    assert np.array_equal(_painted(ax, "blue")[5:8, 5:8], cross)     # loop the disk lacks
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"prediction unmatched ({m.n_prediction_unmatched.sum()})",
                      f"target unmatched ({m.n_target_unmatched.sum()})"]
    _close(ax)
    # computed when not given, and dims selects
    ax = plot_matching_errors(prediction, target, dims=1, superlevel=True, colors=("red", "blue"))
    assert not _painted(ax, "red")[12:14, 12:14].any()
    assert np.array_equal(_painted(ax, "blue"),
                          _expected(target, m.target_unmatched.select(1)))
    _close(ax)


def test_identical_images_have_no_errors():
    image = np.random.default_rng(1).random((12, 10))
    ax = plot_matching_errors(image, image)
    assert not (_overlay(ax)[..., 3] > 0).any()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "prediction unmatched (0)", "target unmatched (0)"]
    _close(ax)


def test_binary_masks_with_ties_are_drawn():
    # masks: the matching breaks ties by the other image; rows that are not pairs of the
    # image alone are drawn by their pixels, the call never fails
    rng = np.random.default_rng(2)
    fallback = 0
    for _ in range(5):
        prediction = (rng.random((14, 14)) > 0.5).astype(float)
        target = (rng.random((14, 14)) > 0.5).astype(float)
        m = betti_matching(prediction, target, superlevel=True)
        ax = plot_matching_errors(prediction, target, m, legend=False)
        assert ax.get_legend() is None
        assert len(ax.collections) >= m.error.sum()      # every unmatched bar is marked
        fallback += sum(c is None for c in _cycles_or_none(target, m.target_unmatched))
        _close(ax)
    assert fallback > 0          # the case this test is about did occur


def test_volumes_slices_and_projections():
    rng = np.random.default_rng(3)
    prediction, target = rng.random((5, 6, 7)), rng.random((5, 6, 7))
    m = betti_matching(prediction, target)
    for kwargs in ({"axis": 1}, {"axis": 2, "index": 3}):
        ax = plot_matching_errors(prediction, target, m, background="prediction", **kwargs)
        assert _overlay(ax).shape[:2] == tuple(np.delete(prediction.shape, kwargs["axis"]))
        _close(ax)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"matching": "no"}, TypeError, "matching must be a BettiMatching"),
    ({"background": "both"}, ValueError, "background"),
    ({"dims": 5}, ValueError, "dims"),
    ({"colors": ("red",)}, ValueError, "colors"),
    ({"markers": "yes"}, TypeError, "markers"),
])
def test_bad_arguments(kwargs, error, match):
    image = np.random.default_rng(4).random((6, 6))
    with pytest.raises(error, match=match):
        plot_matching_errors(image, image, **kwargs)
    plt.close("all")


def test_bad_images():
    a = np.random.default_rng(5).random((6, 6))
    with pytest.raises(ValueError, match="same shape"):
        plot_matching_errors(a, a[:5])
    other = betti_matching(a[:5], a[:5])
    with pytest.raises(ValueError, match="shape"):
        plot_matching_errors(a, a, other)
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        plot_matching_errors(bad, a)
    assert np.isnan(bad[0, 0]) and np.isfinite(a).all()
