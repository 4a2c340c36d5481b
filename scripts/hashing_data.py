"""Training and model-selection diagrams of the shipped diagram hashers (issue 25).

Only the training images of issue 25 are used: skimage's brick, grass, gravel,
camera, coins, astronaut, lfw_subset and sklearn's digits; every other image is
for evaluation (docs/examples/diagram_hashing.py).  Each is split once:

* the large images: patches whose columns lie in the left three quarters
  are for fitting, patches in the right quarter for model selection;
* lfw_subset and digits (whole images): index % 4 == 3 for model selection,
  the others for fitting.

Grey levels are scaled to [0, 1] (uint8 / 255, digits / 16, colour by
``skimage.color.rgb2gray``).  Dimension 0: 32 x 32 patches, V-construction
(``connectivity=1``); dimension 1: 48 x 48 patches, T-construction
(``connectivity=2``); sublevel filtration, finite pairs.  Besides the plain
patches, fitting uses the same kind of patches under a random monotone
intensity change (``a + (b - a) x^gamma``), so that the codes see diagrams
spread over [0, 1] and not only where these images' grey levels lie, and
synthetic diagrams (:func:`fasttopo.synthetic_diagrams`, point counts of the
real ones).  Model selection scores plain and intensity-changed held-out
patches.
"""

import numpy as np

import fasttopo

LARGE = ("brick", "grass", "gravel", "camera", "coins", "astronaut")
SETTINGS = {0: {"size": 32, "connectivity": 1}, 1: {"size": 48, "connectivity": 2}}
FIT_COLUMNS = 0.75


def grey(name):
    """A large training image as float64 grey levels in [0, 1]."""
    import skimage.color
    import skimage.data
    image = getattr(skimage.data, name)()
    if image.ndim == 3:
        return np.ascontiguousarray(skimage.color.rgb2gray(image[..., :3]), dtype=np.float64)
    return image.astype(np.float64) / 255.0


def small_images():
    """{name: stack} of the small training images, in [0, 1]."""
    import skimage.data
    from sklearn.datasets import load_digits
    return {"lfw_subset": skimage.data.lfw_subset().astype(np.float64),
            "digits": load_digits().images / 16.0}


def images(dim, part, n_large, n_small, rng):
    """Images of ``part`` ("fit" or "select"): ``n_large`` patches of each large image and
    ``n_small`` images of each small set; and the index of their source."""
    size = SETTINGS[dim]["size"]
    out, source = [], []
    for k, name in enumerate(LARGE):
        image = grey(name)
        h, w = image.shape
        cut = int(FIT_COLUMNS * w)
        low, high = (0, cut - size) if part == "fit" else (cut, w - size)
        for _ in range(n_large):
            i, j = int(rng.integers(0, h - size + 1)), int(rng.integers(low, high + 1))
            out.append(np.ascontiguousarray(image[i:i + size, j:j + size]))
            source.append(k)
    for k, stack in enumerate(small_images().values()):
        index = np.arange(len(stack))
        keep = index[(index % 4 == 3) == (part == "select")]
        for i in rng.choice(keep, size=n_small, replace=False):
            out.append(np.ascontiguousarray(stack[i]))
            source.append(len(LARGE) + k)
    return out, np.array(source)


def intensity_change(image, rng):
    """``a + (b - a) image^gamma``: gamma log-uniform in [1/3, 3], [a, b] in [0, 1] of
    length >= 0.3 (a monotone change: the diagram's points move, its pairing stays)."""
    gamma = float(np.exp(rng.uniform(np.log(1 / 3), np.log(3))))
    length = float(rng.uniform(0.3, 1.0))
    a = float(rng.uniform(0.0, 1.0 - length))
    return a + length * image ** gamma


def diagrams(images_, dim):
    """Finite pairs of dimension ``dim`` of each image, as (n, 2) arrays."""
    connectivity = SETTINGS[dim]["connectivity"]
    out = []
    for image in images_:
        d = fasttopo.persistence(image, connectivity=min(connectivity, image.ndim),
                                 max_dim=dim).select(dim)
        p = np.column_stack([d.birth, d.death])
        out.append(p[np.isfinite(p).all(axis=1)])
    return out


def training_set(dim, seed, n_large=160, n_small=120, changed=0.5, synthetic=0.25):
    """Diagrams to fit on, in this order: plain patches, as many intensity-changed ones
    times ``changed``, synthetic diagrams ``synthetic`` times as many as the real ones;
    and ``{"plain": end of the plain ones, "real": end of the real ones, "all": total}``."""
    rng = np.random.default_rng([seed, dim, 0])
    plain, _ = images(dim, "fit", n_large, n_small, rng)
    more, _ = images(dim, "fit", int(changed * n_large), int(changed * n_small), rng)
    real = diagrams(plain, dim) + diagrams([intensity_change(x, rng) for x in more], dim)
    counts = np.array([len(p) for p in real])
    fake = fasttopo.synthetic_diagrams(int(synthetic * len(real)), counts[counts > 0],
                                       random_state=rng)
    parts = {"plain": len(plain), "real": len(real), "all": len(real) + len(fake)}
    return real + fake, parts


def selection_sets(dim, seed, n_large=40, n_small=24):
    """{"plain": diagrams, "changed": diagrams} of held-out patches of the training images
    (the same patches, the second time under a random intensity change)."""
    rng = np.random.default_rng([seed, dim, 1])
    plain, _ = images(dim, "select", n_large, n_small, rng)
    changed = [intensity_change(x, rng) for x in plain]
    sets = {"plain": diagrams(plain, dim), "changed": diagrams(changed, dim)}
    return {k: [p for p in v if len(p)] for k, v in sets.items()}
