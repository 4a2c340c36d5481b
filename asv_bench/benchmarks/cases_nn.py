"""Targets of fasttopo.nn: forward + backward of a topological loss, against the torch peers.

Workload of the issue: a 16x1x64x64 batch, dimensions 0 and 1, total
persistence (sum of finite lifetimes) averaged over the batch, forward and
backward.  Best of 60 alternated runs each (the development machine is shared
and noisy; the minimum approximates an idle machine for both sides).
Peers: ``cripser.compute_ph_torch`` in a loop over the images
(same construction: ``filtration="T"`` is fasttopo's default 8-connectivity,
``"V"`` is ``connectivity=1``), and torch-topological's ``CubicalComplex``
when it is installed (benchmark only, never a dependency).
"""

import numpy as np
import torch

from .case import Case, Measure
import fasttopo.nn as tnn

SHAPE = (16, 1, 64, 64)


def batch(seed=0):
    return torch.from_numpy(np.random.default_rng(seed).random(SHAPE, dtype=np.float32))


def ours(x, connectivity=None):
    """fasttopo: one batched call, values gathered from x, autograd backward."""
    def run():
        x.grad = None
        dgms = tnn.persistence(x, connectivity=connectivity)
        loss = tnn.total_persistence(dgms, dim=(0, 1))
        loss.backward()
        return loss
    return run


def cripser_loop(x, filtration):
    """cripser.compute_ph_torch on each image, finite lifetimes summed, mean over the batch."""
    import cripser

    def run():
        x.grad = None
        total = x.new_zeros(())
        for b in range(x.shape[0]):
            ph = cripser.compute_ph_torch(x[b, 0], filtration=filtration, maxdim=1)
            finite = torch.isfinite(ph[:, 2])
            total = total + (ph[finite, 2] - ph[finite, 1]).sum()
        loss = total / x.shape[0]
        loss.backward()
        return loss
    return run


def _gudhi_shim():
    """torch-topological 0.1.9 passes tensors to gudhi.CubicalComplex, which GUDHI >= 3.10
    refuses; convert them to NumPy (the only change) so that it can be timed."""
    import gudhi
    import torch_topological.nn.cubical_complex as tt_cubical

    class _Gudhi:
        def __getattr__(self, name):
            return getattr(gudhi, name)

        @staticmethod
        def CubicalComplex(dimensions=None, top_dimensional_cells=None, **kw):
            cells = top_dimensional_cells.detach().cpu().numpy()
            return gudhi.CubicalComplex(dimensions=[int(d) for d in dimensions],
                                        top_dimensional_cells=cells, **kw)

    tt_cubical.gudhi = _Gudhi()


def tt_loop(x):
    from torch_topological.nn import CubicalComplex
    layer = CubicalComplex(dim=2)

    def run():
        x.grad = None
        total = x.new_zeros(())
        for per_image in layer(x):
            for per_channel in per_image:
                for info in per_channel:
                    d = info.diagram
                    finite = torch.isfinite(d[:, 1])
                    total = total + (d[finite, 1] - d[finite, 0]).sum()
        loss = total / x.shape[0]
        loss.backward()
        return loss
    return run


def _torch_topological_status():
    try:
        import torch_topological  # noqa: F401
    except ImportError as exc:
        return f"not installed ({exc})"
    try:
        tt_loop(batch().requires_grad_(True))()
        return "runs unpatched"
    except Exception as exc:  # what users get with the current GUDHI
        return f"fails unpatched: {type(exc).__name__}: {str(exc).splitlines()[0][:70]}"


def _check_same_loss(a, b, name, offset=0.0):
    la, lb = a().item(), b().item()
    if not np.isclose(la + offset, lb, rtol=1e-5):
        raise AssertionError(f"{name}: losses differ, fasttopo {la} vs peer {lb}")


def cases():
    x_t = batch().requires_grad_(True)
    x_v = batch().requires_grad_(True)
    out = []
    ours_t, crip_t = ours(x_t), cripser_loop(batch().requires_grad_(True), "T")
    ours_v, crip_v = ours(x_v, connectivity=1), cripser_loop(batch().requires_grad_(True), "V")
    _check_same_loss(ours_t, crip_t, "T")
    _check_same_loss(ours_v, crip_v, "V")
    out.append(Case("fwd+bwd 16x1x64x64 dims 0+1 total persistence (T)", ours_t, crip_t,
                    "cripser torch loop", ">= 10x", min_ratio=10, repeat=60))
    out.append(Case("fwd+bwd 16x1x64x64 dims 0+1 total persistence (V)", ours_v, crip_v,
                    "cripser torch loop", ">= 10x", min_ratio=10, repeat=60))
    status = _torch_topological_status()
    out.append(Measure("torch-topological CubicalComplex with the installed GUDHI",
                       lambda: status))
    if not status.startswith("not installed"):
        if not status.startswith("runs"):
            _gudhi_shim()
        peer = tt_loop(batch().requires_grad_(True))
        # torch-topological closes the essential class at the image maximum
        x = batch()
        essential = (x.amax((1, 2, 3)) - x.amin((1, 2, 3))).mean().item()
        _check_same_loss(ours_t, peer, "torch-topological", offset=essential)
        out.append(Case("fwd+bwd 16x1x64x64 dims 0+1 total persistence (T)", ours_t, peer,
                        "torch-topological" + ("" if status.startswith("runs") else "+shim"),
                        "", repeat=7))
    return out
