"""Evaluate the PD0 approximator with the paper's metrics, and time it beside exact engines.

Held-out patches: random 32 x 32 patches of ``skimage.data`` images that
were not used in training (``nn_pd0_train.HELDOUT_NAMES``), values in
[0, 1].  Truth: :func:`fasttopo.persistence_batch` (sublevel, dimension 0,
V-construction).  Scores per patch (:func:`fasttopo.nn.approximation.score_diagrams`),
then mean +- standard deviation as in Slater and Weighill (AAAI 2023):

* found: fraction of the true top-10 points (essential class included) that a
  predicted point matches in birth and death value;
* present: fraction of the predictions found anywhere in the full true PD0;
* bottleneck: distance between the predicted and the true top-10 diagrams.

Beside the model, the trivial "essential only" prediction (one point: the
global minimum, +inf) shows what the scores give for no finite point at all.

Timing per 128 patches on this CPU: the network (forward only, and forward +
decoding = :func:`fasttopo.nn.approximate_diagrams`), ``persistence_batch``
and a loop of ``cripser.compute_ph``; and the same for 10,000 patches.

Run::

    python docs/examples/nn_pd0_evaluate.py --per-image 50 --threads 1 --out eval.json

``--quick`` scores a few patches and times small batches (what the tests run).
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch

import fasttopo
from fasttopo.nn.approximation import approximate_diagrams, load_approximator, score_diagrams

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from nn_pd0_train import heldout_patches  # noqa: E402

PAPER = {"found": (0.654, 0.156), "present": (0.700, 0.155), "bottleneck": (0.099, 0.079),
         "ripserer_128_ms": 63.0, "model_gpu_128_ms": 3.5}


def essential_only(patches):
    """The trivial prediction: one point per patch, (global minimum, +inf)."""
    from fasttopo import PersistenceDiagram

    out = []
    for patch in patches:
        i = int(np.argmin(patch))
        out.append(PersistenceDiagram([0], [patch.flat[i]], [np.inf], [i], [-1],
                                      shape=patch.shape, connectivity=1))
    return out


def best_of(function, repeat):
    """Minimum wall-clock seconds of ``repeat`` calls (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        times.append(time.perf_counter() - t0)
    return min(times)


def timings(model, patches, repeat=3, numpy=True):
    """Seconds for the network and the exact engines on the given patches."""
    import cripser

    import fasttopo.approximation as numpy_approximation

    x = torch.from_numpy(patches)

    def forward():
        with torch.no_grad():
            model(x)

    extra = {}
    if numpy:
        extra["approximate_diagrams, NumPy forward (no torch)"] = best_of(
            lambda: numpy_approximation.approximate_diagrams(patches), repeat)
    return extra | {
        "network forward": best_of(forward, repeat),
        "approximate_diagrams (forward + decoding)":
            best_of(lambda: approximate_diagrams(patches, model=model), repeat),
        "persistence_batch (exact)":
            best_of(lambda: fasttopo.persistence_batch(patches, max_dim=0, connectivity=1),
                    repeat),
        "persistence_batch, n_jobs=1 (exact)":
            best_of(lambda: fasttopo.persistence_batch(patches, max_dim=0, connectivity=1,
                                                       n_jobs=1), repeat),
        "cripser loop (exact)":
            best_of(lambda: [cripser.compute_ph(p, maxdim=0, filtration="V") for p in patches],
                    repeat),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", default=None, help="npz (default: the shipped model)")
    parser.add_argument("--per-image", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--big", type=int, default=10000, help="patches of the large timing")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_approximator(args.model)
    per_image = 1 if args.quick else args.per_image
    patches = heldout_patches(per_image, seed=args.seed)
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    scores = score_diagrams(approximate_diagrams(patches, model=model), exact)
    baseline = score_diagrams(essential_only(patches), exact)
    result = {"patches": len(patches), "threads": args.threads,
              "scores": {n: [float(v.mean()), float(v.std())] for n, v in scores.items()},
              "essential_only": {n: [float(v.mean()), float(v.std())]
                                 for n, v in baseline.items()}}
    small = heldout_patches(11, seed=args.seed + 1)[:128]  # 132 patches, 128 kept
    big_count = 64 if args.quick else args.big
    rng = np.random.default_rng(args.seed)
    big = small[rng.integers(0, len(small), big_count)]
    big = np.ascontiguousarray(big + rng.uniform(0, 1e-3, big.shape).astype(np.float32))
    repeat = 1 if args.quick else 3
    result["seconds_128"] = timings(model, small[:16] if args.quick else small, repeat)
    result["seconds_big"] = timings(model, big, 1, numpy=False)
    result["big"] = big_count

    print(f"held-out patches: {len(patches)} ({per_image} per image), torch threads "
          f"{args.threads}\n")
    print("| metric | ours (mean ± std) | essential only | paper |\n|---|---|---|---|")
    for name, label in (("found", "top-10 points found"),
                        ("present", "predictions present in the true PD0"),
                        ("bottleneck", "bottleneck distance to true top-10")):
        mean, std = result["scores"][name]
        pm, ps = PAPER[name]
        pct = name != "bottleneck"
        fmt = (lambda m, s: f"{100 * m:.1f} ± {100 * s:.1f} %") if pct else \
            (lambda m, s: f"{m:.3f} ± {s:.3f}")
        bm, bs = result["essential_only"][name]
        print(f"| {label} | {fmt(mean, std)} | {fmt(bm, bs)} | {fmt(pm, ps)} |")
    n128 = 16 if args.quick else 128
    print(f"\n| method | {n128} patches (ms) | {big_count} patches (ms) |\n|---|---|---|")
    for name in result["seconds_128"]:
        big_ms = result["seconds_big"].get(name)
        big_ms = "" if big_ms is None else f"{1e3 * big_ms:.0f}"
        print(f"| {name} | {1e3 * result['seconds_128'][name]:.1f} | {big_ms} |")
    print(f"| paper: Ripserer (exact) | {PAPER['ripserer_128_ms']} | |")
    print(f"| paper: network on a GPU | {PAPER['model_gpu_128_ms']} | |")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
