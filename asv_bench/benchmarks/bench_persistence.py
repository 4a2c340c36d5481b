"""asv benchmarks of the persistence engine, with cripser and GUDHI side by side."""

import numpy as np
import skimage.data


def _peers():
    import cripser
    import gudhi
    return cripser, gudhi


class RandomDim0:
    """Dimension 0 of a random image (V-construction)."""
    params = [256, 1024]
    param_names = ["side"]

    def setup(self, side):
        from fasttopo import persistence
        self.image = np.random.default_rng(0).random((side, side))
        persistence(self.image[:50, :50], max_dim=0, connectivity=1)

    def time_fasttopo(self, side):
        from fasttopo import persistence
        persistence(self.image, max_dim=0, connectivity=1)

    def time_cripser(self, side):
        cripser, _ = _peers()
        cripser.compute_ph(self.image, maxdim=0, filtration="V")

    def peakmem_fasttopo(self, side):
        from fasttopo import persistence
        persistence(self.image, max_dim=0, connectivity=1)


class CameraAllDims:
    """Dimensions 0 and 1 of skimage.data.camera()."""
    params = [1, 2]
    param_names = ["connectivity"]

    def setup(self, connectivity):
        from fasttopo import persistence
        self.image = skimage.data.camera()
        self.image_f = self.image.astype(np.float64)
        persistence(self.image, connectivity=connectivity)

    def time_fasttopo(self, connectivity):
        from fasttopo import persistence
        persistence(self.image, connectivity=connectivity)

    def time_cripser(self, connectivity):
        cripser, _ = _peers()
        cripser.compute_ph(self.image_f, maxdim=1, filtration="V" if connectivity == 1 else "T")

    def time_gudhi(self, connectivity):
        _, gudhi = _peers()
        if connectivity == 1:
            gudhi.CubicalComplex(vertices=self.image_f).persistence()
        else:
            gudhi.CubicalComplex(top_dimensional_cells=self.image_f).persistence()


class PatchBatch:
    """Dimension 0 of 128 patches of 32x32 (the neural-approximation setting)."""

    def setup(self):
        from fasttopo import persistence_batch
        self.patches = np.random.default_rng(0).random((128, 32, 32))
        persistence_batch(self.patches, max_dim=0, connectivity=1)

    def time_fasttopo_batch(self):
        from fasttopo import persistence_batch
        persistence_batch(self.patches, max_dim=0, connectivity=1)

    def time_cripser_loop(self):
        cripser, _ = _peers()
        for patch in self.patches:
            cripser.compute_ph(patch, maxdim=0, filtration="V")


class Memory2048:
    """Peak memory of dimensions 0 and 1 of a 2048 x 2048 float64 image."""

    def setup(self):
        from fasttopo import persistence
        self.image = np.random.default_rng(0).random((2048, 2048))
        persistence(self.image[:300, :300])

    def peakmem_fasttopo(self):
        from fasttopo import persistence
        persistence(self.image)

    def peakmem_cripser(self):
        cripser, _ = _peers()
        cripser.compute_ph(self.image, maxdim=1, filtration="T")


def timeraw_import_and_one_diagram():
    """A new process: import fasttopo and compute one diagram (Numba cache warm)."""
    return """
    import numpy as np
    import fasttopo
    fasttopo.persistence(np.random.default_rng(0).random((256, 256)))
    """


def _mni():
    """The MNI152 T1 volume from ../shared/data (asv skips the benchmark without it)."""
    import pathlib
    for parent in pathlib.Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / "mni152_t1_1mm.npz"
        if path.exists():
            return np.load(path)["volume"]
    raise NotImplementedError("../shared/data/mni152_t1_1mm.npz not found")


class _VolumeAllDims:
    """All dimensions of a volume (V-construction); subclasses give ``volume_()``."""
    timeout = 300

    def setup(self):
        from fasttopo import persistence
        self.volume = self.volume_()
        self.volume_f = self.volume.astype(np.float64)
        persistence(self.volume[:20, :20, :20], connectivity=1)

    def time_fasttopo(self):
        from fasttopo import persistence
        persistence(self.volume, connectivity=1)

    def time_cripser(self):
        cripser, _ = _peers()
        cripser.compute_ph(self.volume_f, maxdim=2, filtration="V")


class MNIAllDims(_VolumeAllDims):
    """The MNI152 T1 volume (197 x 233 x 189), with peak memory."""

    def volume_(self):
        return _mni()

    def peakmem_fasttopo(self):
        self.time_fasttopo()

    def peakmem_cripser(self):
        self.time_cripser()


class RandomVolumeAllDims(_VolumeAllDims):
    """A random 128^3 volume."""

    def volume_(self):
        return np.random.default_rng(0).random((128, 128, 128))


class Windows64:
    """All dimensions (T) of 64 x 64 windows: one window, and the 64 windows of a 512^2 image."""

    def setup(self):
        from fasttopo import persistence
        rng = np.random.default_rng(1)
        self.window = rng.random((64, 64))
        image = rng.random((512, 512))
        self.windows = [image[i:i + 64, j:j + 64].copy() for i in range(0, 512, 64)
                        for j in range(0, 512, 64)]
        persistence(self.window)

    def time_fasttopo_one(self):
        from fasttopo import persistence
        persistence(self.window)

    def time_cripser_one(self):
        cripser, _ = _peers()
        cripser.compute_ph(self.window, maxdim=1, filtration="T")

    def time_fasttopo_loop(self):
        from fasttopo import persistence
        for w in self.windows:
            persistence(w)

    def time_cripser_loop(self):
        cripser, _ = _peers()
        for w in self.windows:
            cripser.compute_ph(w, maxdim=1, filtration="T")


class NarrowRangeOutlier:
    """All dimensions (T) of 250 x 250 floats within 1e-13 of each other and one 1e300.

    The values differ only in their lowest bits, below what the packed sort keys keep
    next to the outlier: every candidate ties on the truncated key and the exact order
    comes from the tie-breaking sort (quadratic before it switched to a merge sort).
    """

    def setup(self):
        from fasttopo import persistence
        self.image = 1 + np.random.default_rng(0).random((250, 250)) * 1e-13
        self.image[3, 3] = 1e300
        persistence(self.image[:40, :40])

    def time_fasttopo(self):
        from fasttopo import persistence
        persistence(self.image)

    def time_cripser(self):
        cripser, _ = _peers()
        cripser.compute_ph(self.image, maxdim=1, filtration="T")
