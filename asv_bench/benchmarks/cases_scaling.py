"""How all-dimension persistence of volumes grows with their size, against cripser.

One line per volume: float32 uniform noise and the same smoothed by a Gaussian
of sigma 2, from 64^3 to 256^3, V-construction, all dimensions.  Ours and
cripser are timed alternately (wall time, minimum of the rounds; the CPU time
of ours, all threads, in brackets); cripser stops once a call of it took more
than ``CRIPSER_LIMIT`` seconds (the larger volumes would take minutes each).
``growth`` is the slope of log(time) against log(voxels) from the line above
(1 is linear; N log N from 64^3 to 256^3 is about 1.1).  The last lines are
the peak memory of ours above the input for the largest volumes, each in a new
process.
"""

import json
import math
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

from .case import Measure

SIZES = (64, 96, 128, 160, 192, 256)
CRIPSER_LIMIT = 30.0
_ROUNDS = {64: 3, 96: 3, 128: 2}

_MEMORY = textwrap.dedent("""
    import gc, json, sys
    import numpy as np
    from scipy.ndimage import gaussian_filter

    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024

    kind, n = sys.argv[1], int(sys.argv[2])
    volume = np.random.default_rng(0).random((n, n, n)).astype(np.float32)
    if kind == "smooth":
        volume = gaussian_filter(volume, 2)
    import fasttopo
    fasttopo.persistence(volume[:16, :16, :16], connectivity=1)   # load the kernels
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:   # reset the peak (VmHWM) to the current RSS
        f.write("5")
    base = status("VmRSS:")
    fasttopo.persistence(volume, connectivity=1)
    print(json.dumps({"bytes_per_voxel": (status("VmHWM:") - base) / volume.size}))
""")


def volume(kind, n):
    """``kind`` ("noise" or "smooth") float32 volume of side ``n`` (seeded)."""
    image = np.random.default_rng(0).random((n, n, n)).astype(np.float32)
    if kind == "smooth":
        from scipy.ndimage import gaussian_filter
        image = gaussian_filter(image, 2)
    return image


def _cpu():
    return time.process_time()


def _timed(fn):
    wall, cpu = time.perf_counter(), _cpu()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def _curve(kind):
    import cripser
    from fasttopo import persistence

    def run():
        persistence(volume(kind, 16), connectivity=1)   # load the kernels
        lines, previous, peer_on = [], None, True
        for n in SIZES:
            image = volume(kind, n)
            image64 = image.astype(np.float64)
            ours, ours_cpu, peer = [], [], []
            for _ in range(_ROUNDS.get(n, 1)):
                wall, cpu = _timed(lambda: persistence(image, connectivity=1))
                ours.append(wall)
                ours_cpu.append(cpu)
                if peer_on:
                    peer.append(_timed(lambda: cripser.compute_ph(image64, maxdim=2,
                                                                  filtration="V"))[0])
            t = min(ours)
            line = (f"{kind} {n}^3: ours {t:8.2f} s ({min(ours_cpu):.2f} CPU-s, "
                    f"{t / image.size * 1e9:5.0f} ns/voxel)")
            if previous is not None:
                growth = math.log(t / previous[1]) / math.log(image.size / previous[0])
                line += f"   growth {growth:.2f}"
            if peer:
                line += f"   cripser {min(peer):8.2f} s   ratio {min(peer) / t:5.2f}x"
                peer_on = min(peer) <= CRIPSER_LIMIT
            lines.append(line)
            print("   " + line, file=sys.stderr, flush=True)
            previous = (image.size, t)
        return "\n" + "\n".join("   " + line for line in lines)
    return run


def _memory(kind, n):
    def run():
        proc = subprocess.run([sys.executable, "-c", _MEMORY, kind, str(n)],
                              capture_output=True, text=True, check=True,
                              env=dict(os.environ))
        per_voxel = json.loads(proc.stdout)["bytes_per_voxel"]
        ok = "ok" if per_voxel <= 60 else "MISSED"
        return f"peak {per_voxel:.0f} B/voxel above the input   target <= 60 B/voxel {ok}"
    return run


def cases():
    return [Measure("all dims, noise volumes 64^3 .. 256^3 (V)", _curve("noise")),
            Measure("all dims, smoothed noise volumes 64^3 .. 256^3 (V)", _curve("smooth")),
            Measure("peak memory, all dims of 256^3 float32 noise", _memory("noise", 256)),
            Measure("peak memory, all dims of 256^3 float32 smoothed noise",
                    _memory("smooth", 256))]
