"""int64/uint64 images beyond 2**53: exact lifetimes, ordering, targets and thresholds.

float64 cannot hold 2**62 + 1; the pairing is computed on the exact values and
the diagram keeps them (``exact_birth``/``exact_death``), so everything built on
lifetimes must equal what the unshifted image gives.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fasttopo import (lifetime_threshold, persistence, persistence_batch, persistence_targets,
                      persistence_targets_batch)

shapes = st.one_of(
    st.tuples(st.integers(1, 30)),
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)),
)
small_images = shapes.flatmap(
    lambda shape: arrays(np.int64, shape, elements=st.integers(0, 5)))   # many ties
shifts = st.sampled_from([np.int64(2**62), np.int64(-2**62), np.int64(2**62 + 12345)])


def _same_pairs(a, b):
    for name in ("dim", "birth_index", "death_index"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@given(image=small_images, shift=shifts, superlevel=st.booleans(), k=st.integers(1, 6))
def test_shifted_int64_image_gives_the_same_lifetimes_order_targets_threshold(
        image, shift, superlevel, k):
    shifted = image + shift
    plain = persistence(image, superlevel=superlevel)
    big = persistence(shifted, superlevel=superlevel)
    _same_pairs(plain, big)
    np.testing.assert_array_equal(big.lifetime, plain.lifetime)
    assert (big.lifetime > 0).all()                       # no pair looks zero-length
    # exact values are the image's; birth/death are their nearest float64
    assert big.exact_birth.dtype == np.int64
    np.testing.assert_array_equal(big.exact_birth - shift, plain.birth.astype(np.int64))
    np.testing.assert_array_equal(big.birth, big.exact_birth.astype(np.float64))
    finite = ~big.is_essential
    np.testing.assert_array_equal(big.exact_death[finite] - shift,
                                  plain.death[finite].astype(np.int64))
    for dim in [None] + list(range(image.ndim)):
        _same_pairs(plain.top_k(k, dim=dim), big.top_k(k, dim=dim))
        if dim is not None:
            assert lifetime_threshold(big, dim=dim) == lifetime_threshold(plain, dim=dim)
    masks_plain, points_plain = persistence_targets(image, k=k, superlevel=superlevel)
    masks_big, points_big = persistence_targets(shifted, k=k, superlevel=superlevel)
    np.testing.assert_array_equal(masks_big, masks_plain)
    _same_pairs(points_plain, points_big)


@given(stack=st.tuples(st.integers(1, 4), st.integers(1, 7), st.integers(1, 7)).flatmap(
    lambda shape: arrays(np.int64, shape, elements=st.integers(0, 4))))
def test_shifted_int64_batches(stack):
    shifted = stack + np.int64(2**62)
    for plain, big in zip(persistence_batch(stack), persistence_batch(shifted)):
        _same_pairs(plain, big)
        np.testing.assert_array_equal(big.lifetime, plain.lifetime)
    for plain, big in zip(persistence_batch(list(stack)), persistence_batch(list(shifted))):
        np.testing.assert_array_equal(big.lifetime, plain.lifetime)
    masks_plain, points_plain = persistence_targets_batch(stack, k=3)
    masks_big, points_big = persistence_targets_batch(shifted, k=3)
    np.testing.assert_array_equal(masks_big, masks_plain)
    for a, b in zip(points_plain, points_big):
        _same_pairs(a, b)


def test_uint64_near_the_top_and_issue_example():
    rng = np.random.default_rng(3)
    small = rng.integers(0, 4, (8, 8))
    big = persistence(small.astype(np.uint64) + np.uint64(2**64 - 10))
    plain = persistence(small)
    assert big.exact_birth.dtype == np.uint64
    np.testing.assert_array_equal(big.lifetime, plain.lifetime)
    _same_pairs(plain.top_k(5), big.top_k(5))
    # the issue's example: 2**62 + small ints, all finite pairs have lifetime 1 to 3
    a = np.int64(2**62) + rng.integers(0, 4, (12, 12))
    dgm = persistence(a)
    life = dgm.finite().lifetime
    assert life.min() >= 1 and set(np.unique(life)) <= {1.0, 2.0, 3.0}


def test_lifetimes_beyond_2_53_are_ordered_exactly():
    # two lifetimes float64 cannot tell apart: 2**62 + 1 and 2**62
    signal = np.array([0, 2**62 + 1, 1, 2**62 + 1, 0], dtype=np.int64)
    signal[2] = 1
    dgm = persistence(signal)
    finite = dgm.finite()
    exact = finite.exact_death - finite.exact_birth
    assert sorted(exact.tolist()) == [2**62, 2**62 + 1]
    top = dgm.top_k(2, dim=0)
    assert top.is_essential[0] and int(top.exact_death[1] - top.exact_birth[1]) == 2**62 + 1
    threshold, count = lifetime_threshold(dgm)
    assert isinstance(threshold, int) and threshold == 0 and count == 2


def test_exact_values_survive_selection_pickling_and_npz(tmp_path):
    import pickle

    from fasttopo import PersistenceDiagram
    image = np.int64(2**60) * 3 + np.arange(24, dtype=np.int64).reshape(4, 6) % 7
    dgm = persistence(image)
    assert dgm._exact_values() is not None
    for copy in (pickle.loads(pickle.dumps(dgm)), PersistenceDiagram.from_dict(dgm.to_dict()),
                 dgm[np.arange(len(dgm))]):
        assert copy == dgm
        np.testing.assert_array_equal(copy.exact_birth, dgm.exact_birth)
    np.savez(tmp_path / "d.npz", **dgm.to_dict())
    with np.load(tmp_path / "d.npz") as data:
        assert PersistenceDiagram.from_dict(data) == dgm
    # small values keep plain float64 diagrams (nothing extra to carry)
    assert persistence(image - image.min())._exact_values() is None
    assert persistence(image.astype(np.float64))._exact_values() is None


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int32, np.float32])
def test_other_dtypes_unchanged(dtype):
    image = (np.arange(20) % 7).astype(dtype).reshape(4, 5)
    dgm = persistence(image)
    assert dgm._exact_values() is None
    assert dgm.exact_birth is dgm.birth
