"""The PD0 approximator without torch: decoding, checks, model files, the shipped model."""

import json

import numpy as np
import pytest

import fasttopo
from helpers.data import camera_patches
from helpers.examples import load_example
from fasttopo import approximation as approx
from fasttopo.approximation import decoding
from fasttopo.approximation.decoding import HEAD, OFFSET_SCALE, candidates
from fasttopo.distances import bottleneck_distance


def patch_sets():
    """Plateaus (camera), distinct values (noise), a few levels (many ties)."""
    rng = np.random.default_rng(1)
    return np.concatenate([camera_patches(5), rng.random((3, 32, 32)).astype(np.float32),
                           rng.integers(0, 4, (3, 32, 32)).astype(np.float32)])


def oracle_outputs(patches, k=10):
    """Outputs that say the truth: birth logits +-10 on the top k - 1 finite births,
    offsets to their death pixels, their death values with a large precision."""
    count, h, w = patches.shape
    out = np.zeros((count, HEAD, h * w))
    out[:, 0] = -10.0
    out[:, 5] = 50.0
    for b, dgm in enumerate(fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)):
        flat = patches[b].reshape(-1).astype(np.float64)
        lo, hi = flat.min(), flat.max()
        top = dgm.top_k(k)
        for i, j in zip(top.birth_index, top.death_index):
            if j < 0:
                continue
            out[b, 0, i] = 10.0
            out[b, 2, i] = (j // w - i // w) / OFFSET_SCALE
            out[b, 3, i] = (j % w - i % w) / OFFSET_SCALE
            out[b, 4, i] = (flat[j] - lo) / max(hi - lo, 1e-12)
    return out.reshape(count, HEAD, h, w)


def test_candidates_hold_every_birth_and_death_pixel():
    patches = patch_sets()
    can_birth, can_death = candidates(patches)
    for b, dgm in enumerate(fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)):
        assert can_birth[b, dgm.birth_index].all()
        assert can_death[b, dgm.death_index[dgm.death_index >= 0]].all()
    # the slow definition, for every patch: order by (value, flat index); a birth has no
    # 4-neighbour before it; a death has 4-neighbours before it in two components of the
    # pixels of its 3 x 3 window (centre excluded) that are before it
    for b in (0, 5, 8):
        patch = patches[b].astype(np.float64)
        h, w = patch.shape

        def before(q, p):
            return (patch.flat[q], q) < (patch.flat[p], p)

        for p in range(h * w):
            r, c = divmod(p, w)
            four = [rr * w + cc for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                    if 0 <= rr < h and 0 <= cc < w]
            window = {rr * w + cc for rr in range(r - 1, r + 2) for cc in range(c - 1, c + 2)
                      if 0 <= rr < h and 0 <= cc < w and (rr, cc) != (r, c)
                      and before(rr * w + cc, p)}
            groups, seen = 0, set()
            for start in (q for q in four if q in window):
                if start in seen:
                    continue
                groups += 1
                todo = [start]
                seen.add(start)
                while todo:
                    q = todo.pop()
                    qr, qc = divmod(q, w)
                    for n in ((qr - 1) * w + qc, (qr + 1) * w + qc, q - 1, q + 1):
                        nr, nc = divmod(n, w)
                        if n in window and n not in seen and abs(nr - qr) + abs(nc - qc) == 1:
                            seen.add(n)
                            todo.append(n)
            assert can_birth[b, p] == (not any(before(q, p) for q in four))
            assert can_death[b, p] == (groups >= 2)


def test_decoding_the_truth_gives_the_exact_top_10():
    patches = patch_sets()
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    decoded = approx.decode_outputs(oracle_outputs(patches), patches, threshold=0.5)
    scores = approx.score_diagrams(decoded, exact)
    assert scores["found"].tolist() == [1.0] * len(patches)
    assert scores["present"].tolist() == [1.0] * len(patches)
    for dgm, true, patch in zip(decoded, exact, patches):
        top = true.top_k(10)
        want = sorted(set(map(tuple, top.to_pairs().tolist())))
        assert sorted(map(tuple, dgm.to_pairs().tolist())) == want   # repeats reported once
        if len(want) == len(top):
            assert bottleneck_distance(dgm.to_pairs(), top.to_pairs()) == 0.0
        flat = patch.reshape(-1)
        assert dgm.is_essential[0] and dgm.birth_index[0] == np.argmin(flat)
        assert np.array_equal(dgm.birth, flat[dgm.birth_index])
        finite = dgm.death_index >= 0
        assert np.array_equal(dgm.death[finite], flat[dgm.death_index[finite]])
        assert np.all(np.diff(dgm.lifetime[1:]) <= 0) and dgm.dim.tolist() == [0] * len(dgm)


def test_decoding_k_and_threshold():
    patches = patch_sets()
    outputs = oracle_outputs(patches)
    assert [len(d) for d in approx.decode_outputs(outputs, patches, k=3)] == [3] * len(patches)
    only = approx.decode_outputs(outputs, patches, threshold=1.0)
    assert [len(d) for d in only] == [1] * len(patches)
    # threshold 0 fills up to k points with the unmarked candidates (logit -10), in order
    full = approx.decode_outputs(outputs, patches)
    half = approx.decode_outputs(outputs, patches, threshold=0.5)
    for h, f in zip(half, full):
        assert len(h) <= len(f) <= 10
        assert set(map(tuple, h.to_pairs().tolist())) <= set(map(tuple, f.to_pairs().tolist()))
    random_patches = patches[5:8]        # distinct values: many minima, k points reported
    assert [len(d) for d in approx.decode_outputs(outputs[5:8], random_patches)] == [10] * 3


def test_decoding_a_second_region_at_the_minimum_value():
    """A second basin at the global minimum's value is a finite point (not the essential)."""
    patch = np.array([[0, 5, 0, 5],
                      [5, 5, 5, 5],
                      [5, 5, 5, 5],
                      [5, 5, 5, 2]], dtype=np.float32)[None] / 5
    dgm = approx.decode_outputs(np.zeros((1, HEAD, 4, 4)), patch)[0]
    exact = fasttopo.persistence(patch[0], max_dim=0, connectivity=1)
    assert sorted(map(tuple, dgm.to_pairs().tolist())) == sorted(
        map(tuple, exact.to_pairs().tolist()))


@pytest.mark.parametrize("outputs, patches, error, match", [
    ("abc", np.zeros((1, 4, 4)), TypeError, "outputs"),
    (np.zeros((1, HEAD, 4, 4), complex), np.zeros((1, 4, 4)), TypeError, "outputs"),
    (np.zeros((1, HEAD, 4, 4)), np.zeros((1, 4, 4), complex), TypeError, "patches"),
    (np.full((1, HEAD, 4, 4), np.nan), np.zeros((1, 4, 4)), ValueError, "outputs.*NaN"),
    (np.zeros((1, HEAD, 4, 4)), np.full((1, 4, 4), np.inf), ValueError, "patches"),
    (np.zeros((1, 5, 4, 4)), np.zeros((1, 4, 4)), ValueError, "outputs must be"),
    (np.zeros((2, HEAD, 4, 4)), np.zeros((1, 4, 4)), ValueError, "same B"),
    (np.zeros((HEAD, 4, 4)), np.zeros((1, 4, 4)), ValueError, "outputs"),
])
def test_decode_outputs_rejects_bad_arrays(outputs, patches, error, match):
    with pytest.raises(error, match=match):
        approx.decode_outputs(outputs, patches)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"k": 0}, ValueError, "k must be in"), ({"k": -1}, ValueError, "k must be in"),
    ({"k": 2.5}, TypeError, "k must be an int"), ({"k": True}, TypeError, "k must be an int"),
    ({"threshold": np.nan}, ValueError, "threshold"), ({"threshold": -1}, ValueError, "threshold"),
    ({"threshold": 1.5}, ValueError, "threshold"), ({"threshold": "no"}, TypeError, "threshold"),
    ({"sigma": 1.0}, TypeError, "sigma"), ({"candidates": "no"}, TypeError, "candidates"),
    # no width or temperature to set: the Gaussian decoder of the first model is gone
    ({"sigma": np.nan}, TypeError, "sigma"), ({"tau": -1}, TypeError, "tau"),
])
def test_decode_outputs_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        approx.decode_outputs(np.zeros((1, HEAD, 4, 4)), np.zeros((1, 4, 4)), **kwargs)


@pytest.mark.parametrize("patches, error, match", [
    (np.zeros((32, 32)), ValueError, "3 dimensions"), (np.zeros((0, 32, 32)), ValueError, "empty"),
    (np.ones((1, 30, 32)), ValueError, "multiples of 8"),
    (np.ones((1, 32, 32), bool), TypeError, "bool"), ("patch", TypeError, "patches"),
    (np.where(np.arange(1024).reshape(1, 32, 32) == 5, np.nan, 0.5), ValueError, "NaN"),
])
def test_approximate_diagrams_rejects_bad_patches(patches, error, match):
    with pytest.raises(error, match=match):
        approx.approximate_diagrams(patches)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"k": 11}, ValueError, r"k must be in \[1, 10\]"), ({"k": 0}, ValueError, "k must be in"),
    ({"k": "3"}, TypeError, "k must be an int"), ({"threshold": np.nan}, ValueError, "threshold"),
    ({"batch_size": 0}, ValueError, "batch_size"), ({"model": 3}, TypeError, "model"),
    ({"model": "no/such/file.npz"}, FileNotFoundError, "file.npz"),
    ({"augment": "yes"}, TypeError, "augment"),
])
def test_approximate_diagrams_rejects_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        approx.approximate_diagrams(camera_patches(1), **kwargs)


def test_approximate_diagrams_never_calls_the_engine(monkeypatch):
    import fasttopo._engine
    import fasttopo._persistence
    import fasttopo.processing.targets
    import fasttopo.processing

    def boom(*args, **kwargs):
        raise AssertionError("the exact engine was called")

    modules = [fasttopo, fasttopo._engine, fasttopo._persistence, fasttopo.processing.targets,
               fasttopo.processing]
    modules += [m for m in vars(fasttopo._engine).values()
                if type(m) is type(fasttopo) and m.__name__.startswith("fasttopo._engine.")]
    patches = camera_patches(3)
    for module in modules:
        for name, obj in list(vars(module).items()):
            if callable(obj) and not isinstance(obj, type) and not name.startswith("__"):
                monkeypatch.setattr(module, name, boom)
    with pytest.raises(AssertionError):
        fasttopo.persistence_batch(np.zeros((1, 4, 4)))
    before = patches.copy()
    dgms = approx.approximate_diagrams(patches, k=4)
    assert [len(d) for d in dgms] == [4, 4, 4] and np.array_equal(patches, before)


# ------------------------------------------------------------------ test-time augmentation
def test_augmented_diagrams_do_not_depend_on_the_patch_orientation():
    # the eight copies of a rotated or mirrored patch are the same eight images: the vote
    # gives the same (birth, death) values (one pass differs on some of these patches)
    patches = camera_patches(6, seed=3)

    def values(dgms):
        return [sorted(zip(d.birth.tolist(), d.death.tolist())) for d in dgms]
    want = values(approx.approximate_diagrams(patches))
    differ = 0
    for t in (1, 2, 5, 7):
        turned = decoding.symmetric(patches, t)
        assert values(approx.approximate_diagrams(turned)) == want
        differ += values(approx.approximate_diagrams(turned, augment=False)) != values(
            approx.approximate_diagrams(patches, augment=False))
    assert differ > 0


def test_vote_keeps_the_pairs_most_copies_report():
    patches = camera_patches(4, seed=9)
    runs = [approx.approximate_diagrams(decoding.symmetric(patches, t), augment=False)
            for t in range(decoding.SYMMETRIES)]
    voted = decoding.vote(runs, patches, k=10)
    assert voted == approx.approximate_diagrams(patches)
    for b, dgm in enumerate(voted):
        flat = patches[b].reshape(-1)
        # pixels mapped back to the patch: the values are read at them
        assert np.array_equal(flat[dgm.birth_index], dgm.birth)
        finite = dgm.death_index >= 0
        assert np.array_equal(flat[dgm.death_index[finite]], dgm.death[finite])
        assert dgm.is_essential[0] and dgm.birth[0] == flat.min() and len(dgm) <= 10
        counts = {}
        for run in runs:
            for pair in zip(run[b].birth.tolist(), run[b].death.tolist()):
                counts[pair] = counts.get(pair, 0) + 1
        kept = [counts[p] for p in zip(dgm.birth.tolist(), dgm.death.tolist())]
        left = [c for p, c in counts.items() if p not in set(zip(dgm.birth.tolist(),
                                                                 dgm.death.tolist()))]
        assert min(kept) >= max(left, default=0)
    # one copy alone: its own diagrams back
    one = decoding.vote(runs[:1], patches, k=10)
    assert [sorted(zip(a.birth, a.death)) for a in one] == [
        sorted(zip(a.birth, a.death)) for a in runs[0]]


# ------------------------------------------------------------------------- model files
def rewrite(tmp_path, change_header=None, change_arrays=None, name="bad.npz"):
    """A copy of the shipped model file with its header and / or arrays changed."""
    with np.load(approx.PRETRAINED_PATH) as data:
        header = json.loads(str(data["__header__"]))
        arrays = {n: data[n] for n in data.files if n != "__header__"}
    if change_header:
        change_header(header)
    if change_arrays:
        change_arrays(arrays)
    path = tmp_path / name
    np.savez(path, __header__=np.array(json.dumps(header)), **arrays)
    return path


def set_in(mapping, key, value):
    mapping[key] = value


@pytest.mark.parametrize("change_header, change_arrays, match", [
    (None, lambda a: a["enc.0.0.weight"].__setitem__((0, 0, 0, 0), np.nan),
     "enc.0.0.weight holds NaN"),
    (None, lambda a: set_in(a, "head.bias", np.zeros(HEAD + 1, np.float32)), "head.bias must be"),
    (None, lambda a: a.pop("dec.0.3.weight"), "missing.*dec.0.3.weight"),
    (None, lambda a: set_in(a, "extra", np.zeros(2, np.float32)), "unexpected.*extra"),
    (None, lambda a: a["enc.1.1.running_var"].__setitem__(0, -1.0), "running_var must be pos"),
    (lambda h: set_in(h, "format", "other"), None, "format"),
    (lambda h: set_in(h["config"], "k", -1), None, r"k must be an int in \[2, 64\]"),
    (lambda h: set_in(h["config"], "k", 65), None, r"k must be an int in \[2, 64\]"),
    (lambda h: set_in(h["config"], "k", "10"), None, "k must be an int"),
    (lambda h: set_in(h["config"], "widths", [32]), None, "widths"),
    (lambda h: set_in(h["config"], "pools", [4]), None, "pools"),
    (lambda h: set_in(h["config"], "depth", 3), None, "exactly the keys"),
    (lambda h: set_in(h["config"], "widths", [32, 48, 64, 80]), None, "head.bias|must be float"),
    (lambda h: set_in(h, "metadata", [1, 2]), None, "metadata"),
])
def test_bad_model_files_are_refused_naming_the_file(tmp_path, change_header, change_arrays,
                                                     match):
    path = rewrite(tmp_path, change_header, change_arrays)
    with pytest.raises(ValueError, match=match) as info:
        approx.read_weights(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match=str(path)):
        approx.approximate_diagrams(camera_patches(1), model=path)


def test_files_that_are_not_model_files(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not a zip file")
    no_header = tmp_path / "plain.npz"
    np.savez(no_header, a=np.zeros(3))
    bad_json = tmp_path / "json.npz"
    np.savez(bad_json, __header__=np.array("{not json"))
    for path, match in ((text, "not a readable"), (no_header, "no valid JSON header"),
                        (bad_json, "no valid JSON header")):
        with pytest.raises(ValueError, match=match) as info:
            approx.read_weights(path)
        assert str(path) in str(info.value)


def test_a_valid_copy_loads_and_gives_the_same_diagrams(tmp_path):
    path = rewrite(tmp_path, name="copy.npz")
    patches = camera_patches(4, seed=5)
    assert approx.approximate_diagrams(patches, model=path) == approx.approximate_diagrams(
        patches)


# ------------------------------------------------------------------------- shipped model
def test_shipped_model_reaches_its_floor_on_held_out_patches():
    """48 patches of the evaluation images (never seen in training or selection)."""
    data = load_example("nn_pd0_data")
    patches, _ = data.family_patches(4, seed=7)
    config, _, metadata = approx.read_weights()
    assert config["k"] == 10 and metadata["steps"] >= 1000 and metadata["seed"] == 0
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    scores = approx.score_diagrams(approx.approximate_diagrams(patches), exact)
    assert scores["found"].mean() >= FOUND_FLOOR
    assert scores["present"].mean() >= PRESENT_FLOOR
    assert scores["bottleneck"].mean() <= BOTTLENECK_CEILING


# the shipped model (step 11500) on these 48 patches: found 0.664, present 0.669, bottleneck
# 0.030 with the eight copies (the default); one pass (augment=False) 0.614 / 0.640 / 0.027
# fails the found floor, as does the previous model (48.7 % found on its held-out patches);
# the full table is docs/examples/tables/nn_pd0_evaluate.full.rst
FOUND_FLOOR, PRESENT_FLOOR, BOTTLENECK_CEILING = 0.63, 0.62, 0.045


def test_gallery_figure_script_counts_agree_with_the_scores():
    gallery = load_example("nn_pd0_approximation")
    patches = gallery.example_patches()[:3]
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    scores = approx.score_diagrams(approx.approximate_diagrams(patches), exact)
    for (found, missed, extra), true, score in zip(gallery.compare(patches), exact,
                                                   scores["found"]):
        assert len(found) + len(missed) == len(true.top_k(10))
        assert len(found) == round(score * len(true.top_k(10)))
