"""The --quick runs of the papers' reproduction scripts (docs/examples), their claims checked."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers.examples import load_example  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_threads():
    import numba
    before = (torch.get_num_threads(), numba.get_num_threads())
    yield
    torch.set_num_threads(before[0])
    numba.set_num_threads(before[1])


def test_error_injection_quick():
    ex = load_example("oner_error_injection")
    rows, stats = ex.main(["--quick"])
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


def test_regression_quick():
    ex = load_example("topologylayer_regression")
    results = ex.main(["--quick"])
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


def test_unet_quick():
    ex = load_example("unet_topological_losses")
    results = ex.main(["--quick"])
    assert set(results) == set(ex.METHODS)
    for scores in results.values():
        for key in ("accuracy", "completeness", "correctness", "quality", "dice"):
            assert 0.0 <= scores[key] <= 1.0
        assert scores["betti1"] >= 0 and scores["s/iter"] > 0
    assert results["bce"]["topo share"] == 0.0
    assert results["mse+localized"]["topo share"] > 0.0 and results["mse"]["topo share"] == 0.0


def test_loss_timing_quick():
    ex = load_example("topological_loss_timing")
    times = ex.main(["--quick"])
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
    assert lines[-1].endswith("-> 1 s for the 2 windows of this batch")
