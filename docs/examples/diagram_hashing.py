"""Learned 64-bit diagram codes against exact W1 on held-out real diagrams (issue 25).

An evaluation that can fail: every representation is scored the same way
against the exact 1-Wasserstein distance (W1, L-infinity ground metric, by
:func:`fasttopo.pairwise_distances`) on diagrams of images that no model saw
in training or model selection:

* **2D, dim 0**: 32 x 32 patches, V-construction (``connectivity=1``);
  **2D, dim 1**: 48 x 48 patches, T-construction (``connectivity=2``); from
  the ``skimage.data`` images of ``EVAL_IMAGES`` (none of them is a training
  image: brick, grass, gravel, camera, coins, astronaut, lfw_subset and the
  sklearn digits are), grey levels in [0, 1];
* **3D, dim 0** / **3D, dim 1**: 16 x 16 x 16 patches (V / T-construction)
  of the two volumes of ``../shared/data`` (MNI152 T1 and a NeuroVault
  statistical map, each scaled to [0, 1] by its own minimum and maximum),
  inside the brain (at least 90 % non-zero voxels);
* sublevel filtration, finite pairs of the dimension, patches without any
  skipped; seeded sampling, ``n // len(sources)`` patches per source.

Scores of each representation's distance matrix against W1's:

* Spearman's rank correlation over all pairs;
* Fowlkes-Mallows (``sklearn.metrics.fowlkes_mallows_score``) of the
  average-linkage clusterings (``scipy.cluster.hierarchy``) into k = 4, 6, 8
  clusters against W1's average-linkage clusterings; their mean;
* recall@10: the fraction of each diagram's 10 nearest W1 neighbours among
  its 10 nearest by the representation (ties of the Hamming distance
  shared out: a neighbour at the 10th distance counts the fraction of the
  tied places left, the expected recall of a random tie break).

Representations: the shipped learned codes (:func:`fasttopo.hash_diagrams`,
the model of the set's dimension); 64-bit baselines: the no-learning
Betti-curve code (bit j = [Betti number at t_j >= c_j], t_j uniform in
[0, 1], c_j uniform in 1..c_max, c_max the 99th percentile of the set's
largest Betti numbers; five seeds, mean and range), the paper's method
(Qin et al. 2021: reflected 50 x 50 histogram + count cell, MLP encoder
trained PD-GAN-style on synthetic diagrams, ``fasttopo.hashing.codes.PAPER_MODEL``),
random-hyperplane LSH and PCA-ITQ (Gong & Lazebnik 2011, 50 iterations,
fitted on the evaluated diagrams themselves) of the paper's histogram and
of the Betti curve; not codes: persistence images (L2), Betti curves (L1)
and the paper's histogram Wasserstein (exact EMD between the normalised
reflected histograms, POT).

Then the scale step: 10,000 diagrams to codes, all-pairs Hamming, and
single-linkage clusters by Prim's tree on streamed Hamming rows.

    python docs/examples/diagram_hashing.py --cache /tmp/w1 --figure \
        docs/examples/diagram_hashing.png --write     # full (~40 min on 1 core, W1 24 of them)
    python docs/examples/diagram_hashing.py --quick --write     # seconds (the tests run it)

``--write`` stores the page's tables in ``docs/examples/tables/diagram_hashing.{full,quick}.rst``
(``_gallery.write_tables``); ``--cache DIR`` keeps the W1 matrices (by content) for later runs.
"""

import argparse
import hashlib
import pathlib
import sys
import time

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr
from sklearn.metrics import fowlkes_mallows_score

import fasttopo
from fasttopo.hashing.codes import PAPER_MODEL

from _gallery import fmt, rst_table, write_tables  # docs/examples is on the path

EVAL_IMAGES = ("moon", "page", "text", "clock", "cell", "chelsea", "coffee",
               "hubble_deep_field", "immunohistochemistry", "retina", "rocket",
               "microaneurysms")
VOLUMES = ("mni152_t1_1mm.npz", "neurovault_10426_stat.npz")
DATA = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SETS = {"2D, dim 0": (0, 32, 1), "2D, dim 1": (1, 48, 2),
        "3D, dim 0": (0, 16, 1), "3D, dim 1": (1, 16, 3)}   # dim, patch size, connectivity
KS = (4, 6, 8)
KNN = 10
BITS = 64
SEEDS = 5                  # seeds of the no-learning code


# ------------------------------------------------------------------ data
def grey(name):
    """A ``skimage.data`` image as float64 grey levels in [0, 1]."""
    import skimage.color
    import skimage.data
    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        return np.ascontiguousarray(skimage.color.rgb2gray(image[..., :3]), dtype=np.float64)
    return image.astype(np.float64) / 255.0


def volume(name, data=DATA):
    """A volume of ``data`` scaled to [0, 1] by its minimum and maximum."""
    with np.load(pathlib.Path(data) / name) as archive:
        v = archive["volume"].astype(np.float64)
    return (v - v.min()) / (v.max() - v.min())


def finite_pairs(image, dim, connectivity):
    d = fasttopo.persistence(image, connectivity=connectivity, max_dim=dim).select(dim)
    p = np.column_stack([d.birth, d.death])
    return p[np.isfinite(p).all(axis=1)]


def sample(sources, size, dim, connectivity, n, rng, inside=None):
    """``n // len(sources)`` diagrams of random patches of each source (non-empty ones)."""
    out = []
    for source in sources:
        got = 0
        for _ in range(200 * n):
            corner = [int(rng.integers(0, s - size + 1)) for s in source.shape]
            patch = np.ascontiguousarray(source[tuple(slice(c, c + size) for c in corner)])
            if inside is not None and not inside(patch):
                continue
            p = finite_pairs(patch, dim, connectivity)
            if len(p):
                out.append(p)
                got += 1
                if got == n // len(sources):
                    break
    return out


def diagram_set(name, n, seed, data=DATA):
    """The diagrams of one evaluation set (None if its volumes are not there)."""
    dim, size, connectivity = SETS[name]
    rng = np.random.default_rng([seed, list(SETS).index(name)])
    if name.startswith("2D"):
        return sample([grey(x) for x in EVAL_IMAGES], size, dim, connectivity, n, rng)
    if not all((pathlib.Path(data) / v).exists() for v in VOLUMES):
        return None
    return sample([volume(v, data) for v in VOLUMES], size, dim, connectivity, n, rng,
                  inside=lambda patch: np.mean(patch != patch.flat[0]) >= 0.9)


def w1_matrix(dgms, jobs=1, cache=None):
    """Exact W1 of all pairs by :func:`fasttopo.pairwise_distances` (cached by content)."""
    path = None
    if cache:
        digest = hashlib.sha256(b"".join(np.ascontiguousarray(p).tobytes() + b"|"
                                         for p in dgms)).hexdigest()[:20]
        path = pathlib.Path(cache) / f"w1_{digest}.npy"
        if path.exists():
            return np.load(path)
    w1 = fasttopo.pairwise_distances(dgms, "wasserstein", n_jobs=jobs)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, w1)
    return w1


# ------------------------------------------------------------------ representations
def hamming(codes):
    return fasttopo.hamming_distances(codes).astype(np.float64)


def histogram(dgms):
    return fasttopo.diagram_histogram(dgms)


def betti(dgms, resolution=100):
    return fasttopo.betti_curve(dgms, grid=(np.arange(resolution) + 0.5) / resolution)


def learned(dgms, dim):
    return hamming(fasttopo.hash_diagrams(dgms, dim=dim))


def no_learning_code(dgms, seed):
    """bit j = [Betti number at t_j >= c_j], 64 random (t_j, c_j)."""
    rng = np.random.default_rng(seed)
    c_max = max(1, int(np.percentile(betti(dgms).max(axis=1), 99)))
    t = rng.random(BITS)
    c = rng.integers(1, c_max + 1, BITS)
    return hamming(fasttopo.pack_codes(fasttopo.betti_curve(dgms, grid=np.sort(t))
                                       [:, np.argsort(np.argsort(t))] >= c))


def paper(dgms):
    hasher = fasttopo.DiagramHasher.load(PAPER_MODEL)
    return hamming(hasher.transform(dgms))


def lsh(features, seed=0):
    """Random-hyperplane LSH (Charikar 2002): signs of 64 Gaussian projections."""
    planes = np.random.default_rng(seed).standard_normal((features.shape[1], BITS))
    return hamming(fasttopo.pack_codes(features @ planes > 0))


def itq(features, iterations=50, seed=0):
    """PCA-ITQ (Gong & Lazebnik 2011): PCA to 64 dimensions, then the rotation that
    minimises the quantisation error, fitted on ``features`` themselves."""
    x = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    v = x @ vt[:BITS].T
    if v.shape[1] < BITS:                         # fewer diagrams or features than bits
        v = np.hstack([v, np.zeros((len(v), BITS - v.shape[1]))])
    r = np.linalg.qr(np.random.default_rng(seed).standard_normal((BITS, BITS)))[0]
    for _ in range(iterations):
        b = np.where(v @ r >= 0, 1.0, -1.0)
        u, _, wt = np.linalg.svd(b.T @ v)
        r = (u @ wt).T
    return hamming(fasttopo.pack_codes(v @ r >= 0))


def persistence_images(dgms):
    pi = fasttopo.persistence_image(dgms, bandwidth=0.05, weight="lifetime",
                                    resolution=(20, 20), range=(0, 1, 0, 1))
    return squareform(pdist(pi.reshape(len(dgms), -1)))


def betti_l1(dgms):
    return squareform(pdist(betti(dgms).astype(np.float64), "cityblock")) / 100.0


def histogram_wasserstein(dgms, bins=50):
    """Exact EMD (POT) between the normalised reflected 50 x 50 histograms, Euclidean
    ground cost between cell centres (the paper's HW)."""
    import ot
    hist = fasttopo.diagram_histogram(dgms, bins=bins, count_cell=False)
    centres = (np.arange(bins) + 0.5) / bins
    grid = np.stack(np.meshgrid(centres, centres, indexing="ij"), -1).reshape(-1, 2)
    cells = [np.flatnonzero(h) for h in hist]
    n = len(dgms)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a, b = cells[i], cells[j]
            cost = np.sqrt(((grid[a][:, None] - grid[b][None]) ** 2).sum(-1))
            out[i, j] = ot.emd2(hist[i, a] / hist[i, a].sum(), hist[j, b] / hist[j, b].sum(),
                                cost)
    return out + out.T


#: name -> (function of (diagrams, dim), is a 64-bit code)
METHODS = {
    "learned codes (hash_diagrams)": (learned, True),
    "no-learning Betti-curve code": (None, True),          # several seeds, see evaluate()
    "paper's method (histogram, PD-GAN)": (lambda d, _: paper(d), True),
    "LSH of the histogram": (lambda d, _: lsh(histogram(d)), True),
    "PCA-ITQ of the histogram": (lambda d, _: itq(histogram(d)), True),
    "LSH of the Betti curve": (lambda d, _: lsh(betti(d) - betti(d).mean(0)), True),
    "PCA-ITQ of the Betti curve": (lambda d, _: itq(betti(d).astype(np.float64)), True),
    "persistence image, L2": (lambda d, _: persistence_images(d), False),
    "Betti curve, L1": (lambda d, _: betti_l1(d), False),
    "histogram Wasserstein (POT)": (lambda d, _: histogram_wasserstein(d), False),
}


# ------------------------------------------------------------------ scores
def scores(distances, w1, ks=KS, knn=KNN):
    """Spearman rho over all pairs, FMS of average linkage at each k, recall@knn."""
    iu = np.triu_indices(len(w1), 1)
    rho = float(spearmanr(w1[iu], distances[iu])[0])
    truth = linkage(w1[iu], "average")
    mine = linkage(np.asarray(distances[iu], dtype=np.float64), "average")
    fms = {k: float(fowlkes_mallows_score(fcluster(truth, k, "maxclust"),
                                          fcluster(mine, k, "maxclust"))) for k in ks}
    return {"rho": rho, "fms": float(np.mean(list(fms.values()))), "fms_k": fms,
            "recall": recall_at(distances, w1, knn)}


def recall_at(distances, w1, k):
    """Mean fraction of the k nearest W1 neighbours among the k nearest by ``distances``,
    ties at the k-th distance shared out (expected recall of a random tie break)."""
    n = len(w1)
    if n <= k:
        return float("nan")
    total = 0.0
    for i in range(n):
        w = np.delete(w1[i], i)
        d = np.delete(np.asarray(distances[i], dtype=np.float64), i)
        truth = np.argsort(w, kind="stable")[:k]
        radius = np.partition(d, k - 1)[k - 1]
        below, at = d < radius, d == radius
        share = (k - below.sum()) / at.sum()
        total += (below[truth].sum() + share * at[truth].sum()) / k
    return total / n


def evaluate(dgms, dim, w1):
    """{method: scores (and seconds)} for one set."""
    rows = {}
    for name, (function, _) in METHODS.items():
        start = time.perf_counter()
        if function is None:
            runs = [scores(no_learning_code(dgms, seed), w1) for seed in range(SEEDS)]
            row = {key: float(np.mean([r[key] for r in runs])) for key in ("rho", "fms", "recall")}
            row["fms_k"] = {k: float(np.mean([r["fms_k"][k] for r in runs])) for k in KS}
            row["range"] = {key: (min(r[key] for r in runs), max(r[key] for r in runs))
                            for key in ("rho", "fms", "recall")}
        else:
            row = scores(function(dgms, dim), w1)
        row["seconds"] = time.perf_counter() - start
        rows[name] = row
    return rows


def print_table(name, n, points, rows):
    print(f"\n{name}: {n} held-out diagrams, {points:.0f} points on average")
    print(f"{'representation':38s} {'rho':>6s} {'FMS':>6s} " + " ".join(
        f"{'k=' + str(k):>6s}" for k in KS) + f" {'R@10':>6s} {'64 bit':>6s}")
    for method, r in rows.items():
        print(f"{method:38s} {r['rho']:6.3f} {r['fms']:6.3f} "
              + " ".join(f"{r['fms_k'][k]:6.3f}" for k in KS)
              + f" {r['recall']:6.3f} {'yes' if METHODS[method][1] else '':>6s}")
        if "range" in r:
            lo_hi = "  ".join(f"{key} {a:.3f}-{b:.3f}" for key, (a, b) in r["range"].items())
            print(f"{'  (' + str(SEEDS) + ' seeds: ' + lo_hi + ')':s}")


def tables(results, scale=None):
    """The page's tables, (caption, reST table) pairs: one per score with a column per
    set, then the scale step's times (``scale``, left out of ``--quick`` tables: times vary)."""
    sets = list(results)
    sizes = ", ".join(f"{results[s]['n']} ({results[s]['points']:.0f})" for s in sets)
    out = []
    for key, title in (("rho", "Spearman rho"), ("fms", "FMS, mean of k = 4, 6, 8"),
                       ("recall", "recall@10")):
        rows = []
        for method in METHODS:
            cells = []
            for name in sets:
                r = results[name]["rows"][method]
                cell = fmt(r[key], 2)
                if "range" in r:
                    cell += " ({}-{})".format(*(fmt(v, 2) for v in r["range"][key]))
                cells.append(cell)
            rows.append([method] + cells)
        caption = (f"Held-out diagrams per set (mean finite points): {sizes}; the no-learning "
                   f"code: mean over {SEEDS} seeds (range)." if key == "rho" else "")
        out.append((caption, rst_table([title] + sets, rows)))
    if scale is not None:
        timings, n, points = scale
        out.append((f"The scale step: {n:,} patches of the evaluation images, dimension 0 "
                    f"({points:.0f} finite points on average), seconds on one core:",
                    rst_table(["step", "seconds"],
                              [[name, f"{seconds:.3f}"] for name, seconds in timings.items()])))
    return out


# ------------------------------------------------------------------ scale
def single_linkage_streamed(codes, k):
    """k single-linkage clusters of codes by Prim's tree on streamed Hamming rows."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
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
    keep = edges[np.argsort(edges[:, 2], kind="stable")[:n - k]]
    graph = coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def scale_demo(n, k=8, seed=1):
    """n patches (32 x 32, stride 8) of the evaluation images: diagrams, codes, Hamming."""
    tiles = []
    for name in EVAL_IMAGES:
        image = grey(name)
        tiles += [image[i:i + 32, j:j + 32] for i in range(0, image.shape[0] - 31, 8)
                  for j in range(0, image.shape[1] - 31, 8)]
    pick = np.sort(np.random.default_rng(seed).permutation(len(tiles))[:n])
    tiles = np.stack([tiles[i] for i in pick])
    timings = {}
    start = time.perf_counter()
    dgms = fasttopo.persistence_batch(tiles, connectivity=1, max_dim=0)
    timings["diagrams (persistence_batch)"] = time.perf_counter() - start
    fasttopo.hash_diagrams(dgms[:2], dim=0)
    start = time.perf_counter()
    codes = fasttopo.hash_diagrams(dgms, dim=0)
    timings["codes (hash_diagrams, NumPy)"] = time.perf_counter() - start
    out = np.empty((n, n), dtype=np.uint8)
    fasttopo.hamming_distances(codes, out=out)
    start = time.perf_counter()
    fasttopo.hamming_distances(codes, out=out)
    timings[f"all-pairs Hamming, {n * n / 1e6:g} M entries (out=)"] = \
        time.perf_counter() - start
    start = time.perf_counter()
    labels = single_linkage_streamed(codes, k)
    timings["single linkage, Prim's tree on streamed rows"] = time.perf_counter() - start
    points = np.mean([np.isfinite(d.death).sum() for d in dgms])
    print(f"\nscale: {n} patches, dimension 0 ({points:.1f} finite points on average)")
    for name, seconds in timings.items():
        print(f"  {name:44s} {seconds:8.3f} s")
    return timings, labels, points


def figure(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(4.0 * len(results), 4.6), sharey=True)
    axes = np.atleast_1d(axes)
    names = list(METHODS)
    y = np.arange(len(names))
    for ax, (title, res) in zip(axes, results.items()):
        rows = res["rows"]
        ax.barh(y - 0.27, [rows[m]["rho"] for m in names], 0.27, label="Spearman rho")
        ax.barh(y, [rows[m]["fms"] for m in names], 0.27, label="FMS, k=4,6,8")
        ax.barh(y + 0.27, [rows[m]["recall"] for m in names], 0.27, label="recall@10")
        ax.set_xlim(0, 1)
        ax.set_title(f"{title} ({res['n']} diagrams)", fontsize=9)
        ax.axvline(0.9 if "dim 0" in title else 0.85, color="k", lw=0.6, ls="--")
    axes[0].set_yticks(y, names, fontsize=8)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="24 diagrams of each 2D set, no volumes (seconds; the tests run it)")
    parser.add_argument("--n", type=int, default=300, help="diagrams per set")
    parser.add_argument("--scale", type=int, default=10_000, help="patches for the scale step")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--jobs", type=int, default=1, help="processes for exact W1")
    parser.add_argument("--cache", default=None, help="folder caching the W1 matrices")
    parser.add_argument("--data", default=str(DATA), help="folder of the volumes")
    parser.add_argument("--figure", default=None, help="write the figure to this path")
    parser.add_argument("--write", action="store_true",
                        help="write the tables into docs/examples/tables/ (the page includes them)")
    args = parser.parse_args(argv)
    n, scale = (24, 300) if args.quick else (args.n, args.scale)
    results = {}
    for name, (dim, _, _) in SETS.items():
        if args.quick and name.startswith("3D"):   # its table must not depend on the checkout
            continue
        dgms = diagram_set(name, n, args.seed, args.data)
        if dgms is None:
            print(f"\n{name}: skipped ({args.data} has not the volumes {VOLUMES})")
            continue
        start = time.perf_counter()
        w1 = w1_matrix(dgms, args.jobs, args.cache)
        seconds = time.perf_counter() - start
        rows = evaluate(dgms, dim, w1)
        points = float(np.mean([len(p) for p in dgms]))
        results[name] = {"rows": rows, "n": len(dgms), "points": points, "w1_seconds": seconds}
        print_table(name, len(dgms), points, rows)
    timings, labels, points = scale_demo(scale)
    out = tables(results, None if args.quick else (timings, scale, points))
    for caption, text in out:
        print(f"\n{caption}\n\n{text}" if caption else f"\n{text}")
    if args.write:
        write_tables(f"diagram_hashing.{'quick' if args.quick else 'full'}",
                     "diagram_hashing.py", argv if argv is not None else sys.argv[1:], out)
    if args.figure:
        figure(results, args.figure)
    results["scale"] = timings, labels
    return results


if __name__ == "__main__":
    main()
