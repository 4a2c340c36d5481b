"""asv benchmarks of fasttopo.nn: forward + backward of a topological loss, peers side by side.

Workload of issue 6: a 16x1x64x64 batch, dimensions 0 and 1, total
persistence of the finite bars averaged over the batch.  Peers:
``cripser.compute_ph_torch`` in a loop over the images, and
torch-topological's ``CubicalComplex`` when installed (it needs a
conversion shim with GUDHI >= 3.10; see ``benchmarks/cases_nn.py``).
"""

import numpy as np


def _batch():
    import torch
    return torch.from_numpy(np.random.default_rng(0).random((16, 1, 64, 64),
                                                            dtype=np.float32))


class TotalPersistenceBatch:
    """Forward + backward, 16x1x64x64, dims 0+1 (T: 8-neighbour, V: 4-neighbour)."""
    params = ["T", "V"]
    param_names = ["construction"]

    def setup(self, construction):
        import torch  # noqa: F401
        import fasttopo.nn as tnn
        self.tnn = tnn
        self.connectivity = 1 if construction == "V" else None
        self.x = _batch().requires_grad_(True)
        self.time_fasttopo(construction)

    def time_fasttopo(self, construction):
        self.x.grad = None
        dgms = self.tnn.persistence(self.x, connectivity=self.connectivity)
        self.tnn.total_persistence(dgms, dim=(0, 1)).backward()

    def time_cripser_loop(self, construction):
        import cripser
        import torch
        self.x.grad = None
        total = self.x.new_zeros(())
        for b in range(self.x.shape[0]):
            ph = cripser.compute_ph_torch(self.x[b, 0], filtration=construction, maxdim=1)
            finite = torch.isfinite(ph[:, 2])
            total = total + (ph[finite, 2] - ph[finite, 1]).sum()
        (total / self.x.shape[0]).backward()


class TorchTopological:
    """torch-topological's CubicalComplex on the same workload (T only), if installed."""

    def setup(self):
        import pathlib
        import sys
        try:
            import torch_topological  # noqa: F401
        except ImportError:
            raise NotImplementedError("torch-topological is not installed")
        here = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
        sys.path.insert(0, str(here))
        import cases_nn
        status = cases_nn._torch_topological_status()
        if not status.startswith("runs"):
            cases_nn._gudhi_shim()
        self.run = cases_nn.tt_loop(_batch().requires_grad_(True))

    def time_torch_topological(self):
        self.run()
