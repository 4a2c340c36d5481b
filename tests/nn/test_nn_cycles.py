"""Representative cycles handed to torch: fasttopo.nn.cycle_indices, cycle_weights, CycleWeights."""

import numpy as np
import pytest

from fasttopo import representative_cycles

torch = pytest.importorskip("torch")
import fasttopo.nn as tnn  # noqa: E402


def test_cycle_indices_are_the_cycles_of_each_input():
    x = torch.rand(3, 2, 12, 13, dtype=torch.float64)
    dgms = tnn.persistence(x, superlevel=True)
    rows, index, segment = tnn.cycle_indices(dgms, x, dim=1, k=4)
    assert index.device == x.device and segment.shape == index.shape
    flat = x.detach().numpy().reshape(6, 12, 13)
    seen = 0
    for item, dgm in enumerate(dgms.to_numpy()):
        mine = rows[dgms.item[rows] == item]
        assert len(mine) == min(4, dgm.select(1).counts().get(1, 0))
        top = dgm.select(1).top_k(4)
        for j, cycle in enumerate(representative_cycles(flat[item], top)):
            at = int(np.flatnonzero(rows == mine[j])[0])
            got = index[segment == at].numpy() - item * 12 * 13
            assert np.array_equal(np.sort(got), np.ravel_multi_index(tuple(cycle.T), (12, 13)))
            seen += 1
    assert seen == len(rows) > 0


def test_cycle_weights_loss_gradient_on_the_cycles():
    x = torch.rand(2, 1, 10, 10, dtype=torch.float64, requires_grad=True)
    dgms = tnn.persistence(x)
    w = tnn.cycle_weights(dgms, x, dim=0, k=2)
    assert w.shape == x.shape and w.dtype == x.dtype and not w.requires_grad
    assert set(w.unique().tolist()) <= {0.0, 1.0} and w.sum() > 0
    target = torch.zeros_like(x)

    def loss(t):
        return (tnn.cycle_weights(tnn.persistence(t), t, dim=0, k=2) * (t - target) ** 2).sum()

    assert torch.autograd.gradcheck(loss, (x,))
    loss(x).backward()
    assert torch.equal(x.grad != 0, (w != 0) & (x.detach() != 0))
    module = tnn.CycleWeights(dim=0, k=2)
    assert torch.equal(module(dgms, x), w) and "k=2" in repr(module)


def test_cycle_weights_errors():
    x = torch.rand(2, 8, 8)
    dgms = tnn.persistence(x, spatial_dims=2)
    with pytest.raises(ValueError, match="x must be the tensor the diagrams were computed"):
        tnn.cycle_weights(dgms, x[:1], dim=1)
    with pytest.raises(ValueError, match="input 0 of the batch: diagram row"):
        tnn.cycle_weights(dgms, torch.rand(2, 8, 8))
    with pytest.raises(TypeError, match="Diagrams"):
        tnn.cycle_weights(dgms.to_numpy()[0], x)
    points = tnn.rips_persistence(torch.rand(10, 2))
    with pytest.raises(ValueError, match="cubical"):
        tnn.cycle_weights(points, torch.rand(10, 2))
    with pytest.raises(ValueError, match="k must be >= 0"):
        tnn.cycle_indices(dgms, x, k=-1)
