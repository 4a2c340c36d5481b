"""Bad input gets a clear error; every dtype and layout works; inputs are never modified."""

import re

import numpy as np
import pytest

from fasttopo import persistence, persistence_batch
from helpers.oracles import gudhi_pairs, ours


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32,
                                   np.int32, np.uint64, np.int64, np.float16, np.float32,
                                   np.float64])
def test_every_real_dtype(rng, dtype):
    values = rng.integers(0, 2 if dtype == np.bool_ else 5, size=(23, 19))
    image = values.astype(dtype)
    for connectivity in (1, 2):
        for superlevel in (False, True):
            dgm = persistence(image, connectivity=connectivity, superlevel=superlevel)
            assert ours(dgm) == gudhi_pairs(values, connectivity, superlevel)


def test_negative_values_in_signed_and_float_dtypes(rng):
    values = rng.integers(-4, 4, size=(17, 21))
    for dtype in (np.int8, np.int16, np.int32, np.int64, np.float32, np.float64):
        dgm = persistence(values.astype(dtype))
        assert ours(dgm) == gudhi_pairs(values, 2)


def test_layouts_and_views(rng):
    base = rng.random((40, 50))
    expected = persistence(np.ascontiguousarray(base))
    for view in (np.asfortranarray(base), base[::-1, :][::-1, :].copy(order="F"),
                 np.ascontiguousarray(base.T).T):
        assert persistence(view) == expected
    strided = rng.random((80, 100))[::2, ::2]
    assert persistence(strided) == persistence(strided.copy())
    big_endian = base.astype(">f8")
    assert persistence(big_endian) == expected
    assert persistence(base.tolist()) == expected


def test_input_is_never_modified(rng):
    for image in (rng.random((30, 30)), rng.integers(0, 3, (10, 10, 10)).astype(np.uint8),
                  np.array([-0.0, 1.0, -0.0])):
        before = image.copy()
        persistence(image, max_dim=0, superlevel=True)
        persistence(image, max_dim=0)
        np.testing.assert_array_equal(image, before)
        assert np.signbit(image).tolist() == np.signbit(before).tolist()
    stack = rng.random((5, 8, 8))
    before = stack.copy()
    persistence_batch(stack)
    persistence_batch(list(stack))
    np.testing.assert_array_equal(stack, before)


@pytest.mark.parametrize("bad, match", [
    (np.array([[1.0, np.nan], [0.0, 2.0]]), r"NaN at index \(0, 1\)"),
    (np.array([0.0, np.inf, 1.0]), r"inf at index \(1,\)"),
    (np.array([[[0.0, -np.inf]]]), r"-inf at index \(0, 0, 1\)"),
])
def test_non_finite_values_are_located(bad, match):
    with pytest.raises(ValueError, match=match):
        persistence(bad)


def _special_floats(dtype):
    """Non-finite values of ``dtype`` (NaNs of both signs and with payloads, infinities)."""
    info = np.finfo(dtype)
    utype = np.dtype(f"u{info.bits // 8}")
    sign = 1 << (info.bits - 1)
    exponent = ((1 << info.nexp) - 1) << info.nmant
    nans = [exponent | 1, exponent | ((1 << info.nmant) - 1), sign | exponent | 1,
            sign | exponent | ((1 << info.nmant) - 1)]
    values = [np.array(v, dtype=utype).view(dtype)[()] for v in nans]
    return values + [dtype(np.inf), dtype(-np.inf)]


# small images (serial and two-task kernels, which find non-finite values from the
# range of their keys), a large 2D image, and a 3D volume with the cubical reduction
@pytest.mark.parametrize("shape", [(7,), (9, 11), (64, 64), (300, 300), (6, 7, 8)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("superlevel", [False, True])
def test_non_finite_values_are_refused_on_every_path(rng, shape, dtype, superlevel):
    base = rng.random(shape).astype(dtype)
    where = tuple(int(s) // 2 for s in shape)
    for value in _special_floats(dtype):
        image = base.copy()
        image[where] = value
        text = "NaN" if np.isnan(value) else str(value)
        with pytest.raises(ValueError, match=rf"{re.escape(text)} at index {re.escape(str(where))}"):
            persistence(image, superlevel=superlevel)
    # the largest finite values are values like any other
    for value in (np.finfo(dtype).max, -np.finfo(dtype).max, np.finfo(dtype).smallest_subnormal):
        image = base.copy()
        image[where] = value
        dgm = persistence(image, superlevel=superlevel)
        assert np.isfinite(dgm.birth).all()


@pytest.mark.parametrize("bad, exc, match", [
    (np.zeros((0, 5)), ValueError, "must not be empty"),
    (np.zeros(0), ValueError, "must not be empty"),
    (np.float64(3.0), ValueError, "ndim=0"),
    (np.zeros((2, 2, 2, 2)), ValueError, "ndim=4"),
    (np.zeros((3, 3), dtype=complex), TypeError, "complex128"),
    (np.array([["a", "b"]]), TypeError, "dtype <U1"),
    (np.array([[object(), 1]], dtype=object), TypeError, "dtype object"),
    (np.zeros((3, 3), dtype="datetime64[s]"), TypeError, "datetime64"),
    ("an image", TypeError, "got str"),
    ([[1, 2], [3]], TypeError, "convertible"),
])
def test_bad_images(bad, exc, match):
    with pytest.raises(exc, match=match):
        persistence(bad)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"connectivity": 0}, ValueError, "connectivity must be between 1 and image.ndim=2, got 0"),
    ({"connectivity": 3}, ValueError, "got 3"),
    ({"connectivity": 1.5}, TypeError, "connectivity must be an int, got 1.5"),
    ({"connectivity": True}, TypeError, "connectivity must be an int"),
    ({"max_dim": 2}, ValueError, "max_dim must be between 0 and image.ndim - 1 = 1, got 2"),
    ({"max_dim": -1}, ValueError, "got -1"),
    ({"max_dim": "1"}, TypeError, "max_dim must be an int"),
])
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        persistence(np.zeros((4, 4)), **kwargs)


def test_numpy_integer_options_accepted():
    dgm = persistence(np.eye(4), max_dim=np.int64(1), connectivity=np.uint8(1))
    assert dgm.connectivity == 1


def test_3d_connectivity_2_dimension_0_only(rng):
    image = rng.random((5, 6, 7))
    dgm = persistence(image, max_dim=0, connectivity=2)
    assert dgm.connectivity == 2 and set(dgm.dim.tolist()) == {0}
    with pytest.raises(ValueError, match="connectivity=2 on a 3D image"):
        persistence(image, connectivity=2)


def test_constant_and_tiny_images():
    for image in (np.zeros((1,)), np.full((1, 1), 7), np.ones((5, 5)), np.ones((2, 3, 4)),
                  np.array([True, False, True])):
        dgm = persistence(image, max_dim=0)
        assert dgm.is_essential.sum() == 1
        assert dgm.birth[dgm.is_essential][0] == np.min(image)


def test_huge_and_odd_float_values():
    tiny = np.nextafter(0, 1)
    image = np.array([[1e308, -1e308, tiny], [-tiny, 0.0, 5e-324]])
    for connectivity in (1, 2):
        assert ours(persistence(image, connectivity=connectivity)) == gudhi_pairs(image,
                                                                                  connectivity)


def test_batch_bad_input_names_the_image(rng):
    images = [rng.random((4, 4)), rng.random((4, 4))]
    images[1][2, 3] = np.nan
    with pytest.raises(ValueError, match=r"images\[1\] contains NaN at index \(2, 3\)"):
        persistence_batch(images)
    stack = rng.random((3, 4, 4))
    stack[2, 0, 1] = np.inf
    with pytest.raises(ValueError, match=r"images\[2\] contains inf at index \(0, 1\)"):
        persistence_batch(stack)
    with pytest.raises(ValueError, match="same ndim"):
        persistence_batch([np.zeros((3, 3)), np.zeros(3)])
    with pytest.raises(ValueError, match="n_jobs"):
        persistence_batch(stack, n_jobs=0)
    with pytest.raises(ValueError, match="stack"):
        persistence_batch(np.zeros(5))
