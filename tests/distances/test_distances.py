"""Bottleneck and Wasserstein distances against GUDHI, Hera, POT and brute-force references."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from fasttopo import (PersistenceDiagram, bottleneck_distance, pairwise_distances, persistence,
                      wasserstein_distance)
from fasttopo.distances import _matching

gudhi = pytest.importorskip("gudhi")
import gudhi.hera  # noqa: E402
import gudhi.wasserstein  # noqa: E402

INF = np.inf


# ------------------------------------------------------------------ references
def _full_cost_matrix(a, b, order, internal_p):
    """Dense (n+m) x (n+m) assignment matrix with every point and diagonal copy."""
    n, m = len(a), len(b)
    big = np.full((n + m, n + m), INF)
    if n and m:
        diff = np.abs(a[:, None, :] - b[None, :, :])
        ground = diff.max(-1) if np.isinf(internal_p) else \
            (diff ** internal_p).sum(-1) ** (1 / internal_p)
        big[:n, :m] = ground ** order
    scale = 0.5 if np.isinf(internal_p) else 2 ** (1 / internal_p - 1)
    for i in range(n):
        big[i, m + i] = (abs(a[i, 1] - a[i, 0]) * scale) ** order
    for j in range(m):
        big[n + j, j] = (abs(b[j, 1] - b[j, 0]) * scale) ** order
    big[n:, m:] = 0.0
    return big


def wasserstein_reference(a, b, order=1.0, internal_p=INF):
    """Finite diagrams only: dense assignment on the complete graph (no pruning)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    if len(a) + len(b) == 0:
        return 0.0
    cost = _full_cost_matrix(a, b, order, internal_p)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum() ** (1 / order))


def bottleneck_reference(a, b):
    """Finite diagrams only: smallest candidate t with a perfect matching of cost-<=t edges."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    if len(a) + len(b) == 0:
        return 0.0
    cost = _full_cost_matrix(a, b, 1.0, INF)
    for t in np.unique(cost[np.isfinite(cost)]):
        allowed = np.where(cost <= t, 0.0, 1.0)
        rows, cols = linear_sum_assignment(allowed)
        if allowed[rows, cols].sum() == 0:
            return float(t)
    raise AssertionError("unreachable")


def matching_value(a, b, pairs, kind, order=1.0, internal_p=INF):
    """Cost of a returned matching, checking that it is one (every point exactly once)."""
    a, b = np.asarray(a, float).reshape(-1, 2), np.asarray(b, float).reshape(-1, 2)
    assert pairs.dtype == np.int64 and pairs.ndim == 2 and pairs.shape[1] == 2
    xs = pairs[pairs[:, 0] >= 0, 0]
    ys = pairs[pairs[:, 1] >= 0, 1]
    assert sorted(xs.tolist()) == list(range(len(a)))
    assert sorted(ys.tolist()) == list(range(len(b)))
    assert not ((pairs[:, 0] < 0) & (pairs[:, 1] < 0)).any()
    scale = 0.5 if np.isinf(internal_p) else 2 ** (1 / internal_p - 1)
    costs = []
    for i, j in pairs:
        if i >= 0 and j >= 0:
            p, q = a[i], b[j]
            with np.errstate(invalid="ignore"):
                diff = np.abs(p - q)
            diff = np.where(np.isnan(diff), 0.0, diff)     # inf - inf of matched essentials
            costs.append(diff.max() if np.isinf(internal_p)
                         else (diff ** internal_p).sum() ** (1 / internal_p))
        elif i >= 0:
            costs.append(0.0 if a[i, 0] == a[i, 1] else abs(a[i, 1] - a[i, 0]) * scale)
        else:
            costs.append(0.0 if b[j, 0] == b[j, 1] else abs(b[j, 1] - b[j, 0]) * scale)
    costs = np.array(costs)
    if kind == "bottleneck":
        return float(costs.max(initial=0.0))
    return float((costs ** order).sum() ** (1 / order))


# ------------------------------------------------------------------ diagrams
def random_diagram(rng, n, kind):
    if kind == "exponential":
        birth = rng.random(n)
        return np.column_stack([birth, birth + rng.exponential(0.1, n)])
    if kind == "uniform":
        return np.sort(rng.random((n, 2)), axis=1)
    if kind == "ties":        # few levels: duplicate points, points on the diagonal
        return np.sort(rng.integers(0, 4, (n, 2)), axis=1).astype(float)
    raise ValueError(kind)


CASES = [(n, m, kind, seed) for seed, (n, m) in enumerate(
    [(0, 0), (0, 3), (4, 0), (1, 1), (1, 5), (7, 7), (12, 30), (40, 35)])
    for kind in ("exponential", "uniform", "ties")]


@pytest.mark.parametrize("n, m, kind, seed", CASES)
def test_bottleneck_equals_gudhi_hera_and_reference(n, m, kind, seed):
    rng = np.random.default_rng(seed)
    a, b = random_diagram(rng, n, kind), random_diagram(rng, m, kind)
    value, pairs = bottleneck_distance(a, b, matching=True)
    assert value == pytest.approx(gudhi.bottleneck_distance(a, b, e=0), abs=1e-12)
    off_a, off_b = a[a[:, 0] != a[:, 1]], b[b[:, 0] != b[:, 1]]   # hera: no diagonal points
    assert value == pytest.approx(gudhi.hera.bottleneck_distance(off_a, off_b, delta=0),
                                  abs=1e-12)
    assert value == pytest.approx(bottleneck_reference(a, b), abs=1e-12)
    assert matching_value(a, b, pairs, "bottleneck") == pytest.approx(value, abs=1e-12)
    assert bottleneck_distance(a, b) == value


@pytest.mark.parametrize("order, internal_p", [(1, INF), (2, 2), (1, 1), (3, INF), (1.5, 3)])
@pytest.mark.parametrize("n, m, kind, seed", CASES[::2])
def test_wasserstein_equals_pot_and_reference(n, m, kind, seed, order, internal_p):
    rng = np.random.default_rng(seed)
    a, b = random_diagram(rng, n, kind), random_diagram(rng, m, kind)
    value, pairs = wasserstein_distance(a, b, order=order, internal_p=internal_p, matching=True)
    pot = gudhi.wasserstein.wasserstein_distance(a, b, order=order, internal_p=internal_p)
    assert value == pytest.approx(pot, rel=1e-9, abs=1e-12)
    assert value == pytest.approx(wasserstein_reference(a, b, order, internal_p),
                                  rel=1e-9, abs=1e-12)
    assert matching_value(a, b, pairs, "wasserstein", order, internal_p) == \
        pytest.approx(value, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("path", ["sparse", "transport"])
@pytest.mark.parametrize("kind", ["exponential", "uniform", "ties"])
def test_both_wasserstein_solvers_are_optimal(monkeypatch, path, kind):
    """Force LAPJVsp (sparse) or POT's transport on the same inputs."""
    pytest.importorskip("ot")
    fraction = INF if path == "sparse" else 0.0
    monkeypatch.setattr(_matching, "_DENSE_NEAR_FRACTION", fraction)
    monkeypatch.setattr(_matching, "_DENSE_FRACTION", fraction)
    monkeypatch.setattr(_matching, "_DENSE_MIN_PAIRS", 0)
    rng = np.random.default_rng(7)
    for _ in range(4):
        a, b = random_diagram(rng, 60, kind), random_diagram(rng, 45, kind)
        for order in (1, 2):
            value, pairs = wasserstein_distance(a, b, order=order, matching=True)
            assert value == pytest.approx(wasserstein_reference(a, b, order), rel=1e-9)
            assert matching_value(a, b, pairs, "wasserstein", order) == \
                pytest.approx(value, rel=1e-12)


def test_scale_equivariance_at_tiny_and_huge_scales():
    """Regression: SciPy's LAPJVsp start could cycle on weights of mixed magnitudes.

    POT's tolerances are absolute, so only our scale-free answer is checked.
    """
    rng = np.random.default_rng(3)
    for trial in range(10):
        a = np.round(random_diagram(rng, 25, "exponential") * 5) / 5
        b = np.round(random_diagram(rng, 18, "exponential") * 5) / 5
        base = wasserstein_distance(a, b, order=3)
        for scale in (1e-9, 1e-3, 1e6):
            assert wasserstein_distance(a * scale, b * scale, order=3) == \
                pytest.approx(base * scale, rel=1e-9)
        assert bottleneck_distance(a * 1e-9, b * 1e-9) == \
            pytest.approx(bottleneck_distance(a, b) * 1e-9, rel=1e-12)


# ------------------------------------------------------------------ essential parts
ESSENTIAL = [
    ([[0, INF], [1, 2]], [[0.5, INF]]),
    ([[0, INF], [1, INF], [0, 3]], [[0.5, INF], [3, INF]]),
    ([[-INF, 1]], [[-INF, 3], [0, 0.5]]),
    ([[-INF, INF], [0, 1]], [[-INF, INF]]),
    ([[INF, INF], [0, 1]], [[0, 1.5], [-INF, -INF]]),
    ([[0, INF]], []),
    ([[0, INF]], [[0, 1]]),
]


@pytest.mark.parametrize("a, b", ESSENTIAL)
def test_essential_points_as_gudhi(a, b):
    a, b = np.array(a, float).reshape(-1, 2), np.array(b, float).reshape(-1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # POT warns on infinite distances
        pot = gudhi.wasserstein.wasserstein_distance(a, b, order=1)
    assert bottleneck_distance(a, b) == pytest.approx(gudhi.bottleneck_distance(a, b, e=0))
    assert wasserstein_distance(a, b) == pytest.approx(pot)
    value, pairs = wasserstein_distance(a, b, matching=True)
    if np.isinf(value):
        assert pairs is None
    else:
        assert matching_value(a, b, pairs, "wasserstein") == pytest.approx(value)


def test_superlevel_essential_classes_are_matched_by_direction():
    """(x, -inf) only matches (y, -inf); negating both diagrams preserves distances."""
    a = np.array([[0, INF], [1, -INF], [3, 2.0]])
    b = np.array([[0, -INF], [2, INF], [5, 1.0]])
    assert wasserstein_distance(a, b) == pytest.approx(wasserstein_distance(-a, -b))
    assert wasserstein_distance(a, b) == pytest.approx(2 + 1 + 2.0)   # (3, 2) <-> (5, 1)
    assert bottleneck_distance(a, b) == pytest.approx(2.0)
    assert bottleneck_distance(a, b[:2]) == pytest.approx(2.0)
    assert np.isinf(bottleneck_distance(a, b[1:]))


# ------------------------------------------------------------------ PersistenceDiagram
def test_diagrams_are_compared_dimension_by_dimension():
    rng = np.random.default_rng(0)
    x, y = persistence(rng.random((25, 25))), persistence(rng.random((25, 25)))
    per_dim = [bottleneck_distance(x, y, dim=d) for d in (0, 1)]
    for d in (0, 1):
        assert per_dim[d] == pytest.approx(
            gudhi.bottleneck_distance(x.to_pairs(d), y.to_pairs(d), e=0))
    assert bottleneck_distance(x, y) == max(per_dim)
    w = [wasserstein_distance(x, y, dim=d, order=2) for d in (0, 1)]
    assert wasserstein_distance(x, y, order=2) == pytest.approx(np.hypot(*w))
    value, pairs = wasserstein_distance(x, y, order=2, matching=True)
    both = (pairs[:, 0] >= 0) & (pairs[:, 1] >= 0)
    assert (x.dim[pairs[both, 0]] == y.dim[pairs[both, 1]]).all()    # never across dims
    assert bottleneck_distance(x, y.to_pairs(1), dim=1) == per_dim[1]
    with pytest.raises(ValueError, match="dim="):
        bottleneck_distance(x, y.to_pairs(1))


def test_superlevel_diagrams():
    rng = np.random.default_rng(1)
    image = rng.random((20, 20))
    up, down = persistence(image, superlevel=True), persistence(-image)
    assert bottleneck_distance(up, persistence(image[::-1], superlevel=True)) == 0.0
    assert wasserstein_distance(up, up) == 0.0
    # negating the image negates the diagram: (b, d) -> (-b, -d)
    other = rng.random((20, 20))
    assert wasserstein_distance(up, persistence(other, superlevel=True)) == pytest.approx(
        wasserstein_distance(down, persistence(-other)))


# ------------------------------------------------------------------ inputs
def test_inputs_are_not_modified_and_lists_work():
    a = np.array([[0.0, 1.0], [0.5, 3.0]])
    b = np.array([[0.2, 1.1]])
    a0, b0 = a.copy(), b.copy()
    wasserstein_distance(a, b, matching=True)
    bottleneck_distance(a, b, matching=True)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)
    assert bottleneck_distance(a.tolist(), b.tolist()) == bottleneck_distance(a, b)
    assert bottleneck_distance([], []) == 0.0
    value, pairs = bottleneck_distance([], [], matching=True)
    assert value == 0.0 and pairs.shape == (0, 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: bottleneck_distance(np.zeros((3, 4)), []), ValueError, r"got shape \(3, 4\)"),
    (lambda: bottleneck_distance([[0, np.nan]], []), ValueError, "NaN in row 0"),
    (lambda: bottleneck_distance("abc", []), TypeError, "PersistenceDiagram"),
    (lambda: bottleneck_distance([], [], dim=0.5), TypeError, "dim must be an int"),
    (lambda: bottleneck_distance([], [], matching=1), TypeError, "matching"),
    (lambda: wasserstein_distance([], [], order=0.5), ValueError, "order must be between 1 and 64"),
    (lambda: wasserstein_distance([], [], order=INF), ValueError, "bottleneck_distance"),
    (lambda: wasserstein_distance([], [], internal_p=0), ValueError, "internal_p"),
    (lambda: wasserstein_distance([], [], order="2"), TypeError, "order"),
    (lambda: pairwise_distances([[]], metric="cosine"), ValueError, "metric"),
    (lambda: pairwise_distances([[]], order=2), ValueError, "takes no parameter"),
    (lambda: pairwise_distances([[]], n_jobs=0), ValueError, "n_jobs"),
    (lambda: pairwise_distances(np.zeros((2, 2))[0, 0]), TypeError, "sequence"),
    (lambda: pairwise_distances([[]], Y=3), TypeError, "Y must be a sequence"),
    (lambda: pairwise_distances([[]], Y=[[[0, np.nan]]]), ValueError, r"Y\[0\] contains NaN"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_pairwise_distances():
    rng = np.random.default_rng(5)
    dgms = [random_diagram(rng, n, "exponential") for n in (0, 5, 12, 9)]
    dgms.append(persistence(rng.random((10, 10))))
    dgms[-1] = dgms[-1].to_pairs(0)
    for metric, params, fn in (("bottleneck", {}, bottleneck_distance),
                               ("wasserstein", {"order": 2}, wasserstein_distance)):
        matrix = pairwise_distances(dgms, metric, **params)
        assert matrix.shape == (5, 5) and np.array_equal(matrix, matrix.T)
        assert (np.diag(matrix) == 0).all()
        for i in range(5):
            for j in range(i + 1, 5):
                assert matrix[i, j] == fn(dgms[i], dgms[j], **params)


def test_pairwise_distances_in_processes_equal_serial():
    rng = np.random.default_rng(6)
    dgms = [random_diagram(rng, 8, "uniform") for _ in range(12)]  # 66 pairs: processes
    assert np.array_equal(pairwise_distances(dgms, n_jobs=2), pairwise_distances(dgms, n_jobs=1))
    # between two collections: 8 x 9 = 72 pairs, also in threads
    assert np.array_equal(pairwise_distances(dgms[:8], Y=dgms[3:], n_jobs=2),
                          pairwise_distances(dgms[:8], Y=dgms[3:], n_jobs=1))


def test_pairwise_distances_between_two_collections():
    rng = np.random.default_rng(7)
    X = [random_diagram(rng, n, "exponential") for n in (0, 5, 12)]
    Y = [random_diagram(rng, n, "exponential") for n in (3, 0, 7, 9)]
    for metric, params, fn in (("bottleneck", {}, bottleneck_distance),
                               ("wasserstein", {"order": 2}, wasserstein_distance)):
        matrix = pairwise_distances(X, metric, Y=Y, n_jobs=1, **params)
        assert matrix.shape == (3, 4)
        assert matrix.tolist() == [[fn(x, y, **params) for y in Y] for x in X]
    assert pairwise_distances(X, Y=[]).shape == (3, 0)
    assert pairwise_distances([], Y=Y).shape == (0, 4)
    # dimensions of PersistenceDiagrams are matched separately, dim= selects one
    images = rng.random((3, 9, 9))
    A, B = [persistence(a) for a in images[:2]], [persistence(images[2])]
    assert pairwise_distances(A, Y=B, dim=1)[:, 0].tolist() == \
        [bottleneck_distance(a, B[0], dim=1) for a in A]


def test_matching_indices_refer_to_the_diagram_pairs():
    rng = np.random.default_rng(2)
    x, y = persistence(rng.random((15, 15))), persistence(rng.random((15, 15)))
    value, pairs = bottleneck_distance(x, y, dim=1, matching=True)
    sel_x, sel_y = np.flatnonzero(x.dim == 1), np.flatnonzero(y.dim == 1)
    assert sorted(pairs[pairs[:, 0] >= 0, 0].tolist()) == sel_x.tolist()
    assert sorted(pairs[pairs[:, 1] >= 0, 1].tolist()) == sel_y.tolist()
    assert isinstance(x, PersistenceDiagram)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_large_random_sweep(seed):
    rng = np.random.default_rng(100 + seed)
    kind = ("exponential", "uniform", "ties")[seed % 3]
    a, b = random_diagram(rng, 300, kind), random_diagram(rng, 280, kind)
    assert bottleneck_distance(a, b) == pytest.approx(gudhi.bottleneck_distance(a, b, e=0),
                                                      abs=1e-12)
    for order in (1, 2):
        value, pairs = wasserstein_distance(a, b, order=order, matching=True)
        assert value == pytest.approx(
            gudhi.wasserstein.wasserstein_distance(a, b, order=order), rel=1e-9)
        assert matching_value(a, b, pairs, "wasserstein", order) == pytest.approx(value)


def test_extreme_magnitudes():
    """Coordinates near the float limits neither overflow nor stall the search."""
    a = np.array([[0.0, 1e300], [1.0, 2.0], [-1e300, 1e-300]])
    b = np.array([[0.0, 1.1e300], [1.0, 1.5]])
    assert bottleneck_distance(a, b) == pytest.approx(
        bottleneck_distance(a / 1e300, b / 1e300) * 1e300, rel=1e-12)
    assert wasserstein_distance(a, b, order=2) == pytest.approx(
        wasserstein_distance(a / 1e300, b / 1e300, order=2) * 1e300, rel=1e-12)
    tiny = np.array([[0.0, 1e-300], [0.0, 1.0]])
    assert bottleneck_distance(tiny, tiny[1:]) == pytest.approx(5e-301)
    assert wasserstein_distance(tiny * 1e-10, tiny[:1] * 1e-10, order=3) == pytest.approx(5e-11)

_levels = st.integers(0, 5).map(float)
_point = st.tuples(_levels, _levels).map(sorted)
_diagram = st.lists(_point, max_size=12).map(lambda p: np.array(p, dtype=float).reshape(-1, 2))


@given(_diagram, _diagram, st.sampled_from([(1.0, INF), (2.0, 2.0), (1.0, 1.0)]))
def test_hypothesis_few_levels_against_references(a, b, params):
    """Few grey levels: many ties, duplicates and points on the diagonal."""
    order, internal_p = params
    value, pairs = bottleneck_distance(a, b, matching=True)
    assert value == pytest.approx(bottleneck_reference(a, b), abs=1e-12)
    assert matching_value(a, b, pairs, "bottleneck") == pytest.approx(value, abs=1e-12)
    value, pairs = wasserstein_distance(a, b, order=order, internal_p=internal_p, matching=True)
    assert value == pytest.approx(wasserstein_reference(a, b, order, internal_p), rel=1e-9,
                                  abs=1e-12)
    assert matching_value(a, b, pairs, "wasserstein", order, internal_p) == \
        pytest.approx(value, rel=1e-12, abs=1e-12)
