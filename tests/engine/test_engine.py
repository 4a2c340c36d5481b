"""The engine's entry: planning, one canonical order on every path, the kernel cache."""

import numpy as np
import pytest

import fasttopo
from fasttopo import _engine
from fasttopo import _compiling
from fasttopo._engine import planning


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
    serial = [_engine.compute(image, _engine.Options(1, 2, False, 1), one=True)
              for image in stack]
    monkeypatch.setattr(planning, "SMALL", 16)
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


def test_kernel_cache_is_stamped_with_all_package_sources():
    # every cached kernel of the package, in the engine or not, carries the one stamp
    from fasttopo._engine.marking import mark_sweep
    from fasttopo._engine.scan import scan_rows
    from fasttopo._engine.union_find import sweep
    from fasttopo.hashing._popcount import all_pairs_serial
    from fasttopo.processing._fill import _pull_push3
    for kernel in (scan_rows, sweep, mark_sweep, all_pairs_serial, _pull_push3):
        locator = kernel._cache._impl.locator
        assert type(locator).__name__.startswith("Fasttopo"), kernel
        assert locator.get_source_stamp() == _compiling.package_stamp()


_CACHE_PROBE = """
import numpy as np, fasttopo
from fasttopo._engine.marking import mark_sweep
image = np.random.default_rng(0).random((24, 24))
labels = fasttopo.mark_objects(image, threshold=0.05)
print(int(labels.sum()), mark_sweep.stats.cache_hits.__len__() > 0,
      sum(mark_sweep.stats.cache_misses.values()))
"""


def test_editing_a_callee_recompiles_its_callers(tmp_path):
    # mark_objects's kernel (engine/marking.py) calls a kernel of engine/neighbourhood.py:
    # editing the callee alone must recompile the caller, not load its stale machine
    # code from the cache (a copy of the package, its own cache directory)
    import os
    import shutil
    import subprocess
    import sys
    package = os.path.dirname(fasttopo.__file__)
    shutil.copytree(package, tmp_path / "fasttopo",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run():
        out = subprocess.run([sys.executable, "-c", _CACHE_PROBE], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        total, hit, misses = out.stdout.split()
        return int(total), hit == "True", int(misses)

    first = run()
    assert not first[1]                  # compiled, then saved
    second = run()
    assert second[1] and second[2] == 0  # loaded from the cache
    callee = tmp_path / "fasttopo" / "_engine" / "neighbourhood.py"
    callee.write_text(callee.read_text() + "\n# an edit of the callee only\n")
    third = run()
    assert not third[1] and third[2] > 0  # recompiled
    assert first[0] == second[0] == third[0]


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
@pytest.mark.parametrize("superlevel", [False, True])
def test_64_bit_extremes_take_the_bordered_scan(rng, monkeypatch, dtype, superlevel):
    # keys of 64-bit integers at their extreme leave no room for the padding's sentinel
    # key: single images (small and large) and stacks then take scan_rows_bordered. The
    # pairs must be those of an image with the same order (ranks as float64): the
    # pixel indices depend on the order only
    from fasttopo._engine import large_images

    calls = []
    bordered = large_images.scan_rows_bordered
    monkeypatch.setattr(large_images, "scan_rows_bordered",
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
