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


# ------------------------------------------------- found by the sweep of issue 24
BAD_DIAGRAMS = {
    "shape=(-8, -8)": (dict(shape=(-8, -8)), ValueError, "shape must be >= 1"),
    "shape=(0,)": (dict(shape=(0,)), ValueError, "shape must be >= 1"),
    "shape='ab'": (dict(shape="ab"), TypeError, "shape must be an int"),
    "4D shape": (dict(shape=(2, 2, 2, 2)), ValueError, "1, 2 or 3 dimensions"),
    "connectivity=-1": (dict(connectivity=-1), ValueError, "connectivity must be between"),
    "connectivity=1.5": (dict(connectivity=1.5), TypeError, "connectivity must be an int"),
    "superlevel='no'": (dict(superlevel="no"), TypeError, "superlevel must be True or False"),
    "NaN index": (dict(birth_index=[np.nan]), ValueError, "birth_index must hold integers"),
    "float index": (dict(death_index=[1.5]), ValueError, "death_index must hold integers"),
    "index outside": (dict(birth_index=[4]), ValueError, r"birth_index must be flat indices"),
    "death index -2": (dict(death_index=[-2]), ValueError, r"death_index must be flat indices"),
    "dim 2 of 2D": (dict(dim=[2]), ValueError, "dim must be between 0 and 1"),
    "str dim": (dict(dim=["a"]), TypeError, "dim must hold real numbers"),
    "object birth": (dict(birth=np.array([None], dtype=object)), TypeError,
                     "birth must hold real numbers"),
    "datetime death": (dict(death=np.array(["2020-01-01"], dtype="datetime64[D]")), TypeError,
                       "death must hold real numbers"),
    "complex birth": (dict(birth=[1j]), TypeError, "birth must hold real numbers"),
    "NaN birth": (dict(birth=[np.nan]), ValueError, "birth contains NaN"),
    "infinite birth": (dict(birth=[np.inf]), ValueError, "birth must be finite"),
    "2-D field": (dict(birth=[[0.0]]), ValueError, "birth must be 1-D"),
    "unequal": (dict(birth=[0.0, 1.0]), ValueError, "equal lengths"),
}


@pytest.mark.parametrize("case", list(BAD_DIAGRAMS), ids=str)
def test_persistence_diagram_checks_what_it_is_given(case):
    changes, error, words = BAD_DIAGRAMS[case]
    args = dict(dim=[0], birth=[0.0], death=[1.0], birth_index=[0], death_index=[3],
                shape=(2, 2), connectivity=2, superlevel=False)
    args.update(changes)
    fields = [args.pop(k) for k in ("dim", "birth", "death", "birth_index", "death_index")]
    with pytest.raises(error, match=words):
        fasttopo.PersistenceDiagram(*fields, **args)


def test_wasserstein_orders_are_stable_up_to_their_limit():
    a, b = np.array([[0.0, 1.0], [0.2, 0.5]]), np.array([[0.0, 0.7]])
    bottleneck = fasttopo.bottleneck_distance(a, b)
    values = [fasttopo.wasserstein_distance(a, b, order=p) for p in (1, 2, 8, 32, 64)]
    assert all(v >= bottleneck - 1e-12 for v in values)        # W_p >= W_inf
    assert values == sorted(values, reverse=True)              # W_p decreases with p
    assert values[-1] == pytest.approx(bottleneck, rel=0.02)
    # tiny lifetimes far from 0: the costs are scaled by the lifetimes, not the values
    far = np.array([[1000.0, 1000.01]]), np.array([[1000.0, 1000.02]])
    assert fasttopo.wasserstein_distance(*far, order=64) >= fasttopo.bottleneck_distance(*far)
    for order in (65, 1000, 10**12, np.inf):
        with pytest.raises(ValueError, match="order must be between 1 and 64"):
            fasttopo.wasserstein_distance(a, b, order=order)
        with pytest.raises(ValueError, match="order must be between 1 and 64"):
            fasttopo.pairwise_distances([a, b], "wasserstein", order=order)


def test_dim_of_plain_arrays_is_refused():
    # dim selects from PersistenceDiagrams; arrays beside one are the points of that
    # dimension, but with arrays alone dim would select nothing
    for call in (lambda: fasttopo.bottleneck_distance(POINTS, POINTS, dim=5),
                 lambda: fasttopo.wasserstein_distance(POINTS, POINTS, dim=0),
                 lambda: fasttopo.pairwise_distances([POINTS, POINTS], dim=1),
                 lambda: fasttopo.betti_curve(POINTS, dim=0),
                 lambda: fasttopo.persistence_image([POINTS, POINTS], dim=0)):
        with pytest.raises(ValueError, match=r"dim=\d selects a homology dimension"):
            call()
    assert fasttopo.bottleneck_distance(POINTS, POINTS) == 0.0      # dim=None: fine
    assert fasttopo.bottleneck_distance(DGM, DGM.to_pairs(0), dim=0) == 0.0   # mixed: fine


def test_huge_images_fail_before_any_work(monkeypatch):
    from fasttopo._engine import planning
    monkeypatch.setattr(planning, "available_memory", lambda: 1 << 30)   # 1 GiB
    view = np.broadcast_to(np.float32(1.0), (60000, 60000))             # no memory of its own
    with pytest.raises(MemoryError, match=r"image of shape \(60000, 60000\) \(3,600,000,000 "
                                          r"pixels\) needs at least .* GiB"):
        fasttopo.persistence(view)
    stack = np.broadcast_to(np.uint8(1), (3, 50000, 50000))
    with pytest.raises(MemoryError, match=r"images at once of shape \(50000, 50000\)"):
        fasttopo.persistence_batch(stack, n_jobs=2)
    # the torch layer and the targets take the same entry
    with pytest.raises(MemoryError):
        fasttopo.persistence_targets_batch(stack)


def test_string_seeds_are_refused():
    import fasttopo.nn as tnn
    x = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    for call, name in ((lambda: fasttopo.random_height_function((8, 8), rng="0"), "rng"),
                       (lambda: fasttopo.synthetic_diagrams(2, [3], random_state="0"),
                        "random_state"),
                       (lambda: fasttopo.betti_error(IMAGE > 2, IMAGE > 3, patch_size=3,
                                                     rng="0"), "rng"),
                       (lambda: tnn.localized_loss(x, x, window=4, rng="0"), "rng"),
                       (lambda: tnn.LocalizedLoss(window=4, rng="0"), "rng"),
                       (lambda: fasttopo.random_height_function((8, 8), rng=1.5), "rng")):
        with pytest.raises(TypeError, match=f"{name} must be None, an int seed or a numpy"):
            call()


def test_questionable_values_get_a_clear_answer():
    image = np.random.default_rng(0).random((20, 20))
    with pytest.raises(ValueError, match=r"resolution=.* asks for .* values per diagram"):
        fasttopo.persistence_image(POINTS, resolution=10**12)
    with pytest.raises(ValueError, match=r"resolution=.* asks for"):
        fasttopo.betti_curve(POINTS, resolution=10**12)
    with pytest.raises(ValueError, match=r"bins=.* asks for"):
        fasttopo.diagram_histogram(POINTS, bins=10**7)
    with pytest.raises(ValueError, match="smooth must be at most the image's longest side"):
        fasttopo.topological_process(image, smooth=10**30)
    with pytest.raises(TypeError, match="smooth must be an int"):
        fasttopo.topological_process(image, smooth=1e30)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        fasttopo.mark_objects(image, threshold=-1)
    with pytest.raises(ValueError, match="threshold must be >= 0"):
        fasttopo.topological_process(image, threshold=-0.5)
    # documented: a border wider than half the image reaches every pixel
    border = fasttopo.modify_border(image, 10**12)
    assert border.shape == image.shape and (border == image.min()).all()
    # documented: n_jobs is capped (4 x the cores), results do not depend on it
    assert fasttopo.persistence_batch(STACK, n_jobs=10**12) == fasttopo.persistence_batch(
        STACK, n_jobs=1)


def test_colour_images_warn_as_in_scikit_image():
    rgb = np.random.default_rng(0).random((16, 16, 3))
    with pytest.warns(UserWarning, match=r"looks like a colour \(RGB/RGBA\) image"):
        fasttopo.persistence(rgb)
    with pytest.warns(UserWarning, match=r"images\[0\] of shape \(16, 16, 3\)"):
        fasttopo.persistence_batch(rgb[None])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fasttopo.persistence(rgb[..., 0])
        fasttopo.persistence(np.random.default_rng(0).random((3, 16, 16)))   # a volume


_NO_MAIN_GUARD = """
import multiprocessing
import numpy as np
import fasttopo
rng = np.random.default_rng(0)
dgms = [rng.random((6, 2)).cumsum(axis=1) for _ in range(14)]    # 91 pairs of diagrams
d = fasttopo.pairwise_distances(dgms)            # default n_jobs: all cores, threads
assert d.shape == (14, 14) and not multiprocessing.active_children()
print("ok")
"""


def test_pairwise_distances_starts_no_process(tmp_path):
    # a newcomer's script without ``if __name__ == "__main__":`` (a spawn pool would die)
    import subprocess
    import sys
    script = tmp_path / "first.py"
    script.write_text(_NO_MAIN_GUARD)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip() == "ok", out.stderr


def test_dask_checks_options_like_the_local_functions():
    da = pytest.importorskip("dask.array")
    import dask
    import fasttopo.dask as ftd
    stack = da.from_array(STACK, chunks=(1, 5, 6))
    for call in (lambda: ftd.persistence(stack, superlevel="no"),
                 lambda: ftd.persistence([IMAGE], superlevel="no"),
                 lambda: ftd.persistence_targets(stack, superlevel="no"),
                 lambda: ftd.warm_up(superlevel="no")):
        with pytest.raises(TypeError, match="superlevel must be True or False"):
            call()
    # without a Client, the bags of diagrams compute in threads of this process
    bag = ftd.persistence(stack)
    assert dask.base.get_scheduler(collections=[bag]) is dask.threaded.get
    assert bag.compute() == fasttopo.persistence_batch(STACK)


def test_missing_dask_is_one_line():
    import subprocess
    import sys
    code = ("import sys; sys.modules['dask'] = None\n"
            "try:\n    import fasttopo.dask\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == ('fasttopo.dask needs Dask, which is not installed: '
                                  'pip install "fasttopo[dask]"'), out.stderr


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
