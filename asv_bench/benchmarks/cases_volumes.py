"""Targets of the persistence engine on volumes (all dimensions), against cripser."""

import json
import subprocess
import sys
import textwrap

import cripser
import numpy as np

from .case import DATA, Case, Measure
from fasttopo import persistence

_MEMORY = textwrap.dedent("""
    import gc, json, sys
    import numpy as np

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024

    which, path = sys.argv[1], sys.argv[2]
    volume = np.load(path)["volume"]
    import fasttopo, cripser
    fasttopo.persistence(volume[:20, :20, :20], connectivity=1)   # load the kernels
    cripser.compute_ph(volume[:10, :10, :10].astype(np.float64), maxdim=2, filtration="V")
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:   # reset the peak (VmHWM) to the current RSS
        f.write("5")
    base = status("VmRSS:")
    if which == "fasttopo":
        result = fasttopo.persistence(volume, connectivity=1)
    else:
        result = cripser.compute_ph(volume.astype(np.float64), maxdim=2, filtration="V")
    print(json.dumps({"peak_mb": (status("VmHWM:") - base) / 2**20}))
""")


def _memory(path):
    def run():
        out = {}
        for which in ("fasttopo", "cripser"):
            proc = subprocess.run([sys.executable, "-c", _MEMORY, which, str(path)],
                                  capture_output=True, text=True, check=True)
            out[which] = json.loads(proc.stdout)["peak_mb"]
        ratio = out["fasttopo"] / out["cripser"]
        return (f"peak {out['fasttopo']:.0f} MB (cripser {out['cripser']:.0f} MB, "
                f"{ratio:.2f} of it)   target <= 0.5 {'ok' if ratio <= 0.5 else 'MISSED'}")
    return run


def cases():
    out = []
    mni = DATA / "mni152_t1_1mm.npz"
    if mni.exists():
        volume = np.load(mni)["volume"]
        volume_f = volume.astype(np.float64)
        out.append(Case("all dims, MNI T1 197x233x189 (V)",
                        lambda: persistence(volume, connectivity=1),
                        lambda: cripser.compute_ph(volume_f, maxdim=2, filtration="V"),
                        "cripser", ">= 2x", min_ratio=2, repeat=3))
        out.append(Case("all dims, MNI T1 197x233x189 (T)",
                        lambda: persistence(volume, connectivity=3),
                        lambda: cripser.compute_ph(volume_f, maxdim=2, filtration="T"),
                        "cripser", "", repeat=3))
        out.append(Measure("peak memory, all dims of the MNI T1 volume (V)", _memory(mni)))
    random_128 = np.random.default_rng(0).random((128, 128, 128))
    out.append(Case("all dims, random 128^3 (V)", lambda: persistence(random_128, connectivity=1),
                    lambda: cripser.compute_ph(random_128, maxdim=2, filtration="V"),
                    "cripser", ">= 2x", min_ratio=2, repeat=3))
    window = np.random.default_rng(1).random((64, 64))
    out.append(Case("all dims, a 64x64 window", lambda: persistence(window),
                    lambda: cripser.compute_ph(window, maxdim=1, filtration="T"),
                    "cripser", ">= 5x", min_ratio=5, repeat=50))
    # the same work as Oner et al. do it: every window of an image, one call after the
    # other (each side runs its whole loop, so each sees its own warm caches and threads)
    image = np.random.default_rng(2).random((512, 512))
    windows = [image[i:i + 64, j:j + 64].copy() for i in range(0, 512, 64)
               for j in range(0, 512, 64)]

    def ours_loop():
        for w in windows:
            persistence(w)

    def cripser_loop():  # results dropped as they come (kept, cripser's slow down 2x)
        for w in windows:
            cripser.compute_ph(w, maxdim=1, filtration="T")

    out.append(Case("all dims, 64 windows 64x64 of a 512x512 image, a loop", ours_loop,
                    cripser_loop, "cripser", repeat=9))
    return out
