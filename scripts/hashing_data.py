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
(``connectivity=2``); sublevel filtration, finite pairs.  The diagrams come
in four regimes, so that the codes see diagrams of other scales than these
images' (the regime of a training pair is its group):

* ``plain``: the patches as they are;
* ``changed``: the same kind of patches under a random monotone intensity
  change ``a + L x^gamma`` (``L`` log-uniform in [0.05, 1], ``gamma``
  log-uniform in [1/3, 3]): diagrams squeezed into a part of [0, 1];
* ``small``: smaller patches (``SMALL_SIZES``) under such a change: fewer
  points, shorter lifetimes;
* ``synthetic``: :func:`fasttopo.synthetic_diagrams` with the point counts
  of the real ones.

Model selection scores held-out ``plain``, ``changed`` and ``small`` sets.
"""

import numpy as np

import fasttopo

LARGE = ("brick", "grass", "gravel", "camera", "coins", "astronaut")
SETTINGS = {0: {"size": 32, "connectivity": 1}, 1: {"size": 48, "connectivity": 2}}
SMALL_SIZES = {0: (12, 16, 20, 24), 1: (16, 20, 24, 32)}
REGIMES = ("plain", "changed", "small", "synthetic")
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


def images(dim, part, n_large, n_small, rng, sizes=None):
    """Images of ``part`` ("fit" or "select"): ``n_large`` patches of each large image (of
    a size drawn from ``sizes``, default the setting's) and ``n_small`` images of each
    small set; and the index of their source."""
    sizes = (SETTINGS[dim]["size"],) if sizes is None else sizes
    out, source = [], []
    for k, name in enumerate(LARGE):
        image = grey(name)
        h, w = image.shape
        cut = int(FIT_COLUMNS * w)
        for _ in range(n_large):
            size = int(sizes[int(rng.integers(0, len(sizes)))])
            low, high = (0, cut - size) if part == "fit" else (cut, w - size)
            i, j = int(rng.integers(0, h - size + 1)), int(rng.integers(low, high + 1))
            out.append(np.ascontiguousarray(image[i:i + size, j:j + size]))
            source.append(k)
    for k, stack in enumerate(small_images().values()):
        if not n_small:
            break
        index = np.arange(len(stack))
        keep = index[(index % 4 == 3) == (part == "select")]
        for i in rng.choice(keep, size=n_small, replace=False):
            out.append(np.ascontiguousarray(stack[i]))
            source.append(len(LARGE) + k)
    return out, np.array(source)


def intensity_change(image, rng):
    """``a + L image^gamma``: gamma and L log-uniform in [1/3, 3] and [0.05, 1], a uniform
    in [0, 1 - L] (a monotone change: the diagram's points move, its pairing stays)."""
    gamma = float(np.exp(rng.uniform(np.log(1 / 3), np.log(3))))
    length = float(np.exp(rng.uniform(np.log(0.05), 0.0)))
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


def training_set(dim, seed, n_large=160, n_small=120, n_synthetic=600):
    """Diagrams to fit on, and the regime (index into ``REGIMES``) of each: ``n_large``
    plain patches of each large image and ``n_small`` images of each small set, half as
    many changed ones, half as many small patches of the large images, ``n_synthetic``
    synthetic diagrams."""
    rng = np.random.default_rng([seed, dim, 0])
    plain, _ = images(dim, "fit", n_large, n_small, rng)
    changed, _ = images(dim, "fit", n_large // 2, n_small // 2, rng)
    small, _ = images(dim, "fit", n_large // 2, 0, rng, sizes=SMALL_SIZES[dim])
    real = [diagrams(plain, dim), diagrams([intensity_change(x, rng) for x in changed], dim),
            diagrams([intensity_change(x, rng) for x in small], dim)]
    counts = np.array([len(p) for p in real[0]])
    real.append(fasttopo.synthetic_diagrams(n_synthetic, counts[counts > 0], random_state=rng))
    regime = np.repeat(np.arange(len(real)), [len(r) for r in real])
    return [p for r in real for p in r], regime


def selection_sets(dim, seed, n_large=40, n_small=24):
    """{"plain", "changed", "small": diagrams} of held-out patches of the training images
    ("changed": the plain patches under a random intensity change; "small": small patches
    of the large images under one), empty diagrams left out."""
    rng = np.random.default_rng([seed, dim, 1])
    plain, _ = images(dim, "select", n_large, n_small, rng)
    changed = [intensity_change(x, rng) for x in plain]
    small, _ = images(dim, "select", n_large, 0, rng, sizes=SMALL_SIZES[dim])
    sets = {"plain": diagrams(plain, dim), "changed": diagrams(changed, dim),
            "small": diagrams([intensity_change(x, rng) for x in small], dim)}
    return {k: [p for p in v if len(p)] for k, v in sets.items()}
