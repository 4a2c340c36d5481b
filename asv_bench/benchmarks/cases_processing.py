"""Targets of the image-processing functions: near-linear growth of marking and processing.

Images are skimage.data.camera() and coins() upscaled (linear interpolation,
float64) to 512 x 512 and 2048 x 2048.  The growth ratio t(2048^2) / t(512^2)
is measured in one process, alternating the two sizes; 16x is linear.  The
same ratio for scipy.ndimage.uniform_filter (a linear-time library filter)
is printed alongside: cache and memory effects make even linear code grow
faster than 16x, so the target is relative to it.
"""

import time

import cripser
import numpy as np
import scipy.ndimage as ndi
import skimage.data

from .case import Case, Measure
from fasttopo import mark_objects, persistence, persistence_targets_batch, topological_process


def _upscaled(name, side):
    image = getattr(skimage.data, name)().astype(np.float64)
    return ndi.zoom(image, (side / image.shape[0], side / image.shape[1]), order=1)


def _growth(fns, repeat=7):
    """Minimum time of each function, run alternately ``repeat`` times (after a warm-up)."""
    for fn in fns:
        fn()
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def _growth_measure(name, superlevel, what):
    def run():
        images = {side: _upscaled(name, side) for side in (512, 2048)}
        diagrams = {side: persistence(im, max_dim=0, superlevel=superlevel)
                    for side, im in images.items()}
        if what == "mark_objects":
            ours = [lambda s=s: mark_objects(images[s], diagrams[s]) for s in (512, 2048)]
        else:
            ours = [lambda s=s: topological_process(images[s], superlevel=superlevel)
                    for s in (512, 2048)]
        base = [lambda s=s: ndi.uniform_filter(images[s], 5) for s in (512, 2048)]
        small, large, base_small, base_large = _growth(ours + base)
        ratio, linear = large / small, base_large / base_small
        objects = int(mark_objects(images[2048], diagrams[2048]).max())
        ok = "ok" if ratio <= 1.3 * linear else "MISSED"
        return (f"{small * 1e3:6.1f} ms -> {large * 1e3:7.1f} ms: {ratio:5.1f}x "
                f"(uniform_filter {linear:4.1f}x, {objects} objects)   "
                f"target <= 1.3 x uniform_filter's growth {ok}")
    return Measure(f"{what} 512^2 -> 2048^2 ({name})", run)


def _flood_fill_marking(image, diagram):
    """The obvious O(k n) marking: one scipy.ndimage.label per object (Algorithm 1 as written)."""
    values = image.reshape(-1)
    order = np.lexsort((np.arange(values.size), -values if diagram.superlevel else values))
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.arange(values.size)
    finite = diagram.finite().select(0)
    from fasttopo import lifetime_threshold
    threshold, _ = lifetime_threshold(diagram)
    pts = finite[finite.lifetime > threshold]
    labels = np.zeros(values.size, dtype=np.int32)
    structure = ndi.generate_binary_structure(image.ndim, diagram.connectivity)
    for label, i in enumerate(np.argsort(-rank[pts.death_index], kind="stable"), 1):
        components, _ = ndi.label((rank < rank[pts.death_index[i]]).reshape(image.shape),
                                  structure=structure)
        flat = components.reshape(-1)
        labels[flat == flat[pts.birth_index[i]]] = label
    return labels.reshape(image.shape)


def _cripser_targets(patches, k=10):
    masks = np.zeros((len(patches), k) + patches.shape[1:], dtype=np.uint8)
    for i, patch in enumerate(patches):
        rows = cripser.compute_ph(patch, maxdim=0, filtration="V")
        life = rows[:, 2] - rows[:, 1]
        for j, r in enumerate(rows[np.argsort(-life, kind="stable")[:k]]):
            masks[i, j, int(r[3]), int(r[4])] = 1
            if r[2] < np.finfo(np.float64).max:
                masks[i, j, int(r[6]), int(r[7])] = 1
    return masks


def _coins_separated():
    """How many of the 24 coins get a label of their own, for a few settings.

    The reference coins come from scikit-image's watershed tutorial (sobel
    elevation, markers below 30 and above 150, holes filled).  A coin is
    separated when its majority label covers more than half of it and no
    other coin has the same majority label.
    """
    import skimage.filters
    import skimage.segmentation
    coins = skimage.data.coins()
    markers = np.zeros_like(coins)
    markers[coins < 30], markers[coins > 150] = 1, 2
    mask = ndi.binary_fill_holes(
        skimage.segmentation.watershed(skimage.filters.sobel(coins), markers) == 2)
    reference, _ = ndi.label(mask)
    sizes = np.bincount(reference.ravel())
    coin_ids = [c for c in range(1, sizes.size) if sizes[c] > 100]
    parts = []
    for smooth, width in [(5, 1), (0, 1), (9, 3), (5, 5)]:
        _, labels = topological_process(coins, smooth=smooth, border_width=width,
                                        superlevel=True)
        owner = {}
        for c in coin_ids:
            ours = labels[reference == c]
            values, counts = np.unique(ours[ours > 0], return_counts=True)
            if values.size and counts.max() > 0.5 * sizes[c]:
                owner[c] = values[np.argmax(counts)]
        shared = np.bincount(list(owner.values()), minlength=labels.max() + 1)
        separated = sum(shared[v] == 1 for v in owner.values())
        parts.append(f"smooth={smooth} border={width}: {separated}/{len(coin_ids)} "
                     f"({labels.max()} labels)")
    return "; ".join(parts)


def cases():
    coins = _upscaled("coins", 512)
    coins_dgm = persistence(coins, max_dim=0, superlevel=True)
    objects = int(mark_objects(coins, coins_dgm).max())
    patches = np.random.default_rng(0).random((128, 32, 32))
    return [
        Measure("coins separated by topological_process (superlevel)", _coins_separated),
        _growth_measure("camera", False, "mark_objects"),
        _growth_measure("coins", True, "mark_objects"),
        _growth_measure("camera", False, "topological_process"),
        _growth_measure("coins", True, "topological_process"),
        Case(f"mark_objects, coins 512x512 ({objects} objects)",
             lambda: mark_objects(coins, coins_dgm),
             lambda: _flood_fill_marking(coins, coins_dgm),
             "ndimage.label per object", "faster", min_ratio=1, repeat=5),
        Case("topological_process, coins 303x384 (smooth 5)",
             lambda: topological_process(skimage.data.coins(), superlevel=True), repeat=9),
        Case("persistence_targets_batch, 128 patches 32x32, k=10",
             lambda: persistence_targets_batch(patches, k=10),
             lambda: _cripser_targets(patches), "cripser loop + masks", repeat=15),
    ]
