"""Losses of fasttopo.nn against NumPy / GUDHI references, gradcheck in float64."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fasttopo  # noqa: E402
import fasttopo.nn as tnn  # noqa: E402
from fasttopo.nn.localized_loss import _windows  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402


def distinct(rng, shape, scale=1.0):
    n = int(np.prod(shape))
    values = (rng.permutation(n) + rng.uniform(-0.25, 0.25, n)) * scale
    return torch.tensor(values.reshape(shape), dtype=torch.float64)


def numpy_diagrams(x, **options):
    images = x.detach().numpy().reshape((-1,) + tuple(x.shape[-2:]))
    return [fasttopo.persistence(im, **options) for im in images]


def ref_total(dgm, p, q, skip, dims):
    total = 0.0
    for d in dims:
        sel = dgm.select(d).finite()
        life = np.sort(sel.lifetime)[::-1][skip:]
        mid = ((sel.birth + sel.death) / 2)[np.argsort(-sel.lifetime, kind="stable")][skip:]
        total += float(np.sum(life ** p * mid ** q))
    return total


@pytest.mark.parametrize("p,q,skip", [(1, 0, 0), (2, 0, 1), (0.5, 1, 2), (1, 2, 0), (0, 1, 1)])
@pytest.mark.parametrize("superlevel", [False, True])
def test_total_persistence_reference(rng, p, q, skip, superlevel):
    x = distinct(rng, (3, 2, 9, 8)) / 10
    dgms = tnn.persistence(x, superlevel=superlevel)
    numpy = numpy_diagrams(x, superlevel=superlevel)
    for dims in ((0,), (1,), (0, 1)):
        got = tnn.total_persistence(dgms, p=p, q=q, skip=skip, dim=dims, reduction="none")
        assert got.shape == (3, 2)
        expected = [ref_total(d, p, q, skip, dims) for d in numpy]
        np.testing.assert_allclose(got.reshape(-1).numpy(), expected, rtol=1e-12)
        total = tnn.total_persistence(dgms, p=p, q=q, skip=skip, dim=dims, reduction="sum")
        mean = tnn.total_persistence(dgms, p=p, q=q, skip=skip, dim=dims)
        np.testing.assert_allclose([total.item(), mean.item()],
                                   [sum(expected), np.mean(expected)], rtol=1e-12)


@pytest.mark.parametrize("p,q,skip", [(1, 0, 0), (2, 1, 1), (1.5, 0, 2)])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_total_persistence_gradcheck(rng, p, q, skip, reduction):
    x = distinct(rng, (2, 1, 6, 5), scale=0.1).add(1.0).requires_grad_(True)
    for superlevel in (False, True):
        assert torch.autograd.gradcheck(
            lambda t: tnn.total_persistence(tnn.persistence(t, superlevel=superlevel), p=p,
                                            q=q, skip=skip, dim=(0, 1), reduction=reduction),
            (x,))


def test_topk_lifetimes(rng):
    x = distinct(rng, (2, 3, 7, 6))
    dgms = tnn.persistence(x)
    got = tnn.topk_lifetimes(dgms, k=5, dim=(0, 1))
    assert got.shape == (2, 3, 5)
    for i, dgm in enumerate(numpy_diagrams(x)):
        life = np.sort(dgm.finite().lifetime)[::-1][:5]
        expected = np.zeros(5)
        expected[:life.size] = life
        np.testing.assert_array_equal(got.reshape(6, 5)[i].numpy(), expected)
    xg = distinct(rng, (2, 5, 5)).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda t: tnn.topk_lifetimes(tnn.persistence(t, spatial_dims=2), k=30), (xg,))
    module = tnn.TopKLifetimes(k=3, dim=1)
    assert torch.equal(module(dgms), tnn.topk_lifetimes(dgms, 3, dim=1))


@pytest.mark.parametrize("order,internal_p", [(2, 2), (1, 1), (1, 2), (2, np.inf), (3, 1.5)])
def test_wasserstein_equals_gudhi(rng, order, internal_p):
    from gudhi.wasserstein import wasserstein_distance
    a = torch.tensor(rng.integers(0, 9, size=(3, 1, 10, 9)), dtype=torch.float64)
    b = torch.tensor(rng.random((3, 1, 10, 9)) * 8)
    pred, target = tnn.persistence(a), tnn.persistence(b)
    got = tnn.wasserstein_loss(pred, target, order=order, internal_p=internal_p,
                               reduction="none")
    assert got.shape == (3, 1)
    for i, (da, db) in enumerate(zip(numpy_diagrams(a), numpy_diagrams(b))):
        expected = sum(wasserstein_distance(da.finite().to_pairs(d), db.finite().to_pairs(d),
                                            order=order, internal_p=internal_p) ** order
                       for d in (0, 1))
        np.testing.assert_allclose(got.reshape(-1)[i].item(), expected, rtol=1e-9)
    one = tnn.wasserstein_loss(pred, target, order=order, internal_p=internal_p, dim=1,
                               reduction="sum")
    expected = sum(wasserstein_distance(da.finite().to_pairs(1), db.finite().to_pairs(1),
                                        order=order, internal_p=internal_p) ** order
                   for da, db in zip(numpy_diagrams(a), numpy_diagrams(b)))
    np.testing.assert_allclose(one.item(), expected, rtol=1e-9)


def test_wasserstein_gradcheck_and_zero(rng):
    x = distinct(rng, (2, 1, 5, 5), scale=0.1).requires_grad_(True)
    y = distinct(rng, (2, 1, 5, 5), scale=0.1).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda s, t: tnn.wasserstein_loss(tnn.persistence(s), tnn.persistence(t),
                                          reduction="none"), (x, y))
    assert torch.autograd.gradcheck(
        lambda s: tnn.wasserstein_loss(tnn.persistence(s), tnn.persistence(y.detach()),
                                       order=1, internal_p=1), (x,))
    same = tnn.wasserstein_loss(tnn.persistence(x), tnn.persistence(x.detach()))
    assert same.item() == 0.0
    same.backward()
    assert (x.grad == 0).all()


def test_wasserstein_against_numpy_target_and_empty(rng):
    x = distinct(rng, (6, 6)).requires_grad_(True)
    target = tnn.Diagrams.from_numpy(fasttopo.persistence(np.zeros((6, 6))))  # no finite point
    loss = tnn.wasserstein_loss(tnn.persistence(x), target)
    finite = fasttopo.persistence(x.detach().numpy()).finite()
    np.testing.assert_allclose(loss.item(), np.sum(finite.lifetime ** 2 / 2), rtol=1e-12)
    with pytest.raises(ValueError, match="same number of diagrams"):
        tnn.wasserstein_loss(tnn.persistence(torch.rand(2, 1, 4, 4)), target)
    with pytest.raises(ValueError, match="both be sublevel"):
        tnn.wasserstein_loss(tnn.persistence(x, superlevel=True), target)
    with pytest.raises(TypeError, match="target must be a fasttopo.nn.Diagrams"):
        tnn.wasserstein_loss(tnn.persistence(x), x)
    with pytest.raises(ValueError, match="order and internal_p must be >= 1"):
        tnn.wasserstein_loss(target, target, order=0.5)


def ref_lifetime_sorted(da, db, dims):
    total = 0.0
    for d in dims:
        a, b = da.select(d).finite(), db.select(d).finite()
        ia = np.argsort(-a.lifetime, kind="stable")
        ib = np.argsort(-b.lifetime, kind="stable")
        k = min(ia.size, ib.size)
        for i, j in zip(ia[:k], ib[:k]):
            total += (a.birth[i] - b.birth[j]) ** 2 + (a.death[i] - b.death[j]) ** 2
        for i in ia[k:]:
            total += a.lifetime[i] ** 2 / 2
        for j in ib[k:]:
            total += b.lifetime[j] ** 2 / 2
    return total


def test_lifetime_sorted_reference_and_gradcheck(rng):
    a = distinct(rng, (4, 1, 8, 7), scale=0.1)
    b = torch.tensor(rng.integers(0, 5, size=(4, 1, 8, 7)), dtype=torch.float64)
    for superlevel in (False, True):
        pa, pb = tnn.persistence(a, superlevel=superlevel), tnn.persistence(b, superlevel=superlevel)
        for dims in ((0,), (1,), (0, 1)):
            got = tnn.lifetime_sorted_loss(pa, pb, dim=dims, reduction="none").reshape(-1)
            expected = [ref_lifetime_sorted(da, db, dims) for da, db in
                        zip(numpy_diagrams(a, superlevel=superlevel),
                            numpy_diagrams(b, superlevel=superlevel))]
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    x = distinct(rng, (2, 1, 5, 6), scale=0.1).requires_grad_(True)
    target = tnn.persistence(b[:2, :, :5, :6])
    assert torch.autograd.gradcheck(
        lambda t: tnn.lifetime_sorted_loss(tnn.persistence(t), target, reduction="none"), (x,))
    module = tnn.LifetimeSortedLoss(dim=0, reduction="sum")
    assert torch.equal(module(pa, pb), tnn.lifetime_sorted_loss(pa, pb, dim=0, reduction="sum"))


def test_windows_cover_the_image():
    for size, window in ((64, 64), (100, 64), (10, 64), (33, 8), (7, 1)):
        (w, starts), = _windows((size,), window)
        covered = np.zeros(size, bool)
        for s in starts:
            covered[s:s + w] = True
        assert covered.all() and w == min(size, window) and starts[-1] + w == size


def paper_cost_c(da, db, unmatched="distance"):
    """C of Oner et al. transcribed: optimal matching by a dense Hungarian on the doubled matrix.

    Matched: (b - b')**2 + (d - d')**2; unmatched: distance to the diagonal
    |d - b| / sqrt(2) (or its square).
    """
    n, m = len(da), len(db)
    diag = (lambda x: np.abs(x[:, 1] - x[:, 0]) / np.sqrt(2)) if unmatched == "distance" \
        else (lambda x: (x[:, 1] - x[:, 0]) ** 2 / 2)
    big = 1e18
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = ((da[:, None, :] - db[None, :, :]) ** 2).sum(-1)
    cost[:n, m:] = big
    cost[n:, :m] = big
    cost[np.arange(n), m + np.arange(n)] = diag(da)
    cost[n + np.arange(m), np.arange(m)] = diag(db)
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].sum()


@pytest.mark.parametrize("unmatched", ["distance", "squared"])
def test_localized_loss_is_alpha_times_the_papers_c(rng, unmatched):
    pred = distinct(rng, (2, 1, 12, 10), scale=0.01)
    target = torch.tensor(rng.integers(0, 2, size=(2, 1, 12, 10)), dtype=torch.float64)
    loss = tnn.localized_loss(pred, target, window=6, kind="radial", dim=(0, 1), alpha=0.3,
                              amplitude=0.4, unmatched=unmatched, rng=7, reduction="none")
    # the same by hand: windows (0, 6) x (0, 4, 6->4 flush), one radial function
    # s * ||p - c||**2 spanning 0.4, drawn as fasttopo.random_height_function draws it
    draw = np.random.default_rng(7)
    draw.standard_normal(2)                                    # the direction (unused)
    c = draw.uniform(0, 1, 2) * 5
    rr, cc = np.meshgrid(np.arange(6.0), np.arange(6.0), indexing="ij")
    g = (rr - c[0]) ** 2 + (cc - c[1]) ** 2
    g = 0.4 * g / np.ptp(g)
    expected = np.zeros(2)
    for i in range(2):
        for r in (0, 6):
            for col in (0, 4):
                wa = pred[i, 0, r:r + 6, col:col + 6].numpy() + g
                wb = target[i, 0, r:r + 6, col:col + 6].numpy() + g
                da, db = fasttopo.persistence(wa).finite(), fasttopo.persistence(wb).finite()
                expected[i] += sum(paper_cost_c(da.to_pairs(d), db.to_pairs(d), unmatched)
                                   for d in (0, 1))
    np.testing.assert_allclose(loss.reshape(-1).numpy(), 0.3 * expected, rtol=1e-9)
    if unmatched == "squared":        # then C is the squared 2-Wasserstein distance
        from gudhi.wasserstein import wasserstein_distance
        wa = pred[0, 0, :6, :6].numpy() + g
        wb = target[0, 0, :6, :6].numpy() + g
        da, db = fasttopo.persistence(wa).finite(), fasttopo.persistence(wb).finite()
        one = tnn.localized_loss(pred[:1, :, :6, :6], target[:1, :, :6, :6], window=6,
                                 kind="radial", dim=(0, 1), alpha=1.0, amplitude=0.4,
                                 unmatched="squared", rng=7)
        ref = sum(wasserstein_distance(da.to_pairs(d), db.to_pairs(d), order=2,
                                       internal_p=2) ** 2 for d in (0, 1))
        np.testing.assert_allclose(one.item(), ref, rtol=1e-9)


@pytest.mark.parametrize("kind", ["linear", "radial", "quadratic"])
def test_localized_loss_alpha_is_the_weight(rng, kind):
    pred = torch.rand(2, 1, 16, 16, dtype=torch.float64,
                      generator=torch.Generator().manual_seed(1))
    target = (torch.rand(2, 1, 16, 16, dtype=torch.float64,
                         generator=torch.Generator().manual_seed(2)) > 0.5).double()
    one = tnn.localized_loss(pred, target, window=8, kind=kind, alpha=1.0, rng=3)
    for a in (0.01, 0.5, 2.0):
        scaled = tnn.localized_loss(pred, target, window=8, kind=kind, alpha=a, rng=3)
        np.testing.assert_allclose(scaled.item(), a * one.item(), rtol=1e-12)
    # the height function's amplitude is separate: it changes the filtration, not the weight
    other = tnn.localized_loss(pred, target, window=8, kind=kind, alpha=1.0, amplitude=0.05,
                               rng=3)
    assert other.item() != one.item()


def test_localized_loss_height_is_fasttopos(rng):
    """The window filtration is target + random_height_function (same draw)."""
    target = torch.tensor(rng.integers(0, 2, size=(1, 1, 8, 8)), dtype=torch.float64)
    g = fasttopo.random_height_function((8, 8), 4, "quadratic", amplitude=0.5)
    # pred = target + g - g: zero loss only if the loss adds exactly g to both maps
    assert tnn.localized_loss(target, target, window=8, kind="quadratic", rng=4).item() == 0
    shifted = fasttopo.persistence(target[0, 0].numpy() + g).finite().to_pairs(1)
    expected = float(np.sum(np.abs(shifted[:, 1] - shifted[:, 0])) / np.sqrt(2))
    zero = torch.zeros_like(target)
    got = tnn.localized_loss(zero, target, window=8, kind="quadratic", amplitude=0.5, rng=4,
                             dim=1, alpha=1.0)
    # zero + g has no loop: every loop of target + g is unmatched, at its distance to the diagonal
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)


def test_localized_loss_gradcheck_and_rng(rng):
    pred = distinct(rng, (1, 1, 8, 8), scale=0.01).requires_grad_(True)
    target = torch.tensor(rng.integers(0, 2, size=(1, 1, 8, 8)), dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda t: tnn.localized_loss(t, target, window=4, kind="quadratic", rng=1), (pred,))
    a = tnn.localized_loss(pred, target, window=4, rng=5)
    assert a.item() == tnn.localized_loss(pred, target, window=4, rng=5).item()
    module = tnn.LocalizedLoss(window=4, rng=5)
    assert module(pred, target).item() == a.item()
    assert "window=4" in repr(module)
    with pytest.raises(ValueError, match="same shape"):
        tnn.localized_loss(pred, target[..., :4])
    with pytest.raises(ValueError, match="window must be >= 1"):
        tnn.localized_loss(pred, target, window=0)
    with pytest.raises(ValueError, match="kind must be"):
        tnn.localized_loss(pred, target, kind="spiral")
    with pytest.raises(ValueError, match="unmatched must be"):
        tnn.localized_loss(pred, target, unmatched="cube")
    with pytest.raises(ValueError, match="amplitude must be >= 0"):
        tnn.localized_loss(pred, target, amplitude=-1.0)


def test_bad_loss_arguments(rng):
    dgms = tnn.persistence(torch.rand(2, 1, 4, 4))
    with pytest.raises(TypeError, match="diagrams must be a fasttopo.nn.Diagrams"):
        tnn.total_persistence(torch.zeros(3))
    with pytest.raises(ValueError, match="p must be >= 0"):
        tnn.total_persistence(dgms, p=-1)
    with pytest.raises(ValueError, match="skip must be >= 0"):
        tnn.total_persistence(dgms, skip=-1)
    with pytest.raises(TypeError, match="skip must be an int"):
        tnn.total_persistence(dgms, skip=1.5)
    with pytest.raises(ValueError, match="reduction must be"):
        tnn.total_persistence(dgms, reduction="max")
    with pytest.raises(TypeError, match="dim must be an int"):
        tnn.total_persistence(dgms, dim="0")
    with pytest.raises(ValueError, match="dim must be >= 0"):
        tnn.total_persistence(dgms, dim=-1)
    with pytest.raises(TypeError, match="k must be an int"):
        tnn.topk_lifetimes(dgms, k=None)


def test_loss_modules(rng):
    x = torch.tensor(rng.random((2, 1, 6, 6)))
    dgms = tnn.persistence(x)
    assert torch.equal(tnn.TotalPersistence(p=2, skip=1, dim=(0, 1))(dgms),
                       tnn.total_persistence(dgms, p=2, skip=1, dim=(0, 1)))
    w = tnn.WassersteinLoss(order=1, internal_p=np.inf, dim=0)
    assert torch.equal(w(dgms, dgms.detach()), tnn.wasserstein_loss(
        dgms, dgms, order=1, internal_p=np.inf, dim=0))
    assert "order=1" in repr(w)


def ref_features(dgm, ps, qs, i0, dims):
    """E(p, q, i0) transcribed: all bars by decreasing lifetime (inf first), i >= i0, finite."""
    out = np.zeros((len(dims), len(ps), len(qs)))
    for a, k in enumerate(dims):
        sel = dgm.select(k)
        life = np.abs(sel.death - sel.birth)
        order = np.argsort(-life, kind="stable")             # essential classes first
        bars = [(sel.birth[i], sel.death[i]) for i in order][i0 - 1:]
        for b, d in bars:
            if np.isinf(d):
                continue
            for j, p in enumerate(ps):
                for m, q in enumerate(qs):
                    out[a, j, m] += abs(d - b) ** p * ((d + b) / 2) ** q
    return out


@pytest.mark.parametrize("i0", [1, 2, 3])
@pytest.mark.parametrize("superlevel", [False, True])
def test_persistence_features_grid(rng, i0, superlevel):
    x = distinct(rng, (3, 1, 9, 8)) / 10
    dgms = tnn.persistence(x, superlevel=superlevel)
    got = tnn.persistence_features(dgms, p=(0, 1, 2.5), q=(0, 1, 2), i0=i0, dim=(0, 1))
    assert got.shape == (3, 1, 2, 3, 3)
    got = got[:, 0]
    for i, d in enumerate(numpy_diagrams(x, superlevel=superlevel)):
        np.testing.assert_allclose(got[i].numpy(), ref_features(d, (0, 1, 2.5), (0, 1, 2), i0,
                                                                (0, 1)), rtol=1e-12)
    # i0 = 2 on PD0 (one essential class) is total_persistence's skip = 0; on PD1, skip = 1
    e = tnn.persistence_features(dgms, p=1, q=0, i0=2, dim=(0, 1))[..., 0, 0]
    np.testing.assert_allclose(e[..., 0].numpy(), tnn.total_persistence(
        dgms, skip=0, dim=0, reduction="none").numpy(), rtol=1e-12)
    np.testing.assert_allclose(e[..., 1].numpy(), tnn.total_persistence(
        dgms, skip=1, dim=1, reduction="none").numpy(), rtol=1e-12)


def test_persistence_features_gradcheck_and_errors(rng):
    x = distinct(rng, (2, 1, 5, 5), scale=0.1).add(1.0).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda t: tnn.persistence_features(tnn.persistence(t), p=(0, 1, 2), q=(0, 1), i0=2),
        (x,))
    dgms = tnn.persistence(x.detach())
    with pytest.raises(ValueError, match="i0 must be >= 1"):
        tnn.persistence_features(dgms, i0=0)
    with pytest.raises(ValueError, match="p must be >= 0"):
        tnn.persistence_features(dgms, p=(-1, 1))
    with pytest.raises(TypeError, match="i0 must be an int"):
        tnn.persistence_features(dgms, i0=1.5)
