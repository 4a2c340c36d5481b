"""fasttopo.sklearn: the estimators against the functions they wrap, and scikit-learn's rules."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline, make_union  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fasttopo  # noqa: E402
from fasttopo.sklearn import (BettiCurve, CubicalPersistence, DiagramCodes,  # noqa: E402
                              DiagramDistance, DiagramHistogram, HeightFiltration,
                              PersistenceImage, PersistenceLandscape, RadialFiltration)


# ------------------------------------------------------------------ data
def blobs(n_blobs, rng, size=12):
    """A dark image with ``n_blobs`` bright squares (0 to 255), a little noise."""
    image = rng.integers(0, 20, (size, size)).astype(np.float64)
    for k in range(n_blobs):
        r, c = 1 + 4 * (k // 2) + rng.integers(0, 2), 1 + 5 * (k % 2) + rng.integers(0, 2)
        image[r:r + 3, c:c + 3] = 200 + rng.integers(0, 50, (3, 3))
    return image


def blob_data(n=24, seed=0):
    """Images of one or of three blobs, and their class (the number of blobs)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return np.stack([blobs(1 + 2 * label, rng) for label in y]), y


@pytest.fixture(scope="module")
def images():
    return blob_data()[0]


@pytest.fixture(scope="module")
def diagrams(images):
    return fasttopo.persistence_batch(images, superlevel=True, n_jobs=1)


DIAGRAM_STEPS = [PersistenceImage(dim=[0, 1], bandwidth=20.0, resolution=(4, 3)),
                 BettiCurve(dim=0, resolution=7), PersistenceLandscape(dim=1, k=2, resolution=5),
                 DiagramHistogram(dim=[1, 0], bins=3), DiagramCodes(dim=[0, 1]),
                 DiagramCodes(packed=True), DiagramDistance(n_jobs=1),
                 DiagramDistance(metric="bottleneck", dim=0, kernel=True, n_jobs=1)]
IMAGE_STEPS = [HeightFiltration(direction=(1, 1)), RadialFiltration(center=(2, 3)),
               CubicalPersistence(max_dim=0, connectivity=1, superlevel=True, n_jobs=1)]


# ------------------------------------------------------- scikit-learn's checks
@parametrize_with_checks([HeightFiltration(), RadialFiltration(), CubicalPersistence(n_jobs=1)],
                         expected_failed_checks=lambda e: e._sklearn_expected_failed_checks(),
                         xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_expected_failures_give_their_reason():
    for cls in (HeightFiltration, RadialFiltration, CubicalPersistence):
        failures = cls._sklearn_expected_failed_checks()
        assert failures and all(isinstance(r, str) and len(r) > 20 for r in failures.values())


# ------------------------------------------------------------------ the rules
@pytest.mark.parametrize("estimator", DIAGRAM_STEPS + IMAGE_STEPS, ids=repr)
def test_clone_and_params_round_trip(estimator):
    params = estimator.get_params()
    twin = clone(estimator)
    assert twin is not estimator and twin.get_params() == params
    other = type(estimator)().set_params(**params)
    assert other.get_params() == params and repr(other) == repr(estimator)


@pytest.mark.parametrize("estimator", DIAGRAM_STEPS, ids=repr)
def test_fit_transform_equals_fit_then_transform(estimator, diagrams):
    once = clone(estimator).fit_transform(diagrams)
    twice = clone(estimator).fit(diagrams).transform(diagrams)
    assert once.shape == twice.shape and once.dtype == twice.dtype
    np.testing.assert_allclose(once, twice, rtol=1e-12, atol=0)
    fitted = clone(estimator).fit(diagrams)
    assert fitted.get_feature_names_out().shape == once.shape[1:] or once.ndim == 1
    assert fitted.n_features_out_ == (1 if once.ndim == 1 else once.shape[1])


@pytest.mark.parametrize("estimator", IMAGE_STEPS, ids=repr)
def test_image_steps_fit_transform_and_inputs(estimator, images):
    before = images.copy()
    once = clone(estimator).fit_transform(images)
    twice = clone(estimator).fit(images).transform(images)
    as_list = clone(estimator).fit_transform(list(images))
    assert np.array_equal(images, before)                  # the caller's images untouched
    if isinstance(estimator, CubicalPersistence):
        assert once == twice == as_list
        assert once == fasttopo.persistence_batch(images, **{k: v for k, v in
                                                             estimator.get_params().items()})
    else:
        assert np.array_equal(once, twice) and np.array_equal(once, as_list)
        assert once.dtype == np.float64 and once.min() == 0 and once.max() == 1


def test_init_stores_parameters_without_checking_them(images, diagrams):
    step = PersistenceImage(bandwidth=-1, resolution="x")          # no error here
    assert step.get_params()["bandwidth"] == -1
    with pytest.raises(ValueError, match=r"bandwidth must be positive and finite, got -1"):
        step.fit(diagrams)


BAD = [
    (lambda: HeightFiltration(direction=(0, 0)), "images", ValueError,
     r"direction must not be the zero vector, got \(0, 0\)"),
    (lambda: HeightFiltration(direction=(1, 0, 0)), "images", ValueError,
     r"direction must have one entry per image axis \(2 for 2D images\), got \(1, 0, 0\)"),
    (lambda: HeightFiltration(direction="up"), "images", TypeError, r"direction .* got 'up'"),
    (lambda: RadialFiltration(center=(1, np.nan)), "images", ValueError, r"center contains NaN"),
    (lambda: CubicalPersistence(max_dim=2), "images", ValueError, r"max_dim .* got 2"),
    (lambda: CubicalPersistence(connectivity=3), "images", ValueError,
     r"connectivity must be between 1 and image.ndim=2, got 3"),
    (lambda: CubicalPersistence(superlevel="yes"), "images", TypeError,
     r"superlevel must be True or False, got 'yes'"),
    (lambda: CubicalPersistence(n_jobs=0), "images", ValueError, r"n_jobs must be >= 1.* got 0"),
    (lambda: PersistenceImage(resolution=0), "diagrams", ValueError, r"resolution must be >= 1"),
    (lambda: PersistenceImage(range=(0, 1)), "diagrams", TypeError, r"range must be .*\(0, 1\)"),
    (lambda: PersistenceImage(weight="mass"), "diagrams", ValueError, r"weight .* got 'mass'"),
    (lambda: BettiCurve(dim=-1), "diagrams", ValueError, r"dim must be >= 0 .* got -1"),
    (lambda: BettiCurve(dim=5), "diagrams", ValueError, r"dim must be between 0 and 1 .* got 5"),
    (lambda: BettiCurve(dim=[0, 0]), "diagrams", ValueError, r"dim must not repeat .*\[0, 0\]"),
    (lambda: BettiCurve(dim="0"), "diagrams", TypeError, r"dim must be .* got '0'"),
    (lambda: BettiCurve(range=(3, 1)), "diagrams", ValueError, r"range must be finite with low"),
    (lambda: PersistenceLandscape(k=0), "diagrams", ValueError, r"k must be >= 1, got 0"),
    (lambda: DiagramHistogram(bins=(2, 3)), "diagrams", ValueError,
     r"reflect=True needs the same bins .* bins=\(2, 3\)"),
    (lambda: DiagramHistogram(count_cell=1), "diagrams", TypeError, r"count_cell must be True"),
    (lambda: DiagramCodes(packed="no"), "diagrams", TypeError, r"packed must be True or False"),
    (lambda: DiagramCodes(value_range=(0, 1)), "diagrams", ValueError, r"outside"),
    (lambda: DiagramDistance(metric="cosine"), "diagrams", ValueError,
     r"metric must be one of \['bottleneck', 'wasserstein'\], got 'cosine'"),
    (lambda: DiagramDistance(order=0.5), "diagrams", ValueError,
     r"order must be between 1 and .* got 0.5"),
    (lambda: DiagramDistance(dim=[0, 1]), "diagrams", TypeError, r"dim must be an int or None"),
    (lambda: DiagramDistance(kernel="rbf"), "diagrams", TypeError, r"kernel must be True or False"),
    (lambda: DiagramDistance(kernel=True, scale=-2), "diagrams", ValueError,
     r"scale must be None or a positive finite number, got -2"),
]


@pytest.mark.parametrize("make, data, error, match", BAD)
def test_bad_parameters_are_named_at_fit(make, data, error, match, request):
    estimator = make()                                  # accepted by __init__
    X = request.getfixturevalue(data)
    with pytest.raises(error, match=match):
        estimator.fit(X)


@pytest.mark.parametrize("X, error, match", [
    (np.zeros(5), ValueError, r"Reshape your data"),
    (np.zeros((3, 0)), ValueError, r"0 feature\(s\)"),
    ([], ValueError, r"at least one image"),
    ([np.zeros(3), np.zeros((3, 3))], ValueError, r"same ndim, got ndims \[1, 2\]"),
    (np.full((2, 3, 3), np.nan), ValueError, r"X contains NaN at index \(0, 0, 0\)"),
    ("abc", TypeError, r"X must be an \(n, ...\) array"),
    (np.zeros((2, 3, 3), dtype=complex), TypeError, r"real numeric or bool dtype"),
])
def test_bad_images_are_named(X, error, match):
    with pytest.raises(error, match=match):
        CubicalPersistence().fit(X)


def test_bad_diagram_collections_are_named(diagrams):
    with pytest.raises(TypeError, match=r"a single diagram: wrap it in a list"):
        BettiCurve().fit(diagrams[0])
    with pytest.raises(ValueError, match=r"at least one diagram"):
        BettiCurve().fit([])
    with pytest.raises(TypeError, match=r"X must be a PersistenceDiagram"):
        PersistenceImage().fit("abc")


def test_transform_before_fit_is_an_error(diagrams):
    from sklearn.exceptions import NotFittedError
    for step in DIAGRAM_STEPS:
        with pytest.raises(NotFittedError):
            clone(step).transform(diagrams)


# ------------------------------------------------------- equal to the functions
def test_vectorisers_equal_their_functions(diagrams):
    n = len(diagrams)
    # ranges learnt in fit are those the functions fit to the same diagrams
    assert np.array_equal(PersistenceImage(dim=1, resolution=5).fit_transform(diagrams),
                          fasttopo.persistence_image(diagrams, dim=1, resolution=5)
                          .reshape(n, -1))
    assert np.array_equal(BettiCurve(resolution=9).fit_transform(diagrams),
                          fasttopo.betti_curve(diagrams, resolution=9))
    assert np.array_equal(PersistenceLandscape(dim=0, k=3, resolution=6).fit_transform(diagrams),
                          fasttopo.persistence_landscape(diagrams, dim=0, k=3, resolution=6)
                          .reshape(n, -1))
    unit = ((0, 255), (0, 255))
    assert np.array_equal(DiagramHistogram(dim=0, bins=4, range=unit).fit_transform(diagrams),
                          fasttopo.diagram_histogram(diagrams, 4, unit, dim=0))
    # several dimensions: the blocks of each, each with its own learnt range, concatenated
    both = BettiCurve(dim=[1, 0], resolution=9).fit(diagrams)
    assert np.array_equal(both.transform(diagrams), np.hstack(
        [fasttopo.betti_curve(diagrams, dim=d, resolution=9) for d in (1, 0)]))
    assert both.ranges_[0] != both.ranges_[1]
    names = both.get_feature_names_out()
    assert names[0] == "dim1_t0" and names[-1] == "dim0_t8" and len(set(names)) == 18
    # a range given in part: the None entries are learnt (from the finite points)
    image = PersistenceImage(dim=0, range=(0, None, None, 100)).fit(diagrams)
    points = np.concatenate([d.to_pairs(0) for d in diagrams])
    points = points[np.isfinite(points).all(axis=1)]
    lifetimes = np.abs(points[:, 1] - points[:, 0])
    assert image.ranges_ == [(0, points[:, 0].max(), lifetimes.min(), 100)]


def test_learnt_ranges_apply_to_new_diagrams(diagrams):
    step = BettiCurve(dim=0, resolution=11).fit(diagrams[:10])
    low, high = step.ranges_[0]
    assert np.array_equal(step.transform(diagrams[10:]), fasttopo.betti_curve(
        diagrams[10:], dim=0, grid=np.linspace(low, high, 11)))


def test_diagram_codes(diagrams):
    codes = fasttopo.hash_diagrams(diagrams, dim=1, value_range=(0, 255))
    bits = DiagramCodes(dim=1, value_range=(0, 255)).fit_transform(diagrams)
    assert bits.shape == (len(diagrams), 64) and bits.dtype == np.uint8 and bits.max() == 1
    assert np.array_equal(fasttopo.pack_codes(bits)[:, 0], codes)
    packed = DiagramCodes(dim=[1, 0], value_range=(0, 255), packed=True).fit_transform(diagrams)
    assert packed.shape == (len(diagrams), 2) and np.array_equal(packed[:, 0], codes)
    # learnt range: (min, max) of the finite points; new points beyond it are clipped
    step = DiagramCodes(dim=0).fit(diagrams)
    finite = np.concatenate([d.to_pairs(0) for d in diagrams])
    finite = finite[np.isfinite(finite).all(axis=1)]
    assert step.value_ranges_ == [(finite.min(), finite.max())]
    beyond = np.array([[finite.min() - 50.0, finite.max() + 50.0]])
    inside = np.array([[finite.min(), finite.max()]])
    assert np.array_equal(step.transform([beyond]), step.transform([inside]))


def test_diagram_distance_and_kernel(diagrams):
    train, test = diagrams[:8], diagrams[8:13]
    step = DiagramDistance(order=2, dim=1, n_jobs=1).fit(train)
    matrix = step.transform(test)
    assert matrix.shape == (5, 8)
    assert matrix.tolist() == [[fasttopo.wasserstein_distance(a, b, order=2, dim=1)
                                for b in train] for a in test]
    kernel = DiagramDistance(metric="bottleneck", kernel=True, n_jobs=1).fit(train)
    square = fasttopo.pairwise_distances(train, "bottleneck", n_jobs=1)
    assert kernel.scale_ == np.median(square[np.triu_indices(8, 1)])
    distances = fasttopo.pairwise_distances(test, "bottleneck", Y=train, n_jobs=1)
    assert np.array_equal(kernel.transform(test), np.exp(-distances / kernel.scale_))
    assert DiagramDistance(kernel=True, scale=3.0, n_jobs=1).fit(train).scale_ == 3.0
    assert DiagramDistance(n_jobs=1).fit(train).scale_ is None


def test_height_filtration_is_the_directional_filtration():
    image = np.random.default_rng(3).random((7, 10))        # not square
    expected = fasttopo.directional_filtrations(image, 8)
    for k, theta in enumerate(2 * np.pi * np.arange(8) / 8):
        step = HeightFiltration(direction=(-np.sin(theta), np.cos(theta)))
        np.testing.assert_allclose(step.fit_transform(image[None])[0], expected[k],
                                   rtol=0, atol=1e-12)


def _height_reference(image, direction):
    """Pixel by pixel: coordinates from -1 to 1 on each axis, the height and the product
    rescaled to [0, 1]."""
    height = np.zeros(image.shape)
    for index in np.ndindex(*image.shape):
        height[index] = sum(w * (2 * i / (s - 1) - 1 if s > 1 else 0.0)
                            for w, i, s in zip(direction, index, image.shape))
    spread = height.max() - height.min()
    height = (height - height.min()) / spread if spread > 0 else np.zeros(image.shape)
    product = image * height
    spread = product.max() - product.min()
    return (product - product.min()) / spread if spread > 0 else np.zeros(image.shape)


def test_height_filtration_of_volumes_and_signals_against_a_reference():
    rng = np.random.default_rng(6)
    for shape, direction in (((4, 5, 6), (0.3, -1.0, 2.0)), ((4, 1, 6), (0, 1, 0)),
                             ((9,), (-1,)), ((5, 7), None)):
        image = rng.integers(0, 9, shape)
        expected = _height_reference(image, direction or np.eye(len(shape))[-1])
        out = HeightFiltration(direction=direction).fit_transform(image[None])[0]
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def _radial_reference(image, center):
    """Pixel by pixel: the image times the distance to the centre, both rescaled to [0, 1]."""
    distance = np.zeros(image.shape)
    for index in np.ndindex(*image.shape):
        distance[index] = np.sqrt(sum((i - c) ** 2 for i, c in zip(index, center)))
    distance = (distance - distance.min()) / (distance.max() - distance.min())
    product = image * distance
    return (product - product.min()) / (product.max() - product.min())


def test_radial_filtration_against_a_reference():
    rng = np.random.default_rng(4)
    for shape, center in (((6, 9), None), ((5, 4, 3), (0, 1, 2)), ((11,), (20.5,))):
        image = rng.random(shape)
        expected = _radial_reference(image, center or [(s - 1) / 2 for s in shape])
        out = RadialFiltration(center=center).fit_transform(image[None])[0]
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_image_lists_of_several_shapes_stay_lists():
    rng = np.random.default_rng(5)
    images = [rng.random((6, 6)), rng.random((4, 9))]
    out = HeightFiltration().fit_transform(images)
    assert isinstance(out, list) and [o.shape for o in out] == [(6, 6), (4, 9)]
    assert np.array_equal(out[1], HeightFiltration().fit_transform(images[1][None])[0])
    diagrams = CubicalPersistence(n_jobs=1).fit_transform(out)
    assert diagrams == fasttopo.persistence_batch(out)
    assert CubicalPersistence(n_jobs=2).fit_transform(out) == diagrams


# ------------------------------------------------------------ in scikit-learn
def test_pipeline_and_grid_search(images):
    X, y = blob_data(24, seed=1)
    pipe = make_pipeline(CubicalPersistence(superlevel=True, n_jobs=1),
                         BettiCurve(dim=0, resolution=16), LogisticRegression(max_iter=500))
    search = GridSearchCV(pipe, {"betticurve__resolution": [4, 16],
                                 "cubicalpersistence__connectivity": [1, 2]}, cv=2)
    search.fit(X, y)
    assert set(search.best_params_) == {"betticurve__resolution",
                                        "cubicalpersistence__connectivity"}
    X_test, y_test = blob_data(20, seed=2)
    # one bright blob or three: dimension 0 of the superlevel filtration counts them
    assert search.score(X_test, y_test) == 1.0


def test_feature_union_over_directions(images):
    directions = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    union = make_union(*[make_pipeline(HeightFiltration(direction=d),
                                       CubicalPersistence(n_jobs=1),
                                       BettiCurve(dim=[0, 1], resolution=5))
                         for d in directions])
    features = union.fit_transform(images)
    assert features.shape == (len(images), 4 * 10)
    single = make_pipeline(HeightFiltration(direction=(1, 0)), CubicalPersistence(n_jobs=1),
                           BettiCurve(dim=[0, 1], resolution=5)).fit_transform(images)
    assert np.array_equal(features[:, 10:20], single)
    names = union.get_feature_names_out()
    assert len(set(names)) == 40 and names[10] == "pipeline-2__dim0_t0"


@pytest.mark.parametrize("kernel", [False, True])
def test_precomputed_neighbours_and_svm(kernel):
    X, y = blob_data(20, seed=3)
    X_test, y_test = blob_data(12, seed=4)
    distance = DiagramDistance(dim=0, kernel=kernel, n_jobs=1)
    final = (SVC(kernel="precomputed") if kernel
             else KNeighborsClassifier(n_neighbors=3, metric="precomputed"))
    pipe = make_pipeline(CubicalPersistence(superlevel=True, n_jobs=1), distance, final)
    predicted = pipe.fit(X, y).predict(X_test)
    # the same by hand, from the distance matrices
    train = fasttopo.persistence_batch(X, superlevel=True)
    test = fasttopo.persistence_batch(X_test, superlevel=True)
    D = fasttopo.pairwise_distances(train, "wasserstein", dim=0, n_jobs=1)
    D_test = fasttopo.pairwise_distances(test, "wasserstein", Y=train, dim=0, n_jobs=1)
    if kernel:
        scale = np.median(D[np.triu_indices(len(D), 1)])
        D, D_test = np.exp(-D / scale), np.exp(-D_test / scale)
    by_hand = clone(final).fit(D, y).predict(D_test)
    assert np.array_equal(predicted, by_hand) and (predicted == y_test).mean() == 1.0


def test_set_output_pandas(diagrams, images):
    pd = pytest.importorskip("pandas")
    frame = BettiCurve(dim=[0, 1], resolution=4).set_output(transform="pandas") \
        .fit_transform(diagrams)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns)[:2] == ["dim0_t0", "dim0_t1"]
    # a whole pipeline: the image steps accept it and pass their images and diagrams on
    pipe = make_pipeline(HeightFiltration(), CubicalPersistence(n_jobs=1),
                         make_union(PersistenceImage(dim=0, resolution=2), DiagramCodes()))
    frame = pipe.set_output(transform="pandas").fit_transform(images)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (len(images), 4 + 64)
    assert frame.columns[0] == "persistenceimage__dim0_lifetime0_birth0"
    distances = DiagramDistance(n_jobs=1).set_output(transform="pandas").fit(diagrams[:3])
    assert list(distances.transform(diagrams).columns) == ["distance0", "distance1",
                                                           "distance2"]


def test_set_output_default_and_unknown(images):
    pipe = make_pipeline(RadialFiltration(), CubicalPersistence(n_jobs=1), BettiCurve())
    assert isinstance(pipe.set_output(transform="default").fit_transform(images), np.ndarray)
    with pytest.raises(ValueError, match=r"transform must be .* got 'excel'"):
        HeightFiltration().set_output(transform="excel")


def test_missing_sklearn_is_one_line():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "try:\n    import fasttopo.sklearn\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == ('fasttopo.sklearn needs scikit-learn, which is not installed: '
                                  'pip install "fasttopo[ml]"'), out.stderr


def test_feature_names(diagrams):
    names = DiagramHistogram(dim=[0, 1], bins=2).fit(diagrams).get_feature_names_out()
    assert names.tolist()[:5] == ["dim0_birth0_death0", "dim0_birth0_death1",
                                  "dim0_birth1_death0", "dim0_birth1_death1", "dim0_count"]
    assert len(names) == 10
    image = PersistenceImage(resolution=(3, 2)).fit(diagrams)   # 3 births, 2 lifetimes
    assert image.get_feature_names_out().tolist() == [
        f"all_lifetime{i}_birth{j}" for i in range(2) for j in range(3)]
    landscape = PersistenceLandscape(dim=1, k=2, resolution=3).fit(diagrams)
    assert landscape.get_feature_names_out()[3] == "dim1_k2_t0"
    assert DiagramCodes(dim=[0, 1], packed=True).fit(diagrams).get_feature_names_out() \
        .tolist() == ["dim0_code", "dim1_code"]
    assert HeightFiltration().get_feature_names_out().size == 0
