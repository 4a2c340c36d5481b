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
