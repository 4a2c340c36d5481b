"""The Betti matching loss: its value from fasttopo.betti_matching, gradcheck in float64."""

import numpy as np
import pytest
import scipy.ndimage as ndi

torch = pytest.importorskip("torch")

from fasttopo import betti_matching  # noqa: E402
from fasttopo.nn import BettiMatchingLoss, betti_matching_loss  # noqa: E402


def batch(rng, shape, dtype=torch.float64):
    """Smooth likelihoods and binary targets of a (B, C, ...) shape."""
    p = ndi.gaussian_filter(rng.random(shape), [0, 0] + [1.0] * (len(shape) - 2))
    g = rng.random(shape) > 0.5
    return torch.tensor(p, dtype=dtype), torch.tensor(g, dtype=dtype)


def expected(p, g, dims=None, include=True, **options):
    """The loss of one image from the NumPy matching."""
    m = betti_matching(p, g, **options)
    keep = [lambda d: np.isin(d.dim, dims) if dims is not None else np.ones(len(d), bool)]
    sel = [d[keep[0](d)] for d in (m.prediction_matched, m.target_matched,
                                   m.prediction_unmatched, m.target_unmatched)]
    pm, tm, pu, tu = sel
    finite = ~pm.is_essential
    total = 2 * np.sum((pm.birth - tm.birth) ** 2)
    total += 2 * np.sum((pm.death[finite] - tm.death[finite]) ** 2)
    total += np.sum((pu.birth - pu.death) ** 2)
    if include:
        total += np.sum((tu.birth - tu.death) ** 2)
    return total


@pytest.mark.parametrize("shape,connectivity,superlevel", [
    ((2, 3, 12, 13), 2, True), ((2, 1, 12, 13), 1, False), ((1, 2, 6, 7, 5), 3, True),
    ((1, 1, 6, 7, 5), 1, False)])
def test_value_is_the_matching(rng, shape, connectivity, superlevel):
    p, g = batch(rng, shape)
    out = betti_matching_loss(p, g, connectivity=connectivity, superlevel=superlevel,
                              reduction="none")
    assert out.shape == shape[:2]
    for b in range(shape[0]):
        for c in range(shape[1]):
            want = expected(p[b, c].numpy(), g[b, c].numpy(), connectivity=connectivity,
                            superlevel=superlevel)
            assert out[b, c].item() == pytest.approx(want, rel=1e-12, abs=1e-12)
    mean = betti_matching_loss(p, g, connectivity=connectivity, superlevel=superlevel)
    assert mean.item() == pytest.approx(out.mean().item())
    total = betti_matching_loss(p, g, connectivity=connectivity, superlevel=superlevel,
                                reduction="sum")
    assert total.item() == pytest.approx(out.sum().item())


def test_options(rng):
    p, g = batch(rng, (2, 1, 10, 11))
    out = betti_matching_loss(p, g, reduction="none")[:, 0]
    without = betti_matching_loss(p, g, include_unmatched_target=False, reduction="none")[:, 0]
    for b in range(2):
        a, t = p[b, 0].numpy(), g[b, 0].numpy()
        assert out[b].item() == pytest.approx(expected(a, t, superlevel=True))
        assert without[b].item() == pytest.approx(expected(a, t, include=False,
                                                           superlevel=True))
    one = betti_matching_loss(p, g, dim=1, reduction="none")[:, 0]
    for b in range(2):
        assert one[b].item() == pytest.approx(expected(p[b, 0].numpy(), g[b, 0].numpy(),
                                                       dims=[1], superlevel=True))
    # the unmatched target bars are constants: the same gradient either way
    x = p.clone().requires_grad_()
    betti_matching_loss(x, g).backward()
    y = p.clone().requires_grad_()
    betti_matching_loss(y, g, include_unmatched_target=False).backward()
    torch.testing.assert_close(x.grad, y.grad)
    module = BettiMatchingLoss(dim=1, reduction="sum")
    assert module(p, g).item() == pytest.approx(one.sum().item())
    assert "dim=1" in repr(module)


@pytest.mark.parametrize("shape,connectivity", [((2, 1, 4, 5), 2), ((1, 1, 5, 4), 1),
                                                ((1, 1, 3, 3, 4), 1), ((1, 1, 3, 3, 4), 3)])
def test_gradcheck(rng, shape, connectivity):
    p, g = batch(rng, shape)
    x = p.clone().requires_grad_()
    for superlevel in (True, False):
        assert torch.autograd.gradcheck(
            lambda v: betti_matching_loss(v, g, connectivity=connectivity,
                                          superlevel=superlevel), (x,))


def test_gradient_lands_on_birth_and_death_pixels(rng):
    p, g = batch(rng, (1, 1, 12, 12))
    x = p.clone().requires_grad_()
    betti_matching_loss(x, g).backward()
    m = betti_matching(p[0, 0].numpy(), g[0, 0].numpy(), superlevel=True)
    pixels = set()
    for d in (m.prediction_matched, m.prediction_unmatched):
        pixels |= set(d.birth_index.tolist()) | set(d.death_index[d.death_index >= 0].tolist())
    nonzero = set(np.flatnonzero(x.grad.numpy().ravel()).tolist())
    assert nonzero and nonzero <= pixels


def test_layouts_and_dtypes(rng):
    p, g = batch(rng, (1, 1, 9, 10), torch.float32)
    a = betti_matching_loss(p, g)
    b = betti_matching_loss(p[0, 0], g[0, 0])            # one image
    c = betti_matching_loss(p.transpose(2, 3).contiguous().transpose(2, 3), g)  # strides
    assert a.dtype == torch.float32 and a.item() == pytest.approx(b.item())
    assert c.item() == pytest.approx(a.item())
    d = betti_matching_loss(p, g.to(torch.float64))      # mixed dtypes: the prediction's
    assert d.dtype == torch.float32
    empty = betti_matching_loss(p[:0], g[:0])
    assert empty.item() == 0


def test_errors(rng):
    p, g = batch(rng, (1, 1, 5, 5))
    with pytest.raises(ValueError, match="same shape"):
        betti_matching_loss(p, g[..., :4])
    with pytest.raises(TypeError, match="floating-point"):
        betti_matching_loss(p, g.to(torch.int64))
    with pytest.raises(ValueError, match="reduction"):
        betti_matching_loss(p, g, reduction="max")
    with pytest.raises(ValueError, match="max_dim"):
        betti_matching_loss(p, g, dim=2)
    bad = p.clone()
    bad[0, 0, 1, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        betti_matching_loss(bad, g)


def test_training_step_lowers_the_loss(rng):
    p, g = batch(rng, (1, 1, 16, 16))
    x = p.clone().requires_grad_()
    opt = torch.optim.SGD([x], lr=0.05)
    first = None
    for _ in range(10):
        opt.zero_grad()
        loss = betti_matching_loss(x, g)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert betti_matching_loss(x, g).item() < first
