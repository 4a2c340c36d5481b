"""fasttopo.dask on a real distributed.LocalCluster (2 worker processes, 1 thread each)."""

import os
import subprocess
import sys

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
import cloudpickle  # noqa: E402  (comes with distributed)
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402

import fasttopo  # noqa: E402
import fasttopo.dask as ftd  # noqa: E402
from fasttopo._io import load_image  # noqa: E402

# the helpers below run on the workers, which cannot import this test module
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, memory_limit="3GiB")
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _stack(count=23, shape=(20, 24), levels=6, seed=0):
    """Images with few grey levels (many ties)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, levels, size=(count,) + shape).astype(np.uint8)


def test_import_fasttopo_does_not_import_dask():
    code = "import sys, fasttopo; print(sorted(m for m in sys.modules if m.split('.')[0] " \
           "in ('dask', 'distributed')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=os.environ.copy())
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("chunks", [(5, 20, 24), (23, 20, 24), (1, 10, 7)])
def test_stack_equals_persistence_batch(client, chunks):
    stack = _stack()
    images = da.from_array(stack, chunks=chunks)
    bag = ftd.persistence(images, connectivity=1)
    assert bag.npartitions == len(images.chunks[0])
    result = bag.compute()
    assert result == fasttopo.persistence_batch(stack, connectivity=1)


def test_large_images_and_3d(client):
    rng = np.random.default_rng(1)
    large = rng.random((4, 256, 257))     # the engine's large-image path
    result = ftd.persistence(da.from_array(large, chunks=(3, 256, 257))).compute()
    assert result == fasttopo.persistence_batch(large)
    volumes = rng.integers(0, 5, size=(5, 6, 7, 8)).astype(np.int16)
    result = ftd.persistence(da.from_array(volumes, chunks=(2, 6, 7, 8)), superlevel=True)
    assert result.compute() == [fasttopo.persistence(v, superlevel=True) for v in volumes]


def test_kernels_warmed_once_per_worker(client):
    ftd.persistence(da.from_array(_stack(), chunks=(8, 20, 24))).compute()
    names = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert len(names) == 2
    for plugins in names.values():
        assert sum(name.startswith("fasttopo-warm-up-") for name in plugins) >= 1


def test_bag_of_arrays_of_several_shapes(client):
    rng = np.random.default_rng(2)
    images = [rng.random((5 + i % 4, 9 + i % 3)) for i in range(17)]
    images[3] = images[3].astype(np.float32)
    bag = db.from_sequence(images, npartitions=4)
    result = ftd.persistence(bag, max_dim=0).compute()
    assert result == [fasttopo.persistence(image, max_dim=0) for image in images]


def test_file_list_read_on_workers(client, tmp_path):
    skimage_io = pytest.importorskip("skimage.io")
    stack = _stack(count=9, shape=(15, 16), levels=200)
    paths = []
    for i, image in enumerate(stack):
        if i % 3 == 0:
            path = tmp_path / f"image{i}.png"
            skimage_io.imsave(path, image, check_contrast=False)
        elif i % 3 == 1:
            path = tmp_path / f"image{i}.npy"
            np.save(path, image.astype(np.float32))
        else:
            path = tmp_path / f"image{i}.npz"
            np.savez(path, image=image.astype(np.int32))
        paths.append(str(path) if i % 2 else path)
    bag = ftd.persistence(paths, partition_size=4)
    assert bag.npartitions == 3
    assert bag.compute() == [fasttopo.persistence(load_image(os.fspath(p))) for p in paths]


def test_out_of_core_sources(client, tmp_path):
    zarr = pytest.importorskip("zarr")
    stack = _stack(count=12, shape=(18, 18), levels=9, seed=3).astype(np.float32)
    expected = fasttopo.persistence_batch(stack)
    store = zarr.open_array(str(tmp_path / "images.zarr"), mode="w", shape=stack.shape,
                            chunks=(5, 9, 18), dtype=stack.dtype)
    store[:] = stack
    # zarr chunks split the images: fasttopo.dask merges them along the image axes
    from_zarr = da.from_zarr(str(tmp_path / "images.zarr"))
    assert ftd.persistence(from_zarr).compute() == expected
    da.to_npy_stack(str(tmp_path / "npy"), da.from_array(stack, chunks=(4, 18, 18)))
    from_npy = da.from_npy_stack(str(tmp_path / "npy"))
    assert ftd.persistence(from_npy).compute() == expected


def test_tifffile_memmap_default_scheduler(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    stack = _stack(count=7, shape=(16, 20), seed=4)
    path = str(tmp_path / "stack.tif")
    tifffile.imwrite(path, stack)
    images = da.from_array(tifffile.memmap(path), chunks=(3, 16, 20))
    bag = ftd.persistence(images, connectivity=1)
    assert bag.compute(scheduler="threads") == fasttopo.persistence_batch(stack, connectivity=1)


@pytest.mark.parametrize("metric, params, tile_size", [
    ("bottleneck", {}, 4), ("wasserstein", {"order": 2.0}, 7), ("bottleneck", {"dim": 1}, 30)])
def test_pairwise_distances_from_a_list(client, metric, params, tile_size):
    diagrams = fasttopo.persistence_batch(_stack(count=14, shape=(9, 9), levels=5, seed=5))
    matrix = ftd.pairwise_distances(diagrams, metric, tile_size=tile_size, **params)
    blocks = -(-14 // tile_size)
    tiles = [k for k in dict(matrix.__dask_graph__()) if str(k).startswith("_tile-")]
    assert len(tiles) == blocks * (blocks + 1) // 2       # each tile once
    np.testing.assert_array_equal(matrix.compute(),
                                  fasttopo.pairwise_distances(diagrams, metric, **params))


def test_pairwise_distances_from_a_bag(client):
    stack = _stack(count=11, shape=(8, 10), levels=4, seed=6)
    bag = ftd.persistence(da.from_array(stack, chunks=(3, 8, 10)))
    matrix = ftd.pairwise_distances(bag, "wasserstein", tile_size=4, dim=0)
    expected = fasttopo.pairwise_distances(fasttopo.persistence_batch(stack), "wasserstein",
                                           dim=0)
    np.testing.assert_array_equal(matrix.compute(), expected)
    arrays = db.from_sequence([d.to_pairs(0) for d in fasttopo.persistence_batch(stack)],
                              npartitions=5)
    np.testing.assert_array_equal(ftd.pairwise_distances(arrays, tile_size=5).compute(),
                                  fasttopo.pairwise_distances([d.to_pairs(0) for d in
                                                               fasttopo.persistence_batch(
                                                                   stack)]))


def test_persistence_targets(client):
    rng = np.random.default_rng(7)
    patches = rng.random((10, 32, 32))
    masks, points = ftd.persistence_targets(da.from_array(patches, chunks=(4, 32, 32)), k=5)
    assert masks.shape == (10, 5, 32, 32) and masks.dtype == np.uint8
    got_masks, got_points = dask.compute(masks, points)
    expected_masks, expected_points = fasttopo.persistence_targets_batch(patches, k=5)
    np.testing.assert_array_equal(got_masks, expected_masks)
    assert got_points == expected_points


@pytest.mark.parametrize("words, chunk, k", [(1, 37, 5), (2, 100, 12), (1, 400, 400)])
def test_hamming_knn(client, words, chunk, k):
    rng = np.random.default_rng(8)
    # few set bits: many equal distances, so the tie rule is exercised
    bits = rng.random((400, 64 * words)) < 0.05
    codes = fasttopo.pack_codes(bits)
    codes = codes[:, 0] if words == 1 else codes
    queries = codes[::40]
    idx, dist = ftd.hamming_knn(queries, da.from_array(codes, chunks=chunk), k, fan_in=3)
    got_idx, got_dist = dask.compute(idx, dist)
    expected_idx, expected_dist = fasttopo.hamming_knn(queries, codes, k)
    np.testing.assert_array_equal(got_idx, expected_idx)
    np.testing.assert_array_equal(got_dist, expected_dist)
    assert got_dist.dtype == expected_dist.dtype
    # queries as a Dask array too
    idx, _ = ftd.hamming_knn(da.from_array(queries, chunks=3), da.from_array(codes, chunks=chunk),
                             k)
    np.testing.assert_array_equal(idx.compute(), expected_idx)


def _die_once(block, marker):
    """Kill this worker process the first time any task gets here (the marker file says)."""
    try:
        distributed.get_worker()
    except ValueError:  # not in a worker (never kill the test process)
        return block
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return block
    os.close(fd)
    os._exit(1)


def test_worker_killed_during_computation(client, tmp_path):
    stack = _stack(count=30, shape=(24, 24), levels=7, seed=9)
    marker = str(tmp_path / "killed")
    images = da.from_array(stack, chunks=(4, 24, 24)).map_blocks(
        _die_once, marker, meta=np.empty((0, 0, 0), dtype=stack.dtype))
    result = ftd.persistence(images).compute()
    assert os.path.exists(marker)                     # a worker did die
    assert len(result) == 30                          # nothing lost, nothing duplicated
    assert result == fasttopo.persistence_batch(stack)
    client.wait_for_workers(2, timeout=60)


def test_errors(client):
    with pytest.raises(TypeError, match="dask.array.from_array"):
        ftd.persistence(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="ndim"):
        ftd.persistence(da.zeros((3, 4), chunks=1).ravel())
    with pytest.raises(TypeError, match="dtype"):
        ftd.persistence(da.zeros((3, 4, 4), dtype=complex))
    with pytest.raises(ValueError, match="connectivity"):
        ftd.persistence(da.zeros((3, 4, 4)), connectivity=3)
    stack = np.random.default_rng(10).random((12, 5, 5))
    stack[6, 2, 3] = np.nan
    with pytest.raises(ValueError, match=r"images\[4:8\].*NaN"):
        ftd.persistence(da.from_array(stack, chunks=(4, 5, 5))).compute()
    with pytest.raises(ValueError, match="metric"):
        ftd.pairwise_distances([], "euclidean")
    with pytest.raises(ValueError, match="order"):
        ftd.pairwise_distances([], "bottleneck", order=2)
    with pytest.raises(ValueError, match="k must be"):
        ftd.hamming_knn(np.zeros(1, np.uint64), da.zeros(3, dtype=np.uint64, chunks=2), 4)
    with pytest.raises(TypeError, match="integer"):
        ftd.hamming_knn(np.zeros(1, np.uint64), da.zeros(3, chunks=2), 1)
    assert ftd.pairwise_distances([]).shape == (0, 0)


def test_example_quick_on_this_cluster(client):
    """docs/examples/dask_image_search.py --quick, pointed at the test's cluster."""
    script = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "examples",
                          "dask_image_search.py")
    out = subprocess.run([sys.executable, script, "--quick", "--scheduler",
                          client.scheduler.address], capture_output=True, text=True,
                         timeout=600, env=os.environ.copy())
    assert out.returncode == 0, out.stderr[-3000:]
    assert "400 tiles of 64 x 64" in out.stdout
    line = [s for s in out.stdout.splitlines() if s.startswith("neighbours cut from")][0]
    precision = float(line.split(":")[1].split()[0])
    assert precision > 0.3           # chance is 1/8: the codes carry the tiles' topology


def test_partitions_travel_as_concatenated_arrays():
    import pickle

    from fasttopo.dask.images import _Diagrams
    same = fasttopo.persistence_batch(_stack(count=5, shape=(9, 11)))
    mixed = same[:2] + [fasttopo.persistence(np.arange(12.0).reshape(3, 4)),
                        fasttopo.persistence(np.eye(4), superlevel=True)]
    for diagrams in (same, mixed, []):
        back = pickle.loads(pickle.dumps(_Diagrams(diagrams), protocol=5))
        assert type(back) is _Diagrams and back == diagrams
        for d, e in zip(back, diagrams):
            assert (d.shape, d.connectivity, d.superlevel) == (e.shape, e.connectivity,
                                                               e.superlevel)
            assert not d.birth.flags.writeable and d.dim.dtype == np.int8
    # one pickle of five arrays, not one per diagram
    assert len(pickle.dumps(_Diagrams(same), protocol=5)) < len(pickle.dumps(same, protocol=5))
