"""The --quick run of the diagram hashing evaluation (docs/examples/diagram_hashing.py)."""

import numpy as np
import pytest

from fasttopo import hamming_distances
from helpers.examples import assert_page_table, load_example, written_tables


@pytest.fixture
def written(monkeypatch, tmp_path):
    return written_tables(monkeypatch, tmp_path)


def test_diagram_hashing_quick(written, capsys):
    ex = load_example("diagram_hashing")
    results = ex.main(["--quick", "--write"])
    assert_page_table(written, "diagram_hashing.quick")
    printed = capsys.readouterr().out
    assert "Spearman rho" in printed and "recall@10" in printed and " (" in printed
    sets = [k for k in results if k != "scale"]
    assert sets == ["2D, dim 0", "2D, dim 1"]
    for name in sets:
        rows = results[name]["rows"]
        assert set(rows) == set(ex.METHODS)
        for r in rows.values():
            assert -1 <= r["rho"] <= 1 and 0 <= r["fms"] <= 1 and 0 <= r["recall"] <= 1
        assert rows["learned codes (hash_diagrams)"]["rho"] > \
            rows["paper's method (histogram, PD-GAN)"]["rho"]
    timings, labels = results["scale"]
    assert len(labels) == 300 and len(np.unique(labels)) == 8
    assert all(seconds > 0 for seconds in timings.values())


def test_volume_sets_read_patches_inside_the_volumes(tmp_path):
    """The 3D sets: patches of both volumes of the data folder, none mostly background."""
    ex = load_example("diagram_hashing")
    assert ex.diagram_set("3D, dim 0", 4, seed=0, data=tmp_path) is None   # no volumes
    rng = np.random.default_rng(0)
    for name in ex.VOLUMES:
        volume = np.zeros((40, 40, 40))
        volume[:, :, 20:] = rng.random((40, 40, 20)) * 50 + 10      # half of it is background
        np.savez(tmp_path / name, volume=volume)
    for name in ("3D, dim 0", "3D, dim 1"):
        dim, size, connectivity = ex.SETS[name]
        dgms = ex.diagram_set(name, 6, seed=0, data=tmp_path)
        assert len(dgms) == 6
        for p in dgms:
            assert len(p) and np.isfinite(p).all() and (p[:, 0] <= p[:, 1]).all()
            assert p.min() >= 0 and p.max() <= 1            # scaled by the volume's range
    scaled = ex.volume(ex.VOLUMES[0], tmp_path)
    assert scaled.min() == 0 and scaled.max() == 1


def test_example_scores_by_hand():
    """recall@k with ties shared out, and rho / FMS of a perfect and of a reversed ranking."""
    ex = load_example("diagram_hashing")
    w1 = np.array([[0, 1, 2, 3], [1, 0, 1.5, 2.5], [2, 1.5, 0, 1], [3, 2.5, 1, 0]], float)
    assert ex.recall_at(w1, w1, 1) == 1.0
    tied = np.ones((4, 4)) - np.eye(4)            # every other diagram at the same distance
    assert ex.recall_at(tied, w1, 1) == pytest.approx(1 / 3)
    assert ex.recall_at(tied, w1, 2) == pytest.approx(2 / 3)
    s = ex.scores(w1 * 7, w1, ks=(2,), knn=1)
    assert s["rho"] == pytest.approx(1.0) and s["fms"] == 1.0 and s["recall"] == 1.0
    reversed_ = w1.max() + 1 - w1
    np.fill_diagonal(reversed_, 0)
    assert ex.scores(reversed_, w1, ks=(2,), knn=1)["rho"] < 0


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
