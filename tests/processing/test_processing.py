"""Topological image processing: border, threshold, marking, pipeline, training targets."""

from collections import Counter

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.data
import skimage.filters
import skimage.segmentation
from hypothesis import given
from hypothesis import strategies as st

from fasttopo import (lifetime_threshold, mark_objects, modify_border, persistence,
                      persistence_batch, persistence_targets, persistence_targets_batch,
                      topological_process)
from fasttopo.processing._fill import pull_push
from helpers.data import volume


# ----------------------------------------------------------------- references ---
def filtration_rank(image, superlevel):
    """Position of every pixel in the filtration order (value, then flat index)."""
    values = np.asarray(image).reshape(-1).astype(np.float64)
    order = np.lexsort((np.arange(values.size), -values if superlevel else values))
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.arange(values.size)
    return rank


def reference_marking(image, diagram, threshold):
    """Algorithm 1 by flood fills: one scipy.ndimage.label per selected point."""
    image = np.asarray(image)
    rank = filtration_rank(image, diagram.superlevel)
    keep = (diagram.dim == 0) & (diagram.death_index >= 0)
    keep &= np.abs(diagram.death - diagram.birth) > threshold
    points = sorted(zip(diagram.birth_index[keep], diagram.death_index[keep]),
                    key=lambda p: (-rank[p[1]], rank[p[0]]))
    structure = ndi.generate_binary_structure(image.ndim, diagram.connectivity)
    labels = np.zeros(image.size, dtype=np.int32)
    earlier = []
    for label, (birth, death) in enumerate(points, 1):
        below = rank < rank[death]            # the sublevel set just below the death
        below[earlier] = False                # trimmed: no death pixel of an earlier point
        components, _ = ndi.label(below.reshape(image.shape), structure=structure)
        components = components.reshape(-1)
        labels[components == components[birth]] = label
        earlier.append(death)
    return labels.reshape(image.shape)


def reference_threshold(lifetimes):
    values = [0.0] + sorted(lifetimes)
    best, where = -1.0, 0
    for j in range(len(values) - 1):
        if values[j + 1] - values[j] >= best:
            best, where = values[j + 1] - values[j], j
    return values[where], len(lifetimes) - where


@st.composite
def images(draw, max_side=8):
    ndim = draw(st.integers(1, 3))
    side = max_side if ndim < 3 else 5
    shape = tuple(draw(st.lists(st.integers(1, side), min_size=ndim, max_size=ndim)))
    levels = draw(st.sampled_from([2, 3, 6, 1000]))
    seed = draw(st.integers(0, 2**32 - 1))
    image = np.random.default_rng(seed).integers(0, levels, size=shape)
    connectivity = draw(st.integers(1, ndim))
    superlevel = draw(st.booleans())
    return image, connectivity, superlevel


# ------------------------------------------------------------- mark_objects ---
@given(images(), st.sampled_from(["gap", 0.0, 1.0]))
def test_marking_equals_flood_fill_reference(case, threshold):
    image, connectivity, superlevel = case
    dgm = persistence(image, max_dim=0, connectivity=connectivity, superlevel=superlevel)
    if threshold == "gap":
        threshold = lifetime_threshold(dgm)[0]
    labels = mark_objects(image, dgm, threshold=threshold)
    assert labels.dtype == np.int32 and labels.shape == image.shape
    np.testing.assert_array_equal(labels, reference_marking(image, dgm, threshold))


@pytest.mark.parametrize("shape", [(300,), (60, 70), (14, 15, 16)])
def test_marking_random_images_many_objects(rng, shape):
    image = rng.random(shape)
    for connectivity in sorted({1, len(shape)}):
        dgm = persistence(image, max_dim=0, connectivity=connectivity, superlevel=True)
        labels = mark_objects(image, dgm, threshold=0.0)
        np.testing.assert_array_equal(labels, reference_marking(image, dgm, 0.0))
        assert labels.max() == len(dgm.finite())


def test_objects_contain_their_birth_pixel_and_no_earlier_death_pixel(rng):
    image = ndi.gaussian_filter(rng.random((120, 120)), 2)
    dgm = persistence(image, max_dim=0)
    threshold, count = lifetime_threshold(dgm)
    labels = mark_objects(image, dgm)
    assert labels.max() == count >= 1
    pts = dgm.finite()[dgm.finite().lifetime > threshold]
    order = np.argsort(-filtration_rank(image, False)[pts.death_index], kind="stable")
    flat = labels.reshape(-1)
    for label, i in enumerate(order, 1):
        assert flat[pts.birth_index[i]] == label
        assert label not in set(flat[pts.death_index[order[:label]]].tolist())
        assert np.all(image.flat[flat == label] < pts.death[i])
    assert set(np.unique(labels).tolist()) == set(range(count + 1))


def test_marking_is_exact_on_any_dtype_and_scale(rng):
    small = rng.integers(0, 7, size=(40, 50))
    expected = mark_objects(small, threshold=0.0)
    for image in (small.astype(np.uint8), small.astype(np.int16) - 3, small * 1e-300,
                  small.astype(np.float32) * 1e30, small.astype(np.int64) + 2**60,
                  (small.astype(np.uint64) << np.uint64(58))):
        np.testing.assert_array_equal(mark_objects(image, threshold=0.0), expected)
    # 2**60 + 1 and 2**60 differ, but not as float64: the marking still separates them
    big = np.full((3, 5), 2**60 + 9, dtype=np.int64)
    big[1, 1], big[1, 3], big[1, 2] = 2**60, 2**60 + 1, 2**60 + 2
    labels = mark_objects(big, threshold=0.0, connectivity=1)
    assert labels[1, 3] == 1 and labels[1, 1] == 0


def test_superlevel_marks_like_sublevel_of_the_negation(rng):
    image = rng.random((50, 40))
    a = mark_objects(image, superlevel=True, threshold=0.05)
    b = mark_objects(-image, superlevel=False, threshold=0.05)
    np.testing.assert_array_equal(a, b)


def test_marking_defaults_and_bool_images(rng):
    image = rng.random((30, 30))
    dgm = persistence(image, max_dim=0)
    np.testing.assert_array_equal(mark_objects(image), mark_objects(image, dgm))
    mask = np.zeros((7, 9), dtype=bool)
    mask[2:5, 2:4] = mask[2:5, 6:8] = True
    labels = mark_objects(mask, superlevel=True, threshold=0)
    assert labels.max() == 1  # the second square dies into the first
    assert np.array_equal(labels > 0, np.pad(np.ones((3, 2), bool), ((2, 2), (6, 1))))


def test_marking_errors_name_the_problem(rng):
    image = rng.random((10, 12))
    dgm = persistence(image, max_dim=0, connectivity=1)
    with pytest.raises(ValueError, match="shape"):
        mark_objects(image[:, :11], dgm)
    with pytest.raises(ValueError, match="connectivity=2"):
        mark_objects(image, dgm, connectivity=2)
    with pytest.raises(ValueError, match="superlevel=True"):
        mark_objects(image, dgm, superlevel=True)
    with pytest.raises(ValueError, match="does not belong"):
        mark_objects(image + 1, dgm)
    with pytest.raises(TypeError, match="PersistenceDiagram"):
        mark_objects(image, dgm.to_array())
    with pytest.raises(TypeError, match="threshold"):
        mark_objects(image, dgm, threshold="high")
    with pytest.raises(ValueError, match="NaN"):
        mark_objects(image, dgm, threshold=np.nan)
    with pytest.raises(ValueError, match="connectivity must be between"):
        mark_objects(image, connectivity=3)
    with pytest.raises(ValueError, match="NaN at index"):
        mark_objects(np.array([[0.0, np.nan]]))


# -------------------------------------------------------------- modify_border ---
def test_modify_border_sets_the_outer_pixels(rng):
    image = rng.integers(5, 100, size=(6, 7)).astype(np.int16)
    before = image.copy()
    out = modify_border(image, 2)
    np.testing.assert_array_equal(image, before)
    assert out.dtype == image.dtype
    inner = np.zeros(image.shape, dtype=bool)
    inner[2:-2, 2:-2] = True
    np.testing.assert_array_equal(out[inner], image[inner])
    assert np.all(out[~inner] == image.min())
    assert np.all(modify_border(image, 1, superlevel=True)[[0, -1]] == image.max())
    assert np.all(modify_border(image, 10, value=-3) == -3)
    np.testing.assert_array_equal(modify_border(image, 0), image)
    vol = modify_border(np.ones((4, 5, 6)), 1, value=0)
    assert vol.sum() == 2 * 3 * 4
    assert modify_border(np.arange(5.0), 1).tolist() == [0, 1, 2, 3, 0]


def test_modify_border_makes_the_border_the_essential_class(rng):
    image = rng.random((40, 40))
    dgm = persistence(modify_border(image, 1), max_dim=0)
    essential = dgm[dgm.is_essential]
    row, col = essential.birth_coordinates()[0]
    assert row in (0, 39) or col in (0, 39)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(width=-1), ValueError, "width must be >= 0"),
    (dict(width=1.5), TypeError, "width must be an int"),
    (dict(width=True), TypeError, "width must be an int"),
    (dict(width=1, value=300), ValueError, "representable"),
    (dict(width=1, value=0.5), ValueError, "representable"),
])
def test_modify_border_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        modify_border(np.zeros((4, 4), dtype=np.uint8), **kwargs)


# ---------------------------------------------------------- lifetime_threshold ---
def test_lifetime_threshold_is_the_largest_gap(rng):
    for _ in range(30):
        image = rng.integers(0, rng.integers(2, 30), size=(20, 20))
        dgm = persistence(image)
        for dim in (0, 1):
            lifetimes = dgm.select(dim).finite().lifetime.tolist()
            expected = reference_threshold(lifetimes) if lifetimes else (0.0, 0)
            assert lifetime_threshold(dgm, dim=dim) == expected


def test_lifetime_threshold_examples():
    dgm = persistence(np.array([5, 0, 5, 4, 5, 1, 5]))   # lifetimes 1 and 4
    assert lifetime_threshold(dgm) == (1.0, 1)
    dgm = persistence(np.array([9, 0, 9, 7, 9, 6, 9]))   # lifetimes 2 and 3
    assert lifetime_threshold(dgm) == (0.0, 2)
    dgm = persistence(np.array([9, 0, 9, 7, 9, 8, 9]))   # lifetimes 2 and 1: equal gaps
    assert lifetime_threshold(dgm) == (1.0, 1)           # the highest gap is used
    dgm = persistence(np.zeros((3, 3)))
    assert lifetime_threshold(dgm) == (0.0, 0)
    with pytest.raises(TypeError, match="PersistenceDiagram"):
        lifetime_threshold([(0, 1.0)])
    with pytest.raises(TypeError, match="dim"):
        lifetime_threshold(dgm, dim=0.5)


# --------------------------------------------------------- topological_process ---
def coins_reference():
    """The 24 coins, segmented independently (scikit-image's watershed tutorial)."""
    coins = skimage.data.coins()
    markers = np.zeros_like(coins)
    markers[coins < 30] = 1
    markers[coins > 150] = 2
    segmentation = skimage.segmentation.watershed(skimage.filters.sobel(coins), markers)
    coins_mask = ndi.binary_fill_holes(segmentation == 2)
    labels, _ = ndi.label(coins_mask)
    sizes = np.bincount(labels.ravel())
    big = [c for c in range(1, sizes.size) if sizes[c] > 100]
    return coins, labels, big


def test_coins_are_marked_as_separate_objects():
    coins, reference, big = coins_reference()
    assert len(big) == 24
    processed, labels = topological_process(coins, smooth=5, border_width=1, superlevel=True)
    owner = {}
    for c in big:
        ours = labels[reference == c]
        values, counts = np.unique(ours[ours > 0], return_counts=True)
        assert values.size, f"coin {c} not marked"
        owner[c] = values[np.argmax(counts)]
        assert counts.max() > 0.5 * (reference == c).sum()
    assert max(Counter(owner.values()).values()) == 1  # no two coins share a label
    assert processed.dtype == np.float64 and np.isfinite(processed).all()


def test_pipeline_equals_its_steps(rng):
    image = ndi.gaussian_filter(rng.random((80, 90)), 3)
    processed, labels = topological_process(image, smooth=3, border_width=2)
    work = modify_border(ndi.uniform_filter(image, 3, mode="nearest"), 2)
    np.testing.assert_array_equal(labels, mark_objects(work))
    objects = labels > 0
    np.testing.assert_array_equal(processed[objects], work[objects])
    rim = objects & ndi.binary_dilation(~objects, structure=np.ones((3, 3)))
    lo, hi = work[rim].min(), work[rim].max()
    assert np.all((processed[~objects] >= lo - 1e-12) & (processed[~objects] <= hi + 1e-12))


def test_pipeline_on_cell_and_retina():
    cell = skimage.data.cell()
    _, labels = topological_process(cell, superlevel=True)
    bright = cell > skimage.filters.threshold_otsu(ndi.uniform_filter(cell, 5))
    blobs, _ = ndi.label(ndi.binary_opening(bright, iterations=3))
    largest = blobs == np.argmax(np.bincount(blobs.ravel())[1:]) + 1
    iou = (largest & (labels > 0)).sum() / (largest | (labels > 0)).sum()
    assert labels.max() >= 1 and iou > 0.6
    retina = skimage.data.retina()[..., 1]
    _, labels = topological_process(retina)
    field = ndi.binary_erosion(retina > 20, iterations=5)
    assert 1 <= labels.max() <= 20
    assert np.all(field[labels > 0])  # dark objects inside the field of view


def test_pipeline_options_and_inputs(rng):
    image = rng.random((30, 40))
    before = image.copy()
    processed, labels = topological_process(image, smooth=0, border_width=0, threshold=np.inf)
    np.testing.assert_array_equal(image, before)
    assert labels.max() == 0 and np.allclose(processed, image.mean())
    processed, labels = topological_process(np.arange(20.0) % 7, smooth=None)
    assert processed.shape == (20,) and labels.max() >= 1
    volume = ndi.gaussian_filter(rng.random((20, 20, 20)), 2)
    processed, labels = topological_process(volume)
    assert labels.shape == volume.shape and np.isfinite(processed).all()
    with pytest.raises(ValueError, match="smooth"):
        topological_process(image, smooth=-1)
    with pytest.raises(TypeError, match="border_width"):
        topological_process(image, border_width="1")


def test_pull_push_interpolates(rng):
    for shape in [(17,), (1, 9), (33, 20), (6, 7, 5)]:
        values = rng.random(shape)
        known = rng.random(shape) < 0.1
        known.flat[0] = True
        filled = pull_push(values, known)
        np.testing.assert_array_equal(filled[known], values[known])
        assert filled.min() >= values[known].min() - 1e-12
        assert filled.max() <= values[known].max() + 1e-12
    assert np.allclose(pull_push(np.full((9, 9), 3.0), np.eye(9, dtype=bool)), 3.0)


# --------------------------------------------------------- persistence_targets ---
def test_targets_mark_birth_and_death_pixels(rng):
    image = rng.random((32, 32))
    masks, points = persistence_targets(image, k=10)
    dgm = persistence(image, max_dim=0)   # the same default connectivity (image.ndim)
    top = dgm.top_k(10, dim=0)
    assert masks.shape == (10, 32, 32) and masks.dtype == np.uint8
    assert points == top
    for i in range(10):
        expected = np.zeros(32 * 32, dtype=np.uint8)
        expected[top.birth_index[i]] = 1
        if top.death_index[i] >= 0:
            expected[top.death_index[i]] = 1
        np.testing.assert_array_equal(masks[i].reshape(-1), expected)
    assert masks[0].sum() == 1            # the essential class: birth only
    assert (masks[1:].reshape(9, -1).sum(axis=1) == 2).all()


def test_targets_with_few_points_and_other_options(rng):
    masks, points = persistence_targets(np.array([[0, 1], [1, 0]]), k=4, connectivity=1)
    assert len(points) == 2 and masks[2:].sum() == 0
    masks, points = persistence_targets(rng.random((20, 20)), k=3, dim=1, connectivity=2,
                                        superlevel=True)
    assert (points.dim == 1).all() and masks.shape == (3, 20, 20)
    with pytest.raises(ValueError, match="k must be >= 1"):
        persistence_targets(np.zeros((3, 3)), k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        persistence_targets(np.zeros((3, 3)), k=2.0)


def test_targets_batch_equals_single(rng):
    patches = rng.random((12, 16, 16))
    masks, points = persistence_targets_batch(patches, k=5)
    assert masks.shape == (12, 5, 16, 16)
    for i in range(12):
        single, pts = persistence_targets(patches[i], k=5)
        np.testing.assert_array_equal(masks[i], single)
        assert points[i] == pts
    diagrams = persistence_batch(patches, max_dim=0)
    assert points[3] == diagrams[3].top_k(5, dim=0)
    with pytest.raises(ValueError, match="stack"):
        persistence_targets_batch(np.zeros(5))


def test_pull_push_keeps_the_kept_cells(rng):
    values = rng.random((40, 30))
    known = np.zeros(values.shape, dtype=bool)
    known[10:12, 5:25] = True
    keep = known.copy()
    keep[20:30, 10:20] = True
    filled = pull_push(values, known, keep=keep)
    np.testing.assert_array_equal(filled[keep], values[keep])
    free = pull_push(values, known)
    np.testing.assert_array_equal(filled[~keep], free[~keep])




@pytest.mark.slow
def test_marking_real_images_against_reference():
    camera = skimage.data.camera()[100:260, 200:360]
    for superlevel in (False, True):
        for connectivity in (1, 2):
            dgm = persistence(camera, max_dim=0, connectivity=connectivity,
                              superlevel=superlevel)
            threshold = np.quantile(dgm.finite().lifetime, 0.8)
            np.testing.assert_array_equal(mark_objects(camera, dgm, threshold=threshold),
                                          reference_marking(camera, dgm, threshold))
    brain = volume("mni152_t1_1mm.npz")[60:100, 80:120, 70:110]
    for connectivity in (1, 2, 3):
        dgm = persistence(brain, max_dim=0, connectivity=connectivity)
        threshold = np.quantile(dgm.finite().lifetime, 0.9)
        np.testing.assert_array_equal(mark_objects(brain, dgm, threshold=threshold),
                                      reference_marking(brain, dgm, threshold))


def published_algorithm_1(image, diagram, threshold):
    """Algorithm 1 of the topological-priors paper on image *values* (I <= dval), sublevel.

    For each selected point by decreasing death: dval = death; C = component
    of the birth pixel in {I <= dval}; while C holds the point's own death
    pixel or an earlier point's death pixel, dval = new-dval (the next
    smaller image value) and C is recomputed; C is marked (later, smaller
    objects overwrite earlier ones).
    """
    keep = (diagram.dim == 0) & (diagram.death_index >= 0)
    keep &= np.abs(diagram.death - diagram.birth) > threshold
    points = sorted(zip(diagram.death[keep], diagram.birth_index[keep],
                        diagram.death_index[keep]),
                    key=lambda p: (-p[0], image.flat[p[1]]))   # one death pixel may end several
    structure = ndi.generate_binary_structure(image.ndim, diagram.connectivity)
    values = np.unique(image)
    labels = np.zeros(image.size, dtype=np.int32)
    deaths = []
    for label, (death, birth, death_pixel) in enumerate(points, 1):
        dval = death
        deaths.append(death_pixel)
        while True:
            comp, _ = ndi.label(image <= dval, structure=structure)
            comp = comp.reshape(-1)
            inside = comp == comp[birth]
            if not inside[deaths].any():
                break
            dval = values[np.searchsorted(values, dval) - 1]        # new-dval
        labels[inside] = label
    return labels.reshape(image.shape)


@pytest.mark.parametrize("shape", [(40,), (25, 30), (8, 9, 10)])
def test_marking_equals_published_algorithm_1_on_distinct_values(rng, shape):
    """Ours takes the component strictly before the death pixel; the paper takes I <= death
    and lowers dval (new-dval) while the component holds a death pixel.  With I <= death the
    death pixel joins the point's component to the elder one, so new-dval always fires once
    and lands on {I < death}: the same objects whenever the values are distinct."""
    image = modify_border(ndi.gaussian_filter(rng.random(shape), 1.0), 1)
    image = image + 1e-9 * rng.permutation(image.size).reshape(shape)   # distinct values
    for connectivity in sorted({1, len(shape)}):
        dgm = persistence(image, max_dim=0, connectivity=connectivity)
        for threshold in (0.0, lifetime_threshold(dgm)[0]):
            np.testing.assert_array_equal(mark_objects(image, dgm, threshold=threshold),
                                          published_algorithm_1(image, dgm, threshold))
