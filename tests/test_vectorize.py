"""Vectorizations against gudhi.representations, NumPy and brute-force references."""

import numpy as np
import pytest

from fasttopo import (betti_curve, diagram_histogram, persistence, persistence_image,
                      persistence_landscape)

representations = pytest.importorskip("gudhi.representations")

INF = np.inf


@pytest.fixture
def diagrams():
    rng = np.random.default_rng(0)
    out = []
    for n in (6, 25, 0, 13, 1):
        birth = rng.random(n)
        out.append(np.column_stack([birth, birth + rng.exponential(0.2, n)]))
    out[3][2] = out[3][5]                     # a duplicate point
    return out


# ------------------------------------------------------------------ references
def betti_reference(points, t):
    b, d = points[:, 0], points[:, 1]
    up = b <= d
    return int(((b <= t) & (t < d) & up).sum() + ((d < t) & (t <= b) & ~up).sum())


def landscape_reference(points, k, t):
    points = points[np.isfinite(points).all(axis=1)]
    lo, hi = points.min(axis=1), points.max(axis=1)
    tents = np.sort(np.maximum(0.0, np.minimum(t - lo, hi - t)))[::-1]
    return np.concatenate([tents, np.zeros(k)])[:k]


# ------------------------------------------------------------------ persistence images
@pytest.mark.parametrize("bandwidth, resolution, im_range", [
    (0.1, (7, 9), (0, 1, 0, 0.5)), (0.05, (20, 20), (-0.2, 1.2, 0.0, 1.0)), (1.0, (3, 5), None)])
def test_persistence_image_equals_gudhi(diagrams, bandwidth, resolution, im_range):
    gudhi_range = [np.nan] * 4 if im_range is None else list(im_range)
    ref = representations.PersistenceImage(bandwidth=bandwidth, resolution=list(resolution),
                                           im_range=gudhi_range).fit_transform(diagrams)
    ours = persistence_image(diagrams, bandwidth=bandwidth, resolution=resolution,
                             range=im_range)
    assert ours.shape == (len(diagrams), resolution[1], resolution[0])
    np.testing.assert_allclose(ours.reshape(len(diagrams), -1), ref, rtol=1e-12, atol=1e-12)


def test_persistence_image_weights_and_single_diagram(diagrams):
    weight = lambda x: x[1] ** 2  # noqa: E731 - GUDHI's weight takes a (birth, lifetime) point
    ref = representations.PersistenceImage(bandwidth=0.2, resolution=[6, 6], weight=weight,
                                           im_range=[0, 1, 0, 1]).fit_transform(diagrams)
    ours = persistence_image(diagrams, bandwidth=0.2, resolution=6, range=(0, 1, 0, 1),
                             weight=lambda birth, lifetime: lifetime ** 2)
    np.testing.assert_allclose(ours.reshape(len(diagrams), -1), ref, atol=1e-12)
    single = persistence_image(diagrams[1], bandwidth=0.2, resolution=6, range=(0, 1, 0, 1),
                               weight="lifetime")
    ref = representations.PersistenceImage(bandwidth=0.2, resolution=[6, 6],
                                           weight=lambda x: x[1], im_range=[0, 1, 0, 1])
    np.testing.assert_allclose(single.ravel(), ref.fit_transform([diagrams[1]])[0], atol=1e-12)
    with_inf = np.vstack([diagrams[1], [[0.5, INF]]])      # essential classes left out
    np.testing.assert_array_equal(
        persistence_image(with_inf, resolution=6, range=(0, 1, 0, 1)),
        persistence_image(diagrams[1], resolution=6, range=(0, 1, 0, 1)))


# ------------------------------------------------------------------ Betti curves
def test_betti_curve_equals_gudhi_and_reference(diagrams):
    grid = np.linspace(-0.1, 1.6, 60)
    with_inf = [np.vstack([d, [[0.3, INF]]]) for d in diagrams]
    ref = representations.BettiCurve(predefined_grid=grid).fit_transform(with_inf)
    ours = betti_curve(with_inf, grid=grid)
    np.testing.assert_array_equal(ours, ref)
    for d, row in zip(with_inf, ours):
        assert row.tolist() == [betti_reference(d, t) for t in grid]


def test_betti_curve_fitted_range_and_superlevel():
    rng = np.random.default_rng(1)
    image = rng.random((30, 30))
    sub = persistence(image)
    curve = betti_curve(sub, dim=0, resolution=7)
    pts = sub.to_pairs(0)
    grid = np.linspace(pts[:, 0].min(), pts[np.isfinite(pts[:, 1]), 1].max(), 7)
    assert curve.tolist() == [betti_reference(pts, t) for t in grid]
    up = persistence(image, superlevel=True)
    grid = np.linspace(0, 1, 41)
    # superlevel pairs (b > d) are alive on (d, b]: the mirror of the negated image's curve
    mirror = betti_curve(persistence(-image), dim=1, grid=-grid[::-1])[::-1]
    np.testing.assert_array_equal(betti_curve(up, dim=1, grid=grid), mirror)
    for t, v in zip(grid, betti_curve(up, grid=grid)):
        assert v == betti_reference(up.to_pairs(), t)


# ------------------------------------------------------------------ landscapes
@pytest.mark.parametrize("k, resolution, sample_range", [(3, 40, (0, 1.5)), (1, 10, (0.2, 0.8)),
                                                         (6, 25, (-1, 2))])
def test_landscape_equals_gudhi_over_sqrt2(diagrams, k, resolution, sample_range):
    nonempty = [d for d in diagrams if len(d)]
    ref = representations.Landscape(num_landscapes=k, resolution=resolution,
                                    sample_range=list(sample_range),
                                    keep_endpoints=True).fit_transform(nonempty)
    ours = persistence_landscape(nonempty, k=k, resolution=resolution, range=sample_range)
    assert ours.shape == (len(nonempty), k, resolution)
    np.testing.assert_allclose(ours.reshape(len(nonempty), -1) * np.sqrt(2), ref, atol=1e-12)


def test_landscape_reference_with_essential_and_empty(diagrams):
    grid = np.linspace(-0.5, 2, 33)
    for d in diagrams:
        with_inf = np.vstack([d, [[0.1, INF]]])
        ours = persistence_landscape(with_inf, k=4, grid=grid)
        for i, t in enumerate(grid):
            expected = landscape_reference(with_inf, 4, t) if len(d) else np.zeros(4)
            np.testing.assert_allclose(ours[:, i], expected, atol=1e-15)


# ------------------------------------------------------------------ histograms
@pytest.mark.filterwarnings("ignore:diagram_histogram:UserWarning")  # points outside on purpose
def test_histogram_equals_numpy_histogram2d(diagrams):
    rng = np.random.default_rng(2)
    dgms = diagrams + [np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [1.2, 0.3], [0.1, INF]])]
    dgms.append(rng.random((40, 2)))
    for bins, rng_ in ((50, ((0, 1), (0, 1))), ((4, 7), ((0, 1), (0.2, 1.5)))):
        ours = diagram_histogram(dgms, bins=bins, range=rng_, reflect=False, count_cell=False)
        for d, row in zip(dgms, ours):
            finite = d[np.isfinite(d).all(axis=1)]
            ref = np.histogram2d(finite[:, 0], finite[:, 1], bins=bins, range=rng_)[0]
            np.testing.assert_array_equal(row, ref.ravel())


@pytest.mark.filterwarnings("ignore:diagram_histogram:UserWarning")  # points outside on purpose
def test_histogram_reflection_and_count_cell(diagrams):
    out = diagram_histogram(diagrams, bins=8)
    assert out.shape == (len(diagrams), 65)
    plain = diagram_histogram(diagrams, bins=8, reflect=False, count_cell=False)
    for d, row, h in zip(diagrams, out, plain):
        grid = row[:-1].reshape(8, 8)
        np.testing.assert_array_equal(grid, grid.T)
        np.testing.assert_array_equal(grid, h.reshape(8, 8) + h.reshape(8, 8).T)
        assert row[-1] == len(d)
    single = diagram_histogram(diagrams[1], bins=8)
    np.testing.assert_array_equal(single, out[1])
    with pytest.raises(ValueError, match="reflect=True"):
        diagram_histogram(diagrams, bins=(4, 5))


# ------------------------------------------------------------------ inputs
def test_persistence_diagram_inputs_select_dimension():
    rng = np.random.default_rng(3)
    dgm = persistence(rng.random((25, 25)))
    for d in (0, 1):
        np.testing.assert_array_equal(betti_curve(dgm, dim=d, grid=[0.5]),
                                      betti_curve(dgm.to_pairs(d), grid=[0.5]))
        np.testing.assert_array_equal(
            persistence_image(dgm, dim=d, range=(0, 1, 0, 1)),
            persistence_image(dgm.to_pairs(d), range=(0, 1, 0, 1)))
    batch = persistence_landscape([dgm, dgm.select(1)], dim=1, resolution=9, range=(0, 1))
    assert batch.shape == (2, 5, 9)
    np.testing.assert_array_equal(batch[0], batch[1])
    stacked = diagram_histogram(np.stack([dgm.to_pairs(1)[:10]] * 3))    # (N, n, 2) array
    assert stacked.shape == (3, 2501)


def test_inputs_not_modified():
    points = np.array([[0.0, 1.0], [0.5, 0.7]])
    before = points.copy()
    persistence_image(points, weight=lambda b, l: l)
    betti_curve(points)
    persistence_landscape(points)
    diagram_histogram(points)
    np.testing.assert_array_equal(points, before)


@pytest.mark.parametrize("call, error, match", [
    (lambda: persistence_image([[0, 1]], bandwidth=0), ValueError, "bandwidth"),
    (lambda: persistence_image([[0, 1]], resolution=(2, 0)), ValueError, "resolution"),
    (lambda: persistence_image([[0, 1]], resolution=2.5), TypeError, "resolution"),
    (lambda: persistence_image([[0, 1]], weight="area"), ValueError, "weight"),
    (lambda: persistence_image([[0, 1]], range=(0, 1)), TypeError, "range"),
    (lambda: betti_curve([[0, 1]], grid=[2, 1]), ValueError, "increasing"),
    (lambda: betti_curve([[0, 1]], range=(1, 0)), ValueError, "low <= high"),
    (lambda: persistence_landscape([[0, 1]], k=0), ValueError, "k must be >= 1"),
    (lambda: diagram_histogram(np.zeros((3, 3))), ValueError, r"\(n, 2\)"),
    (lambda: diagram_histogram([[0, 1]], range=(0, 1)), TypeError, "range"),
    (lambda: betti_curve("abc"), TypeError, "diagrams"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
