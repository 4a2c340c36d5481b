"""Evaluate the PD0 approximator with the paper's metrics per image family, and time it.

Held-out patches: random 32 x 32 crops of ``skimage.data`` images never used
in training or model selection (``nn_pd0_data.FAMILIES``: natural
photographs, text and documents, astronomy, microscopy and histology),
values in [0, 1].  Truth: :func:`fasttopo.persistence_batch` (sublevel,
dimension 0, V-construction).  Scores per patch
(:func:`fasttopo.approximation.score_diagrams`), then mean +- standard
deviation per family and overall, as in Slater and Weighill (AAAI 2023):

* found: fraction of the true top-10 points (essential class included) that a
  predicted point matches in birth and death value;
* present: fraction of the predictions found anywhere in the full true PD0;
* bottleneck: distance between the predicted and the true top-10 diagrams.

Beside the model, the trivial "essential only" prediction (one point: the
global minimum, +inf).

Timing on this CPU for 128 and for 10,000 patches: the network's forward
pass (torch), :func:`fasttopo.nn.approximate_diagrams` (forward + decoding),
:func:`fasttopo.approximation.approximate_diagrams` (NumPy forward, 128 only),
``persistence_batch`` (all threads, and one) and a loop of
``cripser.compute_ph``.

Run (``--write`` stores the tables in ``docs/examples/tables/``, which the
page includes)::

    OMP_NUM_THREADS=1 python docs/examples/nn_pd0_evaluate.py --write

``--quick`` scores one patch per image and times small batches (what the
tests run; its table keeps the rows of the timing, not the times).
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch

import fasttopo
import fasttopo.approximation as numpy_approximation
from fasttopo.nn.approximation import approximate_diagrams, load_approximator, score_diagrams

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nn_pd0_data  # noqa: E402
from _gallery import rst_table, write_tables  # noqa: E402

PAPER = {"found": (0.654, 0.156), "present": (0.700, 0.155), "bottleneck": (0.099, 0.079),
         "ripserer_128_ms": 63.0, "model_gpu_128_ms": 3.5}
LABELS = {"found": "top-10 points found", "present": "predictions present in the true PD0",
          "bottleneck": "bottleneck distance to true top-10"}


def essential_only(patches):
    """The trivial prediction: one point per patch, (global minimum, +inf)."""
    out = []
    for patch in patches:
        i = int(np.argmin(patch))
        out.append(fasttopo.PersistenceDiagram([0], [patch.flat[i]], [np.inf], [i], [-1],
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

    x = torch.from_numpy(patches)

    def forward():
        with torch.no_grad():
            model(x)

    extra = {}
    if numpy:    # the default (eight copies a patch) on the small set only
        extra["approximate_diagrams, NumPy (no torch), 8 copies (default)"] = best_of(
            lambda: numpy_approximation.approximate_diagrams(patches), repeat)
        extra["approximate_diagrams, NumPy, one pass (augment=False)"] = best_of(
            lambda: numpy_approximation.approximate_diagrams(patches, augment=False), repeat)
    return extra | {
        "network forward (torch)": best_of(forward, repeat),
        "nn.approximate_diagrams, one pass (augment=False)":
            best_of(lambda: approximate_diagrams(patches, model=model, augment=False), repeat),
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


def summary(scores, mask=None):
    mask = slice(None) if mask is None else mask
    return {n: [float(v[mask].mean()), float(v[mask].std())] for n, v in scores.items()}


def show(mean_sd, name):
    mean, sd = mean_sd
    return f"{mean:.3f} ± {sd:.3f}" if name == "bottleneck" else \
        f"{100 * mean:.1f} ± {100 * sd:.1f} %"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", default=None, help="npz (default: the shipped model)")
    parser.add_argument("--per-image", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--big", type=int, default=10000, help="patches of the large timing")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--write", action="store_true",
                        help="write the tables into docs/examples/tables/ (the page includes them)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_approximator(args.model)
    per_image = 1 if args.quick else args.per_image
    patches, families = nn_pd0_data.family_patches(per_image, seed=args.seed)
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    start = time.perf_counter()
    scores = score_diagrams(approximate_diagrams(patches, model=model), exact)
    one_pass = score_diagrams(approximate_diagrams(patches, model=model, augment=False), exact)
    baseline = score_diagrams(essential_only(patches), exact)
    result = {"patches": len(patches), "per_image": per_image, "threads": args.threads,
              "families": {f: summary(scores, families == f) for f in nn_pd0_data.FAMILIES},
              "essential_only": {f: summary(baseline, families == f)
                                 for f in nn_pd0_data.FAMILIES},
              "seconds_scoring": round(time.perf_counter() - start, 1)}
    result["families"]["overall"] = summary(scores)
    result["one_pass"] = summary(one_pass)
    result["essential_only"]["overall"] = summary(baseline)

    score_table = rst_table(
        ["family", "patches", "found", "present", "bottleneck", "essential only: found"],
        [[f, len(patches) if f == "overall" else int((families == f).sum()),
          *(show(result["families"][f][m], m) for m in LABELS),
          show(result["essential_only"][f]["found"], "found")]
         for f in list(nn_pd0_data.FAMILIES) + ["overall"]]
        + [["overall, one pass (augment=False)", len(patches),
            *(show(result["one_pass"][m], m) for m in LABELS), ""]]
        + [["paper (AAAI 2023)", "", *(show(PAPER[m], m) for m in LABELS), ""]])
    print(f"held-out patches: {len(patches)} ({per_image} per image)\n")
    print(score_table)
    tables = [(f"Held-out patches, {per_image} per evaluation image (mean ± sd per patch; "
               f"found: the true top-10 points found, present: the predictions present in "
               f"the true PD0, bottleneck: to the true top-10):", score_table)]

    if not args.no_timing:
        small, _ = nn_pd0_data.family_patches(11, seed=args.seed + 1)
        small = small[np.random.default_rng(args.seed).permutation(len(small))[:128]]
        big_count = 64 if args.quick else args.big
        rng = np.random.default_rng(args.seed)
        big = small[rng.integers(0, len(small), big_count)]
        big = np.ascontiguousarray(big + rng.uniform(0, 1e-3, big.shape).astype(np.float32))
        repeat = 1 if args.quick else 3
        result["seconds_128"] = timings(model, small[:16] if args.quick else small, repeat)
        result["seconds_big"] = timings(model, big, 1, numpy=False)
        result["big"] = big_count
        n128 = 16 if args.quick else 128
        rows = []
        for name in result["seconds_128"]:
            big_s = result["seconds_big"].get(name)
            rows.append([name, f"{1e3 * result['seconds_128'][name]:.1f}",
                         "" if big_s is None else f"{big_s:.2f}"])
        if args.quick:      # times vary from run to run: the quick table keeps the rows
            rows = [[name, "", ""] for name, _, _ in rows]
        rows += [["paper: Ripserer (exact)", f"{PAPER['ripserer_128_ms']}", ""],
                 ["paper: network on a GPU", f"{PAPER['model_gpu_128_ms']}", ""]]
        speed_table = rst_table(["method", f"{n128} patches (ms)", f"{big_count} patches (s)"],
                                rows)
        print("\n" + speed_table)
        tables.append((f"Wall time on this CPU ({args.threads} torch thread(s), best of "
                       f"{repeat}):", speed_table))
    if args.write:
        given = list(sys.argv[1:] if argv is None else argv)
        # --out (a JSON copy) changes where the results go, not the tables: left out
        given = [a for i, a in enumerate(given) if a != "--out" and not a.startswith("--out=")
                 and (i == 0 or given[i - 1] != "--out")]
        write_tables(f"nn_pd0_evaluate.{'quick' if args.quick else 'full'}",
                     "nn_pd0_evaluate.py", given, tables)
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
