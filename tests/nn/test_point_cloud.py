"""Rips and weak-alpha layers against GUDHI; gradients move the endpoints of the edges."""

import numpy as np
import pytest
from scipy.spatial import Delaunay

torch = pytest.importorskip("torch")
gudhi = pytest.importorskip("gudhi")

import fasttopo.nn as tnn  # noqa: E402


def multiset(dgms, dims=(0, 1)):
    table = dgms.to_arrays()
    return [sorted((int(d), round(b, 9), round(e, 9)) for d, b, e in t if d in dims)
            for t in table]


def gudhi_multiset(st, dims=(0, 1)):
    st.compute_persistence(homology_coeff_field=2, min_persistence=0)
    out = []
    for d, (b, e) in st.persistence():
        if d in dims and b != e:
            out.append((int(d), round(b, 9), round(e, 9)))
    return sorted(out)


def test_rips_equals_gudhi(rng):
    points = torch.tensor(rng.random((3, 25, 2)))
    dgms = tnn.rips_persistence(points, max_dim=1)
    assert dgms.batch_shape == (3,) and dgms.kind == "rips"
    for got, cloud in zip(multiset(dgms), points.numpy()):
        st = gudhi.RipsComplex(points=cloud).create_simplex_tree(max_dimension=2)
        assert got == gudhi_multiset(st)
    dim0 = tnn.rips_persistence(points[0])
    assert multiset(dim0) == [multiset(dgms, (0,))[0]]
    capped = tnn.rips_persistence(points[0], max_edge_length=0.2, max_dim=1)
    st = gudhi.RipsComplex(points=points[0].numpy(),
                           max_edge_length=0.2).create_simplex_tree(max_dimension=2)
    assert multiset(capped) == [gudhi_multiset(st)]


def test_alpha_is_the_flag_complex_of_the_delaunay_graph(rng):
    points = torch.tensor(rng.random((2, 30, 2)))
    dgms = tnn.alpha_persistence(points, max_dim=1)
    for got, cloud in zip(multiset(dgms), points.numpy()):
        st = gudhi.SimplexTree()
        for i in range(len(cloud)):
            st.insert([i], 0.0)
        for simplex in Delaunay(cloud).simplices:
            for a in range(3):
                for b in range(a + 1, 3):
                    u, v = simplex[a], simplex[b]
                    st.insert([u, v], float(np.linalg.norm(cloud[u] - cloud[v])))
        st.expansion(2)
        assert got == gudhi_multiset(st)
    # dimension 0 is the Rips dimension 0 (the minimum spanning tree is Delaunay)
    assert multiset(tnn.alpha_persistence(points), (0,)) == multiset(
        tnn.rips_persistence(points), (0,))


def test_alpha_in_1d_and_3d(rng):
    beta = torch.tensor(rng.random((12, 1)))
    dgms = tnn.alpha_persistence(beta)
    gaps = np.sort(np.diff(np.sort(beta.numpy()[:, 0])))
    np.testing.assert_allclose(np.sort(dgms.death.detach().numpy()[:-1]), gaps, rtol=1e-12)
    cloud = torch.tensor(rng.random((20, 3)))
    got = multiset(tnn.alpha_persistence(cloud), (0,))
    assert got == multiset(tnn.rips_persistence(cloud), (0,))


def test_edges_and_values(rng):
    points = torch.tensor(rng.random((2, 15, 3)))
    dgms = tnn.rips_persistence(points, max_dim=1)
    flat = points.reshape(-1, 3)
    for i in range(len(dgms)):
        offset = dgms.item[i] * 15
        u, v = dgms.birth_index[i] + offset
        assert dgms.birth[i].item() == pytest.approx(float(torch.dist(flat[u], flat[v])))
        if dgms.death_index[i, 0] >= 0:
            u, v = dgms.death_index[i] + offset
            assert dgms.death[i].item() == pytest.approx(float(torch.dist(flat[u], flat[v])))
        else:
            assert dgms.death[i].item() == np.inf
    zero_births = dgms.dim == 0
    assert (dgms.birth_index[zero_births, 0] == dgms.birth_index[zero_births, 1]).all()


def test_gradcheck(rng):
    points = torch.tensor(rng.random((2, 9, 2)), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda p: tnn.total_persistence(tnn.rips_persistence(p, max_dim=1), p=2, dim=(0, 1),
                                        reduction="none"), (points,))
    assert torch.autograd.gradcheck(
        lambda p: tnn.total_persistence(tnn.alpha_persistence(p, max_dim=1), dim=(0, 1),
                                        reduction="none"), (points,))


def test_duplicate_points_and_small_clouds():
    points = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]], requires_grad=True)
    dgms = tnn.rips_persistence(points)
    assert dgms.death.tolist() == [1.0, float("inf")]   # the zero-length pair is dropped
    tnn.total_persistence(dgms).backward()
    assert torch.isfinite(points.grad).all()
    single = tnn.rips_persistence(torch.zeros(1, 2))
    assert len(single) == 1 and single.death.item() == np.inf
    assert len(tnn.alpha_persistence(torch.tensor([[0.0, 0.0], [1.0, 1.0]]))) == 2


def test_bad_points():
    with pytest.raises(TypeError, match="points must be a torch.Tensor"):
        tnn.rips_persistence(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="floating-point"):
        tnn.rips_persistence(torch.zeros(3, 2, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"points must be \(N, d\) or \(B, N, d\)"):
        tnn.rips_persistence(torch.zeros(3))
    with pytest.raises(ValueError, match="points contains NaN"):
        tnn.alpha_persistence(torch.tensor([[0.0, float("nan")], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="general position"):
        tnn.alpha_persistence(torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]))
    with pytest.raises(ValueError, match="max_dim must be >= 0"):
        tnn.rips_persistence(torch.zeros(3, 2), max_dim=-1)
    with pytest.raises(TypeError, match="max_edge_length must be a number"):
        tnn.rips_persistence(torch.zeros(3, 2), max_edge_length="1")


def test_modules(rng):
    points = torch.tensor(rng.random((2, 10, 2)))
    assert multiset(tnn.RipsPersistence(max_dim=1)(points)) == multiset(
        tnn.rips_persistence(points, max_dim=1))
    assert multiset(tnn.AlphaPersistence()(points)) == multiset(tnn.alpha_persistence(points))
    assert "max_dim=1" in repr(tnn.RipsPersistence(max_dim=1))
