"""The --quick runs of the papers' reproduction scripts (docs/examples), their claims checked."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers.examples import assert_page_table, load_example, written_tables  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_threads():
    import numba
    before = (torch.get_num_threads(), numba.get_num_threads())
    yield
    torch.set_num_threads(before[0])
    numba.set_num_threads(before[1])


@pytest.fixture
def written(monkeypatch, tmp_path):
    return written_tables(monkeypatch, tmp_path)


def test_error_injection_quick(written):
    ex = load_example("oner_error_injection")
    rows, stats = ex.main(["--quick", "--write"])
    assert_page_table(written, "oner_error_injection.quick")
    names = [name for name, _, _ in ex.FILTRATIONS]
    assert len(rows) == 6 and set(stats) == set(names)
    # the first error is injected into the ground truth itself, where C = 0: C cannot drop
    assert all(rows[0][name] >= 0 for name in names)
    for neg, nonpos, n in stats.values():
        assert 0 <= neg <= nonpos <= 1 and n >= 1
    rng = np.random.default_rng(0)
    truth = ex.road_network(96, rng)
    assert truth.any() and not truth.all()
    cut, kind = ex.inject(truth, np.random.default_rng(1))
    assert kind in ("disconnection", "interconnection") and (cut != truth).any()


def test_regression_quick(written):
    ex = load_example("topologylayer_regression")
    results = ex.main(["--quick", "--write"])
    assert_page_table(written, "topologylayer_regression.quick")
    assert set(results) == set(ex.SIGNALS)
    for res in results.values():
        assert set(res) == {"none", *ex.PENALTIES}
    # three maxima free: the level-set prior recovers the sinusoid far better than least squares
    sinus = results["sinusoid"]
    assert sinus["Top2"][0][1] < 0.2 * sinus["none"][0][1]
    # the weights as points on the line: Rips diagrams of 100 one-dimensional points
    beta = torch.tensor(ex.true_weights("{-1,0,1}"), requires_grad=True)
    assert ex.penalty("Top2", beta, "{-1,0,1}").item() == 0.0   # three values: three clusters
    assert ex.penalty("Top1", beta, "{-1,0,1}").item() == pytest.approx(2.0)


def test_unet_quick(written):
    ex = load_example("unet_topological_losses")
    results = ex.main(["--quick", "--write"])
    assert_page_table(written, "unet_topological_losses.quick")
    assert set(results) == set(ex.METHODS)
    for scores in results.values():
        for key in ("accuracy", "completeness", "correctness", "quality", "dice"):
            assert all(0.0 <= v <= 1.0 for v in scores[key])
        assert scores["s/iter"][0] > 0
        # the beta_1 error is the loops in excess plus the loops missing, patch by patch
        assert scores["betti1"][0] == pytest.approx(scores["extra loops"][0]
                                                    + scores["missing loops"][0])
    assert results["bce"]["topo share"] == [0.0]
    assert results["mse+localized"]["topo share"][0] > 0.0
    assert results["mse"]["topo share"] == [0.0]


def test_loss_timing_quick(written):
    ex = load_example("topological_loss_timing")
    times = ex.main(["--quick", "--write"])
    assert_page_table(written, "topological_loss_timing.quick")   # the rows (times vary)
    assert len(times) == 5 and all(t > 0 for t in times.values())
    # the table shows each measured time and its share of the step, and the paper's
    # 0.5 s per window scaled to the 2 windows of a 2 x 64 x 64 batch
    lines = ex.table(times, batch=2, size=64).splitlines()
    step = times["step (BCE)"]
    for name, seconds in times.items():
        row = next(line for line in lines if line.startswith(name if name != "step (BCE)"
                                                             else "UNet step, BCE only"))
        assert f"{seconds:.3f}" in row
        if name != "step (BCE)":
            assert f"{seconds / (step + seconds):.1%}" in row
    paper = next(line for line in lines if line.startswith("paper 003, localized"))
    assert "1 (0.5 s x 2 windows)" in paper


def test_unet_loop_errors_split_the_betti_error():
    ex = load_example("unet_topological_losses")
    import fasttopo
    truth = np.zeros((80, 80), bool)
    truth[10:30, 10:30] = truth[50:70, 50:70] = True
    truth[15:25, 15:25] = truth[55:65, 55:65] = False          # two rings: two loops
    pred = truth.copy()
    pred[55:65, 55:65] = True                                  # one loop filled (missing)
    pred[40:48, 10:18] = True
    pred[42:46, 12:16] = False                                 # a loop that is not there
    extra, missing = ex.loop_errors(pred, truth, 5, 3)
    assert extra + missing == pytest.approx(
        fasttopo.betti_error(pred, truth, dims=1, n_patches=5, rng=3))
    assert extra > 0 and missing > 0
    extra, missing = ex.loop_errors(pred[:64, :64], truth[:64, :64], 1, 0)
    assert (extra, missing) == (1.0, 0.0)                      # the patch holds both rings


def test_betti_matching_segmentation_quick(written):
    ex = load_example("betti_matching_segmentation")
    tables = ex.main(["--quick", "--write"])
    assert_page_table(written, "betti_matching_segmentation.quick")
    assert [caption for caption, _ in tables] == ["**roads**", "**vessels**"]
    for _, text in tables:
        assert all(loss in text for loss in ex.LOSSES)


def test_betti_matching_segmentation_scores():
    ex = load_example("betti_matching_segmentation")
    target = np.zeros((40, 40), bool)
    target[5:35, 19:22] = True                                 # a road
    target[19:22, 5:35] = True
    broken = target.copy()
    broken[8:10, 19:22] = False                                # a cut near its end
    same = ex.scores(target, target)
    assert same == {"dice": 1.0, "cldice": 1.0, "betti": 0.0, "betti matching": 0.0}
    cut = ex.scores(broken, target)
    assert cut["dice"] > 0.95 and cut["cldice"] < cut["dice"]  # clDice sees the cut more
    assert cut["betti"] == 1.0 and cut["betti matching"] >= cut["betti"]
    with_blob, blob_elsewhere = target.copy(), target.copy()
    with_blob[1:4, 1:4] = True
    blob_elsewhere[30:33, 30:33] = True                        # a second component elsewhere
    far = ex.scores(blob_elsewhere, with_blob)
    assert far["betti"] == 0.0 and far["betti matching"] == 2.0  # same count, wrong place
    empty = ex.scores(np.zeros_like(target), target)
    assert empty["dice"] == 0.0 and empty["cldice"] == 0.0
    assert ex.cl_dice(np.zeros_like(target), target) == 0.0


def test_synthetic_vessels():
    ex = load_example("betti_matching_segmentation")
    images, masks = ex.vessels(3, 24, seed=0)
    assert images.shape == masks.shape == (3, 1, 24, 24, 24)
    assert images.dtype == masks.dtype == np.float32
    assert set(np.unique(masks)) == {0.0, 1.0}
    fractions = masks.mean(axis=(1, 2, 3, 4))
    assert (fractions > 0.002).all() and (fractions < 0.2).all()
    # tubes are brighter than the background on average
    assert images[masks > 0].mean() > images[masks == 0].mean() + 0.2
    again = ex.vessels(3, 24, seed=0)
    assert np.array_equal(again[1], masks) and np.array_equal(again[0], images)
