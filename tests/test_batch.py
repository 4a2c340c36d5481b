"""persistence_batch: identical to one call per image, whatever the thread count."""

import numpy as np
import pytest

from fasttopo import persistence, persistence_batch


@pytest.mark.parametrize("shape", [(50, 9, 11), (20, 33), (7, 4, 5, 6), (4, 60, 70), (6, 300, 250)])
@pytest.mark.parametrize("connectivity", [1, None])
def test_stack_equals_single_calls(rng, shape, connectivity):
    stack = rng.integers(0, 4, size=shape).astype(np.float32)
    max_dim = 0 if len(shape) == 4 else None
    for superlevel in (False, True):
        singles = [persistence(im, max_dim=max_dim, connectivity=connectivity,
                               superlevel=superlevel) for im in stack]
        for n_jobs in (None, -1, 1, 2, 3):
            got = persistence_batch(stack, max_dim=max_dim, connectivity=connectivity,
                                    n_jobs=n_jobs, superlevel=superlevel)
            assert got == singles
        assert persistence_batch(list(stack), max_dim=max_dim, connectivity=connectivity,
                                 superlevel=superlevel) == singles


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


def _multiset(rows):
    return sorted((int(r[0]), float(r[1]), float(r[2])) for r in rows if r[1] != r[2])


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float64, np.bool_])
@pytest.mark.parametrize("superlevel", [False, True])
def test_batch_matches_reference_at_dtype_extremes(rng, dtype, superlevel):
    # the kernel writes a sentinel key into the padding unless a pixel holds the
    # largest key of the dtype (the dtype's maximum, or its minimum for superlevel):
    # mix images that hold the extremes with images that do not
    from helpers.reference import reference_persistence

    info = np.iinfo(dtype) if dtype not in (np.float64, np.bool_) else None
    stack = rng.integers(0, 4, size=(12, 6, 7)).astype(dtype)
    if info is not None:
        stack[::3, 0, 0] = info.max
        stack[1::3, -1, 2] = info.min
    elif dtype == np.float64:
        stack[::3, 2, 0] = np.finfo(np.float64).max
        stack[1::3, 0, 3] = -np.finfo(np.float64).max
    for connectivity in (1, 2):
        got = persistence_batch(stack, connectivity=connectivity, superlevel=superlevel)
        for image, dgm in zip(stack, got):
            want = reference_persistence(image, connectivity, superlevel)
            assert _multiset(zip(dgm.dim, dgm.birth, dgm.death)) == _multiset(want)
            finite = dgm.death_index >= 0
            assert np.array_equal(image.flat[dgm.birth_index], dgm.birth.astype(image.dtype))
            assert np.array_equal(image.flat[dgm.death_index[finite]],
                                  dgm.death[finite].astype(image.dtype))
