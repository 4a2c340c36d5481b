"""Error injection (Oner et al., Fig. 4): does one more error ever *decrease* the loss?

Synthetic road networks stand in for the paper's aerial road maps:

* ground truth: ``n_nodes`` random points in the image, the edges of their
  Euclidean minimum spanning tree (so the network is connected) plus each
  other edge of their Delaunay triangulation with probability ``p_loop``
  (which closes loops, the dimension-1 classes the loss compares), drawn as
  3-pixel-wide lines;
* the map a network predicts, and the one the loss sees: the distance to
  the nearest road pixel truncated at ``T`` (the truncated distance maps of
  the paper), filtered by sublevel sets; a loop of roads is a class of
  dimension 1 born when the roads around it are complete and dying at the
  distance of its centre to them;
* errors, injected one after the other into a copy of the ground truth
  (30 per repetition, 10 repetitions): with probability 1/2 a
  *disconnection* (a road cut: a disk of radius 4 around a random road
  pixel is erased), otherwise a *false interconnection* (a straight road
  drawn between two road pixels 15 to 45 pixels apart).

After every injection the cost C between the corrupted and the true
distance maps is computed on 64x64 windows, dimension 1, (1) on the
distance maps themselves (the standard filtration) and (2) on the
localized filtration ``map + g`` with a random linear height ``g`` of
range ``amplitude`` (the same ``g`` before and after the injection, a new
one for each injection).  An error that makes C drop is one the loss
would reward; the paper reports P(ΔC < 0) of about 0.4 for the standard
filtration and 0.2 for the localized one.

Run ``python oner_error_injection.py`` (full: 10 x 30 injections on
192x192 images, 11 minutes on the shared 2-core machine) or ``--quick``.
"""

import argparse
import sys
import time

import numba
import numpy as np
import scipy.ndimage as ndi
import torch
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, distance_matrix
from skimage.draw import line
from skimage.morphology import disk

import fasttopo.nn as tnn
from _gallery import rst_table, write_tables  # docs/examples is on the path

T = 16.0           # truncation of the distance maps (pixels)
#: (name, window, range of the linear height g): g = 0 is the standard filtration
FILTRATIONS = (("standard, whole image", None, 0.0), ("standard, 64x64 windows", 64, 0.0),
               ("localized, 64x64, range 8", 64, 8.0), ("localized, 64x64, range 16", 64, 16.0),
               ("localized, whole, range 16", None, 16.0))


def road_network(size, rng, n_nodes=18, p_loop=0.35, width=1):
    """Boolean road mask: minimum spanning tree + random Delaunay edges, drawn as lines."""
    pts = rng.uniform(8, size - 8, (n_nodes, 2))
    tri = Delaunay(pts)
    edges = set()
    for simplex in tri.simplices:
        for a in range(3):
            i, j = sorted((simplex[a], simplex[(a + 1) % 3]))
            edges.add((i, j))
    tree = minimum_spanning_tree(distance_matrix(pts, pts)).tocoo()
    keep = {tuple(sorted((i, j))) for i, j in zip(tree.row, tree.col)}
    keep |= {e for e in edges if rng.random() < p_loop}
    mask = np.zeros((size, size), bool)
    for i, j in keep:
        draw_segment(mask, pts[i], pts[j])
    return ndi.binary_dilation(mask, disk(width))


def draw_segment(mask, a, b):
    rr, cc = line(int(round(a[0])), int(round(a[1])), int(round(b[0])), int(round(b[1])))
    mask[rr, cc] = True


def truncated_distance(mask):
    return np.minimum(ndi.distance_transform_edt(~mask), T)


def inject(mask, rng, radius=4):
    """One error: a cut (disconnection) or a new road (false interconnection), p = 1/2 each."""
    out = mask.copy()
    roads = np.argwhere(mask)
    kind = "disconnection" if rng.random() < 0.5 else "interconnection"
    if kind == "disconnection":
        r, c = roads[rng.integers(len(roads))]
        rr, cc = np.ogrid[:mask.shape[0], :mask.shape[1]]
        out[(rr - r) ** 2 + (cc - c) ** 2 <= radius ** 2] = False
    else:
        for _ in range(1000):
            a, b = roads[rng.integers(len(roads), size=2)]
            if 15 <= np.hypot(*(a - b)) <= 45:
                break
        segment = np.zeros_like(mask)
        draw_segment(segment, a, b)
        out |= ndi.binary_dilation(segment, disk(1))
    return out, kind


def cost_c(pred_map, true_map, window, amplitude, seed):
    """C of Oner et al., dimension 1 (alpha = 1; amplitude 0: no height; window None: whole)."""
    p = torch.from_numpy(pred_map)[None, None]
    t = torch.from_numpy(true_map)[None, None]
    return tnn.localized_loss(p, t, window=window or max(pred_map.shape), dim=1, alpha=1.0,
                              amplitude=amplitude, kind="linear", rng=seed).item()


def run(repetitions=10, injections=30, size=192, filtrations=FILTRATIONS, seed=0):
    """Per injection: kind and ΔC for each filtration."""
    rng = np.random.default_rng(seed)
    rows = []
    for rep in range(repetitions):
        truth = road_network(size, rng)
        true_map = truncated_distance(truth)
        mask = truth
        for k in range(injections):
            new_mask, kind = inject(mask, rng)
            before, after = truncated_distance(mask), truncated_distance(new_mask)
            row = {"rep": rep, "kind": kind, "changed": bool((new_mask != mask).any())}
            g_seed = int(rng.integers(2 ** 32))
            for name, window, amp in filtrations:
                row[name] = (cost_c(after, true_map, window, amp, g_seed)
                             - cost_c(before, true_map, window, amp, g_seed))
            rows.append(row)
            mask = new_mask
    return rows


def summary(rows, filtrations=FILTRATIONS):
    """P(ΔC < 0) and P(ΔC <= 0) per filtration (injections that changed the mask)."""
    rows = [r for r in rows if r["changed"]]
    out = {}
    for name, _, _ in filtrations:
        d = np.array([r[name] for r in rows])
        out[name] = (float(np.mean(d < 0)), float(np.mean(d <= 0)), len(d))
    return out


PAPER = {"standard": "~0.4", "localized": "~0.2"}


def table(stats):
    """The page's rst table: P(ΔC < 0), P(ΔC <= 0) per filtration, the paper's beside."""

    rows = [[name, f"{neg:.3f}", f"{nonpos:.3f}", PAPER[name.split(",")[0]]]
            for name, (neg, nonpos, n) in stats.items()]
    return rst_table(["filtration", "P(ΔC < 0)", "P(ΔC <= 0)", "paper P(ΔC < 0)"], rows)


def caption(stats):
    n = next(iter(stats.values()))[2]
    return f"{n} injections that changed the mask:"


def figure(rows, stats, truth=None):
    import matplotlib.pyplot as plt

    names = list(stats)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    if truth is not None:
        axes[0].imshow(truth, cmap="gray")
        axes[0].set_title("a synthetic road network (ground truth)", fontsize=9)
        axes[0].axis("off")
    data = [np.array([r[a] for r in rows if r["changed"]]) for a in names]
    labels = [a.replace(", ", "\n") for a in names]
    axes[1].boxplot([np.sign(d) * np.log1p(np.abs(d)) for d in data], showfliers=False)
    axes[1].set_xticks(range(1, len(names) + 1), labels, fontsize=7)
    axes[1].axhline(0, color="r", lw=0.8)
    axes[1].set_ylabel("sign(dC) log(1 + |dC|)")
    for i, a in enumerate(names, 1):
        axes[1].text(i, axes[1].get_ylim()[1] * 0.9, f"P<0: {stats[a][0]:.2f}", ha="center",
                     fontsize=8)
    axes[1].set_title("change of C per injected error", fontsize=9)
    fig.tight_layout()
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 x 6 injections, 128x128")
    parser.add_argument("--figure", default=None, help="save the figure to this path")
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/examples/tables/ (the page includes it)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    start = time.perf_counter()
    if args.quick:
        rows = run(repetitions=1, injections=6, size=128)
    else:
        rows = run()
    stats = summary(rows)
    print(caption(stats))
    print(table(stats))
    print(f"{time.perf_counter() - start:.1f} s")
    if args.write:
        name = "quick" if args.quick else "full"
        write_tables(f"oner_error_injection.{name}", "oner_error_injection.py",
                     list(sys.argv[1:] if argv is None else argv), [(caption(stats), table(stats))])
    if args.figure:
        fig = figure(rows, stats, road_network(192, np.random.default_rng(0)))
        fig.savefig(args.figure, dpi=100)
    return rows, stats


if __name__ == "__main__":
    main()
