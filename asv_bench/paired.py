"""Paired A/B of two source trees of fasttopo: new time / old time for the main cases.

Usage::

    git worktree add /tmp/old <commit> && (cd /tmp/old && python setup.py build_ext --inplace)
    python asv_bench/paired.py /tmp/old .               # every case, three rounds
    python asv_bench/paired.py /tmp/old . --cases camera_T mni_all --rounds 5

Each round runs every case in a new process for the old tree, then for the new
one (``PYTHONPATH`` set to the tree), so that both see the same machine load;
a process warms the kernels up, then keeps the best of five repeats.  The
ratios new / old of each round are printed: below 1 the new tree is faster.
The MNI cases need ``../shared/data`` (skipped without it).
"""

import argparse
import os
import pathlib
import subprocess
import sys

CASES = ["random1024_dim0", "camera_T", "batch128", "window64", "torch_step", "mni_all"]

_CHILD = r"""
import pathlib, sys, time
import numpy as np
import fasttopo
rng = np.random.default_rng(0)

def make(name):
    if name == "random1024_dim0":
        image = rng.random((1024, 1024))
        return lambda: fasttopo.persistence(image, max_dim=0), 5
    if name == "camera_T":
        import skimage.data
        image = skimage.data.camera()
        return lambda: fasttopo.persistence(image), 20
    if name == "batch128":
        stack = rng.random((128, 32, 32))
        return lambda: fasttopo.persistence_batch(stack), 20
    if name == "window64":
        windows = [rng.random((64, 64)) for _ in range(20)]
        return lambda: [fasttopo.persistence(w) for w in windows], 20
    if name == "torch_step":
        import torch
        import fasttopo.nn as tnn
        torch.set_num_threads(1)
        x0 = torch.rand(16, 1, 64, 64, dtype=torch.float64)

        def step():
            x = x0.clone().requires_grad_(True)
            dgms = tnn.persistence(x)
            (tnn.total_persistence(dgms, dim=0) + tnn.total_persistence(dgms, dim=1)).backward()
        return step, 20
    if name == "mni_all":
        path = pathlib.Path(sys.argv[2]) / "mni152_t1_1mm.npz"
        if not path.exists():
            return None, 0
        volume = np.load(path)["volume"]
        return lambda: fasttopo.persistence(volume), 1
    raise SystemExit(f"unknown case {name}")

run, n = make(sys.argv[1])
if run is None:
    print("nan")
else:
    run()  # compiles (or loads) the kernels
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            run()
        best = min(best, (time.perf_counter() - start) / n)
    print(best)
"""


def _time(tree, case, data):
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", _CHILD, case, str(data)], env=env, cwd=tree,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old", type=pathlib.Path, help="the old source tree")
    parser.add_argument("new", type=pathlib.Path, help="the new source tree")
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    old, new = args.old.resolve(), args.new.resolve()
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from benchmarks.case import DATA as data   # this checkout's ../shared/data
    for case in args.cases:
        ratios = []
        for _ in range(args.rounds):
            t_old = _time(old, case, data)
            t_new = _time(new, case, data)
            ratios.append(t_new / t_old)
            print(f"{case:18s} old {t_old * 1e3:9.3f} ms   new {t_new * 1e3:9.3f} ms   "
                  f"new/old {t_new / t_old:5.2f}", flush=True)
        print(f"{case:18s} new/old over {args.rounds} rounds: {min(ratios):.2f}-{max(ratios):.2f}",
              flush=True)


if __name__ == "__main__":
    main()
