"""asv benchmarks of the diagram toolbox, with NumPy, Hera, POT and GUDHI side by side."""

import numpy as np


def _diagrams(kind, n, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "exponential":
        def one():
            birth = rng.random(n)
            return np.column_stack([birth, birth + rng.exponential(0.1, n)])
    else:
        def one():
            return np.sort(rng.random((n, 2)), axis=1)
    return one(), one()


class HammingAllPairs:
    """All-pairs Hamming distances of 64-bit codes (the hashing paper: 10,000 codes)."""
    params = [1_000, 10_000]
    param_names = ["codes"]

    def setup(self, n):
        from fasttopo import hamming_distances
        self.codes = np.random.default_rng(0).integers(0, 2 ** 64, size=n, dtype=np.uint64)
        self.buffer = np.empty((n, n), dtype=np.uint8)
        hamming_distances(self.codes[:10])

    def time_fasttopo(self, n):
        from fasttopo import hamming_distances
        hamming_distances(self.codes)

    def time_fasttopo_reused_buffer(self, n):
        from fasttopo import hamming_distances
        hamming_distances(self.codes, out=self.buffer)

    def time_numpy_blocks_of_100(self, n):
        out = np.empty((n, n), dtype=np.uint8)
        for start in range(0, n, 100):
            np.bitwise_count(self.codes[start:start + 100, None] ^ self.codes[None, :],
                             out=out[start:start + 100])


class HammingKnn:
    """10 nearest codes of 1,000 queries among 10,000 64-bit codes."""

    def setup(self):
        from fasttopo import hamming_knn
        self.codes = np.random.default_rng(0).integers(0, 2 ** 64, size=10_000, dtype=np.uint64)
        hamming_knn(self.codes[:2], self.codes, 10)

    def time_fasttopo(self):
        from fasttopo import hamming_knn
        hamming_knn(self.codes[:1000], self.codes, 10)

    def time_numpy_argpartition(self):
        dist = np.bitwise_count(self.codes[:1000, None] ^ self.codes[None, :])
        np.argpartition(dist, 10, axis=1)


class HammingKnnMillion:
    """10 nearest codes of 100 queries among 1,000,000 64-bit codes."""

    def setup(self):
        from fasttopo import hamming_knn
        self.codes = np.random.default_rng(0).integers(0, 2 ** 64, size=1_000_000,
                                                       dtype=np.uint64)
        hamming_knn(self.codes[:2], self.codes[:1000], 10)

    def time_fasttopo(self):
        from fasttopo import hamming_knn
        hamming_knn(self.codes[:100], self.codes, 10)

    def time_numpy_argpartition(self):
        dist = np.bitwise_count(self.codes[:100, None] ^ self.codes[None, :])
        np.argpartition(dist, 10, axis=1)


class HashDiagrams:
    """Pretrained learned codes (Qin et al. 2021) of 10,000 diagrams of 16 points."""

    def setup(self):
        from fasttopo import hash_diagrams, synthetic_diagrams
        self.diagrams = synthetic_diagrams(10_000, 16, random_state=0)
        hash_diagrams(self.diagrams[:10])

    def time_hash_diagrams(self):
        from fasttopo import hash_diagrams
        hash_diagrams(self.diagrams)


class Bottleneck:
    """Bottleneck distance of two synthetic diagrams."""
    params = [["exponential", "uniform"], [500, 2000]]
    param_names = ["kind", "points"]
    timeout = 120

    def setup(self, kind, n):
        from fasttopo import bottleneck_distance
        self.a, self.b = _diagrams(kind, n)
        bottleneck_distance(self.a[:20], self.b[:20])

    def time_fasttopo(self, kind, n):
        from fasttopo import bottleneck_distance
        bottleneck_distance(self.a, self.b)

    def time_hera(self, kind, n):
        import gudhi.hera
        gudhi.hera.bottleneck_distance(self.a, self.b, delta=0)


class Wasserstein:
    """1-Wasserstein distance of two synthetic diagrams (exact)."""
    params = [["exponential", "uniform"], [500, 2000]]
    param_names = ["kind", "points"]
    timeout = 120

    def setup(self, kind, n):
        from fasttopo import wasserstein_distance
        self.a, self.b = _diagrams(kind, n)
        wasserstein_distance(self.a[:20], self.b[:20])

    def time_fasttopo(self, kind, n):
        from fasttopo import wasserstein_distance
        wasserstein_distance(self.a, self.b)

    def time_gudhi_pot(self, kind, n):
        import gudhi.wasserstein
        gudhi.wasserstein.wasserstein_distance(self.a, self.b, order=1)


class Vectorizations:
    """Persistence images, Betti curves and landscapes of 100 dimension-1 diagrams."""

    def setup(self):
        from fasttopo import persistence
        rng = np.random.default_rng(0)
        self.dgms = [persistence(rng.random((64, 64))).to_pairs(1) for _ in range(100)]
        self.grid = np.linspace(0, 1, 100)

    def time_persistence_image_fasttopo(self):
        from fasttopo import persistence_image
        persistence_image(self.dgms, bandwidth=0.05, range=(0, 1, 0, 1))

    def time_persistence_image_gudhi(self):
        from gudhi.representations import PersistenceImage
        PersistenceImage(bandwidth=0.05, resolution=[20, 20],
                         im_range=[0, 1, 0, 1]).fit_transform(self.dgms)

    def time_betti_curve_fasttopo(self):
        from fasttopo import betti_curve
        betti_curve(self.dgms, grid=self.grid)

    def time_betti_curve_gudhi(self):
        from gudhi.representations import BettiCurve
        BettiCurve(predefined_grid=self.grid).fit_transform(self.dgms)

    def time_landscape_fasttopo(self):
        from fasttopo import persistence_landscape
        persistence_landscape(self.dgms, range=(0, 1))

    def time_landscape_gudhi(self):
        from gudhi.representations import Landscape
        Landscape(sample_range=[0, 1], keep_endpoints=True).fit_transform(self.dgms)

    def time_diagram_histogram_fasttopo(self):
        from fasttopo import diagram_histogram
        diagram_histogram(self.dgms)

    def time_diagram_histogram_numpy(self):
        for d in self.dgms:
            h = np.histogram2d(d[:, 0], d[:, 1], bins=50, range=((0, 1), (0, 1)))[0]
            np.append((h + h.T).ravel(), len(d))
