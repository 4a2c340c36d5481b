"""Topological search in 10,000 image tiles on a Dask cluster.

10,000 tiles of 128 x 128 pixels are cut at random from eight images of
``skimage.data`` (the tiles are made on the workers; the collection is never
held in one place).  On the cluster: persistence diagrams of every tile
(dimensions 0 and 1) -> persistence images on a fixed grid -> 64-bit codes
by random hyperplanes (SimHash) -> the 10 nearest codes of 50 query tiles in
Hamming distance.  The score is the fraction of a query's neighbours cut from
the same source image as the query (chance: 1/8).

Run::

    python docs/examples/dask_image_search.py            # LocalCluster, 2 workers
    python docs/examples/dask_image_search.py --quick    # 400 tiles of 64 x 64
    python docs/examples/dask_image_search.py --scheduler tcp://host:8786   # a real cluster
"""

import argparse
import resource
import time

import numpy as np

SOURCES = ["camera", "coins", "moon", "text", "page", "brick", "grass", "gravel"]


def _source_images():
    import skimage.data
    from skimage.util import img_as_float
    images = []
    for name in SOURCES:
        image = getattr(skimage.data, name)()
        images.append(img_as_float(image))
    return images


def tile_positions(count, side, seed=0):
    """(source, row, column) of each tile, drawn in this process (cheap and seeded)."""
    rng = np.random.default_rng(seed)
    shapes = [image.shape for image in _source_images()]
    source = rng.integers(0, len(SOURCES), size=count)
    rows = np.array([rng.integers(0, shapes[s][0] - side + 1) for s in source])
    cols = np.array([rng.integers(0, shapes[s][1] - side + 1) for s in source])
    return np.column_stack([source, rows, cols])


def cut_tiles(positions, side):
    """The tiles at these positions (run on the workers)."""
    images = _source_images()
    return np.stack([images[s][r:r + side, c:c + side] for s, r, c in positions])


def vectors_of(diagrams, resolution):
    """Persistence images of dimensions 0 and 1 on a fixed grid (chunk-independent)."""
    from fasttopo import persistence_image
    diagrams = list(diagrams)
    grid = {"range": (0.0, 1.0, 0.0, 1.0), "resolution": resolution, "bandwidth": 0.05,
            "weight": "lifetime"}
    parts = [persistence_image(diagrams, dim=d, **grid).reshape(len(diagrams), -1)
             for d in (0, 1)]
    return np.concatenate(parts, axis=1)


def simhash(vectors, mean, planes):
    """64-bit codes: the signs of the projections on 64 random hyperplanes."""
    from fasttopo import pack_codes
    return pack_codes((vectors - mean) @ planes > 0)[:, 0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 tiles of 64 x 64")
    parser.add_argument("--tiles", type=int, default=None)
    parser.add_argument("--side", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=250, help="tiles per task")
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler (default: a LocalCluster "
                             "of 2 single-threaded worker processes)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    count = args.tiles or (400 if args.quick else 10_000)
    side = args.side or (64 if args.quick else 128)
    chunk = min(args.chunk, 50) if args.quick else args.chunk

    import dask
    import dask.array as da
    import distributed

    import fasttopo.dask

    if args.scheduler:
        cluster, client = None, distributed.Client(args.scheduler)
    else:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           memory_limit="4GiB", dashboard_address=":0")
        client = distributed.Client(cluster)
    print(f"cluster: {len(client.scheduler_info()['workers'])} workers, dashboard "
          f"{client.dashboard_link}")
    start = time.perf_counter()
    try:
        positions = tile_positions(count, side)
        # 1. the tiles, cut on the workers: a (count, side, side) Dask array
        starts = range(0, count, chunk)
        tiles = da.concatenate([
            da.from_delayed(dask.delayed(cut_tiles)(positions[s:s + chunk], side),
                            shape=(len(positions[s:s + chunk]), side, side), dtype=np.float64)
            for s in starts])
        # 2. their diagrams, one task per chunk (a Bag; the same partitions as `tiles`)
        diagrams = fasttopo.dask.persistence(tiles)
        # 3. persistence images: one (chunk, 800) block per partition
        resolution = (20, 20)
        width = 2 * resolution[0] * resolution[1]
        vectors = da.concatenate([
            da.from_delayed(dask.delayed(vectors_of)(part, resolution),
                            shape=(size, width), dtype=np.float64)
            for part, size in zip(diagrams.to_delayed(), tiles.chunks[0])])
        vectors = vectors.persist()
        if not args.no_progress:
            distributed.progress(vectors)
            print()
        # 4. codes: signs of 64 random projections of the centred vectors
        mean = vectors.mean(axis=0).compute()
        planes = np.random.default_rng(1).standard_normal((width, 64))
        codes = vectors.map_blocks(simhash, mean, planes, dtype=np.uint64, drop_axis=1)
        codes = codes.persist()
        # 5. the 10 nearest codes of 50 queries (the query itself comes first, at distance 0)
        queries = np.random.default_rng(2).choice(count, size=min(50, count), replace=False)
        query_codes = codes[queries].compute()
        k = 11
        indices, distances = fasttopo.dask.hamming_knn(query_codes, codes, k)
        indices, distances = dask.compute(indices, distances)
        neighbours = np.array([row[row != q][:k - 1] for row, q in zip(indices, queries)])
        same = positions[neighbours, 0] == positions[queries, 0][:, None]
        elapsed = time.perf_counter() - start
        print(f"{count} tiles of {side} x {side}: diagrams -> persistence images -> 64-bit "
              f"codes -> 10 nearest neighbours of {len(queries)} queries in {elapsed:.1f} s")
        print(f"neighbours cut from the query's source image: {same.mean():.2f} "
              f"(chance {1 / len(SOURCES):.2f})")
        # memory: peak resident size of each worker and of this process
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print("peak memory: workers " + ", ".join(f"{v / 2**20:.2f} GiB"
                                                 for v in peaks.values())
              + f"; this process {mine / 2**20:.2f} GiB")
        return {"precision": float(same.mean()), "codes": codes.compute(),
                "indices": indices, "distances": distances, "positions": positions}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
