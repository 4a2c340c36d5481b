"""Targets of the persistence engine (union-find half), against cripser."""

import json
import subprocess
import sys
import textwrap

import cripser
import numpy as np
import skimage.data

from .case import Case, Measure
from fasttopo import persistence, persistence_batch

_MEMORY = textwrap.dedent("""
    import gc, json, sys
    import numpy as np

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    which = sys.argv[1]
    image = np.random.default_rng(0).random((2048, 2048))
    import fasttopo, cripser
    fasttopo.persistence(image[:300, :300])          # load the compiled kernels
    cripser.compute_ph(image[:30, :30], maxdim=1, filtration="T")
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:   # reset the peak (VmHWM) to the current RSS
        f.write("5")
    base = status("VmRSS:")
    if which == "fasttopo":
        result = fasttopo.persistence(image)
    else:
        result = cripser.compute_ph(image, maxdim=1, filtration="T")
    peak = status("VmHWM:")
    print(json.dumps({"bytes_per_pixel": (peak - base) / image.size}))
""")

_COLD = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import numpy as np
    import fasttopo
    fasttopo.persistence(np.random.default_rng(0).random((256, 256)))
    print(time.perf_counter() - start)
""")


def _memory():
    out = {}
    for which in ("fasttopo", "cripser"):
        proc = subprocess.run([sys.executable, "-c", _MEMORY, which], capture_output=True,
                              text=True, check=True)
        out[which] = json.loads(proc.stdout)["bytes_per_pixel"]
    ok = "ok" if out["fasttopo"] <= 40 else "MISSED"
    return (f"peak {out['fasttopo']:.1f} B/px (cripser {out['cripser']:.1f} B/px)   "
            f"target <= 40 B/px {ok}")


def _cold_start():
    subprocess.run([sys.executable, "-c", _COLD], capture_output=True, check=True)  # warm cache
    times = []
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True,
                              check=True)
        times.append(float(proc.stdout))
    best = min(times)
    return f"{best * 1e3:.0f} ms   target <= 1000 ms {'ok' if best <= 1.0 else 'MISSED'}"


_FIRST_CALL = textwrap.dedent("""
    import time
    import numpy as np
    import fasttopo
    rng = np.random.default_rng(0)

    def nn_layer():
        try:
            import torch
            import fasttopo.nn
        except ImportError:
            return
        x = torch.rand(2, 1, 32, 32, dtype=torch.float64, requires_grad=True)
        fasttopo.nn.persistence(x)

    for name, run in [("64x64 float64", lambda: fasttopo.persistence(rng.random((64, 64)))),
                      # the three first calls of the issue-29 table, in its order
                      ("512x512 uint8", lambda: fasttopo.persistence(
                          (rng.random((512, 512)) * 255).astype(np.uint8))),
                      ("bottleneck_distance", lambda: fasttopo.bottleneck_distance(
                          fasttopo.persistence(rng.random((40, 40))),
                          fasttopo.persistence(rng.random((40, 40))))),
                      ("pairwise_distances", lambda: fasttopo.pairwise_distances(
                          [fasttopo.persistence(rng.random((30, 30))) for _ in range(4)])),
                      ("64x64 uint8", lambda: fasttopo.persistence(
                          (rng.random((64, 64)) * 255).astype(np.uint8))),
                      ("300x300", lambda: fasttopo.persistence(rng.random((300, 300)))),
                      ("20^3 volume", lambda: fasttopo.persistence(rng.random((20, 20, 20)))),
                      ("1D signal", lambda: fasttopo.persistence(rng.random(500))),
                      ("batch", lambda: fasttopo.persistence_batch(rng.random((16, 32, 32)))),
                      ("300x300 uint16", lambda: fasttopo.persistence(
                          (rng.random((300, 300)) * 999).astype(np.uint16))),
                      ("nn.persistence", nn_layer)]:
        start = time.process_time()
        run()
        print(f"{name} {time.process_time() - start:.1f}", end="; ")
""")


def _first_calls():
    """CPU seconds of each first call in a new process with an empty Numba cache."""
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        proc = subprocess.run([sys.executable, "-c", _FIRST_CALL], capture_output=True,
                              text=True, check=True, env=env)
    return proc.stdout.strip() + "  (CPU s; targets 10 s, then 3 s each)"


def cases():
    rng = np.random.default_rng(0)
    random_1024 = rng.random((1024, 1024))
    camera = skimage.data.camera()
    camera_f = camera.astype(np.float64)
    patches = rng.random((128, 32, 32))
    return [
        Case("dim 0, random 1024x1024 (V)",
             lambda: persistence(random_1024, max_dim=0, connectivity=1),
             lambda: cripser.compute_ph(random_1024, maxdim=0, filtration="V"),
             "cripser", ">= 8x", min_ratio=8, repeat=5),
        Case("dims 0+1, random 1024x1024 (V)",
             lambda: persistence(random_1024, connectivity=1),
             lambda: cripser.compute_ph(random_1024, maxdim=1, filtration="V"),
             "cripser", "", repeat=5),
        Case("dims 0+1, camera 512x512 (T)", lambda: persistence(camera),
             lambda: cripser.compute_ph(camera_f, maxdim=1, filtration="T"),
             "cripser", ">= 5x", min_ratio=5, repeat=15),
        Case("dims 0+1, camera 512x512 (V)", lambda: persistence(camera, connectivity=1),
             lambda: cripser.compute_ph(camera_f, maxdim=1, filtration="V"),
             "cripser", "", repeat=15),
        Case("dim 0, batch of 128 patches 32x32",
             lambda: persistence_batch(patches, max_dim=0, connectivity=1),
             lambda: [cripser.compute_ph(p, maxdim=0, filtration="V") for p in patches],
             "cripser loop", ">= 5x, <= 3.5 ms", min_ratio=5, max_ms=3.5, repeat=25),
        Measure("peak memory, dims 0+1 of a 2048x2048 float64 image", _memory),
        Measure("new process: import + one 256x256 diagram (cache warm)", _cold_start),
        Measure("new process, empty Numba cache: first call of each kind", _first_calls),
    ]
