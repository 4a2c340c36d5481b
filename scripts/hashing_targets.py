"""The hashing targets of issues 18 and 25, measured in one process (median or best of repeats).

    python scripts/hashing_targets.py            # first measurement = fresh process
"""

import time

import numpy as np


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def numpy_blocks(codes, block=100):
    n = len(codes)
    for start in range(0, n, block):
        np.bitwise_count(codes[start:start + block, None] ^ codes[None, :])


def main():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2 ** 64, size=10_000, dtype=np.uint64)
    import fasttopo
    fasttopo.hamming_distances(codes[:100])                         # compile / load
    # fresh process: the first full call allocates and faults in the 100 MB result
    start = time.perf_counter()
    fasttopo.hamming_distances(codes)
    first = 1e3 * (time.perf_counter() - start)
    start = time.perf_counter()
    numpy_blocks(codes)
    first_np = 1e3 * (time.perf_counter() - start)
    print(f"all pairs, 10,000 codes, first call in a fresh process: fasttopo {first:.1f} ms, "
          f"numpy blocks of 100 {first_np:.1f} ms, ratio {first_np / first:.1f}x")
    out = np.empty((10_000, 10_000), dtype=np.uint8)
    ours = median_ms(lambda: fasttopo.hamming_distances(codes, out=out), 15)
    plain = median_ms(lambda: fasttopo.hamming_distances(codes), 7)
    blocks = median_ms(lambda: numpy_blocks(codes), 5)
    print(f"all pairs, 10,000 codes: out= {ours:.1f} ms, new array {plain:.1f} ms, numpy blocks "
          f"of 100 {blocks:.1f} ms (ratio {blocks / ours:.1f}x / {blocks / plain:.1f}x)")
    million = rng.integers(0, 2 ** 64, size=1_000_000, dtype=np.uint64)
    fasttopo.hamming_knn(million[:2], million, 10)
    knn = median_ms(lambda: fasttopo.hamming_knn(million[:100], million, 10), 5)
    print(f"k-NN, k=10, 100 queries in 1,000,000 codes: {knn:.1f} ms")
    from fasttopo.hashing.codes import PAPER_MODEL
    paper = fasttopo.DiagramHasher.load(PAPER_MODEL)
    for points in (16, 48, 150):
        dgms = fasttopo.synthetic_diagrams(10_000, points, random_state=0)
        fasttopo.hash_diagrams(dgms[:10], dim=0), paper.transform(dgms[:10])
        ours = {dim: [] for dim in (0, 1)}
        theirs = []
        for _ in range(5):                      # interleaved: both see the same load
            for dim in (0, 1):
                ours[dim].append(median_ms(lambda: fasttopo.hash_diagrams(dgms, dim=dim), 1))
            theirs.append(median_ms(lambda: paper.transform(dgms), 1))
        print(f"hash_diagrams, 10,000 diagrams of {points} points: dim 0 {min(ours[0]):.0f} ms, "
              f"dim 1 {min(ours[1]):.0f} ms (best of 5); the paper's model {min(theirs):.0f} ms")


if __name__ == "__main__":
    main()
