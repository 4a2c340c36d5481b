"""Patches for the PD0 approximator: training images, their held-out split, augmentation,
synthetic images, and the evaluation images by family.

Training images (all shipped offline): ``skimage.data`` brick, grass, gravel,
camera, coins and astronaut (cut into 64 x 64 tiles), the 200 faces of
``lfw_subset`` (25 x 25) and the 1,797 ``sklearn`` digits (8 x 8).  A seeded
10 % of the tiles / faces / digits of every source is held out for model
selection (:func:`split_images`); every other ``skimage.data`` image is for
evaluation only (:data:`FAMILIES`).

A training patch (:func:`training_patch`) is a random crop of a training
image (a source drawn uniformly, then one of its pieces; half of the time
rescaled by 0.6-1.6) or, with probability ``synthetic``, of a synthetic
image (star field, cells, a document, a 1/f field); then a random monotone
intensity map, inversion, blur, noise and 8-bit-like quantisation, and one of
the 8 flips / quarter turns.  The pairs of the exact diagram are computed
for every patch, so any transform is allowed.
"""

import numpy as np
from scipy import ndimage
from skimage import data
from skimage.color import rgb2gray
from skimage.transform import resize

PATCH = 32
TRAIN_NAMES = ("brick", "grass", "gravel", "camera", "coins", "astronaut")
#: Evaluation images (never used in training or model selection), by family.
FAMILIES = {"natural photographs": ("chelsea", "coffee", "rocket", "cat", "clock"),
            "text and documents": ("text", "page"),
            "astronomy": ("moon", "hubble_deep_field"),
            "microscopy and histology": ("cell", "immunohistochemistry", "microaneurysms")}


def grey(name):
    """A ``skimage.data`` image as float32 grey values in [0, 1]."""
    image = getattr(data, name)()
    image = rgb2gray(image[..., :3]) if image.ndim == 3 else image
    image = np.asarray(image, dtype=np.float64)
    if image.max() > 1.0:
        image = image / 255.0
    return image.astype(np.float32)


def tiles(image, size=64):
    """Non-overlapping ``size x size`` tiles of an image."""
    h, w = image.shape
    return [image[i:i + size, j:j + size] for i in range(0, h - size + 1, size)
            for j in range(0, w - size + 1, size)]


def sources(digits=None, faces=None):
    """The training images by source: a dict of name -> list of float32 images."""
    from sklearn.datasets import load_digits

    out = {name: tiles(grey(name)) for name in TRAIN_NAMES}
    out["lfw_subset"] = [np.asarray(f, np.float32) for f in data.lfw_subset()[:faces]]
    out["digits"] = [np.asarray(d / 16.0, np.float32) for d in load_digits().images[:digits]]
    return out


def split_images(seed=0, fraction=0.1, **kwargs):
    """(train, held_out): dicts of source -> images; a seeded ``fraction`` of each source's
    pieces is held out (model selection only)."""
    rng = np.random.default_rng(seed)
    train, held_out = {}, {}
    for name, images in sources(**kwargs).items():
        order = rng.permutation(len(images))
        n = max(1, int(round(fraction * len(images))))
        held_out[name] = [images[i] for i in order[:n]]
        train[name] = [images[i] for i in order[n:]]
    return train, held_out


def at_least_32(image, rng):
    """Small images (faces, digits) upscaled (bilinear) so that a 32 x 32 crop fits."""
    h, w = image.shape
    if min(h, w) >= PATCH:
        return image
    f = PATCH / min(h, w) * rng.uniform(1.0, 1.6)
    return resize(image, (int(np.ceil(h * f)), int(np.ceil(w * f))), order=1).astype(np.float32)


def crop(image, rng, scale=1.0):
    """A random crop of ``PATCH / scale`` pixels resampled to ``PATCH x PATCH``."""
    h, w = image.shape
    size = max(8, min(int(round(PATCH / scale)), h, w))
    i = rng.integers(0, h - size + 1)
    j = rng.integers(0, w - size + 1)
    patch = image[i:i + size, j:j + size]
    if size != PATCH:
        patch = resize(patch, (PATCH, PATCH), order=1, anti_aliasing=size > PATCH)
    return np.asarray(patch, np.float32)


def intensity(patch, rng):
    """Random blur, inversion, monotone map, noise and quantisation of a patch."""
    x = patch.astype(np.float64)
    lo, hi = x.min(), x.max()
    x = (x - lo) / max(hi - lo, 1e-12)
    if rng.random() < 0.15:
        x = ndimage.gaussian_filter(x, rng.uniform(0.5, 1.5))
    if rng.random() < 0.3:
        x = 1.0 - x
    u = rng.random()
    if u < 0.35:
        x = x ** np.exp(rng.uniform(-1.0, 1.0))
    elif u < 0.6:                        # a random increasing piecewise-linear map
        knots = np.concatenate([[0], np.sort(rng.random(4)), [1]])
        x = np.interp(x, knots, np.concatenate([[0], np.sort(rng.random(4)), [1]]))
    if rng.random() < 0.3:
        x = x + rng.normal(0, np.exp(rng.uniform(np.log(0.003), np.log(0.05))), x.shape)
    if rng.random() < 0.7:               # a patch of an 8-bit image, of some contrast
        x = np.round(x * np.exp(rng.uniform(np.log(8), np.log(255))))
    return x.astype(np.float32)


def synthetic(rng, size=48):
    """A synthetic image: star field, cells, document or 1/f random field."""
    kind = rng.integers(4)
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    if kind == 0:                        # blobs (stars, galaxies) on a dim noisy sky
        image = rng.normal(0, rng.uniform(0.005, 0.05), (size, size))
        for _ in range(rng.integers(1, 25)):
            cy, cx = rng.uniform(-4, size + 4, 2)
            s = np.exp(rng.uniform(np.log(0.6), np.log(4)))
            a = np.exp(rng.uniform(np.log(0.05), np.log(1.0)))
            image += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
        return image
    if kind == 1:                        # cells: smoothed ellipses with texture
        image = np.zeros((size, size))
        for _ in range(rng.integers(1, 12)):
            cy, cx = rng.uniform(0, size, 2)
            a, b = rng.uniform(2, 10, 2)
            t = rng.uniform(0, np.pi)
            u = ((yy - cy) * np.cos(t) + (xx - cx) * np.sin(t)) / a
            v = (-(yy - cy) * np.sin(t) + (xx - cx) * np.cos(t)) / b
            image += rng.uniform(0.2, 1.0) * (u * u + v * v < 1)
        image = ndimage.gaussian_filter(image, rng.uniform(0.5, 2.0))
        return image + ndimage.gaussian_filter(rng.normal(0, 1, image.shape),
                                               1.0) * rng.uniform(0, 0.1)
    if kind == 2:                        # a document: dark strokes on an uneven page
        image = np.ones((size, size))
        for _ in range(rng.integers(2, 30)):
            y0, x0 = rng.integers(0, size, 2)
            length, width = rng.integers(2, 14), rng.integers(1, 3)
            if rng.random() < 0.5:
                image[y0:y0 + width, x0:x0 + length] = rng.uniform(0.0, 0.5)
            else:
                image[y0:y0 + length, x0:x0 + width] = rng.uniform(0.0, 0.5)
        image = ndimage.gaussian_filter(image, rng.uniform(0.3, 1.2))
        image += rng.normal(0, rng.uniform(0.0, 0.05), image.shape)
        return image + (yy / size) * rng.uniform(-0.1, 0.1)
    f = np.fft.fftfreq(size)             # a 1 / f^beta random field
    radius = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    radius[0, 0] = 1.0
    spectrum = radius ** (-rng.uniform(0.5, 2.0)) * np.exp(2j * np.pi * rng.random((size, size)))
    return np.real(np.fft.ifft2(spectrum))


def training_patch(images, rng, synthetic_fraction=0.3):
    """One augmented 32 x 32 training patch (float32); ``images``: source -> images."""
    if rng.random() < synthetic_fraction:
        patch = crop(synthetic(rng).astype(np.float32), rng)
    else:
        names = sorted(images)
        group = images[names[rng.integers(len(names))]]
        image = at_least_32(group[rng.integers(len(group))], rng)
        scale = np.exp(rng.uniform(np.log(0.6), np.log(1.6))) if rng.random() < 0.5 else 1.0
        patch = crop(image, rng, scale)
    patch = np.rot90(intensity(patch, rng), rng.integers(4))
    if rng.random() < 0.5:
        patch = patch.T
    return np.ascontiguousarray(patch)


def training_batch(images, rng, size=32, synthetic_fraction=0.3):
    """``(size, 32, 32)`` float32 training patches."""
    return np.stack([training_patch(images, rng, synthetic_fraction) for _ in range(size)])


def held_out_patches(images, per_source, seed):
    """Plain random crops (no augmentation) of every source's held-out pieces."""
    rng = np.random.default_rng(seed)
    out = []
    for name in sorted(images):
        for _ in range(per_source):
            group = images[name]
            out.append(crop(at_least_32(group[rng.integers(len(group))], rng), rng))
    return np.stack(out)


def family_patches(per_image, seed, families=None):
    """Random 32 x 32 crops of the evaluation images: ``(patches, family per patch)``."""
    rng = np.random.default_rng(seed)
    families = FAMILIES if families is None else families
    patches, labels = [], []
    for family, names in families.items():
        for name in names:
            image = grey(name)
            for _ in range(per_image):
                patches.append(crop(image, rng))
                labels.append(family)
    return np.stack(patches), np.array(labels)
