"""Targets of the diagram toolbox: Hamming kernels, bottleneck and Wasserstein distances."""

import numpy as np
import skimage.data

from .case import Case
from fasttopo import (betti_curve, bottleneck_distance, hamming_distances, hamming_knn,
                      pairwise_distances,
                      hash_diagrams, synthetic_diagrams,
                      persistence, persistence_image, persistence_landscape,
                      wasserstein_distance)


def numpy_hamming(codes, block):
    """NumPy's all-pairs Hamming matrix, ``block`` rows of XOR + bitwise_count at a time."""
    n = len(codes)
    out = np.empty((n, n), dtype=np.uint8)
    for start in range(0, n, block):
        np.bitwise_count(codes[start:start + block, None] ^ codes[None, :],
                         out=out[start:start + block])
    return out


def numpy_knn(queries, codes, k):
    dist = np.bitwise_count(queries[:, None] ^ codes[None, :])
    idx = np.argpartition(dist, k, axis=1)[:, :k]
    return idx


def diagram_pairs(rng):
    """Pairs of 2,000-point diagrams: from an image, and two synthetic kinds."""
    camera = skimage.data.camera().astype(np.float64)
    noisy = camera + rng.normal(0, 2, camera.shape)
    image = [persistence(x).select(1).top_k(2000).to_pairs() for x in (camera, noisy)]

    def exponential():
        birth = rng.random(2000)
        return np.column_stack([birth, birth + rng.exponential(0.1, 2000)])

    def uniform():
        return np.sort(rng.random((2000, 2)), axis=1)

    return {
        "camera vs noisy camera, dim 1 top 2000": image,
        "synthetic: lifetimes ~ Exp(0.1)": [exponential(), exponential()],
        "synthetic: uniform in the triangle": [uniform(), uniform()],
    }


def cases():
    import gudhi
    import gudhi.hera
    import gudhi.wasserstein
    from gudhi.representations import BettiCurve, Landscape, PersistenceImage

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2 ** 64, size=10_000, dtype=np.uint64)
    long_codes = rng.integers(0, 2 ** 64, size=(4_000, 8), dtype=np.uint64)
    buffer = np.empty((10_000, 10_000), dtype=np.uint8)
    million = rng.integers(0, 2 ** 64, size=1_000_000, dtype=np.uint64)
    small_dgms = synthetic_diagrams(10_000, 16, random_state=0)
    out = [
        Case("Hamming all pairs, 10,000 x 64-bit codes",
             lambda: hamming_distances(codes), lambda: numpy_hamming(codes, 100),
             "numpy, blocks of 100", ">= 3x, <= 40 ms", min_ratio=3, max_ms=40, repeat=15),
        Case("Hamming all pairs, 10,000 x 64-bit codes, NumPy in blocks of 10",
             lambda: hamming_distances(codes), lambda: numpy_hamming(codes, 10),
             "numpy, blocks of 10", repeat=15),
        Case("Hamming all pairs, 4,000 x 512-bit codes (half)",
             lambda: hamming_distances(long_codes),
             lambda: np.bitwise_count(long_codes[:, None, :] ^ long_codes[None, :, :]).sum(
                 -1, dtype=np.uint16), "numpy, one block", repeat=5),
        Case("Hamming all pairs, 10,000 x 64-bit codes, reused buffer (out=)",
             lambda: hamming_distances(codes, out=buffer), lambda: numpy_hamming(codes, 100),
             "numpy, blocks of 100", "<= 20 ms", max_ms=20, repeat=15),
        Case("Hamming 10 nearest, 100 queries in 1,000,000 codes",
             lambda: hamming_knn(million[:100], million, 10),
             lambda: numpy_knn(million[:100], million, 10), "numpy argpartition",
             "<= 500 ms", max_ms=500, repeat=5),
        Case("hash_diagrams, 10,000 diagrams (16 points) -> 64-bit codes",
             lambda: hash_diagrams(small_dgms), None, "", "<= 1000 ms", max_ms=1000, repeat=5),
        Case("Hamming 10 nearest, 1,000 queries in 10,000 codes",
             lambda: hamming_knn(codes[:1000], codes, 10),
             lambda: numpy_knn(codes[:1000], codes, 10), "numpy argpartition",
             repeat=9),
    ]
    for name, (a, b) in diagram_pairs(rng).items():
        off_a, off_b = a[a[:, 0] != a[:, 1]], b[b[:, 0] != b[:, 1]]
        out.append(Case(f"bottleneck, {name}", lambda a=a, b=b: bottleneck_distance(a, b),
                        lambda a=off_a, b=off_b: gudhi.hera.bottleneck_distance(a, b, delta=0),
                        "hera delta=0", ">= 1/3x", min_ratio=1 / 3, repeat=3))
        out.append(Case(f"Wasserstein-1, {name}", lambda a=a, b=b: wasserstein_distance(a, b),
                        lambda a=a, b=b: gudhi.wasserstein.wasserstein_distance(a, b, order=1),
                        "gudhi POT (exact)", ">= 1x", min_ratio=1, repeat=3))
    small = synthetic_diagrams(60, 16, random_state=1)
    out.append(Case("Wasserstein-1 matrix, 60 diagrams of 16 points (1770 pairs, one thread)",
                    lambda: pairwise_distances(small, metric="wasserstein", n_jobs=1),
                    lambda: [gudhi.wasserstein.wasserstein_distance(small[i], small[j], order=1)
                             for i in range(60) for j in range(i + 1, 60)],
                    "gudhi POT loop", repeat=3))
    dgms = [persistence(rng.random((64, 64))).to_pairs(1) for _ in range(100)]
    grid = np.linspace(0, 1, 100)
    out += [
        Case("persistence images, 100 diagrams, 20x20",
             lambda: persistence_image(dgms, bandwidth=0.05, range=(0, 1, 0, 1)),
             lambda: PersistenceImage(bandwidth=0.05, resolution=[20, 20],
                                      im_range=[0, 1, 0, 1]).fit_transform(dgms),
             "gudhi.representations", repeat=5),
        Case("Betti curves, 100 diagrams, 100 values",
             lambda: betti_curve(dgms, grid=grid),
             lambda: BettiCurve(predefined_grid=grid).fit_transform(dgms),
             "gudhi.representations", repeat=5),
        Case("landscapes, 100 diagrams, k=5, 100 values",
             lambda: persistence_landscape(dgms, range=(0, 1)),
             lambda: Landscape(sample_range=[0, 1], keep_endpoints=True).fit_transform(dgms),
             "gudhi.representations", repeat=5),
    ]
    # the PD0 approximator (NumPy inference) beside the exact diagrams of the same patches
    from fasttopo import persistence_batch
    from fasttopo.approximation import approximate_diagrams
    camera = skimage.data.camera().astype(np.float64) / 255
    corners = rng.integers(0, 512 - 32, size=(128, 2))
    patches = np.stack([camera[y:y + 32, x:x + 32] for y, x in corners])

    def exact():
        return persistence_batch(patches, max_dim=0, connectivity=1)

    out += [
        Case("PD0 approximator, 128 patches 32x32, 8 copies (default)",
             lambda: approximate_diagrams(patches), exact, "exact persistence_batch", repeat=3),
        Case("PD0 approximator, 128 patches 32x32, one pass (augment=False)",
             lambda: approximate_diagrams(patches, augment=False), exact,
             "exact persistence_batch", repeat=3),
    ]
    return out
