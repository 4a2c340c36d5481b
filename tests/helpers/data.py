"""Real data for the tests: the volumes of ../shared/data (tests that need them skip when
they are absent) and patches of skimage's camera image."""

import pathlib

import numpy as np
import pytest

_ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared/data from the repository root, or from the main checkout's parent for a
# worktree one level further down (e.g. wt/<branch>)
DATA = next((p for p in (_ROOT.parent / "shared" / "data", _ROOT.parent.parent / "shared" / "data")
             if p.exists()), _ROOT.parent / "shared" / "data")


def volume(name):
    """``np.load(DATA / name)["volume"]``, or skip the test if the file is not there."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not available")
    with np.load(path) as archive:
        return archive["volume"]


def camera_patches(count=6, seed=0, size=32):
    """``count`` random ``size x size`` patches of skimage's camera image: uint8 values (many
    ties) as float32 in [0, 1]."""
    from skimage import data

    image = data.camera()
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, image.shape[0] - size, (count, 2))
    return np.stack([image[i:i + size, j:j + size] for i, j in starts]).astype(np.float32) / 255
