"""The --quick runs of the papers' reproduction scripts (docs/examples), their claims checked."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from examples import assert_page_table, load_example, written_tables  # noqa: E402


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
    text = ex.table(times, batch=2, size=64)
    assert "0.5 s x 2 windows" in text and f"{times['step (BCE)']:.3f}" in text
