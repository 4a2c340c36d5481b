"""Topological features in a scikit-learn Pipeline, tuned by GridSearchCV, beside pixels.

Two image classification tasks, each solved by the same classifier (a
standardised RBF support vector machine, its ``C`` and the vectorisation
tuned by ``GridSearchCV`` with 3-fold cross-validation on the training set)
fed with

* **pixels**: the raw grey levels;
* **topology**: Betti curves (or persistence landscapes, whichever the
  search prefers) of persistence diagrams, through :mod:`fasttopo.sklearn`;
* **topology + pixels**: both, side by side (a ``FeatureUnion``);
* for the textures also **grey-level histogram**: 16 bins, mean and
  standard deviation, a simple non-topological feature.

The tasks:

* **digits**: ``sklearn.datasets.load_digits`` (1,797 images of 8 x 8),
  half for training, half for testing (stratified).  The topological
  features are those of the TopologyLayer paper's directional filtrations
  (8 directions, :class:`~fasttopo.sklearn.HeightFiltration`) and a radial
  one (:class:`~fasttopo.sklearn.RadialFiltration`): dimensions 0 and 1 of
  each, a FeatureUnion of nine pipelines;
* **textures**: 32 x 32 patches of ``skimage.data`` brick, grass and gravel
  (512 x 512 each).  Training patches come from the top three quarters of
  each image, test patches from the bottom quarter, so that no test patch
  overlaps a training patch.  The topological features are dimensions 0
  and 1 of the sublevel and the superlevel filtration of the patch.

Every step runs on one thread (``n_jobs=1``); times are wall-clock seconds
of the whole search (every candidate and fold, then the refit), of the refit
alone, and of the prediction of the test set.

    python docs/examples/sklearn_pipeline.py --figure docs/examples/sklearn_pipeline.png
    python docs/examples/sklearn_pipeline.py --quick      # seconds (the tests run it)
"""

import argparse
import time

import numpy as np
import skimage.data
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from fasttopo.sklearn import (BettiCurve, CubicalPersistence, HeightFiltration,
                              PersistenceLandscape, RadialFiltration)

TEXTURES = ("brick", "grass", "gravel")
PATCH = 32
CS = (1.0, 10.0, 100.0)


# ------------------------------------------------------------------ data
def digits(quick=False):
    """``(X_train, y_train, X_test, y_test)``: 8 x 8 digit images, half for testing."""
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)
    if quick:
        keep = np.random.default_rng(0).choice(len(X), 360, replace=False)
        X, y = X[keep], y[keep]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, stratify=y,
                                                        random_state=0)
    return X_train, y_train, X_test, y_test


def patches(image, rows, size=PATCH):
    """Non-overlapping ``size`` x ``size`` patches of ``image[rows]``."""
    region = image[rows]
    h, w = region.shape[0] // size * size, region.shape[1] // size * size
    tiles = region[:h, :w].reshape(h // size, size, w // size, size).swapaxes(1, 2)
    return tiles.reshape(-1, size, size)


def textures(quick=False):
    """``(X_train, y_train, X_test, y_test)``: patches of brick, grass and gravel.

    Training patches tile rows 0-383 of each image, test patches rows
    384-511: the two sets never share a pixel.
    """
    train, test, y_train, y_test = [], [], [], []
    for label, name in enumerate(TEXTURES):
        image = getattr(skimage.data, name)()
        cut = image.shape[0] * 3 // 4
        a, b = patches(image, slice(0, cut)), patches(image, slice(cut, None))
        if quick:
            a, b = a[::4], b[::2]
        train.append(a)
        test.append(b)
        y_train += [label] * len(a)
        y_test += [label] * len(b)
    return np.concatenate(train), np.array(y_train), np.concatenate(test), np.array(y_test)


# ------------------------------------------------------------------ features
def flatten(X):
    return np.asarray(X, dtype=np.float64).reshape(len(X), -1)


def grey_histogram(X):
    """16-bin grey-level histogram (fractions), mean and standard deviation of each patch."""
    X = flatten(X)
    hist = np.stack([np.histogram(x, bins=16, range=(0, 256))[0] for x in X]) / X.shape[1]
    return np.column_stack([hist, X.mean(axis=1), X.std(axis=1)])


def branch(filtration=None, superlevel=False):
    """Image -> (filtration) -> diagrams of dimensions 0 and 1 -> Betti curves."""
    steps = [] if filtration is None else [("filtration", filtration)]
    steps += [("persistence", CubicalPersistence(superlevel=superlevel, n_jobs=1)),
              ("vectorise", BettiCurve(dim=[0, 1]))]
    return Pipeline(steps)


def directional_topology(n_directions=8):
    """Paper 001's directional filtrations and a radial one, each a branch of a FeatureUnion."""
    angles = 2 * np.pi * np.arange(n_directions) / n_directions
    branches = [(f"direction{k}", branch(HeightFiltration(direction=(-np.sin(t), np.cos(t)))))
                for k, t in enumerate(angles)]
    return FeatureUnion(branches + [("radial", branch(RadialFiltration()))])


def level_topology():
    """The sublevel and the superlevel filtration of the image itself."""
    return FeatureUnion([("sublevel", branch()), ("superlevel", branch(superlevel=True))])


def model(features):
    return Pipeline([("features", features), ("scale", StandardScaler()), ("svc", SVC())])


def grid(topology_path, topology, vectorisers, Cs):
    """One grid per vectoriser, set on every branch of the topology at once, times C."""
    if topology is None:
        return {"svc__C": list(Cs)}
    grids = []
    for vectoriser in vectorisers:
        one = {"svc__C": list(Cs)}
        one.update({f"{topology_path}__{name}__vectorise": [clone(vectoriser)]
                    for name, _ in topology.transformer_list})
        grids.append(one)
    return grids


def methods(topology, simple=None):
    """``name -> (pipeline, path of the topology in it or None)``."""
    pixels = FunctionTransformer(flatten)
    out = {"pixels": (model(pixels), None)}
    if simple is not None:
        out["grey-level histogram"] = (model(FunctionTransformer(simple)), None)
    out["topology"] = (model(topology), "features")
    out["topology + pixels"] = (model(FeatureUnion([("topology", clone(topology)),
                                                    ("pixels", clone(pixels))])),
                                "features__topology")
    return out


# ------------------------------------------------------------------ experiment
def describe(params):
    """The chosen vectoriser (once) and C."""
    vectoriser = next((v for k, v in params.items() if k.endswith("__vectorise")), None)
    text = f"C={params['svc__C']:g}"
    if vectoriser is not None:
        text = f"{type(vectoriser).__name__}(resolution={vectoriser.resolution}), " + text
    return text


def evaluate(data, topology, vectorisers, Cs, simple=None):
    """Tune, fit and score each method; a row of results per method."""
    X_train, y_train, X_test, y_test = data
    rows = []
    for name, (pipeline, path) in methods(topology, simple).items():
        search = GridSearchCV(pipeline, grid(path, topology if path else None, vectorisers, Cs),
                              cv=3, n_jobs=1)
        start = time.perf_counter()
        search.fit(X_train, y_train)
        search_s = time.perf_counter() - start
        start = time.perf_counter()
        accuracy = search.score(X_test, y_test)
        predict_s = time.perf_counter() - start
        rows.append(dict(method=name, accuracy=float(accuracy), cv=float(search.best_score_),
                         search_s=search_s, fit_s=float(search.refit_time_),
                         predict_s=predict_s, candidates=len(search.cv_results_["params"]),
                         best=describe(search.best_params_)))
    return rows


def print_table(title, data, rows):
    print(f"\n{title}: {len(data[0])} training, {len(data[2])} test images")
    print(f"{'method':<22} {'test acc.':>9} {'cv acc.':>8} {'search s':>9} {'fit s':>7} "
          f"{'predict s':>9}  chosen")
    for r in rows:
        print(f"{r['method']:<22} {r['accuracy']:>9.3f} {r['cv']:>8.3f} {r['search_s']:>9.2f} "
              f"{r['fit_s']:>7.2f} {r['predict_s']:>9.3f}  {r['best']}")


def figure(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 3.8))
    for ax, (title, rows) in zip(np.atleast_1d(axes), results.items()):
        names = [r["method"] for r in rows]
        accuracy = [r["accuracy"] for r in rows]
        bars = ax.barh(names, accuracy, color=["0.6" if "topology" not in n else "tab:blue"
                                                for n in names])
        for bar, r in zip(bars, rows):
            ax.text(0.01, bar.get_y() + bar.get_height() / 2,
                    f"{r['accuracy']:.3f}   fit {r['fit_s']:.2f} s", va="center",
                    color="white", fontsize=9)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_xlabel("test accuracy")
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sets and grids (seconds)")
    parser.add_argument("--figure", default=None, help="write the figure to this path")
    args = parser.parse_args(argv)
    quick = args.quick
    resolutions = (8,) if quick else (16, 32)
    curves = [BettiCurve(dim=[0, 1], resolution=r) for r in resolutions]
    landscapes = [PersistenceLandscape(dim=[0, 1], k=3, resolution=r) for r in resolutions]
    Cs = CS[:2] if quick else CS
    results = {}
    data = digits(quick)
    results["digits"] = evaluate(data, directional_topology(4 if quick else 8), curves, Cs)
    print_table("digits (8 x 8)", data, results["digits"])
    data = textures(quick)
    results["textures"] = evaluate(data, level_topology(), curves + landscapes, Cs,
                                   simple=grey_histogram)
    print_table("brick / grass / gravel (32 x 32 patches)", data, results["textures"])
    if args.figure:
        figure(results, args.figure)
    return results


if __name__ == "__main__":
    main()
