"""Where the time and the memory of one large persistence call go, stage by stage.

Usage::

    python asv_bench/profile_engine.py noise:128 smooth:128 mni      # one process per case
    python asv_bench/profile_engine.py noise:256 --threads 2

Cases: ``noise:N`` (N^3 float32 uniform noise), ``smooth:N`` (the same smoothed by
a Gaussian of sigma 2), ``mni`` (the MNI T1 volume, uint8, from
``../shared/data``), ``noise2d:N`` (N x N float64); ``:c3`` after a case asks
for the T-construction (default V, ``connectivity=1``), all dimensions.

Each case runs in a new process: the kernels are loaded (a small call), then
the engine's kernels are wrapped by timers and the call is made once with
``--threads`` threads (default 1, so that the stages do not overlap; times are then
the CPU time of the thread, which a shared machine disturbs less than wall time).  A stage's
time is its own (callees excluded); gaps between two kernels are named after
them (``scan -> sweep`` is the sort of the candidates).  A stage's memory is the
peak resident size above the size before the call while it ran (VmHWM, reset
through ``/proc/self/clear_refs``), in bytes per voxel.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchmarks.case import DATA  # noqa: E402  (../shared/data)

_CHILD = textwrap.dedent(r"""
    import gc, json, sys, time
    import numpy as np

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024

    def reset_peak():
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    spec, threads, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # one thread: CPU time of this thread (the machine may be shared); more: wall time
    clock = time.thread_time if threads == 1 else time.perf_counter
    parts = spec.split(":")
    kind = parts[0]
    connectivity = 3 if "c3" in parts else 1
    if kind == "mni":
        image = np.load(data + "/mni152_t1_1mm.npz")["volume"]
    elif kind == "noise2d":
        n = int(parts[1])
        image = np.random.default_rng(0).random((n, n))
        connectivity = 2 if "c3" in parts else 1
    else:
        n = int(parts[1])
        image = np.random.default_rng(0).random((n, n, n)).astype(np.float32)
        if kind == "smooth":
            from scipy.ndimage import gaussian_filter
            image = gaussian_filter(image, 2)

    import fasttopo
    from fasttopo import _engine
    from fasttopo._engine import entry, large_images, volumes
    from fasttopo._validation import check_options
    small = image[tuple(slice(0, 12) for _ in image.shape)]
    fasttopo.persistence(small, connectivity=connectivity)       # load the kernels
    max_dim, conn, superlevel = check_options(image.ndim, None, connectivity, False)
    options = _engine.Options(max_dim, conn, superlevel, threads)

    events = []      # (name, start, end, depth, peak)
    stack = []       # open frames: [name, start, child_time, peak]

    def fold_peak():
        peak = status("VmHWM:")
        for frame in stack:
            frame[3] = max(frame[3], peak)
        reset_peak()

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            fold_peak()
            frame = [name, 0.0, 0.0, 0]
            stack.append(frame)
            frame[1] = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                end = clock()
                fold_peak()
                stack.pop()
                if stack:
                    stack[-1][2] += end - frame[1]
                events.append((name, frame[1], end, len(stack), frame[2], frame[3]))
        return wrapper

    patched = {
        large_images: ["fill_keys", "sentinel_padding", "scan_rows", "scan_rows_bordered",
                       "fix_ties", "sweep", "unpad", "voxel_order", "dimension_one"],
        volumes: ["apparent_pairs", "square_births", "reduce_columns", "_pack_voxels",
                  "_counting_order",
                  "fix_ties", "_padding_first", "_positions"],
        entry: ["threaded_pairs", "gather_values"],
    }
    for module, names in patched.items():
        for name in names:
            if hasattr(module, name):   # (older trees lack some)
                setattr(module, name, timed(name, getattr(module, name)))
    columns_seen = []
    reduce = volumes.reduce_columns
    def count_columns(*args, **kwargs):
        columns_seen.append(next(a.size for a in args if getattr(a, "dtype", None) == np.int64))
        return reduce(*args, **kwargs)
    volumes.reduce_columns = count_columns

    gc.collect()
    base = status("VmRSS:")
    reset_peak()
    start, wall = clock(), time.perf_counter()
    diagram = _engine.compute(image, options, one=True)
    total, wall = clock() - start, time.perf_counter() - wall
    peak = status("VmHWM:") - base
    stages = {}
    for name, s, e, depth, child, pk in events:
        entry_ = stages.setdefault(name, [0.0, 0, 0])
        entry_[0] += e - s - child
        entry_[1] += 1
        entry_[2] = max(entry_[2], pk - base)
    # gaps between consecutive kernels (serial runs only): NumPy sorts and copies
    flat = sorted((s, e, name) for name, s, e, depth, child, pk in events
                  if name not in ("threaded_pairs", "dimension_one", "voxel_order"))
    gaps = {}
    for (s0, e0, n0), (s1, e1, n1) in zip(flat, flat[1:]):
        if s1 > e0:
            key = f"{n0} -> {n1}"
            gaps[key] = gaps.get(key, 0.0) + s1 - e0
    counts = np.bincount(diagram.dim.astype(np.int64), minlength=3).tolist()
    peak = max([peak] + [v[2] for v in stages.values()])
    print(json.dumps({"total": total, "wall": wall, "peak": peak, "voxels": image.size,
                      "input": image.nbytes, "stages": stages, "gaps": gaps,
                      "pairs": counts, "columns": columns_seen}))
""")


def run(spec, threads):
    # (run from a neutral directory: ``PYTHONPATH`` picks the tree that is profiled)
    proc = subprocess.run([sys.executable, "-c", _CHILD, spec, str(threads), str(DATA)],
                          capture_output=True, text=True, env=dict(os.environ),
                          cwd=tempfile.gettempdir())
    if proc.returncode:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(spec, out):
    n = out["voxels"]
    print(f"== {spec}: {out['total']:.2f} s ({out['wall']:.2f} s wall), "
          f"peak {out['peak'] / n:.0f} B/voxel above the input ({out['peak'] / 2**20:.0f} MB; "
          f"input {out['input'] / n:.0f} B/voxel), "
          f"pairs per dimension {out['pairs']}, reduced columns {out['columns']}")
    rows = [(v[0], k, v[1], v[2]) for k, v in out["stages"].items()]
    rows += [(v, f"({k})", 1, 0) for k, v in out["gaps"].items() if v > 0.005 * out["total"]]
    for t, name, calls, peak in sorted(rows, reverse=True):
        mem = f"{peak / n:6.0f} B/voxel" if peak else ""
        print(f"   {name:<42} {t:8.3f} s {100 * t / out['total']:5.1f} %  x{calls:<3} {mem}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the raw figures too")
    args = parser.parse_args(argv)
    for spec in args.cases:
        out = run(spec, args.threads)
        report(spec, out)
        if args.json:
            print(json.dumps(out))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
