"""fasttopo.nn.persistence: equal to the NumPy engine, gradients on birth/death pixels."""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fasttopo  # noqa: E402
import fasttopo.nn as tnn  # noqa: E402
from fasttopo._engine import as_3d  # noqa: E402
from fasttopo._engine.keys import wide_bits  # noqa: E402
from fasttopo._engine.small_images import chunk_tasks, small_buffers  # noqa: E402
from fasttopo._engine.small_images import collect_pairs  # noqa: E402


def distinct(rng, shape, dtype=torch.float64):
    """Values with gaps of at least 0.5 (no ties), so the pairing is locally constant."""
    n = int(np.prod(shape))
    values = rng.permutation(n).astype(np.float64) + rng.uniform(-0.25, 0.25, n)
    return torch.tensor(values.reshape(shape), dtype=dtype)


def assert_matches_engine(dgms, x, **options):
    """Each input's diagram equals fasttopo.persistence on the NumPy copy, values too."""
    images = x.detach().to(torch.float64).cpu().numpy().reshape((-1,) + dgms.shape)
    expected = [fasttopo.persistence(im, **options) for im in images]
    assert dgms.to_numpy() == expected
    flat = x.detach().reshape(-1)
    npix = int(np.prod(dgms.shape))
    birth_at = flat[torch.from_numpy(dgms.item * npix + dgms.birth_index)]
    assert torch.equal(dgms.birth.detach(), birth_at)
    finite = dgms.death_index >= 0
    death_at = flat[torch.from_numpy((dgms.item * npix + dgms.death_index)[finite])]
    assert torch.equal(dgms.death.detach()[torch.from_numpy(finite)], death_at)
    inf = -np.inf if options.get("superlevel") else np.inf
    assert (dgms.death.detach()[torch.from_numpy(~finite)] == inf).all()
    assert dgms.birth.dtype == x.dtype and dgms.birth.device == x.device


def test_import_fasttopo_does_not_import_torch():
    code = "import sys, fasttopo; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("connectivity", [1, 2])
@pytest.mark.parametrize("superlevel", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batch_equals_numpy_engine(rng, connectivity, superlevel, dtype):
    x = torch.tensor(rng.integers(0, 6, size=(3, 2, 13, 17)), dtype=dtype)  # many ties
    for max_dim in (0, 1):
        dgms = tnn.persistence(x, max_dim=max_dim, connectivity=connectivity,
                               superlevel=superlevel)
        assert dgms.batch_shape == (3, 2) and dgms.shape == (13, 17)
        assert dgms.counts().shape == (3, 2)
        assert_matches_engine(dgms, x, max_dim=max_dim, connectivity=connectivity,
                              superlevel=superlevel)


def test_unbatched_and_signals(rng):
    image = torch.rand(9, 11, generator=torch.Generator().manual_seed(1))
    dgms = tnn.persistence(image)
    assert dgms.batch_shape == ()
    assert_matches_engine(dgms, image)
    signal = torch.tensor(rng.random(40))
    assert_matches_engine(tnn.persistence(signal, superlevel=True), signal, superlevel=True)
    signals = torch.tensor(rng.random((4, 3, 25)))
    dgms = tnn.persistence(signals, spatial_dims=1)
    assert dgms.batch_shape == (4, 3)
    assert_matches_engine(dgms, signals)
    stack = torch.tensor(rng.random((5, 6, 7)))
    dgms = tnn.persistence(stack, spatial_dims=2)
    assert dgms.batch_shape == (5,)
    assert_matches_engine(dgms, stack)


def test_volumes(rng):
    x = torch.tensor(rng.integers(0, 5, size=(2, 1, 5, 6, 7)), dtype=torch.float32)
    for connectivity in (1, 2, 3):
        dgms = tnn.persistence(x, max_dim=0, connectivity=connectivity)
        assert dgms.batch_shape == (2, 1) and dgms.shape == (5, 6, 7)
        assert_matches_engine(dgms, x, max_dim=0, connectivity=connectivity)
    # all dimensions of 3D images (dimension 1 from the cubical reduction), both
    # constructions: the torch op gives the engine's pairs, and the volume has some
    volume = torch.tensor(rng.random((6, 7, 8)))
    for connectivity in (1, 3):
        expected = fasttopo.persistence(volume.numpy(), connectivity=connectivity)
        assert (expected.dim == 1).any() and (expected.dim == 2).any()
        got = tnn.persistence(volume, connectivity=connectivity)
        assert got.to_numpy() == [expected]


def test_large_images_use_the_engine_too(rng):
    x = torch.tensor(rng.random((2, 300, 260)), dtype=torch.float32)  # above the batch size
    dgms = tnn.persistence(x, spatial_dims=2)
    assert_matches_engine(dgms, x)
    one = tnn.persistence(x[1], superlevel=True)   # a single large image
    assert_matches_engine(one, x[1], superlevel=True)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_batch_rows_equal_one_diagram_per_image(rng, threads):
    # the rows of the small-image kernel run as chunks in threads (the batch path nn
    # reads) hold, image by image, the pairs of the single-image path, whatever the
    # number of chunks
    stack = rng.integers(0, 4, size=(7, 12, 9)).astype(np.float32)
    bits, kind, signbit, allones = wide_bits(stack)
    bits4 = bits.reshape((7,) + as_3d(bits[0]).shape)
    values = stack.astype(np.float64).reshape(7, -1)
    for connectivity, top in ((1, True), (2, True), (2, False)):
        directions = 3 if top else 1
        for superlevel in (False, True):
            rows = small_buffers(bits4, kind, signbit, allones, superlevel, 2, connectivity,
                                 directions, chunk_tasks(7, threads, directions))
            dims, birth, death, births, deaths, per_image, item, status = collect_pairs(
                *rows, values, superlevel, 2)
            assert status == 0
            for i, image in enumerate(stack):
                one = fasttopo.persistence(image, max_dim=1 if top else 0,
                                           connectivity=connectivity,
                                           superlevel=superlevel)
                mine = item == i
                assert per_image[i] == mine.sum()
                np.testing.assert_array_equal(dims[mine], one.dim)
                np.testing.assert_array_equal(births[mine], one.birth_index)
                np.testing.assert_array_equal(deaths[mine], one.death_index)
                np.testing.assert_array_equal(birth[mine], one.birth)


def _finite_values(dgms):
    finite = torch.from_numpy(~dgms.is_essential)
    return torch.cat([dgms.birth, dgms.death[finite]])


@pytest.mark.parametrize("options", [dict(), dict(connectivity=1), dict(superlevel=True),
                                     dict(max_dim=0, connectivity=1, superlevel=True)])
def test_gradcheck_2d(rng, options):
    x = distinct(rng, (2, 1, 5, 6)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: _finite_values(tnn.persistence(t, **options)),
                                    (x,))


def test_gradcheck_1d_and_3d(rng):
    x = distinct(rng, (3, 12)).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda t: _finite_values(tnn.persistence(t, spatial_dims=1)), (x,))
    v = distinct(rng, (3, 4, 5)).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda t: _finite_values(tnn.persistence(t, max_dim=0, connectivity=1)), (v,))


@pytest.mark.parametrize("superlevel", [False, True])
def test_gradient_lands_on_birth_and_death_pixels(rng, superlevel):
    x = torch.tensor(rng.random((3, 1, 16, 16)), requires_grad=True)
    tnn.total_persistence(tnn.persistence(x, superlevel=superlevel), dim=(0, 1),
                          reduction="sum").backward()
    # analytic: d(lifetime)/d(death pixel) = +1, d/d(birth pixel) = -1 (sublevel)
    expected = np.zeros((3, 256))
    sign = -1.0 if superlevel else 1.0
    for i, image in enumerate(x.detach().numpy()[:, 0]):
        dgm = fasttopo.persistence(image, superlevel=superlevel).finite()
        np.add.at(expected[i], dgm.death_index, sign)
        np.add.at(expected[i], dgm.birth_index, -sign)
    np.testing.assert_array_equal(x.grad.numpy().reshape(3, 256), expected)


def test_no_grad_requires_grad_false_and_non_contiguous(rng):
    base = torch.tensor(rng.random((2, 1, 12, 10)), requires_grad=True)
    with torch.no_grad():
        dgms = tnn.persistence(base)
    assert not dgms.birth.requires_grad
    plain = tnn.persistence(base.detach())
    assert not plain.birth.requires_grad
    assert plain.to_numpy() == dgms.to_numpy()
    view = base.transpose(-1, -2)          # non-contiguous (2, 1, 10, 12)
    assert not view.is_contiguous()
    dgms = tnn.persistence(view)
    assert_matches_engine(dgms, view)
    tnn.total_persistence(dgms, dim=(0, 1), reduction="sum").backward()
    expected = np.zeros((2, 10, 12))
    for i in range(2):
        dgm = fasttopo.persistence(view.detach()[i, 0].numpy()).finite()
        np.add.at(expected[i].reshape(-1), dgm.death_index, 1.0)
        np.add.at(expected[i].reshape(-1), dgm.birth_index, -1.0)
    np.testing.assert_array_equal(base.grad[:, 0].transpose(-1, -2).numpy(), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision(rng, dtype):
    x = torch.tensor(rng.random((2, 9, 8)), dtype=dtype, requires_grad=True)
    dgms = tnn.persistence(x, spatial_dims=2)
    assert dgms.birth.dtype == dtype
    assert_matches_engine(dgms, x)
    tnn.total_persistence(dgms).backward()
    assert x.grad.dtype == dtype


def test_input_not_modified(rng):
    x = torch.tensor(rng.random((2, 1, 8, 8)), requires_grad=True)
    before = x.detach().clone()
    tnn.total_persistence(tnn.persistence(x, superlevel=True)).backward()
    assert torch.equal(x.detach(), before)


def test_empty_batch():
    dgms = tnn.persistence(torch.zeros(0, 1, 4, 4))
    assert len(dgms) == 0 and dgms.batch_shape == (0, 1)
    assert tnn.total_persistence(dgms, reduction="sum").item() == 0.0
    assert tnn.total_persistence(dgms, reduction="none").shape == (0, 1)


def test_bad_input():
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        tnn.persistence(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="floating-point dtype.*torch.int64"):
        tnn.persistence(torch.zeros(3, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"x contains NaN at index \(0, 0, 1, 2\)"):
        x = torch.zeros(1, 1, 3, 3)
        x[0, 0, 1, 2] = float("nan")
        tnn.persistence(x)
    with pytest.raises(ValueError, match="got shape"):
        tnn.persistence(torch.zeros(1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="non-empty images"):
        tnn.persistence(torch.zeros(2, 1, 0, 4))
    with pytest.raises(ValueError, match="max_dim must be between 0 and"):
        tnn.persistence(torch.zeros(3, 3), max_dim=2)
    with pytest.raises(ValueError, match="connectivity must be between"):
        tnn.persistence(torch.zeros(3, 3), connectivity=3)
    with pytest.raises(TypeError, match="connectivity must be an int"):
        tnn.persistence(torch.zeros(3, 3), connectivity=1.5)
    with pytest.raises(ValueError, match="spatial_dims must be"):
        tnn.persistence(torch.zeros(3, 3), spatial_dims=3)


def test_diagrams_helpers(rng):
    x = torch.tensor(rng.random((2, 3, 7, 7)), requires_grad=True)
    dgms = tnn.persistence(x)
    assert "Diagrams(kind='cubical', batch_shape=(2, 3)" in repr(dgms)
    assert len(dgms.select(1)) == int((dgms.dim == 1).sum())
    assert not dgms.finite().is_essential.any()
    assert dgms.counts(0).sum() == int((dgms.dim == 0).sum())
    birth, death, mask = dgms.to_padded(dim=0, fill=-7.0)
    numpy = dgms.to_numpy()
    assert birth.shape[:2] == (2, 3) and mask.shape == birth.shape
    for i, dgm in enumerate(numpy):
        b, m = birth.reshape(6, -1)[i], mask.reshape(6, -1)[i]
        np.testing.assert_array_equal(b[m].detach().numpy(), dgm.select(0).birth)
        assert (b[~m] == -7.0).all()
        np.testing.assert_array_equal(dgms.to_arrays()[i], dgm.to_array())
    assert birth.requires_grad and not dgms.detach().birth.requires_grad
    again = tnn.Diagrams.from_numpy(numpy, batch_shape=(2, 3), dtype=torch.float32)
    assert again.to_numpy() == numpy and again.batch_shape == (2, 3)
    assert tnn.Diagrams.from_numpy(numpy[0]).batch_shape == ()
    with pytest.raises(ValueError, match="does not hold"):
        tnn.Diagrams.from_numpy(numpy, batch_shape=(5,))
    with pytest.raises(TypeError, match=r"diagrams\[0\] must be a PersistenceDiagram"):
        tnn.Diagrams.from_numpy([np.zeros(3)])


def test_values_are_gathered_from_the_input(rng):
    x = torch.tensor(rng.random((2, 1, 9, 8)), requires_grad=True)
    for superlevel in (False, True):
        dgms = tnn.persistence(x, superlevel=superlevel)
        rows = np.array([5, 0, len(dgms) - 1, 3])   # any order, an essential row included
        birth, death = dgms.values(rows)
        assert torch.equal(birth, dgms.birth[torch.from_numpy(rows)])
        assert torch.equal(death, dgms.death[torch.from_numpy(rows)])
        # the same gradient through either route
        g1, = torch.autograd.grad((birth * 2 + death.clamp(-9, 9)).sum(), x)
        g2, = torch.autograd.grad((dgms.birth[torch.from_numpy(rows)] * 2
                                   + dgms.death[torch.from_numpy(rows)].clamp(-9, 9)).sum(), x)
        assert torch.equal(g1, g2)
        # subsets of a diagram whose values were never read
        fresh = tnn.persistence(x, superlevel=superlevel)
        part = fresh.select(1).finite()
        assert torch.equal(part.birth, dgms.select(1).finite().birth)
        empty_b, empty_d = fresh.values(np.zeros(0, np.int64))
        assert empty_b.shape == (0,) and empty_d.dtype == x.dtype


def test_input_modified_in_place_before_the_values_are_read(rng):
    w = torch.tensor(rng.random((8, 8)), requires_grad=True)
    dgms = tnn.persistence(w)
    read = tnn.persistence(w)
    birth = read.birth
    with torch.no_grad():
        w.mul_(2.0)                       # an optimiser step, say
    with pytest.raises(RuntimeError, match="modified in place"):
        tnn.total_persistence(dgms)
    assert torch.equal(read.birth, birth)  # values read before the change stay as they were
    tnn.total_persistence(read).backward()


def test_diagrams_constructor():
    birth = torch.tensor([0.0, 1.0, 0.5])
    death = torch.tensor([2.0, float("inf"), 3.0])
    dgms = tnn.Diagrams(birth, death, [0, 0, 1], [0, 0, 1], batch_shape=(2,))
    assert dgms.max_dim == 1 and dgms.is_essential.tolist() == [False, True, False]
    assert tnn.total_persistence(dgms, dim=(0, 1), reduction="none").tolist() == [2.0, 2.5]
    with pytest.raises(ValueError, match="item must be non-decreasing"):
        tnn.Diagrams(birth, death, [0, 0, 1], [1, 0, 1], batch_shape=(2,))
    with pytest.raises(ValueError, match="same length"):
        tnn.Diagrams(birth, death[:2], [0, 0, 1], [0, 0, 1], batch_shape=(2,))
    with pytest.raises(TypeError, match="birth must be a floating-point"):
        tnn.Diagrams([0.0], death, [0], [0], batch_shape=(1,))
    with pytest.raises(ValueError, match="dim must have 3 rows"):
        tnn.Diagrams(birth, death, [0, 1], [0, 0, 1], batch_shape=(2,))


def test_module(rng):
    x = torch.tensor(rng.random((2, 1, 6, 6)))
    layer = tnn.CubicalPersistence(max_dim=0, connectivity=1, superlevel=True)
    assert "superlevel=True" in repr(layer)
    assert layer(x).to_numpy() == tnn.persistence(x, max_dim=0, connectivity=1,
                                                  superlevel=True).to_numpy()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda(rng):  # pragma: no cover - CI has no GPU
    x = torch.tensor(rng.random((2, 1, 16, 16)), device="cuda", requires_grad=True)
    dgms = tnn.persistence(x)
    assert dgms.birth.device == x.device
    assert dgms.to_numpy() == tnn.persistence(x.detach().cpu()).to_numpy()
    tnn.total_persistence(dgms, dim=(0, 1)).backward()
    assert x.grad.device == x.device
