"""Betti matching beside three other topological losses: a small UNet on synthetic roads, vessels.

The comparison of Stucki et al. (ICML 2023: a pixel loss against the
topological losses, scored by Dice, clDice, the Betti number error and the
Betti matching error), rerun on CPU at a small scale with fasttopo's
losses:

* ``bce``: binary cross-entropy alone;
* ``bce+lifetime``: + ``lam`` x :func:`fasttopo.nn.lifetime_sorted_loss`
  between the superlevel diagrams of the probability and of the mask (the
  topological-priors UNet, all dimensions);
* ``bce+localized``: + :func:`fasttopo.nn.localized_loss` of Oner et al.
  (windows, a new random linear height each iteration, dimension 1) on the
  superlevel filtration of the probability and of the mask;
* ``bce+betti``: + ``lam`` x :func:`fasttopo.nn.betti_matching_loss`
  (Stucki et al., superlevel, all dimensions, unmatched target bars
  included).

Data: the synthetic road maps of ``unet_topological_losses.py`` (128x128,
64 training and 16 test images) and synthetic 3D vessels (random branching
tubes in 32^3 volumes, 32 training and 8 test volumes).  Network: the
small UNet of ``unet_topological_losses.py`` (8-16-32 channels in 2D, 4-8-16
in 3D).  Protocol (paired, as the papers fine-tune a pretrained network):
for each seed, a UNet is trained with BCE alone for ``warmup`` iterations,
then a copy of it is fine-tuned with each loss for ``iterations``
iterations, the batches of every copy drawn in the same order.  Scores on
the test set, per image then averaged: Dice; clDice (Shit et al., the
skeletons by :func:`skimage.morphology.skeletonize`); the Betti number
error (sum over dimensions of ``|b_d(prediction) - b_d(target)|`` on the
whole image) and the Betti matching error (:func:`fasttopo.betti_matching_error`,
summed over dimensions); mean +- sd over the seeds.

Run ``python docs/examples/betti_matching_segmentation.py`` (the full
run, about an hour on one core; ``--write`` also writes the page's table)
or ``--quick`` (seconds: what the tests run).
"""

import argparse
import copy
import importlib.util
import json
import pathlib
import sys
import time

import numba
import numpy as np
import scipy.ndimage as ndi
from scipy.spatial import cKDTree
import torch
from skimage.morphology import skeletonize

import fasttopo
import fasttopo.nn as tnn
from _gallery import mean_sd, rst_table, write_tables  # docs/examples is on the path

HERE = pathlib.Path(__file__).resolve().parent
LOSSES = ("bce", "bce+lifetime", "bce+localized", "bce+betti")
#: weight of the topological term of each loss
WEIGHTS = {"bce+lifetime": 0.01, "bce+localized": 0.01, "bce+betti": 0.01}
#: Stucki et al., ICML 2023 (arXiv:2211.15272), their road maps: {row label: {metric: text}}
#: (empty: the paper's tables were not available offline; see the page)
PAPER_ROADS = {}


def _example(name):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


UNET = _example("unet_topological_losses")


def roads(n, size=128, seed=0):
    """(images, masks): float32 (n, 1, size, size), the road maps of the UNet example."""
    images, masks, _ = UNET.dataset(n, size, seed=seed)
    return images, masks


def vessel_tree(size, rng, n_roots=3, steps=40, p_branch=0.05, radius=(1.0, 1.8), turn=0.12,
                max_points=240):
    """Boolean mask of random branching tubes in a ``size``^3 volume.

    Each root starts on a face and walks inwards with a slowly turning
    direction; a walker branches with probability ``p_branch`` per step
    and stops at the border; tubes have a radius drawn in ``radius``.
    """
    shape = (size,) * 3
    points, radii = [], []
    walkers = []
    for _ in range(n_roots):
        axis, side = rng.integers(3), rng.integers(2)
        start = rng.uniform(2, size - 2, 3)
        start[axis] = 0.5 if side == 0 else size - 1.5
        direction = rng.normal(size=3)
        direction[axis] = abs(direction[axis]) * 3 * (1 if side == 0 else -1)
        walkers.append((start, direction / np.linalg.norm(direction), rng.uniform(*radius)))
    count = 0
    while walkers and count < max_points:
        pos, direction, r = walkers.pop()
        for _ in range(steps):
            direction = direction + turn * rng.normal(size=3)
            direction /= np.linalg.norm(direction)
            pos = pos + direction
            count += 1
            if (pos < 0).any() or (pos > size - 1).any():
                break
            points.append(pos.copy())
            radii.append(r)
            if rng.random() < p_branch:
                side = rng.normal(size=3)
                side -= side.dot(direction) * direction
                new = direction + 1.2 * side / (np.linalg.norm(side) + 1e-12)
                walkers.append((pos.copy(), new / np.linalg.norm(new),
                                max(radius[0], 0.8 * r)))
    mask = np.zeros(shape, bool)
    if not points:
        return mask
    points, radii = np.array(points), np.array(radii)
    grid = np.stack(np.meshgrid(*(np.arange(size),) * 3, indexing="ij"), -1).reshape(-1, 3)
    # voxels within each point's radius (points are one voxel apart along a tube)
    tree = cKDTree(points)
    dist, idx = tree.query(grid, distance_upper_bound=radius[1] + 0.5)
    inside = np.isfinite(dist)
    inside[inside] = dist[inside] <= radii[idx[inside]]
    mask.reshape(-1)[:] = inside
    return mask


def vessels(n, size=32, seed=0):
    """(images, masks): float32 (n, 1, size, size, size), synthetic vessels.

    Tubes (1.0) brighter than a smooth random background (0.3 +- 0.2),
    Gaussian blur (sigma 0.5), 2 to 4 dark occluding balls (0.25),
    Gaussian noise (sigma 0.2).
    """
    rng = np.random.default_rng(seed)
    images, masks = [], []
    for _ in range(n):
        mask = vessel_tree(size, rng)
        background = ndi.gaussian_filter(rng.standard_normal(mask.shape), 4)
        image = 0.3 + 0.2 * background / (np.abs(background).max() + 1e-9)
        image = ndi.gaussian_filter(np.where(mask, 1.0, image), 0.5)
        grid = np.ogrid[:size, :size, :size]
        for _ in range(rng.integers(2, 5)):
            c = rng.uniform(0, size, 3)
            ball = sum((g - x) ** 2 for g, x in zip(grid, c)) <= rng.uniform(1.5, 3) ** 2
            image[ball] = 0.25
        images.append(image + 0.2 * rng.standard_normal(mask.shape))
        masks.append(mask)
    return tuple(np.asarray(a, dtype=np.float32)[:, None] for a in (images, masks))


DATASETS = {
    # name: (data function, train / test sizes, UNet width, localized window, quick shape)
    "roads": dict(data=roads, size=128, n_train=64, n_test=16, width=8, window=64, batch=4),
    "vessels": dict(data=vessels, size=32, n_train=32, n_test=8, width=8, window=16, batch=2),
}


def topological_term(loss, prob, mask, rng, window):
    """The weighted topological term of ``loss`` (0 for ``bce``)."""
    lam = WEIGHTS.get(loss, 0.0)
    if loss == "bce":
        return prob.new_zeros(())
    if loss == "bce+lifetime":
        pd = tnn.persistence(prob, superlevel=True)
        gd = tnn.persistence(mask, superlevel=True)
        return lam * tnn.lifetime_sorted_loss(pd, gd)
    if loss == "bce+localized":
        return tnn.localized_loss(prob, mask, window=window, dim=1, alpha=lam, amplitude=0.25,
                                  superlevel=True, rng=rng)
    if loss == "bce+betti":
        return lam * tnn.betti_matching_loss(prob, mask, n_jobs=1)
    raise ValueError(f"unknown loss {loss!r}")


def train(model, data, loss, iterations, batch, seed, window, lr=2e-3, log=None, tag=""):
    """Train ``model`` in place; returns seconds in all and in the topological term."""
    def loss_of(out, mask, rng):
        base = torch.nn.functional.binary_cross_entropy_with_logits(out, mask)
        t0 = time.perf_counter()
        topo = topological_term(loss, torch.sigmoid(out), mask, rng, window)
        return base + topo, time.perf_counter() - t0

    return UNET.fit(model, [torch.from_numpy(a) for a in data], loss_of, iterations, batch,
                    seed, lr=lr, log=log, tag=f"{tag} {loss}")


def cl_dice(prediction, target):
    """clDice of Shit et al.: harmonic mean of topology precision and sensitivity."""
    def cover(volume, skeleton):
        return (volume & skeleton).sum() / skeleton.sum() if skeleton.any() else 0.0
    precision = cover(prediction, skeletonize(target))
    sensitivity = cover(target, skeletonize(prediction))
    total = precision + sensitivity
    return 2 * precision * sensitivity / total if total > 0 else 0.0


def scores(prediction, target):
    """Dice, clDice, Betti number error and Betti matching error of two masks."""
    both = prediction.sum() + target.sum()
    betti = np.abs(np.subtract(fasttopo.betti_numbers(prediction),
                               fasttopo.betti_numbers(target))).sum()
    return {"dice": 2 * (prediction & target).sum() / both if both else 1.0,
            "cldice": cl_dice(prediction, target),
            "betti": float(betti),
            "betti matching": float(fasttopo.betti_matching_error(prediction, target).sum())}


def evaluate(model, data):
    images, masks = data
    with torch.no_grad():
        out = model(torch.from_numpy(images)).numpy()
    per_image = [scores(p > 0, t > 0.5) for p, t in zip(out[:, 0], masks[:, 0])]
    return {k: float(np.mean([s[k] for s in per_image])) for k in per_image[0]}


def run(name, seeds=(0, 1, 2), warmup=300, iterations=300, losses=LOSSES, quick=False,
        log=None, done=None, lr=2e-3):
    """{loss: {metric: [value per seed]}} on data set ``name`` ('roads' or 'vessels').

    ``done``: a JSON-lines file of finished runs (read to resume, appended to).
    """
    cfg = DATASETS[name]
    size = cfg["size"] // 2 if quick else cfg["size"]
    n_train, n_test = (4, 2) if quick else (cfg["n_train"], cfg["n_test"])
    train_data = cfg["data"](n_train, size, seed=1)
    test_data = cfg["data"](n_test, size, seed=2)
    window = min(cfg["window"], size)
    ndim = train_data[0].ndim - 2
    finished = {}
    if done and pathlib.Path(done).exists():
        for line in pathlib.Path(done).read_text().splitlines():
            row = json.loads(line)
            finished[row.pop("data"), row.pop("seed"), row.pop("loss")] = row
    results = {loss: {} for loss in losses}
    for seed in seeds:
        base = None
        for loss in losses:
            row = finished.get((name, seed, loss))
            if row is None:
                if base is None:
                    torch.manual_seed(seed)
                    base = UNET.UNet(width=cfg["width"], ndim=ndim)
                    train(base, train_data, "bce", warmup, cfg["batch"], seed, window, lr=lr,
                          log=log, tag=f"{name} seed {seed} warm-up")
                model = copy.deepcopy(base)
                seconds, _ = train(model, train_data, loss, iterations, cfg["batch"],
                                   seed + 100, window, lr=lr, log=log,
                                   tag=f"{name} seed {seed}")
                row = evaluate(model, test_data)
                row["s/iter"] = seconds / max(iterations, 1)
                if done:
                    with open(done, "a") as f:
                        f.write(json.dumps({"data": name, "seed": seed, "loss": loss, **row})
                                + "\n")
            for key, value in row.items():
                results[loss].setdefault(key, []).append(value)
            if log:
                print(json.dumps({"data": name, "seed": seed, "loss": loss, **row}), file=log,
                      flush=True)
    return results


METRICS = (("dice", "Dice"), ("cldice", "clDice"), ("betti", "Betti error"),
           ("betti matching", "Betti matching error"))


def table(results, timing=True, paper=None):
    """The rst table of one data set: mean +- sd over seeds (and the paper's rows)."""

    header = ["loss"] + [label for _, label in METRICS] + (["s/iter"] if timing else [])
    rows = []
    for loss, res in results.items():
        row = [loss] + [mean_sd(res[key]) for key, _ in METRICS]
        if timing:
            row.append(f"{np.mean(res['s/iter']):.3f}")
        rows.append(row)
    for label, values in (paper or {}).items():
        rows.append([f"paper: {label}"] + [values.get(key, "") for key, _ in METRICS]
                    + ([""] if timing else []))
    return rst_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, 2 + 2 iterations")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--warmup", type=int, default=400, help="BCE iterations (2D)")
    parser.add_argument("--iterations", type=int, default=400, help="fine-tuning (2D)")
    parser.add_argument("--warmup-3d", type=int, default=250)
    parser.add_argument("--iterations-3d", type=int, default=150)
    parser.add_argument("--data", default="roads,vessels")
    parser.add_argument("--write", action="store_true", help="write the page's table")
    parser.add_argument("--resume", default=None,
                        help="JSON-lines file of finished runs: skipped, and appended to")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: Numba's spinning OpenMP workers slow torch's kernels down
    numba.set_num_threads(1)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    tables = []
    for name in args.data.split(","):
        if args.quick:
            res = run(name, seeds=seeds[:1], warmup=40, iterations=3, quick=True, lr=1e-2)
        else:
            three = name == "vessels"
            res = run(name, seeds, args.warmup_3d if three else args.warmup,
                      args.iterations_3d if three else args.iterations, log=sys.stdout,
                      done=args.resume)
        text = table(res, timing=not args.quick, paper=PAPER_ROADS if name == "roads" else None)
        print(f"\n{name}\n{text}")
        tables.append((f"**{name}**", text))
    if args.write:
        tag = "quick" if args.quick else "full"
        write_tables(f"betti_matching_segmentation.{tag}", "betti_matching_segmentation.py",
                     list(argv if argv is not None else sys.argv[1:]), tables)
    return tables


if __name__ == "__main__":
    main()
