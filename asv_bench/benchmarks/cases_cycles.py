"""Representative cycles: their cost against one persistence call, and against cripser.

The first cases time ``representative_cycles(image, dgm.top_k(10))`` (ours)
against ``persistence(image)`` with the same options (the "peer"): the
printed ratio is persistence / cycles, and the target ``>= 0.33x`` is the
issue's "the cycles of the ten longest-lived pairs of a 512x512 image in
at most 3x the time of persistence".  The images are 512x512: the camera,
and the coins and a retina crop (green channel) resized to 512x512.  The
last image case times the diagram plus every cycle of it against cripser's
``compute_ph(..., representatives=True)`` (cripser's dimension-0
representatives are the birth cells, ours whole components: ours do more).
"""

import pathlib

import cripser
import numpy as np
import skimage.data
import skimage.transform

from .case import Case
from fasttopo import persistence, representative_cycles

# the project's real volumes: ../shared/data from the repository root (as in tests/data.py)
DATA = pathlib.Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _resized(image):
    return skimage.transform.resize(image, (512, 512), anti_aliasing=True,
                                    preserve_range=True).astype(np.float64)


def images():
    """The 512x512 images of the cases: name -> (image, persistence options)."""
    return {
        "camera 512x512, T, sublevel": (skimage.data.camera(), {}),
        "camera 512x512, V, superlevel": (skimage.data.camera(),
                                          {"connectivity": 1, "superlevel": True}),
        "coins 512x512, T, superlevel": (_resized(skimage.data.coins()), {"superlevel": True}),
        "retina crop 512x512, T, sublevel": (
            _resized(skimage.data.retina()[300:1100, 300:1100, 1]), {}),
    }


def _against_persistence(name, image, options, k=10):
    top = persistence(image, **options).top_k(k)
    return Case(f"cycles of the {k} longest-lived pairs, {name}",
                lambda: representative_cycles(image, top),
                lambda: persistence(image, **options),
                "persistence (same image)", ">= 0.33x", min_ratio=1 / 3, repeat=15)


def cases():
    out = [_against_persistence(name, image, options)
           for name, (image, options) in images().items()]
    camera = skimage.data.camera()
    camera_f = camera.astype(np.float64)
    out.append(Case("diagram + every cycle, camera 512x512 (V)",
                    lambda: representative_cycles(camera, persistence(camera, connectivity=1)),
                    lambda: cripser.compute_ph(camera_f, maxdim=1, filtration="V",
                                               representatives=True),
                    "cripser representatives", ">= 10x", min_ratio=10, repeat=3))
    mni = DATA / "mni152_t1_1mm.npz"
    if mni.exists():
        with np.load(mni) as archive:
            volume = archive["volume"]
        dgm = persistence(volume, connectivity=1)
        voids, loops = dgm.select(2).top_k(10), dgm.select(1).top_k(10)
        out += [
            Case("cycles of the 10 longest-lived voids, MNI T1 volume (V)",
                 lambda: representative_cycles(volume, voids),
                 lambda: persistence(volume, connectivity=1),
                 "persistence (same volume)", "", repeat=3),
            Case("cycles of the 10 longest-lived loops, MNI T1 volume (V)",
                 lambda: representative_cycles(volume, loops),
                 lambda: persistence(volume, connectivity=1),
                 "persistence (same volume)", "", repeat=3),
        ]
    return out
