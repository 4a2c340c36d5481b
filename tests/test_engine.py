"""The engine's entry: planning, one canonical order on every path, the kernel cache."""

import numpy as np
import pytest

import fasttopo
from fasttopo import _engine
from fasttopo._engine import compiling


@pytest.mark.parametrize("shape, max_dim, threads, stack, path", [
    ((64, 64), 1, 2, False, "small"),       # below SPLIT
    ((128, 128), 1, 2, False, "split"),
    ((128, 128), 1, 1, False, "small"),     # one thread: no second thread
    ((128, 128), 0, 2, False, "small"),     # no top dimension to run beside dimension 0
    ((300, 300), 1, 2, False, "threaded"),
    ((8, 8, 8), 2, 2, False, "threaded"),   # dimension 1 of a volume: the cubical reduction
    ((8, 8, 8), 0, 2, True, "batch"),
    ((8, 8, 8), 1, 2, True, "threaded"),
    ((32, 32), 1, 2, True, "batch"),
])
def test_plan_paths(shape, max_dim, threads, stack, path):
    assert _engine.plan(shape, max_dim, threads, stack=stack).path == path


def test_every_path_gives_the_same_pairs(rng, monkeypatch):
    # a stack through the batch kernel, one image at a time (the split path; the small
    # path with one thread), a list, and the threaded path (forced by lowering plan's
    # threshold) agree exactly
    stack = rng.integers(0, 5, (6, 130, 140)).astype(np.float32)
    batch = fasttopo.persistence_batch(stack)
    listed = fasttopo.persistence_batch(list(stack))
    ones = [fasttopo.persistence(image) for image in stack]
    assert _engine.plan(stack.shape[1:], 1, 2).path == "split"
    serial = [_engine.diagram(image, 1, 2, False, 1) for image in stack]
    monkeypatch.setattr(_engine, "SMALL", 16)
    threaded = fasttopo.persistence_batch(stack)
    assert _engine.plan(stack.shape[1:], 1, 2, stack=True).path == "threaded"
    for one, a, b, c, d in zip(ones, batch, listed, threaded, serial):
        assert a == one and b == one and c == one and d == one


@pytest.mark.parametrize("connectivity", [1, 3])
def test_targets_batch_of_small_volumes_has_dimension_one(rng, connectivity):
    # persistence_targets_batch once took the 2D batch path for small 3D stacks and
    # returned no dimension-1 pairs
    volumes = rng.random((3, 7, 8, 6))
    masks, points = fasttopo.persistence_targets_batch(volumes, k=4, dim=1,
                                                       connectivity=connectivity)
    for volume, mask, top in zip(volumes, masks, points):
        want_mask, want = fasttopo.persistence_targets(volume, k=4, dim=1,
                                                       connectivity=connectivity)
        assert len(want) > 0 and top == want
        np.testing.assert_array_equal(mask, want_mask)


def test_kernel_cache_is_stamped_with_all_engine_sources():
    from fasttopo._engine.scan import scan_rows
    from fasttopo._engine.union_find import sweep
    for kernel in (scan_rows, sweep):
        locator = kernel._cache._impl.locator
        assert type(locator).__name__.startswith("Engine")
        assert locator.get_source_stamp() == compiling.engine_stamp()


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
@pytest.mark.parametrize("superlevel", [False, True])
def test_64_bit_extremes_take_the_bordered_scan(rng, monkeypatch, dtype, superlevel):
    # keys of 64-bit integers at their extreme leave no room for the padding's sentinel
    # key: single images (small and large) and stacks then take scan_rows_bordered. The
    # pairs must be those of an image with the same order (ranks as float64): the
    # pixel indices depend on the order only
    from fasttopo._engine import threads

    calls = []
    bordered = threads.scan_rows_bordered
    monkeypatch.setattr(threads, "scan_rows_bordered",
                        lambda *args: calls.append(1) or bordered(*args))
    info = np.iinfo(dtype)
    extreme = info.min if superlevel else info.max
    for shape in ((20, 21), (300, 260), (6, 7, 8)):
        image = rng.integers(0, 5, size=shape).astype(dtype) + dtype(info.min // 2 + 7)
        image.flat[rng.integers(image.size)] = extreme
        ranks = np.unique(image, return_inverse=True)[1].reshape(shape).astype(np.float64)
        calls.clear()
        got = fasttopo.persistence(image, superlevel=superlevel)
        assert calls, "the bordered scan was not used"
        want = fasttopo.persistence(ranks, superlevel=superlevel)
        for name in ("dim", "birth_index", "death_index"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
        np.testing.assert_array_equal(image.flat[got.birth_index], got.exact_birth)
    stack = rng.integers(0, 5, size=(5, 9, 10)).astype(dtype) + dtype(info.min // 2 + 7)
    stack[2, 3, 4] = extreme
    ranks = np.unique(stack, return_inverse=True)[1].reshape(stack.shape).astype(np.float64)
    for got, want in zip(fasttopo.persistence_batch(stack, superlevel=superlevel),
                         fasttopo.persistence_batch(ranks, superlevel=superlevel)):
        np.testing.assert_array_equal(got.birth_index, want.birth_index)
        np.testing.assert_array_equal(got.death_index, want.death_index)
