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
64x64 patches (:func:`fasttopo.betti_error` with ``dims=1``).

Run ``python unet_topological_losses.py`` (full, a few minutes per method
on one thread) or ``--quick``.
"""

import argparse
import importlib.util
import pathlib
import time

import numba
import numpy as np
import scipy.ndimage as ndi
import torch
from skimage.morphology import skeletonize

import fasttopo
import fasttopo.nn as tnn

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


def train(method, data, iterations=300, batch=4, seed=0, log=None):
    """Train one UNet; returns the model, seconds in all and in the topological term."""
    images, masks, dists = (torch.from_numpy(a) for a in data)
    torch.manual_seed(seed)
    model = UNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(seed)
    order = np.random.default_rng(seed + 1)
    total = topo_time = 0.0
    for it in range(iterations):
        idx = torch.from_numpy(order.choice(len(images), batch, replace=False))
        start = time.perf_counter()
        opt.zero_grad()
        out = model(images[idx])
        loss, t = loss_fn(method, out, masks[idx], dists[idx], rng)
        loss.backward()
        opt.step()
        total += time.perf_counter() - start
        topo_time += t
        if log and (it % 50 == 0 or it == iterations - 1):
            print(f"[{method}] it {it} loss {loss.item():.4f}", file=log, flush=True)
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


def evaluate(method, model, data, n_patches=20, seed=0):
    images, masks, _ = data
    with torch.no_grad():
        out = model(torch.from_numpy(images)).numpy()
    pred = segment(method, out)[:, 0]
    truth = masks[:, 0] > 0.5
    scores = {"accuracy": [], "completeness": [], "correctness": [], "quality": [], "dice": [],
              "betti1": []}
    for k, (p, t) in enumerate(zip(pred, truth)):
        scores["accuracy"].append(np.mean(p == t))
        comp, corr, qual = relaxed(p, t)
        scores["completeness"].append(comp)
        scores["correctness"].append(corr)
        scores["quality"].append(qual)
        scores["dice"].append(2 * (p & t).sum() / max(p.sum() + t.sum(), 1))
        scores["betti1"].append(fasttopo.betti_error(p, t, dims=1, patch_size=64,
                                                     n_patches=n_patches, rng=seed + k))
    return {k: float(np.mean(v)) for k, v in scores.items()}


METHODS = ("bce", "bce+lifetime", "mse", "mse+localized")


def run(n_train=64, n_test=16, iterations=300, size=128, methods=METHODS, log=None):
    train_data = dataset(n_train, size, seed=1)
    test_data = dataset(n_test, size, seed=2)
    results = {}
    for method in methods:
        model, seconds, topo = train(method, train_data, iterations, log=log)
        scores = evaluate(method, model, test_data)
        scores["s/iter"] = seconds / iterations
        scores["topo share"] = topo / seconds
        results[method] = scores
    return results


def table(results):
    keys = ("accuracy", "completeness", "correctness", "quality", "dice", "betti1", "s/iter",
            "topo share")
    lines = ["method          " + "".join(f"{k:>13s}" for k in keys)]
    for method, s in results.items():
        lines.append(f"{method:16s}" + "".join(f"{s[k]:13.3f}" for k in keys))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 images 64x64... seconds")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    import sys
    methods = tuple(args.methods.split(","))
    if args.quick:
        results = run(n_train=8, n_test=2, iterations=4, size=64, methods=methods)
    else:
        results = run(iterations=args.iterations, methods=methods, log=sys.stdout)
    print(table(results))
    return results


if __name__ == "__main__":
    main()
