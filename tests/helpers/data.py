"""The real volumes of ../shared/data (tests that need them skip when they are absent)."""

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
