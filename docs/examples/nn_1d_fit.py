"""Fit a 1D weight vector with a topological penalty against TV (TopologyLayer, Fig. 6).

Linear regression ``y = X beta0 + noise`` with fewer samples than weights
(``n = 60 < p = 100``): least squares alone is underdetermined.  The
weights ``beta0`` have three peaks.  We compare two penalties on ``beta``:

* topological: total persistence of the superlevel dimension-0 diagram of
  ``beta`` as a 1D signal, all bars but the ``peaks - 1`` longest finite
  ones (with the essential class: ``peaks`` maxima are free);
* total variation ``sum |beta[i+1] - beta[i]|``.
"""

import numpy as np
import torch

import fasttopo.nn as tnn


def problem(p=100, n=60, peaks=3, sigma=0.1, kind="sinusoid", seed=0):
    """``X`` (n, p), ``y`` (n,) and the true weights ``beta0`` (p,)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, p)
    if kind == "sinusoid":
        beta0 = np.cos((2 * peaks - 1) * np.pi * t)
    else:  # boxcars
        beta0 = 2.0 * (np.mod(t * peaks, 1) > 0.5) - 1.0
    X = rng.standard_normal((n, p))
    return X, X @ beta0 + sigma * rng.standard_normal(n), beta0


def topological_penalty(beta, peaks):
    dgms = tnn.persistence(beta, max_dim=0, superlevel=True)
    return tnn.total_persistence(dgms, skip=peaks - 1)


def tv_penalty(beta, peaks):
    return (beta[1:] - beta[:-1]).abs().sum()


def fit(X, y, penalty=None, lam=0.0, peaks=3, steps=400, lr=0.02):
    """Mean squared residual + lam * penalty, by Adam from the least-squares solution."""
    X, y = torch.tensor(X), torch.tensor(y)
    start = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    beta = torch.tensor(start, requires_grad=True)
    if penalty is None:
        return start
    opt = torch.optim.Adam([beta], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((X @ beta - y) ** 2).mean() + lam * penalty(beta, peaks)
        loss.backward()
        opt.step()
    return beta.detach().numpy()


def errors(X, y, beta0, lams, peaks=3, steps=400):
    """Mean squared error of the weights for each penalty and lambda."""
    out = {"least squares": [np.mean((fit(X, y) - beta0) ** 2)] * len(lams)}
    for name, penalty in (("topological", topological_penalty), ("TV", tv_penalty)):
        out[name] = [np.mean((fit(X, y, penalty, lam, peaks, steps) - beta0) ** 2)
                     for lam in lams]
    return out


if __name__ == "__main__":
    import matplotlib.pyplot as plt

    X, y, beta0 = problem()
    lams = [0.01, 0.1, 1.0]
    mse = errors(X, y, beta0, lams)
    colors = {"least squares": "0.6", "topological": "C0", "TV": "C1"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    left.plot(beta0, "k", lw=2, label="true")
    left.plot(fit(X, y), color=colors["least squares"], lw=1, label="least squares")
    left.plot(fit(X, y, topological_penalty, 1.0), color=colors["topological"],
              label="topological, lam=1")
    left.plot(fit(X, y, tv_penalty, 1.0), color=colors["TV"], label="TV, lam=1")
    left.set_ylim(-2.5, 2.5)
    left.legend(fontsize=8)
    for name, values in mse.items():
        right.loglog(lams, values, "o-", color=colors[name], label=name)
    right.set_xlabel("lambda")
    right.set_ylabel("MSE of the weights")
    right.legend(fontsize=8)
    fig.tight_layout()
