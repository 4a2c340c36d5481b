"""The PD0 approximator in torch: model, targets, loss, weights, the shared entry."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fasttopo  # noqa: E402
import fasttopo.approximation as numpy_approx  # noqa: E402
from helpers.data import camera_patches  # noqa: E402
from helpers.examples import assert_page_table, load_example, written_tables  # noqa: E402
from fasttopo.approximation import decoding, forward  # noqa: E402
from fasttopo.nn import approximation as approx  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on a shared, loaded host two threads can be 10x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny(width=4, levels=3, pools=(5,), seed=0):
    """A small model with non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(seed)
    model = approx.PD0Approximator(widths=(width,) * levels, pools=pools)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
        model.head.weight.mul_(20.0)           # outputs of a few units: decoding is exercised
    return model.eval()


def test_model_shapes_and_input_channels():
    model = tiny()
    with torch.no_grad():
        assert model(torch.rand(3, 32, 32)).shape == (3, numpy_approx.HEAD, 32, 32)
        assert model(torch.rand(1, 16, 24)).shape == (1, numpy_approx.HEAD, 16, 24)
    x = torch.tensor(camera_patches(2))
    f = approx.features(x, (5, 9))
    assert f.shape == (2, 10, 32, 32)
    assert float(f[:, 0].amin()) == 0.0 and float(f[:, 0].amax()) == 1.0
    can_birth, can_death = decoding.candidates(x.numpy())
    assert np.array_equal(f[:, 2].reshape(2, -1).numpy() > 0, can_birth)
    assert np.array_equal(f[:, 3].reshape(2, -1).numpy() > 0, can_death)
    np.testing.assert_array_equal(forward.features(x.numpy(), (5, 9)),
                                  f.permute(0, 2, 3, 1).numpy())


@pytest.mark.parametrize("kwargs, match", [
    ({"k": -1}, r"k must be an int in \[2, 64\]"), ({"k": 1}, "k must be"),
    ({"k": 65}, "k must be"), ({"k": 2.0}, "k must be an int"),
    ({"widths": (8,)}, "widths"), ({"widths": "abc"}, "widths"), ({"widths": 8}, "widths"),
    ({"widths": (8, 0)}, "widths"), ({"pools": (4,)}, "pools"), ({"pools": (33,)}, "pools"),
])
def test_model_rejects_bad_configurations(kwargs, match):
    with pytest.raises(ValueError, match=match):
        approx.PD0Approximator(**kwargs)


def test_numpy_forward_and_entry_equal_torch(tmp_path):
    model = tiny(width=6, levels=4, pools=(5, 9))
    path = tmp_path / "tiny.npz"
    approx.save_approximator(model, path)
    patches = np.concatenate([camera_patches(5), np.random.default_rng(2).random(
        (3, 32, 32)).astype(np.float32)])
    config, arrays, _ = numpy_approx.read_weights(path)
    with torch.no_grad():
        want = model(torch.from_numpy(patches)).numpy()
    got = forward.forward(forward.fold(arrays), config, patches)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    for kwargs in ({}, {"k": 4}, {"threshold": 0.3}, {"batch_size": 3}, {"augment": False}):
        a = numpy_approx.approximate_diagrams(patches, model=path, **kwargs)
        b = approx.approximate_diagrams(patches, model=model, **kwargs)
        c = approx.approximate_diagrams(torch.from_numpy(patches), model=path, **kwargs)
        assert a == b == c
    assert not model.training
    model.train()
    approx.approximate_diagrams(patches[:1], model=model)
    assert model.training                      # the mode is restored


def test_both_entries_take_the_same_arguments_and_checks():
    import inspect

    a = inspect.signature(numpy_approx.approximate_diagrams)
    b = inspect.signature(approx.approximate_diagrams)
    assert a == b
    for kwargs, error in (({"k": 0}, ValueError), ({"k": 2.5}, TypeError),
                          ({"threshold": np.nan}, ValueError), ({"batch_size": 0}, ValueError),
                          ({"model": 3}, TypeError)):
        messages = []
        for entry in (numpy_approx.approximate_diagrams, approx.approximate_diagrams):
            with pytest.raises(error) as info:
                entry(camera_patches(1), **kwargs)
            messages.append(str(info.value).split(" (")[0])
        assert messages[0] == messages[1]


def test_pair_logits_equal_the_decoding_formula():
    rng = np.random.default_rng(0)
    outputs = rng.normal(size=(2, numpy_approx.HEAD, 8, 8))
    patches = rng.random((2, 8, 8))
    births = torch.tensor([[3, 17, 40], [0, 63, 9]])
    got = approx.pair_logits(torch.from_numpy(outputs), torch.from_numpy(patches), births)
    values = patches.reshape(2, -1)
    normalised = (values - values.min(1, keepdims=True)) / np.ptp(values, 1)[:, None]
    for b in range(2):
        for m, i in enumerate(births[b].tolist()):
            want = decoding.pair_logits(outputs[b].reshape(numpy_approx.HEAD, -1),
                                        normalised[b], i, np.arange(64), 8)
            np.testing.assert_allclose(got[b, m].numpy(), want, rtol=1e-10, atol=1e-10)


def test_pair_logits_gradcheck():
    rng = np.random.default_rng(1)
    outputs = torch.tensor(rng.normal(size=(1, numpy_approx.HEAD, 4, 4)), requires_grad=True)
    patches = torch.tensor(rng.random((1, 4, 4)))
    births = torch.tensor([[2, 9]])
    assert torch.autograd.gradcheck(lambda o: approx.pair_logits(o, patches, births), (outputs,))


def slow_targets(patch, dgm, k=10):
    """Reference: birth plateaus by flood fill, lifetimes, death values, per point."""
    h, w = patch.shape
    flat = patch.reshape(-1)
    finite = dgm.death_index >= 0
    lifetime = (dgm.death - dgm.birth)[finite] / (flat.max() - flat.min())
    order = np.argsort(-lifetime, kind="stable")
    points = [(int(dgm.birth_index[finite][o]), float(dgm.death[finite][o]), lifetime[o],
               int(dgm.death_index[finite][o])) for o in order]

    def plateau(i):
        seen, todo = {i}, [i]
        while todo:
            p = todo.pop()
            r, c = divmod(p, w)
            for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                q = rr * w + cc
                if 0 <= rr < h and 0 <= cc < w and q not in seen and flat[q] == flat[i]:
                    seen.add(q)
                    todo.append(q)
        return seen

    birth = np.zeros(h * w)
    life = np.zeros(h * w)
    for rank, (i, _, lt, _) in enumerate(points):
        for p in plateau(i):
            life[p] = lt
            birth[p] = rank < k - 1
    return birth, life, points, plateau


def test_pair_targets_against_a_slow_reference():
    rng = np.random.default_rng(3)
    patches = np.concatenate([camera_patches(3), rng.integers(0, 3, (2, 16, 16))[:, :, :]
                              .repeat(2, 1).repeat(2, 2).astype(np.float32)])
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    birth, life, births, deaths, death_pixels = approx.pair_targets(patches, exact, m=24)
    for b, dgm in enumerate(exact):
        want_birth, want_life, points, plateau = slow_targets(patches[b], dgm)
        np.testing.assert_array_equal(birth[b], want_birth)
        np.testing.assert_allclose(life[b], want_life, rtol=1e-6)
        for m in range(24):
            if m < len(points):
                assert births[b, m] in plateau(points[m][0]) and deaths[b, m] == points[m][1]
                assert death_pixels[b, m] == points[m][3]
            else:
                assert births[b, m] == -1 and death_pixels[b, m] == -1


def test_short_training_lowers_the_loss():
    torch.manual_seed(0)
    model = approx.PD0Approximator(widths=(8, 8, 8), pools=(5,))
    patches = camera_patches(8, seed=3)
    targets = approx.pair_targets(patches, fasttopo.persistence_batch(patches, max_dim=0,
                                                                      connectivity=1))
    x = torch.from_numpy(patches)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss, parts = approx.pair_loss(model(x), patches, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        assert len(parts) == 4
    assert losses[-1] < 0.6 * losses[0]


def test_save_load_round_trip(tmp_path):
    model = tiny()
    path = tmp_path / "m.npz"
    approx.save_approximator(model, path, note="test")
    loaded = approx.load_approximator(path)
    x = torch.tensor(camera_patches(2))
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
    assert loaded.metadata == {"note": "test"} and not loaded.training
    assert loaded.config == model.config
    with pytest.raises(TypeError, match="PD0Approximator"):
        approx.save_approximator(torch.nn.Linear(2, 2), path)


def test_bad_file_is_refused_by_the_torch_loader(tmp_path):
    model = tiny()
    path = tmp_path / "nan.npz"
    with torch.no_grad():
        model.head.bias[3] = float("nan")
    approx.save_approximator(model, path)
    with pytest.raises(ValueError, match=f"{path}.*head.bias holds NaN"):
        approx.load_approximator(path)
    with pytest.raises(ValueError, match=str(path)):
        approx.approximate_diagrams(camera_patches(1), model=path)


def test_training_script_quick_and_resume(tmp_path):
    train = load_example("nn_pd0_train")
    out = tmp_path / "quick.npz"
    model, curve = train.main(["--quick", "--dir", str(tmp_path / "a"), "--out", str(out)])
    assert out.exists() and curve[-1]["step"] == 4 and "found" in curve[-1]["validation"]["birth"]
    loaded = approx.load_approximator(out)
    assert loaded.metadata["learning_curve"] == curve and loaded.metadata["steps"] == 4
    # stopped after 2 steps and resumed: the same model as the uninterrupted run
    train.main(["--quick", "--dir", str(tmp_path / "b"), "--stop-after", "2"])
    resumed, _ = train.main(["--quick", "--dir", str(tmp_path / "b"), "--resume",
                             "--out", str(tmp_path / "resumed.npz")])
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)


def test_evaluation_script_quick(monkeypatch, tmp_path):
    written = written_tables(monkeypatch, tmp_path)
    result = load_example("nn_pd0_evaluate").main(["--quick", "--write"])
    assert_page_table(written, "nn_pd0_evaluate.quick")     # the scores and the timing's rows
    assert set(result["families"]) == set(load_example("nn_pd0_data").FAMILIES) | {"overall"}
    assert set(result["families"]["overall"]) == {"found", "present", "bottleneck"}
    assert "cripser loop (exact)" in result["seconds_128"]
