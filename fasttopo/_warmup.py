"""Compiling every kernel once, ahead of the first real call (``fasttopo warmup``; private).

Each case runs one kind of call on a tiny input; together they reach every
compiled specialisation a session typically needs (the kernels then load
from the Numba cache in later processes).
"""

import numpy as np

__all__ = ["warmup"]


def _cases():
    import fasttopo
    rng = np.random.default_rng(0)
    image = rng.random((64, 64))

    def nn_layer():
        try:
            import torch
        except ImportError:  # the torch extra is not installed: nothing to compile
            return
        import fasttopo.nn as tnn
        x = torch.rand(2, 1, 16, 16, dtype=torch.float64, requires_grad=True)
        tnn.total_persistence(tnn.persistence(x), dim=1).backward()

    def large(dtype):
        return lambda: fasttopo.persistence((rng.random((300, 300)) * 200).astype(dtype))

    return [
        ("small image", lambda: fasttopo.persistence(image)),
        ("large image, 64-bit", large(np.float64)),
        ("large image, 8-bit", large(np.uint8)),
        ("large image, 16-bit", large(np.uint16)),
        ("large image, 32-bit", large(np.float32)),
        ("volume, all dimensions", lambda: [fasttopo.persistence(rng.random((12, 12, 12)),
                                                                 connectivity=c)
                                            for c in (1, 3)]),
        ("1D signal", lambda: fasttopo.persistence(rng.random(200))),
        ("batch", lambda: fasttopo.persistence_batch(rng.random((4, 16, 16)))),
        ("image functions", lambda: fasttopo.topological_process(image, smooth=1)),
        ("training targets", lambda: fasttopo.persistence_targets_batch(rng.random((2, 8, 8)))),
        ("representative cycles", lambda: [fasttopo.representative_cycles(v, fasttopo.persistence(
            v, connectivity=c)) for v in (image, rng.random((6, 6, 6))) for c in (1, v.ndim)]),
        ("torch layer", nn_layer),
        ("Betti matching", lambda: [fasttopo.betti_matching(rng.random(shape),
                                                            rng.random(shape) > 0.5,
                                                            connectivity=c)
                                    for shape in ((16, 16), (6, 6, 6)) for c in (1, len(shape))]),
    ]


def warmup(progress=True):
    """Run every case once (compiling what is not cached yet); returns the case names."""
    cases = _cases()
    bar = None
    if progress:
        try:
            from tqdm.auto import tqdm
            bar = tqdm(total=len(cases), desc="compiling fasttopo", unit="kind")
        except ImportError:  # tqdm is an optional extra
            bar = None
    try:
        for name, run in cases:
            if bar is not None:
                bar.set_postfix_str(name)
            run()
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return [name for name, _ in cases]
