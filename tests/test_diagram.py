"""The PersistenceDiagram result type and its helpers."""

import pickle

import numpy as np
import pytest

from fasttopo import PersistenceDiagram, persistence


@pytest.fixture
def dgm(rng):
    return persistence(rng.random((20, 30)))


def test_arrays_types_and_immutability(dgm):
    assert dgm.dim.dtype == np.int8 and dgm.birth.dtype == np.float64
    assert dgm.birth_index.dtype == np.int64 and dgm.death_index.dtype == np.int64
    assert len({len(dgm.dim), len(dgm.birth), len(dgm.death), len(dgm.birth_index),
                len(dgm.death_index), len(dgm)}) == 1
    with pytest.raises(ValueError):
        dgm.birth[0] = 5
    with pytest.raises(AttributeError):
        dgm.birth = np.zeros(3)
    assert dgm.shape == (20, 30) and dgm.connectivity == 2 and dgm.superlevel is False
    assert "PersistenceDiagram(shape=(20, 30)" in repr(dgm)


@pytest.mark.parametrize("shape, kwargs", [
    ((9, 11), {}),                         # small image, one serial kernel
    ((64, 64), {}),                        # small image, two parallel tasks
    ((64, 64), {"max_dim": 0}),
    ((300, 300), {}),                      # large image, threads
    ((6, 7, 8), {"connectivity": 1}),      # 3D with the cubical reduction
    ((30,), {"superlevel": True}),
])
def test_every_engine_path_returns_read_only_arrays(rng, shape, kwargs):
    dgm = persistence(rng.random(shape), **kwargs)
    for name in ("dim", "birth", "death", "birth_index", "death_index"):
        array = getattr(dgm, name)
        assert not array.flags.writeable, name
        with pytest.raises(ValueError):
            array[...] = 0


def test_select_top_k_and_lifetimes(dgm):
    d1 = dgm.select(1)
    assert set(d1.dim.tolist()) == {1}
    assert len(dgm.select([0, 1])) == len(dgm)
    top = dgm.top_k(5)
    assert len(top) == 5 and np.isinf(top.lifetime[0])
    assert np.all(np.diff(top.lifetime) <= 0)
    lifetimes = np.sort(dgm.lifetime)[::-1][:5]
    np.testing.assert_array_equal(top.lifetime, lifetimes)
    assert len(dgm.top_k(10**6)) == len(dgm)
    assert len(dgm.top_k(0)) == 0
    assert set(dgm.top_k(3, dim=1).dim.tolist()) == {1}
    with pytest.raises(ValueError):
        dgm.top_k(-1)
    assert len(dgm.finite()) == len(dgm) - 1
    assert dgm.counts() == {0: int((dgm.dim == 0).sum()), 1: int((dgm.dim == 1).sum())}


def test_coordinates_and_conversions(dgm):
    coords = dgm.birth_coordinates()
    assert coords.shape == (len(dgm), 2)
    np.testing.assert_array_equal(np.ravel_multi_index(coords.T, dgm.shape), dgm.birth_index)
    dc = dgm.death_coordinates()
    assert np.all(dc[dgm.is_essential] == -1)
    fin = ~dgm.is_essential
    np.testing.assert_array_equal(np.ravel_multi_index(dc[fin].T, dgm.shape),
                                  dgm.death_index[fin])
    arr = dgm.to_array()
    assert arr.shape == (len(dgm), 3)
    np.testing.assert_array_equal(arr[:, 1], dgm.birth)
    pairs = dgm.to_pairs(1)
    assert pairs.shape == (int((dgm.dim == 1).sum()), 2)
    g = dgm.to_gudhi()
    assert g[0] == (int(dgm.dim[0]), (float(dgm.birth[0]), float(dgm.death[0])))


def test_round_trips(dgm, tmp_path):
    assert PersistenceDiagram.from_dict(dgm.to_dict()) == dgm
    path = tmp_path / "d.npz"
    np.savez(path, **dgm.to_dict())
    with np.load(path) as data:
        assert PersistenceDiagram.from_dict(data) == dgm
    assert pickle.loads(pickle.dumps(dgm)) == dgm
    assert dgm[[0, 1]] == dgm[:2]
    assert len(dgm[dgm.dim == 0]) == dgm.counts()[0]
    assert dgm != persistence(np.zeros((3, 3)))


def test_constructor_validates_lengths():
    with pytest.raises(ValueError, match="equal lengths"):
        PersistenceDiagram([0], [0.0, 1.0], [1.0], [0], [1], shape=(2,), connectivity=1)
    d = PersistenceDiagram([0], [0.0], [np.inf], [3], [-1], shape=(2, 2), connectivity=1)
    assert d.is_essential.tolist() == [True] and d.death_coordinates().tolist() == [[-1, -1]]


def test_empty_selection(dgm):
    empty = dgm[np.zeros(len(dgm), dtype=bool)]
    assert len(empty) == 0
    with pytest.raises(ValueError, match="dim must be between 0 and 1"):
        dgm.select(5)                      # a dimension a 2D image cannot have
    assert empty.birth_coordinates().shape == (0, 2)
    assert empty.death_coordinates().shape == (0, 2)
    assert empty.to_array().shape == (0, 3)
