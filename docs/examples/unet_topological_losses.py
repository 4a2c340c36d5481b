"""A small UNet on synthetic roads: BCE, BCE + lifetime-sorted loss, MSE + localized loss.

The training experiments of the topological-priors UNet (BCE + lambda *
lifetime-sorted matching loss) and of Oner et al. (MSE on truncated
distance maps + alpha * C, the localized persistence loss), rerun side by
side on CPU at a small scale with the same budget (network, data,
iterations, batch size, seed):

* data: the synthetic road networks of ``oner_error_injection.py``
  (128x128, roads 3 pixels wide), rendered as images: roads brighter than
  the background, a smooth random background texture, Gaussian blur
  (sigma 1), 3 to 6 dark occluding disks ("trees") per image, Gaussian
  noise (sigma 0.25);
* network: a 2-level UNet (8-16-32 channels, ~30k weights);
* ``bce``: BCE on the road mask;
* ``bce+lifetime``: BCE + ``lam`` * :func:`fasttopo.nn.lifetime_sorted_loss`
  between the superlevel diagrams (dimensions 0 and 1) of the predicted
  probability and of the mask, ``lam`` = 0.01;
* ``mse``: the network predicts the distance to the nearest road pixel
  truncated at 16 (``16 * sigmoid(output)``), trained by MSE; the
  segmentation is ``distance < 1``;
* ``mse+localized``: the same + :func:`fasttopo.nn.localized_loss` (alpha
  = 0.01 as in the paper, 64x64 windows, dimension 1, a new random linear
  height function of range 4 each iteration).

Scores on 16 held-out images: pixel accuracy, completeness / correctness
/ quality (relaxed, on the centre lines, 3-pixel buffer, as in road
extraction), dice of the masks, and the Betti error of beta_1 on random
64x64 patches (:func:`fasttopo.betti_error` with ``dims=1``), split into
the loops the prediction has in excess and the loops it misses.  One UNet
per method and seed (``--seeds``, default 0, 1, 2); the table gives the
mean ± sd over the seeds.

Run ``python docs/examples/unet_topological_losses.py --iterations 600``
(the page's table: about 10 minutes of one core; ``--write`` writes it
into ``docs/examples/tables/``) or ``--quick``.
"""

import argparse
import importlib.util
import pathlib
import sys
import time

import numba
import numpy as np
import scipy.ndimage as ndi
import torch
from skimage.morphology import skeletonize

import fasttopo
import fasttopo.nn as tnn
from _gallery import mean_sd, rst_table, write_tables  # docs/examples is on the path

HERE = pathlib.Path(__file__).resolve().parent
T = 16.0


def _roads_module():
    spec = importlib.util.spec_from_file_location("oner_error_injection",
                                                  HERE / "oner_error_injection.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dataset(n, size=128, seed=0):
    """(images, masks, distance maps): float32 arrays (n, 1, size, size)."""
    roads = _roads_module()
    rng = np.random.default_rng(seed)
    images, masks, dists = [], [], []
    for _ in range(n):
        mask = roads.road_network(size, rng, n_nodes=10)
        background = ndi.gaussian_filter(rng.standard_normal((size, size)), 6)
        image = 0.3 + 0.8 * background / (np.abs(background).max() + 1e-9) * 0.3
        image = np.where(mask, 0.8, image)
        image = ndi.gaussian_filter(image, 1.0)
        rr, cc = np.ogrid[:size, :size]
        for _ in range(rng.integers(3, 7)):
            r, c = rng.uniform(0, size, 2)
            image[(rr - r) ** 2 + (cc - c) ** 2 <= rng.uniform(3, 6) ** 2] = 0.25
        image = image + 0.25 * rng.standard_normal((size, size))
        images.append(image)
        masks.append(mask)
        dists.append(np.minimum(ndi.distance_transform_edt(~mask), T))
    stack = [np.asarray(a, dtype=np.float32)[:, None] for a in (images, masks, dists)]
    return tuple(stack)


class UNet(torch.nn.Module):
    """Two down- and up-sampling levels, 8-16-32 channels (``ndim=3``: the same in 3D)."""

    def __init__(self, width=8, ndim=2):
        super().__init__()
        conv = torch.nn.Conv2d if ndim == 2 else torch.nn.Conv3d
        up = torch.nn.ConvTranspose2d if ndim == 2 else torch.nn.ConvTranspose3d
        self.pool = (torch.nn.functional.max_pool2d if ndim == 2
                     else torch.nn.functional.max_pool3d)

        def block(i, o):
            return torch.nn.Sequential(conv(i, o, 3, padding=1), torch.nn.ReLU(),
                                       conv(o, o, 3, padding=1), torch.nn.ReLU())
        w = width
        self.d1, self.d2, self.mid = block(1, w), block(w, 2 * w), block(2 * w, 4 * w)
        self.u2 = up(4 * w, 2 * w, 2, stride=2)
        self.c2 = block(4 * w, 2 * w)
        self.u1 = up(2 * w, w, 2, stride=2)
        self.c1 = block(2 * w, w)
        self.out = conv(w, 1, 1)

    def forward(self, x):
        a = self.d1(x)
        b = self.d2(self.pool(a, 2))
        m = self.mid(self.pool(b, 2))
        b = self.c2(torch.cat([self.u2(m), b], 1))
        a = self.c1(torch.cat([self.u1(b), a], 1))
        return self.out(a)


def distance_head(out):
    """The predicted truncated distance map, in pixels: T * sigmoid(network output)."""
    return T * torch.sigmoid(out)


def loss_fn(method, out, mask, dist, rng, lam=0.01, alpha=0.01):
    """The training loss of ``method`` on a batch; also the time of its topological term."""
    if method.startswith("mse"):
        pred = distance_head(out)
        base = torch.nn.functional.mse_loss(pred, dist)
        if method == "mse":
            return base, 0.0
        t0 = time.perf_counter()
        topo = tnn.localized_loss(pred, dist, window=64, dim=1, alpha=alpha, amplitude=4.0,
                                  rng=rng)
        return base + topo, time.perf_counter() - t0
    base = torch.nn.functional.binary_cross_entropy_with_logits(out, mask)
    if method == "bce":
        return base, 0.0
    t0 = time.perf_counter()
    prob = torch.sigmoid(out)
    pd = tnn.persistence(prob, superlevel=True)
    gd = tnn.persistence(mask, superlevel=True)
    topo = tnn.lifetime_sorted_loss(pd, gd, dim=(0, 1))
    return base + lam * topo, time.perf_counter() - t0


def segment(method, out):
    if method.startswith("mse"):
        return distance_head(torch.as_tensor(out)).numpy() < 1.0
    return out > 0.0


def fit(model, tensors, loss_of, iterations, batch=4, seed=0, lr=2e-3, log=None, tag=""):
    """Adam on random batches of ``tensors`` (images first); the model is trained in place.

    ``loss_of(output, *other tensors of the batch, rng)`` returns the loss and
    the seconds of its topological term.  Returns the seconds of all steps
    and of the topological terms.
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    order = np.random.default_rng(seed + 1)
    total = topo_time = 0.0
    for it in range(iterations):
        idx = torch.from_numpy(order.choice(len(tensors[0]), batch, replace=False))
        start = time.perf_counter()
        opt.zero_grad()
        out = model(tensors[0][idx])
        loss, t = loss_of(out, *(x[idx] for x in tensors[1:]), rng)
        loss.backward()
        opt.step()
        total += time.perf_counter() - start
        topo_time += t
        if log and (it % 50 == 0 or it == iterations - 1):
            print(f"[{tag}] it {it} loss {loss.item():.4f}", file=log, flush=True)
    return total, topo_time


def train(method, data, iterations=300, batch=4, seed=0, lam=0.01, log=None):
    """Train one UNet; returns the model, seconds in all and in the topological term."""
    torch.manual_seed(seed)
    model = UNet()

    def loss_of(out, mask, dist, rng):
        return loss_fn(method, out, mask, dist, rng, lam=lam)

    total, topo_time = fit(model, [torch.from_numpy(a) for a in data], loss_of, iterations,
                           batch, seed, log=log, tag=f"{method} seed {seed}")
    return model, total, topo_time


def relaxed(pred, truth, buffer=3):
    """Completeness, correctness, quality of centre lines with a ``buffer``-pixel tolerance."""
    ps, ts = skeletonize(pred), skeletonize(truth)
    near_t = ndi.distance_transform_edt(~ts) <= buffer
    near_p = ndi.distance_transform_edt(~ps) <= buffer
    comp = (ts & near_p).sum() / max(ts.sum(), 1)
    corr = (ps & near_t).sum() / max(ps.sum(), 1)
    qual = comp * corr / max(comp + corr - comp * corr, 1e-12)
    return comp, corr, qual


def loop_errors(pred, truth, n_patches, rng):
    """Mean over random 64x64 patches of the loops the prediction has in excess / misses.

    The patches of :func:`fasttopo.betti_error` drawn with the same ``rng``
    (its beta_1 error is the sum of the two).
    """
    rng = np.random.default_rng(rng)
    size = [min(64, s) for s in pred.shape]
    starts = [rng.integers(0, s - p + 1, size=n_patches) for s, p in zip(pred.shape, size)]
    extra = missing = 0
    for r, c in zip(*starts):
        window = (slice(r, r + size[0]), slice(c, c + size[1]))
        d = fasttopo.betti_numbers(pred[window])[1] - fasttopo.betti_numbers(truth[window])[1]
        extra += max(d, 0)
        missing += max(-d, 0)
    return extra / n_patches, missing / n_patches


def evaluate(method, model, data, n_patches=20, seed=0):
    images, masks, _ = data
    with torch.no_grad():
        out = model(torch.from_numpy(images)).numpy()
    pred = segment(method, out)[:, 0]
    truth = masks[:, 0] > 0.5
    scores = {key: [] for key in ("accuracy", "completeness", "correctness", "quality", "dice",
                                  "betti1", "extra loops", "missing loops")}
    for k, (p, t) in enumerate(zip(pred, truth)):
        scores["accuracy"].append(np.mean(p == t))
        comp, corr, qual = relaxed(p, t)
        scores["completeness"].append(comp)
        scores["correctness"].append(corr)
        scores["quality"].append(qual)
        scores["dice"].append(2 * (p & t).sum() / max(p.sum() + t.sum(), 1))
        scores["betti1"].append(fasttopo.betti_error(p, t, dims=1, patch_size=64,
                                                     n_patches=n_patches, rng=seed + k))
        extra, missing = loop_errors(p, t, n_patches, seed + k)
        scores["extra loops"].append(extra)
        scores["missing loops"].append(missing)
    return {k: float(np.mean(v)) for k, v in scores.items()}


METHODS = ("bce", "bce+lifetime", "mse", "mse+localized")
#: paper 002 (topological priors UNet, ISBI 2012): Betti error of beta_1
PAPER = {"paper 002: BCE": 1.16, "paper 002: BCE + topological": 1.02}


def run(n_train=64, n_test=16, iterations=300, size=128, methods=METHODS, seeds=(0,), lam=0.01,
        log=None):
    """{method: {score: [value per seed]}}: one UNet per method and seed."""
    train_data = dataset(n_train, size, seed=1)
    test_data = dataset(n_test, size, seed=2)
    results = {method: {} for method in methods}
    for method in methods:
        for seed in seeds:
            model, seconds, topo = train(method, train_data, iterations, seed=seed, lam=lam,
                                         log=log)
            scores = evaluate(method, model, test_data)
            scores["s/iter"] = seconds / iterations
            scores["topo share"] = topo / seconds
            for key, value in scores.items():
                results[method].setdefault(key, []).append(value)
    return results


COLUMNS = (("accuracy", "accuracy"), ("completeness", "completeness"),
           ("correctness", "correctness"), ("quality", "quality"), ("dice", "dice"),
           ("betti1", "Betti error β1"), ("extra loops", "β1: extra"),
           ("missing loops", "β1: missing"))


def table(results, timing=True):
    """The page's rst table: mean ± sd over the seeds (and, with ``timing``, the times)."""

    header = ["method"] + [label for _, label in COLUMNS]
    if timing:
        header += ["s/iter", "topo share"]
    rows = []
    for method, s in results.items():
        row = [method] + [mean_sd(s[key]) for key, _ in COLUMNS]
        if timing:
            row += [f"{np.mean(s['s/iter']):.3f}", f"{np.mean(s['topo share']):.0%}"]
        rows.append(row)
    betti = [label for _, label in COLUMNS].index("Betti error β1") + 1
    for label, value in PAPER.items():
        row = [label] + [""] * (len(header) - 1)
        row[betti] = f"{value:.2f}"
        rows.append(row)
    return rst_table(header, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 images 64x64, 4 iterations")
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--seeds", default="0,1,2", help="one UNet per method and seed")
    parser.add_argument("--lam", type=float, default=0.01,
                        help="weight of the lifetime-sorted loss")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/examples/tables/ (the page includes it)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    methods = tuple(args.methods.split(","))
    seeds = tuple(int(s) for s in args.seeds.split(","))
    if args.quick:
        results = run(n_train=8, n_test=2, iterations=4, size=64, methods=methods,
                      seeds=seeds[:1], lam=args.lam)
    else:
        results = run(iterations=args.iterations, methods=methods, seeds=seeds, lam=args.lam,
                      log=sys.stdout)
    text = table(results, timing=not args.quick)
    print(text)
    if args.write:
        argv = list(sys.argv[1:] if argv is None else argv)
        name = "quick" if args.quick else f"it{args.iterations}"
        if args.lam != 0.01:
            name += f"-lam{args.lam:g}"
        write_tables(f"unet_topological_losses.{name}", "unet_topological_losses.py", argv,
                     [("", text)])
    return results


if __name__ == "__main__":
    main()
