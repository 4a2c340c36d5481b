"""Time of each topological loss inside a training step (4 x 1 x 256 x 256 batch).

One training step of the small UNet of ``unet_topological_losses.py``
(forward, loss, backward, Adam step) on a batch of four 256x256 images,
with the pixel loss alone and with each topological loss added; the
per-iteration time of the topological term (its forward and its share of
the backward, measured as the step's extra time) and its share of the
step.  Oner et al. report 0.5 s per 64x64 window for their localized loss;
a 256x256 image holds 16 such windows, a batch of four 64.

Run ``python topological_loss_timing.py`` (one thread; the minimum over
``--repeats`` steps after one warm-up) or ``--quick``.
"""

import argparse
import importlib.util
import pathlib
import time

import numba
import numpy as np
import torch

import fasttopo.nn as tnn

HERE = pathlib.Path(__file__).resolve().parent


def _unet():
    spec = importlib.util.spec_from_file_location("unet_topological_losses",
                                                  HERE / "unet_topological_losses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.UNet


def losses(rng):
    """name -> f(out, mask, dist): the pixel loss plus one topological term."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    mse = torch.nn.functional.mse_loss

    def lifetime(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True)
        return bce(out, mask) + 0.01 * tnn.lifetime_sorted_loss(
            pd, tnn.persistence(mask, superlevel=True), dim=(0, 1))

    def wasserstein(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True, max_dim=0)
        return bce(out, mask) + 0.01 * tnn.wasserstein_loss(
            pd, tnn.persistence(mask, superlevel=True, max_dim=0), dim=0)

    def total(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True, max_dim=0)
        return bce(out, mask) + 0.01 * tnn.total_persistence(pd, skip=1)

    def localized(out, mask, dist):
        return mse(out, dist) + tnn.localized_loss(out, dist, window=64, dim=1, alpha=0.01,
                                                   amplitude=4.0, rng=rng)

    return {"BCE only": lambda out, mask, dist: bce(out, mask),
            "MSE only": lambda out, mask, dist: mse(out, dist),
            "BCE + total persistence PD0": total,
            "BCE + Wasserstein PD0": wasserstein,
            "BCE + lifetime-sorted PD0+PD1": lifetime,
            "MSE + localized (64x64, PD1)": localized}


def step_time(model, opt, loss, x, mask, dist):
    start = time.perf_counter()
    opt.zero_grad()
    out = model(x)
    loss(out, mask, dist).backward()
    opt.step()
    return time.perf_counter() - start


def run(size=256, batch=4, repeats=5):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.rand(batch, 1, size, size)
    mask = (torch.rand(batch, 1, size, size) > 0.9).float()
    dist = torch.rand(batch, 1, size, size) * 16
    model = _unet()()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    times = {}
    for name, loss in losses(rng).items():
        step_time(model, opt, loss, x, mask, dist)               # warm-up (compilation)
        times[name] = min(step_time(model, opt, loss, x, mask, dist) for _ in range(repeats))
    return times


def table(times, batch=4, size=256):
    windows = batch * (size // 64) ** 2
    lines = [f"{'step':32s} {'s/step':>8s} {'topo s':>8s} {'share':>6s}",
             "-" * 58]
    for name, t in times.items():
        base = times["MSE only" if name.startswith("MSE") else "BCE only"]
        extra = t - base
        share = extra / t if "+" in name else 0.0
        lines.append(f"{name:32s} {t:8.3f} {extra if '+' in name else 0:8.3f} {share:6.1%}")
    lines.append(f"paper (Oner et al.): 0.5 s per 64x64 window -> {0.5 * windows:.0f} s for "
                 f"the {windows} windows of this batch")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64x64 images, 1 repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    if args.quick:
        times = run(size=64, batch=2, repeats=1)
        print(table(times, batch=2, size=64))
    else:
        times = run(repeats=args.repeats)
        print(table(times))
    return times


if __name__ == "__main__":
    main()
