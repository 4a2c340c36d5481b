"""Hamming kernels against a NumPy bitwise_count reference."""

import numba
import numpy as np
import pytest

from fasttopo import hamming_distances, hamming_knn, pack_codes
from fasttopo.hashing import hamming as hashing


def reference(a, b):
    """All-pairs Hamming distances by NumPy (a, b: (n, w) uint64)."""
    return np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(axis=-1, dtype=np.int64)


def codes(rng, n, words):
    return rng.integers(0, 2 ** 64, size=(n, words), dtype=np.uint64)


@pytest.fixture(params=["serial", "parallel"])
def path(request, monkeypatch):
    """Run a test through the serial kernels (small inputs) or the parallel ones."""
    monkeypatch.setattr(hashing, "_SERIAL_BELOW", 1 << 62 if request.param == "serial" else 0)
    return request.param


@pytest.mark.parametrize("words", [1, 2, 3, 4, 8, 9])
@pytest.mark.parametrize("n", [1, 7, 129, 300])
def test_all_pairs_symmetric(words, n, path):
    """Every kernel: serial, parallel recomputation (< 8 words), mirrored tiles (>= 8)."""
    a = codes(np.random.default_rng(n * 10 + words), n, words)
    out = hamming_distances(a)
    np.testing.assert_array_equal(out, reference(a, a))
    assert out.dtype == (np.uint8 if words <= 3 else np.uint16)


def test_tile_kernel_directly_on_odd_sizes():
    rng = np.random.default_rng(1)
    for n, words, tile in ((5, 1, 2), (37, 2, 8), (130, 3, 128), (257, 1, 64)):
        a = codes(rng, n, words)
        out = np.full((n, n), 255, dtype=np.uint8)
        hashing._hamming.symmetric_tiles(a, np.ascontiguousarray(a.T), out, tile)
        np.testing.assert_array_equal(out, reference(a, a))


@pytest.mark.parametrize("words", [1, 2, 4])
def test_two_sets(words, path):
    rng = np.random.default_rng(words)
    a, b = codes(rng, 53, words), codes(rng, 17, words)
    np.testing.assert_array_equal(hamming_distances(a, b), reference(a, b))
    np.testing.assert_array_equal(hamming_distances(b, a), reference(b, a))


def test_input_formats_and_extreme_values():
    rng = np.random.default_rng(2)
    a = codes(rng, 40, 2)
    a[0] = 0
    a[1] = np.iinfo(np.uint64).max
    ref = reference(a, a)
    assert ref[0, 1] == 128
    np.testing.assert_array_equal(hamming_distances(a.view(np.int64)), ref)
    np.testing.assert_array_equal(hamming_distances(a.view(np.uint8)), ref)       # (n, 16) bytes
    np.testing.assert_array_equal(hamming_distances(np.asfortranarray(a)), ref)
    one_word = a[:, :1]
    np.testing.assert_array_equal(hamming_distances(one_word.ravel()),
                                  reference(one_word, one_word))
    big = codes(rng, 3, 1024)                                                       # 65,536 bits
    assert hamming_distances(big).dtype == np.uint32
    np.testing.assert_array_equal(hamming_distances(big), reference(big, big))
    assert hamming_distances(np.empty((0, 1), np.uint64)).shape == (0, 0)
    assert hamming_distances(a, np.empty((0, 2), np.uint64)).shape == (40, 0)
    before = a.copy()
    hamming_distances(a, a)
    np.testing.assert_array_equal(a, before)


def test_result_does_not_depend_on_thread_count(monkeypatch):
    monkeypatch.setattr(hashing, "_SERIAL_BELOW", 0)
    a = codes(np.random.default_rng(3), 500, 1)
    b = codes(np.random.default_rng(4), 500, 8)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = hamming_distances(a), hamming_distances(b), hamming_knn(a, a, 5)
    finally:
        numba.set_num_threads(threads)
    many = hamming_distances(a), hamming_distances(b), hamming_knn(a, a, 5)
    for x, y in zip(one[:2], many[:2]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(one[2][0], many[2][0])


@pytest.mark.parametrize("words, k", [(1, 1), (1, 10), (2, 60), (4, 3), (1, 0)])
def test_knn_equals_stable_argsort(words, k, path):
    rng = np.random.default_rng(words * 100 + k)
    base = codes(rng, 60, words)
    base[10:20] = base[0]                       # many ties
    queries = np.vstack([base[:5], codes(rng, 20, words)])
    idx, dist = hamming_knn(queries, base, k)
    ref = reference(queries, base)
    order = np.argsort(ref, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(dist, np.take_along_axis(ref, order, axis=1))
    assert idx.shape == dist.shape == (25, k) and idx.dtype == np.int64


def test_pack_codes():
    rng = np.random.default_rng(5)
    for length in (1, 63, 64, 65, 200):
        bits = rng.random((9, length)) < 0.5
        packed = pack_codes(bits)
        assert packed.shape == (9, -(-length // 64)) and packed.dtype == np.uint64
        for i in range(9):
            for j in range(length):
                assert bool((int(packed[i, j // 64]) >> (j % 64)) & 1) == bits[i, j]
        np.testing.assert_array_equal(hamming_distances(packed),
                                      (bits[:, None, :] != bits[None, :, :]).sum(-1))


@pytest.mark.parametrize("call, error, match", [
    (lambda: hamming_distances(np.zeros((3, 64), bool)), TypeError, "pack_codes"),
    (lambda: hamming_distances(np.zeros((3, 3), np.uint8)), ValueError, "multiple of 64"),
    (lambda: hamming_distances(np.zeros(3, np.uint32)), ValueError, "64-bit"),
    (lambda: hamming_distances(np.zeros((3, 1)), None), TypeError, "integer dtype"),
    (lambda: hamming_distances(np.zeros((2, 1), np.uint64), np.zeros((2, 2), np.uint64)),
     ValueError, "same length"),
    (lambda: hamming_knn(np.zeros(2, np.uint64), np.zeros(3, np.uint64), 4), ValueError,
     "between 0 and"),
    (lambda: hamming_knn(np.zeros(2, np.uint64), np.zeros(3, np.uint64), 1.0), TypeError, "k"),
    (lambda: pack_codes(np.zeros(5, bool)), ValueError, r"\(n, L\)"),
    (lambda: pack_codes(np.array([[0.0, 1.0], [1.0, np.nan]])), ValueError,
     r"NaN at index \(1, 1\)"),
    (lambda: hamming_distances("codes"), TypeError, "integer codes"),
])
def test_bad_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("words", [1, 3])
def test_out_and_blocks_equal_plain_result(words, path):
    from fasttopo import hamming_blocks
    rng = np.random.default_rng(words + 20)
    a, b = codes(rng, 150, words), codes(rng, 70, words)
    plain, cross = hamming_distances(a), hamming_distances(a, b)
    buffer = np.full((150, 150), 7, dtype=np.uint8)
    assert hamming_distances(a, out=buffer) is buffer
    np.testing.assert_array_equal(buffer, plain)
    buffer2 = np.full((150, 70), 7, dtype=np.uint8)
    np.testing.assert_array_equal(hamming_distances(a, b, out=buffer2), cross)
    for rows in (1, 7, 64, 150, 1000):
        got = np.vstack([block.copy() for _, block in hamming_blocks(a, block_rows=rows)])
        np.testing.assert_array_equal(got, plain)
        starts = [s for s, _ in hamming_blocks(a, b, block_rows=rows)]
        assert starts == list(range(0, 150, rows))[:len(starts)]
    got = np.vstack([blk.copy() for _, blk in hamming_blocks(a, b, max_bytes=70 * 11)])
    np.testing.assert_array_equal(got, cross)
    assert list(hamming_blocks(np.empty((0, words), np.uint64), b)) == []


@pytest.mark.parametrize("call, error, match", [
    (lambda a: hamming_distances(a, out=np.empty((5, 5), np.uint16)), ValueError, "dtype"),
    (lambda a: hamming_distances(a, out=np.empty((5, 4), np.uint8)), ValueError, "shape"),
    (lambda a: hamming_distances(a, out=np.empty((5, 5), np.uint8).T), ValueError,
     "C-contiguous"),
    (lambda a: hamming_distances(a, out=[[0] * 5] * 5), TypeError, "out must be"),
    (lambda a: hashing.hamming_blocks(a, block_rows=0), ValueError, "block_rows"),
    (lambda a: hashing.hamming_blocks(a, max_bytes=1.5), TypeError, "max_bytes"),
    (lambda a: hashing.hamming_blocks(a, np.zeros((2, 2), np.uint64)), ValueError,
     "same length"),
])
def test_bad_out_and_blocks(call, error, match):
    with pytest.raises(error, match=match):
        call(np.arange(5, dtype=np.uint64))
