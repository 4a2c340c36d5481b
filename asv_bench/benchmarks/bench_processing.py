"""asv benchmarks of the image-processing functions (near-linear growth with the image size).

camera (sublevel) and coins (superlevel) upscaled to 512^2, 1024^2 and 2048^2;
``time_flood_fill_marking`` is the O(k n) alternative (one scipy.ndimage.label
per object) for comparison.
"""

import numpy as np
import scipy.ndimage as ndi
import skimage.data


def _upscaled(name, side):
    image = getattr(skimage.data, name)().astype(np.float64)
    return ndi.zoom(image, (side / image.shape[0], side / image.shape[1]), order=1)


class MarkObjects:
    params = [["camera", "coins"], [512, 1024, 2048]]
    param_names = ["image", "side"]
    timeout = 300

    def setup(self, name, side):
        from fasttopo import mark_objects, persistence
        self.superlevel = name == "coins"
        self.image = _upscaled(name, side)
        self.diagram = persistence(self.image, max_dim=0, superlevel=self.superlevel)
        mark_objects(self.image[:64, :64], superlevel=self.superlevel)

    def time_mark_objects(self, name, side):
        from fasttopo import mark_objects
        mark_objects(self.image, self.diagram)

    def time_flood_fill_marking(self, name, side):
        from fasttopo import lifetime_threshold
        dgm = self.diagram
        threshold, _ = lifetime_threshold(dgm)
        pts = dgm.finite()[dgm.finite().lifetime > threshold]
        values = -self.image.reshape(-1) if self.superlevel else self.image.reshape(-1)
        for death, birth in zip(pts.death_index, pts.birth_index):
            below = (values < values[death]).reshape(self.image.shape)
            components, _ = ndi.label(below, structure=np.ones((3, 3)))
            _ = components.reshape(-1) == components.reshape(-1)[birth]

    def peakmem_mark_objects(self, name, side):
        from fasttopo import mark_objects
        mark_objects(self.image, self.diagram)


class TopologicalProcess:
    params = [["camera", "coins"], [512, 1024, 2048]]
    param_names = ["image", "side"]
    timeout = 300

    def setup(self, name, side):
        from fasttopo import topological_process
        self.superlevel = name == "coins"
        self.image = _upscaled(name, side)
        topological_process(self.image[:64, :64], superlevel=self.superlevel)

    def time_topological_process(self, name, side):
        from fasttopo import topological_process
        topological_process(self.image, superlevel=self.superlevel)


class Targets:
    """Training targets of 128 patches of 32 x 32 (k = 10), as in the AAAI 2023 setting."""

    def setup(self):
        from fasttopo import persistence_targets_batch
        self.patches = np.random.default_rng(0).random((128, 32, 32))
        persistence_targets_batch(self.patches)

    def time_persistence_targets_batch(self):
        from fasttopo import persistence_targets_batch
        persistence_targets_batch(self.patches, k=10)


class BettiError:
    def setup(self):
        from fasttopo import betti_error
        rng = np.random.default_rng(0)
        self.target = ndi.gaussian_filter(rng.random((1024, 1024)), 3) > 0.5
        self.prediction = self.target ^ (rng.random(self.target.shape) < 0.01)
        betti_error(self.prediction[:100, :100], self.target[:100, :100], n_patches=2)

    def time_betti_error_100_patches_64(self):
        from fasttopo import betti_error
        betti_error(self.prediction, self.target, patch_size=64, n_patches=100, rng=0)
