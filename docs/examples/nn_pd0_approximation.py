"""Predicted vs true birth and death pixels of the top-10 PD0 points on held-out patches.

The shipped network (:func:`fasttopo.approximation.approximate_diagrams`,
NumPy) against the exact engine (:func:`fasttopo.persistence_batch`) on
random 32 x 32 patches of ``skimage.data`` images never used in training or
model selection, two per family.  Circles: birth
pixels, crosses: death pixels; green: a true top-10 point the network found
(same birth and death value), orange: a true top-10 point it missed, blue: a
predicted point that is not a true top-10 point.
"""

import pathlib
import sys

import numpy as np

import fasttopo
from fasttopo.approximation import approximate_diagrams, read_weights

# the docs' plot directive runs this code without __file__, in this folder
sys.path.insert(0, str(pathlib.Path(globals().get("__file__", "./x.py")).resolve().parent))
from nn_pd0_data import crop, grey  # noqa: E402

NAMES = ("chelsea", "clock", "text", "page", "moon", "hubble_deep_field", "cell",
         "immunohistochemistry")


def example_patches(seed=4):
    """One held-out patch per image of ``NAMES``, ``(8, 32, 32)`` float32."""
    rng = np.random.default_rng(seed)
    return np.stack([crop(grey(name), rng) for name in NAMES])


def compare(patches, k=10):
    """Per patch: (found, missed, extra) lists of (birth pixel, death pixel, birth, death)."""
    predicted = approximate_diagrams(patches, k=k)
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    out = []
    for pred, true in zip(predicted, exact):
        top = true.select(0).top_k(k)
        pred_keys = set(zip(pred.birth.tolist(), pred.death.tolist()))
        true_keys = set(zip(top.birth.tolist(), top.death.tolist()))
        rows = lambda d, keys, inside: [  # noqa: E731
            (b, e, x, y) for b, e, x, y in zip(d.birth_index, d.death_index, d.birth, d.death)
            if ((x, y) in keys) == inside]
        out.append((rows(top, pred_keys, True), rows(top, pred_keys, False),
                    rows(pred, true_keys, False)))
    return out


def draw(patches, results, axes):
    for ax, patch, name, (found, missed, extra) in zip(axes, patches, NAMES, results):
        ax.imshow(patch, cmap="gray", vmin=0, vmax=1)
        for rows, colour in ((found, "limegreen"), (missed, "orange"), (extra, "deepskyblue")):
            for birth, death, _, _ in rows:
                i, j = np.unravel_index(birth, patch.shape)
                ax.plot(j, i, "o", mfc="none", mec=colour, ms=7, mew=1.6)
                if death >= 0:
                    i2, j2 = np.unravel_index(death, patch.shape)
                    ax.plot(j2, i2, "x", color=colour, ms=6, mew=1.6)
                    ax.plot([j, j2], [i, i2], "-", color=colour, lw=0.6, alpha=0.7)
        total = len(found) + len(missed)
        ax.set_title(f"{name}\nfound {len(found)}/{total}, extra {len(extra)}", fontsize=8)
        ax.axis("off")


def draw_learning_curve(axes):
    """The shipped model's learning curve (stored in its metadata)."""
    metadata = read_weights()[2]
    curve = metadata["learning_curve"]
    steps = [row["step"] for row in curve]
    for name in ("birth_loss", "lifetime_loss", "pair_loss"):
        axes[0].plot(steps, [row[name] for row in curve], label=name.replace("_", " "))
    axes[0].set(xlabel=f"step ({metadata['batch']} patches)", ylabel="training loss",
                yscale="log", title="pair_loss terms")
    axes[0].legend(fontsize=8)
    scored = [row for row in curve if "validation" in row]
    x = [row["step"] for row in scored]
    for name in ("found", "present", "bottleneck"):
        axes[1].plot(x, [row["validation"]["birth"][name] for row in scored], label=name)
    axes[1].axhline(0.654, ls=":", c="C0", lw=1)
    axes[1].axhline(0.700, ls=":", c="C1", lw=1)
    axes[1].set(xlabel="step", title="384 held-out patches of the training images\n"
                "(dotted: the paper's found and present)")
    axes[1].legend(fontsize=8)


if __name__ == "__main__":
    import matplotlib.pyplot as plt

    patches = example_patches()
    fig, axes = plt.subplots(2, len(NAMES) // 2, figsize=(10, 5.4))
    axes = axes.ravel()
    draw(patches, compare(patches), axes)
    fig.tight_layout()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    draw_learning_curve(axes)
    fig.tight_layout()
    plt.show()
