"""Every public function, walked with the inputs a user gets wrong (issue 16).

Each row: a call, the exception it must raise and words its message must
hold (the argument's name, and the value received where it helps).
"""

import re
import warnings

import numpy as np
import pytest

import fasttopo
from fasttopo import plot as ftplot

IMAGE = np.arange(30, dtype=np.float64).reshape(5, 6) % 7
DGM = fasttopo.persistence(IMAGE)
POINTS = np.array([[0.0, 1.0], [0.5, 2.0]])
MASKED = np.ma.masked_array(IMAGE, IMAGE > 4)
STACK = np.stack([IMAGE, IMAGE[::-1]])
CODES = np.array([1, 2, 3], dtype=np.uint64)

BOOL_CASES = {
    "persistence": lambda v: fasttopo.persistence(IMAGE, superlevel=v),
    "persistence_batch": lambda v: fasttopo.persistence_batch(STACK, superlevel=v),
    "persistence_batch(progress)": lambda v: fasttopo.persistence_batch(STACK, progress=v),
    "modify_border": lambda v: fasttopo.modify_border(IMAGE, 1, superlevel=v),
    "mark_objects": lambda v: fasttopo.mark_objects(IMAGE, superlevel=v),
    "topological_process": lambda v: fasttopo.topological_process(IMAGE, superlevel=v),
    "persistence_targets": lambda v: fasttopo.persistence_targets(IMAGE, superlevel=v),
    "persistence_targets_batch": lambda v: fasttopo.persistence_targets_batch(STACK,
                                                                            superlevel=v),
    "bottleneck_distance": lambda v: fasttopo.bottleneck_distance(DGM, DGM, matching=v),
    "wasserstein_distance": lambda v: fasttopo.wasserstein_distance(DGM, DGM, matching=v),
    "diagram_histogram(reflect)": lambda v: fasttopo.diagram_histogram(POINTS, reflect=v),
    "diagram_histogram(count_cell)": lambda v: fasttopo.diagram_histogram(POINTS,
                                                                         count_cell=v),
}
PLOT_BOOL_CASES = {
    "plot_diagram(legend)": lambda v: ftplot.plot_diagram(DGM, legend=v),
    "plot_barcode(legend)": lambda v: ftplot.plot_barcode(DGM, legend=v),
    "plot_pairs_on_image(connect)": lambda v: ftplot.plot_pairs_on_image(IMAGE, DGM, connect=v),
    "plot_pairs_on_image(numbers)": lambda v: ftplot.plot_pairs_on_image(IMAGE, DGM, numbers=v),
}


@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, [True]])
@pytest.mark.parametrize("call", list(BOOL_CASES), ids=str)
def test_booleans_must_be_booleans(call, value):
    if value is None and call == "mark_objects":
        BOOL_CASES[call](value)           # None: "take it from the diagram", allowed
        return
    pattern = r"must be True(,| or) False.*got " + re.escape(repr(value))
    with pytest.raises(TypeError, match=pattern):
        BOOL_CASES[call](value)


@pytest.mark.parametrize("call", list(PLOT_BOOL_CASES), ids=str)
def test_plot_booleans_must_be_booleans(call):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    with pytest.raises(TypeError, match="must be True or False"):
        PLOT_BOOL_CASES[call]("no")


MASKED_CASES = {
    "persistence": lambda: fasttopo.persistence(MASKED),
    "persistence_batch(list)": lambda: fasttopo.persistence_batch([MASKED]),
    "persistence_batch(stack)": lambda: fasttopo.persistence_batch(np.ma.stack([MASKED])),
    "modify_border": lambda: fasttopo.modify_border(MASKED, 1),
    "mark_objects": lambda: fasttopo.mark_objects(MASKED),
    "topological_process": lambda: fasttopo.topological_process(MASKED),
    "persistence_targets": lambda: fasttopo.persistence_targets(MASKED),
    "persistence_targets_batch": lambda: fasttopo.persistence_targets_batch(
        np.ma.stack([MASKED])),
    "betti_numbers": lambda: fasttopo.betti_numbers(MASKED > 2),
    "euler_characteristic": lambda: fasttopo.euler_characteristic(MASKED > 2),
    "betti_error": lambda: fasttopo.betti_error(MASKED > 2, IMAGE > 2),
    "localized_filtration": lambda: fasttopo.localized_filtration(MASKED, IMAGE),
    "directional_filtrations": lambda: fasttopo.directional_filtrations(MASKED),
    "bottleneck_distance": lambda: fasttopo.bottleneck_distance(np.ma.masked_array(POINTS),
                                                                POINTS),
    "persistence_image": lambda: fasttopo.persistence_image(np.ma.masked_array(POINTS)),
    "pack_codes": lambda: fasttopo.pack_codes(np.ma.masked_array(np.eye(3, dtype=bool))),
    "hamming_distances": lambda: fasttopo.hamming_distances(np.ma.masked_array(CODES)),
}


@pytest.mark.parametrize("call", list(MASKED_CASES), ids=str)
def test_masked_arrays_are_rejected(call):
    with pytest.raises(TypeError, match="MaskedArray"):
        MASKED_CASES[call]()


DIM_CASES = {
    "bottleneck_distance": lambda d: fasttopo.bottleneck_distance(DGM, DGM, dim=d),
    "wasserstein_distance": lambda d: fasttopo.wasserstein_distance(DGM, DGM, dim=d),
    "pairwise_distances": lambda d: fasttopo.pairwise_distances([DGM, DGM], dim=d),
    "lifetime_threshold": lambda d: fasttopo.lifetime_threshold(DGM, dim=d),
    "persistence_targets": lambda d: fasttopo.persistence_targets(IMAGE, dim=d),
    "persistence_targets_batch": lambda d: fasttopo.persistence_targets_batch(STACK, dim=d),
    "persistence_image": lambda d: fasttopo.persistence_image(DGM, dim=d),
    "betti_curve": lambda d: fasttopo.betti_curve(DGM, dim=d),
    "persistence_landscape": lambda d: fasttopo.persistence_landscape(DGM, dim=d),
    "diagram_histogram": lambda d: fasttopo.diagram_histogram(DGM, dim=d),
    "PersistenceDiagram.select": lambda d: DGM.select(d),
    "PersistenceDiagram.top_k": lambda d: DGM.top_k(3, dim=d),
    "betti_error": lambda d: fasttopo.betti_error(IMAGE > 2, IMAGE > 3, dims=(d,)),
}


@pytest.mark.parametrize("dim", [-1, 2, 5])
@pytest.mark.parametrize("call", list(DIM_CASES), ids=str)
def test_dim_out_of_range_is_a_value_error(call, dim):
    with pytest.raises(ValueError, match=r"dim"):
        DIM_CASES[call](dim)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_modify_border_value_must_be_finite(value):
    with pytest.raises(ValueError, match="value must be finite"):
        fasttopo.modify_border(IMAGE, 1, value=value)
    with pytest.raises(TypeError, match="value must be a real number"):
        fasttopo.modify_border(IMAGE, 1, value="0")


def test_diagram_histogram_warns_outside_its_range():
    raw = fasttopo.persistence((IMAGE * 30).astype(np.uint8)).finite()   # 0-255 values
    with pytest.warns(UserWarning, match=r"fall outside range.*normalise"):
        fasttopo.diagram_histogram(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fasttopo.diagram_histogram(raw.to_pairs() / 255.0)      # normalised: no warning
        fasttopo.diagram_histogram(np.array([[0.1, 0.5], [0.2, np.inf]]))   # essential: none


@pytest.mark.parametrize("images", [None, {"a": IMAGE}, "images.png", 3.5, {IMAGE.tobytes()}])
def test_persistence_batch_names_what_it_needs(images):
    with pytest.raises(TypeError, match=r"images must be a \(B, \.\.\.\) array .* list of image"):
        fasttopo.persistence_batch(images)
    with pytest.raises(TypeError, match=r"images must be"):
        fasttopo.persistence_targets_batch(images)


def test_missing_tqdm_is_one_line(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError) as info:
        fasttopo.persistence_batch(STACK, progress=True)
    assert str(info.value) == ('progress=True needs tqdm, which is not installed: '
                               'pip install "fasttopo[progress]"')


def test_missing_torch_is_one_line():
    import subprocess
    import sys
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import fasttopo.nn\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == ('fasttopo.nn needs PyTorch, which is not installed: '
                                  'pip install "fasttopo[torch]"'), out.stderr


# ------------------------------------------------------------------- fasttopo.nn
torch = pytest.importorskip("torch")


def _nn_dgms(x=None, **options):
    import fasttopo.nn as tnn
    x = torch.rand(2, 1, 6, 6, dtype=torch.float64) if x is None else x
    return tnn.persistence(x, **options)


@pytest.mark.parametrize("value", ["no", "False", 1])
def test_nn_superlevel_must_be_a_bool(value):
    import fasttopo.nn as tnn
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    for call in (lambda: tnn.persistence(x, superlevel=value),
                 lambda: tnn.CubicalPersistence(superlevel=value),
                 lambda: tnn.localized_loss(x, x, window=4, superlevel=value),
                 lambda: tnn.LocalizedLoss(window=4, superlevel=value)):
        with pytest.raises(TypeError, match="superlevel must be True or False"):
            call()


@pytest.mark.parametrize("dim", [-1, 2, 5])
def test_nn_dim_out_of_range(dim):
    import fasttopo.nn as tnn
    dgms = _nn_dgms()
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    for call in (lambda: tnn.total_persistence(dgms, dim=dim),
                 lambda: tnn.topk_lifetimes(dgms, 2, dim=dim),
                 lambda: tnn.wasserstein_loss(dgms, dgms, dim=dim),
                 lambda: tnn.lifetime_sorted_loss(dgms, dgms, dim=dim),
                 lambda: tnn.localized_loss(x, x, window=4, dim=dim)):
        with pytest.raises(ValueError, match="dim must be"):
            call()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nn_losses_of_an_empty_batch_are_a_zero_on_the_graph(reduction):
    import fasttopo.nn as tnn
    x = torch.rand(0, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    dgms = tnn.persistence(x)
    for loss in (tnn.total_persistence(dgms, reduction=reduction),
                 tnn.wasserstein_loss(dgms, dgms, reduction=reduction),
                 tnn.lifetime_sorted_loss(dgms, dgms, reduction=reduction),
                 tnn.localized_loss(x, x.detach(), window=4, reduction=reduction)):
        assert loss.shape == () and float(loss.detach()) == 0.0
        assert loss.requires_grad and loss.grad_fn is not None
        loss.backward()
        assert x.grad is not None and x.grad.shape == x.shape
