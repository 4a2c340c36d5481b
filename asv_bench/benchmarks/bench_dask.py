"""fasttopo.dask on a LocalCluster against persistence_batch in one process.

1,000 images of 256 x 256 pixels (float64).  The one-process baseline is
``persistence_batch`` of the images in memory, on all cores.  The cluster
(2 worker processes of 1 thread, the machine's 2 cores) computes the same
diagrams 25 images per task, the images being

* already in the workers' memory (a persisted Dask array): what is measured
  is Dask's scheduling and transfer overhead, or
* read from an uncompressed zarr array on disk (out-of-core input; the read
  is counted),

and sends the diagrams back to this process (``.compute()``) or keeps them
in the workers' memory (``.persist()``).

Run as a script for the ratio, measured in alternation (the machine may be
shared)::

    python asv_bench/benchmarks/bench_dask.py [--images 1000] [--repeat 3] [--kind smooth]
"""

import argparse
import os
import shutil
import tempfile
import time

import numpy as np


def _chunk_images(kind, start, count, side=256):
    """Images ``start`` to ``start + count`` of the data set (seeded by ``start``)."""
    rng = np.random.default_rng(start)
    images = rng.random((count, side, side))
    if kind == "smooth":  # ~1,700 pairs per image; uniform noise has ~20,000
        from scipy.ndimage import gaussian_filter
        images = gaussian_filter(images, (0, 2, 2))
    return images


def _images(kind, count, chunk=25):
    return np.concatenate([_chunk_images(kind, s, min(chunk, count - s))
                           for s in range(0, count, chunk)])


def _on_workers(kind, count, chunk=25):
    """The same images, made on the workers and kept in their memory."""
    import sys

    import cloudpickle
    import dask
    import dask.array as da
    import distributed
    if __name__ != "__main__":  # the workers may not import the benchmark suite
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    parts = [da.from_delayed(dask.delayed(_chunk_images)(kind, s, min(chunk, count - s)),
                             shape=(min(chunk, count - s), 256, 256), dtype=np.float64)
             for s in range(0, count, chunk)]
    array = da.concatenate(parts).persist()
    distributed.wait(array)
    return array


def _store(images, folder, chunk):
    import zarr
    path = os.path.join(folder, "images.zarr")
    chunks = (chunk,) + images.shape[1:]
    if hasattr(zarr, "create_array"):  # zarr 3
        array = zarr.create_array(store=path, shape=images.shape, dtype=images.dtype,
                                  chunks=chunks, compressors=None, overwrite=True)
    else:  # pragma: no cover - zarr 2
        array = zarr.open_array(path, mode="w", shape=images.shape, dtype=images.dtype,
                                chunks=chunks, compressor=None)
    array[:] = images
    return path


def _cluster():
    import distributed
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    return cluster, distributed.Client(cluster)


class DaskPersistence1000:
    """1,000 images of 256 x 256: LocalCluster (2 x 1 thread) vs persistence_batch."""
    params = ["smooth", "random"]
    param_names = ["images"]
    number = 1
    repeat = 3
    warmup_time = 0
    timeout = 600

    def setup(self, kind):
        import dask.array as da

        import fasttopo
        import fasttopo.dask
        self.images = _images(kind, 1000)
        self.folder = tempfile.mkdtemp()
        self.zarr = da.from_zarr(_store(self.images, self.folder, 25))
        self.cluster, self.client = _cluster()
        self.array = _on_workers(kind, 1000)
        fasttopo.persistence_batch(self.images[:4])
        fasttopo.dask.persistence(self.array[:4]).compute()

    def teardown(self, kind):
        self.client.close()
        self.cluster.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_one_process(self, kind):
        from fasttopo import persistence_batch
        persistence_batch(self.images)

    def time_cluster_to_client(self, kind):
        import fasttopo.dask
        fasttopo.dask.persistence(self.array).compute()

    def time_cluster_persisted(self, kind):
        import distributed

        import fasttopo.dask
        diagrams = fasttopo.dask.persistence(self.array).persist()
        distributed.wait(diagrams)
        del diagrams

    def time_cluster_from_zarr(self, kind):
        import fasttopo.dask
        fasttopo.dask.persistence(self.zarr).compute()


def _cpu_seconds():
    """User + system CPU seconds of this process and its children (the LocalCluster)."""
    import psutil
    me = psutil.Process()
    total = 0.0
    for proc in [me] + me.children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:  # pragma: no cover
            continue
        total += times.user + times.system
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=25, help="images per task")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=["smooth", "random"], default="smooth")
    args = parser.parse_args(argv)
    import dask.array as da
    import distributed

    import fasttopo
    import fasttopo.dask
    images = _images(args.kind, args.images, args.chunk)
    folder = tempfile.mkdtemp()
    cluster, client = _cluster()
    try:
        on_disk = da.from_zarr(_store(images, folder, args.chunk))
        in_memory = _on_workers(args.kind, args.images, args.chunk)
        fasttopo.persistence_batch(images[:4])
        fasttopo.dask.persistence(in_memory[:4]).compute()
        print(f"{args.images} {args.kind} images {images.shape[1:]}, {args.chunk} per task, "
              f"cluster: 2 worker processes x 1 thread; one process: persistence_batch, "
              f"{os.cpu_count()} threads.  Cluster times: images in the workers' memory "
              f"(diagrams gathered here / kept there), then images read from zarr")
        print("wall time (ratio to one process) [CPU seconds of all processes, ratio]")
        for _ in range(args.repeat):
            start, cpu = time.perf_counter(), _cpu_seconds()
            local = fasttopo.persistence_batch(images)
            one, one_cpu = time.perf_counter() - start, _cpu_seconds() - cpu
            del local
            cells = []
            for array, keep in ((in_memory, False), (in_memory, True), (on_disk, False)):
                start, cpu = time.perf_counter(), _cpu_seconds()
                if keep:
                    kept = fasttopo.dask.persistence(array).persist()
                    distributed.wait(kept)
                    del kept
                else:
                    result = fasttopo.dask.persistence(array).compute()
                    del result
                wall, used = time.perf_counter() - start, _cpu_seconds() - cpu
                cells.append(f"{wall:5.2f} s ({wall / one:.2f}x) [{used:5.1f} s, "
                             f"{used / one_cpu:.2f}x]")
            print(f"one process {one:5.2f} s [{one_cpu:5.1f} s] | cluster: gathered "
                  f"{cells[0]} | kept {cells[1]} | from zarr {cells[2]}", flush=True)
    finally:
        client.close()
        cluster.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
