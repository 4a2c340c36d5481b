"""persistence_batch: identical to one call per image, whatever the thread count."""

import numpy as np
import pytest

from fasttopo import persistence, persistence_batch


@pytest.mark.parametrize("shape", [(50, 9, 11), (20, 33), (7, 4, 5, 6), (6, 300, 250)])
@pytest.mark.parametrize("connectivity", [1, None])
def test_stack_equals_single_calls(rng, shape, connectivity):
    stack = rng.integers(0, 4, size=shape).astype(np.float32)
    max_dim = 0 if len(shape) == 4 else None
    singles = [persistence(im, max_dim=max_dim, connectivity=connectivity) for im in stack]
    for n_jobs in (None, 1, 2, 3):
        for superlevel in (False,):
            got = persistence_batch(stack, max_dim=max_dim, connectivity=connectivity,
                                    n_jobs=n_jobs, superlevel=superlevel)
            assert got == singles
    assert persistence_batch(list(stack), max_dim=max_dim, connectivity=connectivity) == singles


def test_list_of_different_shapes(rng):
    images = [rng.random((5, 7)), rng.random((40, 3)), rng.random((1, 1)), rng.random((300, 260))]
    got = persistence_batch(images, superlevel=True, n_jobs=2)
    assert got == [persistence(im, superlevel=True) for im in images]
    assert [d.shape for d in got] == [im.shape for im in images]


def test_empty_and_progress(rng, capsys):
    assert persistence_batch([]) == []
    assert persistence_batch(np.zeros((0, 4, 4))) == []
    stack = rng.random((300, 6, 6))
    got = persistence_batch(stack, progress=True)
    assert got == persistence_batch(stack)
    assert "persistence" in capsys.readouterr().err


def test_batch_diagrams_are_read_only(rng):
    dgm = persistence_batch(rng.random((3, 5, 5)))[1]
    with pytest.raises(ValueError):
        dgm.birth_index[0] = 0
