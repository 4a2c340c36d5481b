"""Learned diagram codes: generator, histogram cells, exact W1, hasher, pretrained model."""

import importlib.util
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fasttopo
from fasttopo import (PRETRAINED_MODEL, DiagramHasher, diagram_histogram, hamming_distances,
                      hash_diagrams, persistence, synthetic_diagrams, wasserstein_distance)
from helpers.examples import load_example
from fasttopo.hashing.features import cells as _cells, exact_w1

ROOT = pathlib.Path(__file__).resolve().parents[2]


def random_diagrams(seed, n=20, high=30):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.random((int(rng.integers(0, high)), 2)), axis=1) for _ in range(n)]


# ------------------------------------------------------------------ generator
def test_synthetic_diagrams_statistics():
    target = np.array([5] * 300 + [40] * 100)
    dgms = synthetic_diagrams(2000, target, random_state=3)
    counts = np.array([len(d) for d in dgms])
    assert set(np.unique(counts)) == {5, 40}
    assert abs(np.mean(counts == 5) - 0.75) < 0.04            # resampled like the target
    allp = np.concatenate(dgms)
    assert ((allp >= 0) & (allp <= 1)).all() and (allp[:, 0] <= allp[:, 1]).all()
    life = allp[:, 1] - allp[:, 0]
    assert np.median(life) < 0.2 < np.percentile(life, 95)      # short and long lifetimes
    again = synthetic_diagrams(2000, target, random_state=3)
    assert all(np.array_equal(a, b) for a, b in zip(dgms, again))
    other = synthetic_diagrams(5, target, random_state=4)
    assert not all(np.array_equal(a, b) for a, b in zip(dgms[:5], other))
    assert [len(d) for d in synthetic_diagrams(3, 7, random_state=0)] == [7, 7, 7]
    assert synthetic_diagrams(0, 7) == []


@pytest.mark.parametrize("call, error, match", [
    (lambda: synthetic_diagrams(-1, 5), ValueError, "n must be"),
    (lambda: synthetic_diagrams(2, -5), ValueError, "n_points"),
    (lambda: synthetic_diagrams(2, [1.5, 2]), TypeError, "n_points"),
    (lambda: synthetic_diagrams(2, 5, max_blobs=0), ValueError, "max_blobs"),
    (lambda: synthetic_diagrams(2, 5, uniform_fraction=2), ValueError, "uniform_fraction"),
])
def test_synthetic_diagrams_bad_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ------------------------------------------------------------------ input side
def test_sparse_cells_equal_diagram_histogram():
    dgms = random_diagrams(0)
    dgms[0] = np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [0.02, 0.02]])    # edges, diagonal
    dgms[1] = np.empty((0, 2))
    np.testing.assert_array_equal(_cells(dgms, 50).toarray(), diagram_histogram(dgms))


def test_exact_w1_equals_wasserstein_distance():
    dgms = random_diagrams(1, n=30, high=70)          # dense path and the sparse fallback
    dgms[3] = np.empty((0, 2))
    for i in range(0, 30, 2):
        assert exact_w1(dgms[i], dgms[i + 1]) == pytest.approx(
            wasserstein_distance(dgms[i], dgms[i + 1]), rel=1e-12, abs=1e-12)


# ------------------------------------------------------------------ hasher
@pytest.fixture(scope="module")
def pretrained():
    return DiagramHasher.load(PRETRAINED_MODEL)


def test_codes_deterministic_across_runs_and_threads(pretrained):
    from threadpoolctl import threadpool_limits
    dgms = synthetic_diagrams(300, np.arange(3, 40), random_state=5)
    codes = pretrained.transform(dgms)
    assert codes.shape == (300,) and codes.dtype == np.uint64
    assert len(np.unique(codes)) > 200
    with threadpool_limits(1):
        one = pretrained.transform(dgms)
    with threadpool_limits(2):
        two = pretrained.transform(dgms)
    np.testing.assert_array_equal(codes, one)
    np.testing.assert_array_equal(codes, two)
    np.testing.assert_array_equal(codes, DiagramHasher.load(PRETRAINED_MODEL).transform(dgms))
    # chunking of the encoder does not matter either
    np.testing.assert_array_equal(codes[:7], pretrained.transform(dgms[:7]))
    np.testing.assert_array_equal(hash_diagrams(dgms), codes)


def test_transform_never_imports_torch():
    script = (
        "import sys, numpy as np, fasttopo\n"
        "from fasttopo import DiagramHasher, hash_diagrams, PRETRAINED_MODEL\n"
        "d = [np.array([[0.1, 0.4], [0.2, 0.9]]), np.array([[0.3, 0.35]])]\n"
        "hash_diagrams(d)\n"
        "h = DiagramHasher.load(PRETRAINED_MODEL)\n"
        "h.transform(d)\n"
        "fasttopo.hamming_distances(h.transform(d))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_save_load_round_trip(pretrained, tmp_path):
    dgms = random_diagrams(2)
    path = tmp_path / "model.npz"
    pretrained.save(path)
    assert path.stat().st_size < 2_000_000
    again = DiagramHasher.load(path)
    np.testing.assert_array_equal(again.transform(dgms), pretrained.transform(dgms))
    assert again.info_ == pretrained.info_ and again.n_bits == 64
    for name in ("W0", "W2"):
        np.testing.assert_array_equal(again.weights_[name], pretrained.weights_[name])


def test_longer_codes_are_words(pretrained):
    rng = np.random.default_rng(0)
    hasher = DiagramHasher(128)
    hasher.weights_ = dict(pretrained.weights_)
    hasher.weights_["W2"] = rng.standard_normal((pretrained.weights_["W2"].shape[0], 128))
    hasher.weights_["b2"] = np.zeros(128)
    codes = hasher.transform(random_diagrams(3))
    assert codes.shape == (20, 2) and codes.dtype == np.uint64
    assert hamming_distances(codes).shape == (20, 20)


def test_value_range_and_persistence_diagrams():
    image = np.random.default_rng(0).integers(0, 256, (20, 20)).astype(np.uint8)
    dgm = persistence(image)
    with pytest.raises(ValueError, match=r"value_range=\(low, high\)"):
        hash_diagrams(dgm)
    code = hash_diagrams(dgm, value_range=(0, 255))
    assert isinstance(code, np.uint64)
    pts = np.column_stack([dgm.birth, dgm.death])[dgm.dim == 0]
    assert hash_diagrams(pts[np.isfinite(pts).all(1)] / 255.0) == code   # essential left out
    assert hash_diagrams([dgm, dgm], value_range=(0, 255)).tolist() == [code, code]
    with pytest.raises(ValueError, match=r"diagrams\[1\] has finite points outside"):
        hash_diagrams([np.array([[0.1, 0.2]]), np.array([[0.1, 1.5]])])
    with pytest.raises(ValueError, match="value_range"):
        hash_diagrams([pts], value_range=(1, 1))
    with pytest.raises(RuntimeError, match="not trained"):
        DiagramHasher().transform([pts])
    with pytest.raises(ValueError, match="multiple of 64"):
        DiagramHasher(100).fit()


def test_fit_is_seeded_and_learns(tmp_path):
    pytest.importorskip("torch")
    dgms = synthetic_diagrams(40, np.arange(4, 20), random_state=0)
    kw = dict(n_steps=6, batch_size=16, random_state=7, progress=False)
    a = DiagramHasher(**kw).fit(dgms)
    b = DiagramHasher(**kw).fit(dgms)
    np.testing.assert_array_equal(a.transform(dgms), b.transform(dgms))
    assert a.weights_["W0"].shape == (2501, 128) and a.weights_["W2"].shape == (128, 64)
    assert a.info_["counts_min"] == 4 and a.info_["counts_max"] == 19
    a.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(DiagramHasher.load(tmp_path / "m.npz").transform(dgms),
                                  a.transform(dgms))


def test_training_script_quick(tmp_path):
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "train_diagram_hasher", ROOT / "scripts" / "train_diagram_hasher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hasher = module.main(["--quick", "--no-progress", "--out", str(tmp_path / "q.npz")])
    assert hasher.info_["seed"] == module.SEED
    assert (tmp_path / "q.npz").exists()


# ------------------------------------------------------------------ quality on real data
def test_pretrained_codes_follow_w1_on_real_tiles():
    """Image tiles (skimage.data): codes' Hamming distances rank pairs like exact W1 (far
    better than a random projection of the same histograms), and their single-linkage
    clusters agree with W1's above a floor (measured at release: rho 0.64, FMS 0.68)."""
    from scipy.stats import spearmanr
    ex = load_example("diagram_hashing")
    images, _ = ex.tiles(90, seed=2)
    dgms = ex.diagrams_of(images)
    w1 = ex.w1_matrix(dgms)
    learned = ex.learned_matrix(dgms)
    iu = np.triu_indices(len(dgms), 1)
    rho = spearmanr(w1[iu], learned[iu])[0]
    assert rho > FLOOR_SPEARMAN
    random = ex.random_projection_matrix(dgms)
    assert rho > spearmanr(w1[iu], random[iu])[0] + 0.3
    k, _ = ex.elbow(w1)
    fms = ex.fowlkes_mallows_score(ex.single_linkage(w1, k), ex.single_linkage(learned, k))
    assert fms > FLOOR_FMS


def test_comparison_example_quick():
    ex = load_example("diagram_hashing")
    results = ex.main(["--quick"])
    for key in ("skimage.data tiles", "lfw_subset faces"):
        rows = {r["method"]: r for r in results[key]["rows"]}
        assert set(ex.METHODS) <= set(rows)
        assert all(0 <= r["fms"] <= 1 and r["seconds"] >= 0 for r in rows.values())
        learned = rows["learned 64-bit codes (pretrained)"]
        assert learned["rho"] > rows["random projection, 64 bits"]["rho"]
    timings, labels = results["scale"]
    assert len(labels) == 300 and len(np.unique(labels)) == 8


FLOOR_SPEARMAN = 0.5
FLOOR_FMS = 0.55


def test_public_names_are_the_hashing_package_objects():
    # the top-level names are the hashing package's objects, not copies or stale aliases
    from fasttopo import hashing
    for name in ("DiagramHasher", "hash_diagrams", "synthetic_diagrams", "PRETRAINED_MODEL",
                 "hamming_blocks", "hamming_distances", "hamming_knn", "pack_codes"):
        assert getattr(fasttopo, name) is getattr(hashing, name)
        assert name in fasttopo.__all__ and name in hashing.__all__


def test_streamed_single_linkage_of_the_example_is_a_minimum_spanning_tree():
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
    ex = load_example("diagram_hashing")
    codes = np.random.default_rng(0).integers(0, 2 ** 64, size=(120, 2), dtype=np.uint64)
    dist = hamming_distances(codes).astype(np.float64)
    labels = ex.single_linkage_streamed(codes, 5)
    assert len(np.unique(labels)) == 5
    # every cluster is connected by edges no longer than the shortest edge between clusters
    mst = minimum_spanning_tree(dist).toarray()
    weights = np.sort(mst[mst > 0])
    cut = weights[-5]                        # the 4 longest tree edges (ties aside) are cut
    between = dist[labels[:, None] != labels[None, :]].min()
    assert between >= cut
    for c in np.unique(labels):
        inside = np.flatnonzero(labels == c)
        sub = dist[np.ix_(inside, inside)] <= cut      # joined by edges no longer than the cut
        assert connected_components(sub, directed=False)[0] == 1
