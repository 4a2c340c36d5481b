"""The --quick run of the scikit-learn pipeline example (docs/examples/sklearn_pipeline.py)."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from helpers.examples import load_example  # noqa: E402


def test_pipeline_example_quick():
    ex = load_example("sklearn_pipeline")
    results = ex.main(["--quick"])
    assert set(results) == {"digits", "textures"}
    for rows in results.values():
        for r in rows:
            assert 0 <= r["accuracy"] <= 1 and 0 <= r["cv"] <= 1
            assert r["search_s"] >= r["fit_s"] > 0 and r["predict_s"] > 0
    textures = {r["method"]: r for r in results["textures"]}
    assert list(textures) == ["pixels", "grey-level histogram", "topology", "topology + pixels"]
    # the page's claim: on texture patches, topology beats pixels and grey-level histograms
    assert textures["topology"]["accuracy"] > textures["grey-level histogram"]["accuracy"] + 0.1
    assert textures["topology"]["accuracy"] > textures["pixels"]["accuracy"] + 0.1
    assert [r["method"] for r in results["digits"]] == ["pixels", "topology",
                                                        "topology + pixels"]


def test_pipeline_example_splits_textures_by_region():
    ex = load_example("sklearn_pipeline")
    X_train, y_train, X_test, y_test = ex.textures()
    assert X_train.shape == (3 * 192, 32, 32) and X_test.shape == (3 * 64, 32, 32)
    assert np.bincount(y_train).tolist() == [192] * 3 and np.bincount(y_test).tolist() == [64] * 3
    brick = skimage_image("brick")
    # training patches tile the top three quarters, test patches the bottom quarter
    assert np.array_equal(X_train[0], brick[:32, :32])
    assert np.array_equal(X_train[191], brick[352:384, 480:512])
    assert np.array_equal(X_test[0], brick[384:416, :32])
    assert np.array_equal(X_test[63], brick[480:512, 480:512])


def skimage_image(name):
    import skimage.data
    return getattr(skimage.data, name)()
