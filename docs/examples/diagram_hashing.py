"""Learned 64-bit diagram codes against exact W1 clustering (Qin, Fasy, Wenk, Summa 2021).

The comparison of the paper, on real-image diagrams available offline:

* data: dimension-0 sublevel diagrams of 32 x 32 tiles of ``skimage.data``
  images (grey levels / 255, so diagrams lie in [0, 1]^2), finite pairs,
  the ``TOP_K = 16`` longest-lived of each (exact W1 on 1,000 diagrams is
  ~500,000 assignment problems: few points keep it to minutes);
  a second set: the 200 images of ``skimage.data.lfw_subset()`` (100 faces and
  100 non-face patches, 25 x 25);
* ground truth: single-linkage clustering of the exact 1-Wasserstein
  matrix (L-infinity ground metric), number of clusters ``k`` by the elbow
  method on the within-cluster dispersion.  The matrix is computed by
  ``fasttopo.hashing.features.exact_w1`` (one dense assignment per pair, ~10x less
  overhead on such small diagrams); a sample of pairs is checked against
  :func:`fasttopo.pairwise_distances`, whose time is extrapolated from it;
* compared, each clustered by single linkage into the same ``k``:
  persistence images (Euclidean), Betti curves (L1), histogram Wasserstein
  (POT's exact EMD between the paper's 50 x 50 histograms as
  distributions, Euclidean ground cost between cell centres), random
  projection of the histogram to 64 sign bits (Hamming), and the
  pretrained learned codes (:func:`fasttopo.hash_diagrams`, Hamming);
* score: Fowlkes-Mallows (sklearn) against the W1 clustering at the elbow
  ``k``, and its mean over k = 2..10; Spearman's rank correlation of all
  pairwise distances with W1 (less noisy than single linkage's FMS);
  time and peak traced memory
  (tracemalloc) of each distance matrix, representation included.

Then the scale demonstration: 10,000 tiles (stride 8) -> diagrams -> codes ->
all-pairs Hamming -> single-linkage clusters (Prim's tree on streamed rows).

    python docs/examples/diagram_hashing.py            # full (W1 takes minutes)
    python docs/examples/diagram_hashing.py --quick    # seconds (the tests run it)
"""

import argparse
import time
import tracemalloc

import numpy as np
import skimage.data
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr
from sklearn.metrics import fowlkes_mallows_score

import fasttopo
from fasttopo.hashing.features import exact_w1

TOP_K = 16
TILE = 32
IMAGES = ("camera", "moon", "brick", "grass", "gravel", "coins", "cell", "page", "text",
          "clock", "checkerboard")
K_RANGE = range(2, 11)


# ------------------------------------------------------------------ data
def tiles(n, *, stride=TILE, seed=0):
    """``n`` grey 32 x 32 tiles in [0, 1] from IMAGES, a seeded sample (and their image)."""
    pool, source = [], []
    for name in IMAGES:
        image = getattr(skimage.data, name)().astype(np.float64) / 255.0
        for i in range(0, image.shape[0] - TILE + 1, stride):
            for j in range(0, image.shape[1] - TILE + 1, stride):
                pool.append(image[i:i + TILE, j:j + TILE])
                source.append(name)
    pick = np.sort(np.random.default_rng(seed).permutation(len(pool))[:n])
    return np.stack([pool[i] for i in pick]), np.array(source)[pick]


def faces():
    """``skimage.data.lfw_subset()``: 100 faces, then 100 non-faces, (200, 25, 25) in [0, 1]."""
    return skimage.data.lfw_subset()


def diagrams_of(images, top_k=TOP_K):
    """Finite dimension-0 sublevel pairs, the ``top_k`` longest-lived, as (n, 2) arrays."""
    out = []
    for d in fasttopo.persistence_batch(np.ascontiguousarray(images)):
        d = d.select(0)
        p = np.column_stack([d.birth, d.death])
        p = p[np.isfinite(p).all(axis=1)]
        order = np.argsort(p[:, 0] - p[:, 1], kind="stable")[:top_k]
        out.append(p[np.sort(order)])
    return out


# ------------------------------------------------------------------ distance matrices
def w1_matrix(dgms):
    """Exact W1 matrix, one dense assignment per pair (fasttopo.hashing.features.exact_w1)."""
    n = len(dgms)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = exact_w1(dgms[i], dgms[j])
    return out + out.T


def check_w1(dgms, w1, pairs, seed=0):
    """The same W1 by fasttopo.pairwise_distances on a sample of pairs; its seconds per pair."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(dgms), size=(pairs, 2))
    idx = idx[idx[:, 0] != idx[:, 1]]
    fasttopo.pairwise_distances([dgms[0], dgms[1]], "wasserstein")     # compile first
    start = time.perf_counter()
    ref = [fasttopo.pairwise_distances([dgms[i], dgms[j]], "wasserstein")[0, 1]
           for i, j in idx]
    per_pair = (time.perf_counter() - start) / len(idx)
    np.testing.assert_allclose(w1[idx[:, 0], idx[:, 1]], ref, rtol=1e-9, atol=1e-12)
    return per_pair


def pi_matrix(dgms):
    images = fasttopo.persistence_image(dgms, bandwidth=0.05, resolution=(20, 20),
                                        range=(0, 1, 0, 1))
    return squareform(pdist(images.reshape(len(dgms), -1)))


def betti_matrix(dgms):
    curves = fasttopo.betti_curve(dgms, grid=np.linspace(0, 1, 100))
    return squareform(pdist(curves.astype(np.float64), "cityblock")) / 100.0


def hw_matrix(dgms, bins=50):
    """Histogram Wasserstein: exact EMD between the normalised reflected 50 x 50 histograms.

    Each histogram is a uniform measure on the cell centres of its points'
    cells and their mirror cells (multiplicity = count).  Two measures with
    as many atoms are compared by an assignment (an optimal plan is a
    permutation, Birkhoff), others by POT's network simplex ``ot.emd2``.
    """
    from scipy.optimize import linear_sum_assignment
    emd = _emd()
    hist = fasttopo.diagram_histogram(dgms, bins=bins, count_cell=False)
    centres = (np.arange(bins) + 0.5) / bins
    grid = np.stack(np.meshgrid(centres, centres, indexing="ij"), -1).reshape(-1, 2)
    atoms = [np.repeat(grid, h.astype(np.int64), axis=0) for h in hist]
    n = len(dgms)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = atoms[i], atoms[j]
            if not len(a) or not len(b):
                out[i, j] = 0.0 if len(a) == len(b) else 1.0
                continue
            cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
            if len(a) == len(b):
                r, c = linear_sum_assignment(cost)
                out[i, j] = cost[r, c].mean()
            else:
                out[i, j] = emd(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), cost)
    return out + out.T


def _emd():
    """POT's exact EMD: its C++ network simplex without the per-call checks when at hand."""
    import ot
    try:
        from ot.lp.emd_wrap import emd_c
    except ImportError:                                   # pragma: no cover
        return ot.emd2
    return lambda a, b, cost: emd_c(a, b, cost, 100000, 1)[1]


def random_projection_matrix(dgms, seed=0):
    hist = fasttopo.diagram_histogram(dgms)
    planes = np.random.default_rng(seed).standard_normal((hist.shape[1], 64))
    codes = fasttopo.pack_codes(hist @ planes > 0)[:, 0]
    return fasttopo.hamming_distances(codes)


def learned_matrix(dgms):
    return fasttopo.hamming_distances(fasttopo.hash_diagrams(dgms))


METHODS = {
    "persistence image": pi_matrix,
    "Betti curve": betti_matrix,
    "histogram Wasserstein (POT)": hw_matrix,
    "random projection, 64 bits": random_projection_matrix,
    "learned 64-bit codes (pretrained)": learned_matrix,
}


#: pair-by-pair methods: tracemalloc would slow their Python loop, so their memory is
#: reported as the (n, n) float64 matrix, which dominates (per-pair temporaries are KiB)
LOOPS = {"histogram Wasserstein (POT)"}


def measure(function, *args, trace=True):
    """(result, seconds, peak traced MiB); memory of the float64 matrix if not traced."""
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    else:
        peak = result.shape[0] ** 2 * 8 / 2 ** 20
    return result, seconds, peak


# ------------------------------------------------------------------ clustering
def single_linkage(distances, k):
    tree = linkage(squareform(np.asarray(distances, dtype=np.float64), checks=False),
                   "single")
    return fcluster(tree, k, "maxclust")


def dispersion(distances, labels):
    """Within-cluster dispersion: sum over clusters of (sum of squared distances) / 2|c|."""
    total = 0.0
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        total += (distances[np.ix_(idx, idx)] ** 2).sum() / (2 * len(idx))
    return total


def elbow(distances, ks=range(1, 16)):
    """k at the elbow of the dispersion curve (largest distance below the chord)."""
    ks = list(ks)
    values = np.array([dispersion(distances, single_linkage(distances, k)) for k in ks])
    x = (np.array(ks) - ks[0]) / (ks[-1] - ks[0])
    y = (values - values.min()) / max(values.max() - values.min(), 1e-300)
    chord = 1.0 - x                                   # from (0, 1) to (1, 0)
    return ks[int(np.argmax(chord - y))], values


def compare(dgms, check_pairs=200):
    """FMS, time and memory of every method against exact W1 single linkage."""
    w1, seconds, peak = measure(w1_matrix, dgms, trace=False)
    per_pair = check_w1(dgms, w1, check_pairs)
    k, curve = elbow(w1)
    truth = {kk: single_linkage(w1, kk) for kk in set(K_RANGE) | {k}}
    pairs = len(dgms) * (len(dgms) - 1) / 2
    iu = np.triu_indices(len(dgms), 1)
    rows = [{"method": "exact W1 (ground truth)", "fms": 1.0, "fms_mean": 1.0, "rho": 1.0,
             "seconds": seconds, "mib": peak},
            {"method": "  same by pairwise_distances (extrap.)", "fms": 1.0, "fms_mean": 1.0,
             "rho": 1.0, "seconds": per_pair * pairs, "mib": np.nan}]
    for name, function in METHODS.items():
        distances, seconds, peak = measure(function, dgms, trace=name not in LOOPS)
        fms = {kk: fowlkes_mallows_score(truth[kk], single_linkage(distances, kk))
               for kk in truth}
        rows.append({"method": name, "fms": fms[k],
                     "fms_mean": float(np.mean([fms[kk] for kk in K_RANGE])),
                     "rho": float(spearmanr(w1[iu], distances[iu])[0]),
                     "seconds": seconds, "mib": peak})
    return {"k": k, "elbow": curve, "rows": rows, "n": len(dgms)}


def print_table(title, result):
    print(f"\n{title}: {result['n']} diagrams, elbow k = {result['k']}")
    print(f"{'method':38s} {'FMS@k':>6s} {'FMS 2-10':>8s} {'rho W1':>6s} {'time s':>9s} "
          f"{'peak MiB':>8s}")
    for r in result["rows"]:
        print(f"{r['method']:38s} {r['fms']:6.3f} {r['fms_mean']:8.3f} {r['rho']:6.3f} "
              f"{r['seconds']:9.3f} {r['mib']:8.1f}")


# ------------------------------------------------------------------ scale
def single_linkage_streamed(codes, k):
    """k single-linkage clusters of codes by Prim's tree on streamed Hamming rows."""
    n = len(codes)
    best = fasttopo.hamming_distances(codes[:1], codes)[0].astype(np.int64)
    parent = np.zeros(n, dtype=np.int64)
    inside = np.zeros(n, dtype=bool)
    inside[0] = True
    best[0] = np.iinfo(np.int64).max
    edges = np.empty((n - 1, 3), dtype=np.int64)
    for step in range(n - 1):
        v = int(np.argmin(best))
        edges[step] = parent[v], v, best[v]
        inside[v] = True
        best[v] = np.iinfo(np.int64).max
        row = fasttopo.hamming_distances(codes[v:v + 1], codes)[0]
        closer = (row < best) & ~inside
        best[closer] = row[closer]
        parent[closer] = v
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    keep = edges[np.argsort(edges[:, 2], kind="stable")[:n - k]]
    graph = coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def scale_demo(n, k=8, w1_seconds_per_pair=None):
    images, _ = tiles(n, stride=TILE // 4, seed=1)
    timings = {}
    start = time.perf_counter()
    dgms = diagrams_of(images)
    timings["diagrams"] = time.perf_counter() - start
    start = time.perf_counter()
    codes = fasttopo.hash_diagrams(dgms)
    timings["codes"] = time.perf_counter() - start
    out = np.empty((n, n), dtype=np.uint8)
    fasttopo.hamming_distances(codes, out=out)
    start = time.perf_counter()
    fasttopo.hamming_distances(codes, out=out)
    timings["all-pairs Hamming (reused buffer)"] = time.perf_counter() - start
    start = time.perf_counter()
    labels = single_linkage_streamed(codes, k)
    timings["single linkage (streamed)"] = time.perf_counter() - start
    print(f"\nscale: {n} diagrams (mean {np.mean([len(d) for d in dgms]):.1f} points)")
    for name, seconds in timings.items():
        print(f"  {name:36s} {seconds:8.3f} s")
    print(f"  cluster sizes: {np.sort(np.bincount(labels))[::-1][:k].tolist()}")
    if w1_seconds_per_pair:
        hours = n * (n - 1) / 2 * w1_seconds_per_pair / 3600
        print(f"  exact W1 of the same pairs at the first set's rate: {hours:.1f} h")
    return timings, labels


def figure(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results) + 1, figsize=(4.2 * (len(results) + 1), 3.6))
    for ax, (title, res) in zip(axes, results.items()):
        rows = res["rows"][2:]
        y = np.arange(len(rows))
        ax.barh(y - 0.2, [r["fms"] for r in rows], 0.4, label=f"FMS at elbow k={res['k']}")
        ax.barh(y + 0.2, [r["fms_mean"] for r in rows], 0.4, label="mean FMS, k=2..10")
        ax.set_yticks(y, [r["method"].split(" (")[0] for r in rows], fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_title(f"{title} ({res['n']} diagrams)", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    ax = axes[-1]
    first = next(iter(results.values()))
    names = [r["method"].strip().split(" (")[0].split(",")[0] for r in first["rows"]]
    names[1] = "W1, pairwise_distances"
    ax.barh(np.arange(len(names)), [r["seconds"] for r in first["rows"]])
    ax.set_xscale("log")
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel("seconds for the distance matrix")
    ax.set_title("time, first set", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sets (seconds)")
    parser.add_argument("--n", type=int, default=1000, help="tiles for the quality table")
    parser.add_argument("--scale", type=int, default=10_000, help="tiles for the scale demo")
    parser.add_argument("--figure", default=None, help="write the figure to this path")
    args = parser.parse_args(argv)
    n, scale, check = (60, 300, 10) if args.quick else (args.n, args.scale, 300)
    images, _ = tiles(n)
    results = {"skimage.data tiles": compare(diagrams_of(images), check)}
    print_table("skimage.data 32x32 tiles, dim 0, top 16", results["skimage.data tiles"])
    face_images = faces()[:40] if args.quick else faces()
    results["lfw_subset faces"] = compare(diagrams_of(face_images), check)
    print_table("lfw_subset 25x25 (faces, non-faces), dim 0, top 16",
                results["lfw_subset faces"])
    first = results["skimage.data tiles"]
    rate = first["rows"][0]["seconds"] / (first["n"] * (first["n"] - 1) / 2)
    results["scale"] = scale_demo(scale, w1_seconds_per_pair=rate)
    if args.figure:
        figure({k: v for k, v in results.items() if k != "scale"}, args.figure)
    return results


if __name__ == "__main__":
    main()
