"""The MNI T1 volume (all dimensions, V and T) under several source trees, beside cripser.

Usage::

    git archive 239cb0a | tar -x -C /tmp/old && (cd /tmp/old && python setup.py build_ext --inplace)
    python asv_bench/mni_trees.py /tmp/old ../main . --rounds 3

Each round runs every tree in a new process (``PYTHONPATH`` set to the tree; the
kernels are loaded by a small call, then the best of three calls is kept), then
cripser in another, so that all see the same machine load.  Prints each round's
times and, per connectivity, the range over the rounds and cripser's best time
divided by each tree's best.  Reads ``../shared/data/mni152_t1_1mm.npz``.
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

_OURS = r"""
import sys, time, numpy as np, fasttopo
volume = np.load(sys.argv[2])["volume"]
c = int(sys.argv[1])
fasttopo.persistence(volume[:20, :20, :20], connectivity=c)
best = 1e9
for _ in range(3):
    t = time.perf_counter()
    fasttopo.persistence(volume, connectivity=c)
    best = min(best, time.perf_counter() - t)
print(best)
"""

_PEER = r"""
import sys, time, numpy as np, cripser
volume = np.load(sys.argv[2])["volume"].astype(np.float64)
filtration = "V" if sys.argv[1] == "1" else "T"
best = 1e9
for _ in range(2):
    t = time.perf_counter()
    cripser.compute_ph(volume, maxdim=2, filtration=filtration)
    best = min(best, time.perf_counter() - t)
print(best)
"""


def _run(code, connectivity, path, tree=None):
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    out = subprocess.run([sys.executable, "-c", code, str(connectivity), str(path)], env=env,
                         cwd=tempfile.gettempdir(), capture_output=True,
                         text=True, check=True)
    return float(out.stdout.split()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=pathlib.Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from benchmarks.case import DATA
    path = DATA / "mni152_t1_1mm.npz"
    names = [str(t) for t in args.trees] + ["cripser"]
    for connectivity in (1, 3):
        times = {name: [] for name in names}
        for r in range(args.rounds):
            for tree in args.trees:
                times[str(tree)].append(_run(_OURS, connectivity, path, tree.resolve()))
            times["cripser"].append(_run(_PEER, connectivity, path))
            print(f"connectivity {connectivity}, round {r}: " +
                  ", ".join(f"{n} {v[-1]:.3f} s" for n, v in times.items()), flush=True)
        peer = min(times["cripser"])
        for name, v in times.items():
            print(f"connectivity {connectivity}: {name:<30} {min(v):.3f}-{max(v):.3f} s   "
                  f"cripser / it {peer / min(v):.2f}x", flush=True)


if __name__ == "__main__":
    main()
