"""Time of each topological loss inside a training step (4 x 1 x 256 x 256 batch).

One training step of the small UNet of ``unet_topological_losses.py``
(forward, BCE, backward, Adam step) on a batch of four 256x256 images, and
apart from it each topological term on the network's output (its forward
and its backward down to the output, which is what it adds to a step);
its share is ``term / (step + term)``.  Rounds alternate the step and the
terms, so that load on the machine hits them alike.  Oner et al. report
0.5 s per 64x64 window for their localized loss;
a 256x256 image holds 16 such windows, a batch of four 64.

Run ``python topological_loss_timing.py`` (one thread; the minimum over
``--repeats`` steps after one warm-up) or ``--quick``.
"""

import argparse
import importlib.util
import pathlib
import sys
import time

import numba
import numpy as np
import torch

import fasttopo.nn as tnn
from _gallery import rst_table, write_tables  # docs/examples is on the path

HERE = pathlib.Path(__file__).resolve().parent


def _unet():
    spec = importlib.util.spec_from_file_location("unet_topological_losses",
                                                  HERE / "unet_topological_losses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.UNet


def topological_terms(rng):
    """name -> f(out, mask, dist): one topological term (the pixel loss is timed apart)."""

    def lifetime(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True)
        return 0.01 * tnn.lifetime_sorted_loss(pd, tnn.persistence(mask, superlevel=True),
                                               dim=(0, 1))

    def wasserstein(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True, max_dim=0)
        return 0.01 * tnn.wasserstein_loss(
            pd, tnn.persistence(mask, superlevel=True, max_dim=0), dim=0)

    def total(out, mask, dist):
        pd = tnn.persistence(torch.sigmoid(out), superlevel=True, max_dim=0)
        return 0.01 * tnn.total_persistence(pd, skip=1)

    def localized(out, mask, dist):
        return tnn.localized_loss(out, dist, window=64, dim=1, alpha=0.01, amplitude=4.0,
                                  rng=rng)

    return {"total persistence, PD0": total,
            "Wasserstein, PD0": wasserstein,
            "lifetime-sorted, PD0+PD1": lifetime,
            "localized, 64x64, PD1": localized}


def step_time(model, opt, x, mask):
    """One training step with the pixel loss (BCE) alone."""
    start = time.perf_counter()
    opt.zero_grad()
    out = model(x)
    torch.nn.functional.binary_cross_entropy_with_logits(out, mask).backward()
    opt.step()
    return time.perf_counter() - start


def term_time(term, out, mask, dist):
    """Forward of the term and its backward down to the network's output."""
    out = out.detach().requires_grad_(True)
    start = time.perf_counter()
    loss = term(out, mask, dist)
    if loss.requires_grad:            # no pair at all: nothing to differentiate
        loss.backward()
    return time.perf_counter() - start


def run(size=256, batch=4, repeats=5):
    """Seconds: the step with the pixel loss, and each topological term (min over repeats)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.rand(batch, 1, size, size)
    mask = (torch.rand(batch, 1, size, size) > 0.9).float()
    dist = torch.rand(batch, 1, size, size) * 16
    model = _unet()()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    with torch.no_grad():
        out = model(x)
    terms = topological_terms(rng)
    times = {"step (BCE)": [], **{name: [] for name in terms}}
    for r in range(repeats + 1):                  # round 0 warms up (compilation)
        times["step (BCE)"].append(step_time(model, opt, x, mask))
        for name, term in terms.items():
            times[name].append(term_time(term, out, mask, dist))
    return {name: min(t[1:]) if len(t) > 1 else t[0] for name, t in times.items()}


def table(times, batch=4, size=256, timing=True):
    """The page's rst table: seconds per iteration and share of the step (``timing=False``:
    the rows alone, what a ``--quick`` run can compare)."""

    windows = batch * (size // 64) ** 2
    step = times["step (BCE)"]

    def cells(t, share=True):
        if not timing:
            return ["", ""]
        return [f"{t:.3f}", f"{t / (step + t):.1%}" if share else ""]

    rows = [["UNet step, BCE only", *cells(step, share=False)]]
    rows += [[name, *cells(t)] for name, t in times.items() if name != "step (BCE)"]
    rows.append(["paper 003, localized", f"{0.5 * windows:.0f} (0.5 s x {windows} windows)", ""])
    return rst_table([f"per iteration, {batch}x1x{size}x{size}", "seconds", "share of step"],
                     rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64x64 images, 1 repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/examples/tables/ (the page includes it)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    if args.quick:
        times = run(size=64, batch=2, repeats=1)
        text = table(times, batch=2, size=64, timing=False)
    else:
        times = run(repeats=args.repeats)
        text = table(times)
    print(text)
    if args.write:
        write_tables(f"topological_loss_timing.{'quick' if args.quick else 'full'}",
                     "topological_loss_timing.py", list(sys.argv[1:] if argv is None else argv),
                     [("", text)])
    return times


if __name__ == "__main__":
    main()
