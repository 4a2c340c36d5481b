"""The two fasttopo.nn examples of the docs, run at small size; their claims are checked."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from helpers.examples import load_example  # noqa: E402


def test_digit_denoising_to_one_maximum():
    ex = load_example("nn_digit_denoising")
    clean, noisy = ex.noisy_digit(upsample=1)            # 8x8
    assert ex.n_maxima(noisy) >= 4
    one = ex.denoise(noisy, lam=2.0, skip=0, steps=100)
    two = ex.denoise(noisy, lam=2.0, skip=1, steps=100)
    assert ex.n_maxima(one) == 1
    assert ex.n_maxima(two) == 2
    for result in (one, two):
        assert np.mean((result - clean) ** 2) < np.mean((noisy - clean) ** 2)


def test_1d_fit_topological_penalty():
    ex = load_example("nn_1d_fit")
    X, y, beta0 = ex.problem(p=40, n=25)
    mse = ex.errors(X, y, beta0, [0.1, 1.0], steps=200)
    least_squares = mse["least squares"][0]
    assert max(mse["topological"]) < 0.5 * least_squares
    assert mse["topological"][1] < mse["TV"][1]            # lambda = 1: TV shrinks the peaks
    beta = ex.fit(X, y, ex.topological_penalty, 1.0, steps=200)
    import fasttopo
    dgm = fasttopo.persistence(beta, superlevel=True)
    # three maxima survive the penalty, the others are flattened
    assert np.sum(dgm.finite().lifetime > 0.1) <= 2
