"""Height functions (Oner et al.) and directional filtrations (TopologyLayer)."""

import itertools

import numpy as np
import pytest

from fasttopo import (directional_filtrations, height_function, localized_filtration,
                      persistence, random_height_function)


def slow_height(shape, kind, direction, center, scale):
    """g(p) pixel by pixel, straight from the formulas."""
    w = np.asarray(direction, dtype=float)
    w = w / np.linalg.norm(w)
    c = np.asarray(center, dtype=float)
    out = np.empty(shape)
    for p in itertools.product(*(range(s) for s in shape)):
        v = np.asarray(p, dtype=float) - c
        if kind == "linear":
            out[p] = scale * w @ v
        elif kind == "radial":
            out[p] = scale * (v @ v)          # a ||p - q||^2 (Oner et al.)
        else:
            out[p] = scale * v @ np.outer(w, w) @ v
    return out


@pytest.mark.parametrize("kind", ["linear", "radial", "quadratic"])
@pytest.mark.parametrize("shape", [(7,), (5, 6), (3, 4, 5), (1, 6)])
def test_height_function_matches_the_formulas(rng, kind, shape):
    direction = rng.standard_normal(len(shape))
    center = rng.uniform(-2, 8, len(shape))
    got = height_function(shape, kind, direction=direction, center=center, scale=0.3)
    np.testing.assert_allclose(got, slow_height(shape, kind, direction, center, 0.3),
                               atol=1e-12)
    assert got.dtype == np.float64 and got.shape == shape


def test_height_function_defaults():
    shape = (4, 5)
    expected = slow_height(shape, "linear", (0, 1), (1.5, 2), 1.0)
    np.testing.assert_allclose(height_function(shape), expected)
    np.testing.assert_allclose(height_function(shape, direction=(0, 7)), expected)
    assert height_function(9).shape == (9,)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(kind="cubic"), ValueError, "kind must be one of"),
    (dict(direction=(0, 0)), ValueError, "zero vector"),
    (dict(direction=(1, 0, 0)), ValueError, "one entry per axis"),
    (dict(center=(1, np.nan)), ValueError, "NaN"),
    (dict(scale=np.inf), ValueError, "finite"),
])
def test_height_function_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        height_function((3, 3), **kwargs)


def test_height_function_bad_shapes():
    with pytest.raises(ValueError, match="1 to 3 positive"):
        height_function((0, 3))
    with pytest.raises(ValueError, match="1 to 3 positive"):
        height_function((2, 2, 2, 2))
    with pytest.raises(TypeError, match="tuple of ints"):
        height_function((2.5, 3))


@pytest.mark.parametrize("kind", ["linear", "radial", "quadratic"])
def test_random_height_function_draws_direction_then_centre(kind):
    shape = (20, 30)
    g = random_height_function(shape, 7, kind, amplitude=0.25)
    assert np.ptp(g) == pytest.approx(0.25)
    draw = np.random.default_rng(7)
    w = draw.standard_normal(2)
    c = draw.uniform(0, 1, 2) * (np.asarray(shape) - 1)
    unit = slow_height(shape, kind, w, c, 1.0)
    np.testing.assert_allclose(g, unit * 0.25 / np.ptp(unit), atol=1e-12)
    np.testing.assert_array_equal(g, random_height_function(shape, 7, kind, amplitude=0.25))


def test_random_directions_and_centres_cover_the_image():
    rng = np.random.default_rng(3)
    angles, centres = [], []
    for _ in range(400):
        g = random_height_function((41, 41), rng, "radial")
        centres.append(np.unravel_index(np.argmin(g), g.shape))
        g = random_height_function((41, 41), rng, "linear")
        gy, gx = g[1, 0] - g[0, 0], g[0, 1] - g[0, 0]
        angles.append(np.arctan2(gy, gx))
    counts, _ = np.histogram(angles, bins=8, range=(-np.pi, np.pi))
    assert counts.min() > 25                      # roughly uniform directions
    centres = np.array(centres)
    assert centres.min() <= 3 and centres.max() >= 37
    assert random_height_function((1, 1), 0).tolist() == [[0.0]]
    with pytest.raises(ValueError, match="amplitude"):
        random_height_function((3, 3), 0, amplitude=-1)


def test_localized_filtration(rng):
    image = rng.integers(0, 3, size=(6, 7)).astype(np.uint8)
    g = height_function(image.shape, "radial", scale=0.01)
    before = image.copy()
    f = localized_filtration(image, g)
    np.testing.assert_array_equal(f, image + g)
    np.testing.assert_array_equal(image, before)
    flat = localized_filtration(np.zeros((9, 9)), height_function((9, 9), "radial"))
    assert persistence(flat).birth_coordinates()[0].tolist() == [4, 4]
    with pytest.raises(ValueError, match="shape of image"):
        localized_filtration(image, g[:, :5])
    with pytest.raises(ValueError, match="height contains NaN"):
        localized_filtration(image, np.full(image.shape, np.nan))


def test_directional_filtrations_corner_origin_is_x_y_and_x_plus_y_over_2(rng):
    """Paper 001's "x, y, (x+y)/2, ...": coordinates from a corner, in [0, 1]."""
    image = rng.random((9, 12))
    out = directional_filtrations(image)
    r, c = np.meshgrid(np.arange(9), np.arange(12), indexing="ij")
    x, y = c / 11, (8 - r) / 8
    heights = [x, (x + y) / 2, y, (1 - x + y) / 2, 1 - x, (2 - x - y) / 2, 1 - y, (1 + x - y) / 2]
    for k, g in enumerate(heights):
        f = image * g
        np.testing.assert_allclose(out[k], (f - f.min()) / (f.max() - f.min()), atol=1e-12)
    # a digit: the background (0) is the bottom of every corner sweep, not of the centred ones
    digit = np.zeros((8, 8))
    digit[2:6, 3:5] = 1.0
    corner = directional_filtrations(digit)
    center = directional_filtrations(digit, origin="center")
    assert all(f[digit == 0].max() == 0 for f in corner)
    assert all(0 < f[digit == 0].max() < 1 for f in center)
    with pytest.raises(ValueError, match="origin must be"):
        directional_filtrations(digit, origin="middle")


def test_directional_filtrations_match_the_definition(rng):
    image = rng.random((9, 12))
    out = directional_filtrations(image, origin="center")
    assert out.shape == (8, 9, 12)
    for k in range(8):
        theta = 2 * np.pi * k / 8
        expected = np.empty(image.shape)
        for r in range(9):
            for c in range(12):
                x = -1 + 2 * c / 11
                y = 1 - 2 * r / 8
                expected[r, c] = image[r, c] * (np.cos(theta) * x + np.sin(theta) * y)
        expected = (expected - expected.min()) / (expected.max() - expected.min())
        np.testing.assert_allclose(out[k], expected, atol=1e-12)
    assert out.min() == 0 and out.max() == 1


def test_directional_filtrations_options():
    assert directional_filtrations(np.zeros((4, 4)), 3).tolist() == np.zeros((3, 4, 4)).tolist()
    assert directional_filtrations(np.ones((1, 5)), 1)[0].tolist() == [[0, .25, .5, .75, 1]]
    with pytest.raises(ValueError, match="n_directions"):
        directional_filtrations(np.ones((3, 3)), 0)
    with pytest.raises(ValueError, match="2 dimensions"):
        directional_filtrations(np.ones(5))
