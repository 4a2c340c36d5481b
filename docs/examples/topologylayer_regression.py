"""Topological priors for regression against L1, L2, TV, TV2 (TopologyLayer, Fig. 6).

Linear regression ``y = X beta* + noise`` with ``p = 100`` weights and ``n``
samples (rows of ``X`` standard normal, noise sigma = 0.1), fitted as in
the paper's code: ``mean((X beta - y)**2) + lam * penalty(beta)``, 200
Adam steps (lr 0.1) from the least-squares solution.  The true weights:

* ``"{-1,0,1}"`` and ``"{1,2,3}"``: each weight drawn from three values
  (the paper's two Rips problems).  **Top1** is the sum of all finite bar
  lengths of the Rips dimension-0 diagram of the weights *as points on
  the line* (``E(1, 0, 2; PD0)``, one cluster), **Top2** all but the two
  longest (``E(1, 0, 4; PD0)``, three clusters: the true structure);
* ``"sinusoid"``: ``cos(5 pi t)``, three maxima along the vector; Top1 and
  Top2 use the superlevel dimension-0 diagram of the weights *as a 1D
  signal* (one maximum / three maxima).

Penalties as in the paper's code: L1 ``||beta||_1``, L2 ``||beta||_2``
(norms, not squared), TV ``||diff(beta)||_1``, TV2 ``||diff(beta)||_2``,
Top1, Top2.  For each ``n`` the weight ``lam`` of each penalty is chosen by
2-fold cross-validation of the held-out residual from a log grid (the
paper's code picks it with the true weights, over 50 draws); the score is
``||beta - beta*||**2`` averaged over a few draws of ``X`` and the noise.

Run ``python topologylayer_regression.py`` (full) or ``--quick``.
"""

import argparse
import sys
import time

import numba
import numpy as np
import torch

import fasttopo.nn as tnn
from _gallery import rst_table, write_tables  # docs/examples is on the path

P = 100
LAMS = tuple(np.logspace(-3, 0, 4))
PENALTIES = ("L1", "L2", "TV", "TV2", "Top1", "Top2")
SIGNALS = ("{-1,0,1}", "{1,2,3}", "sinusoid")


def true_weights(kind, p=P, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "sinusoid":
        return np.cos(5 * np.pi * np.linspace(0, 1, p))
    values = [float(v) for v in kind.strip("{}").split(",")]
    return rng.choice(values, p)


def data(beta, n, sigma=0.1, seed=0):
    rng = np.random.default_rng([seed, n])
    X = rng.standard_normal((n, len(beta)))
    return X, X @ beta + sigma * rng.standard_normal(n)


def penalty(name, beta, signal):
    if name == "L1":
        return beta.abs().sum()
    if name == "L2":
        return beta.norm()
    diff = beta[1:] - beta[:-1]
    if name == "TV":
        return diff.abs().sum()
    if name == "TV2":
        return diff.norm()
    skip = 0 if name == "Top1" else 2
    if signal == "sinusoid":                 # the weights as a 1D signal: maxima
        dgms = tnn.persistence(beta, max_dim=0, superlevel=True)
    else:                                    # the weights as points on the line: clusters
        dgms = tnn.rips_persistence(beta[:, None])
    return tnn.total_persistence(dgms, skip=skip)


def fit(X, y, name=None, lam=0.0, signal=None, steps=200, lr=0.1):
    start = np.linalg.lstsq(X, y, rcond=1e-4)[0]
    if name is None:
        return start
    X, y = torch.tensor(X), torch.tensor(y)
    beta = torch.tensor(start, requires_grad=True)
    opt = torch.optim.Adam([beta], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((X @ beta - y) ** 2).mean() + lam * penalty(name, beta, signal)
        loss.backward()
        opt.step()
    return beta.detach().numpy()


def cross_validated(X, y, name, signal, lams, folds=3, steps=200):
    """The lam of the grid with the smallest held-out residual, then a fit on all samples."""
    if len(lams) == 1:
        return lams[0]
    idx = np.arange(len(y)) % folds
    scores = []
    for lam in lams:
        err = 0.0
        for f in range(folds):
            beta = fit(X[idx != f], y[idx != f], name, lam, signal, steps)
            err += np.mean((X[idx == f] @ beta - y[idx == f]) ** 2)
        scores.append(err)
    return lams[int(np.argmin(scores))]


def run(ns, kinds=SIGNALS, lams=LAMS, steps=200, folds=3, draws=3):
    """{kind: {penalty: [(n, error, lam), ...]}}, 'none' the least-squares fit.

    ``lam`` by cross-validation on the first draw; ``error`` is
    ``||beta - beta*||**2`` averaged over ``draws`` draws of X and noise.
    """
    out = {}
    for kind in kinds:
        beta0 = true_weights(kind)
        res = {"none": []}
        res.update({name: [] for name in PENALTIES})
        for n in ns:
            problems = [data(beta0, n, seed=d) for d in range(draws)]
            err = np.mean([np.sum((fit(X, y) - beta0) ** 2) for X, y in problems])
            res["none"].append((n, float(err), 0.0))
            for name in PENALTIES:
                lam = cross_validated(*problems[0], name, kind, lams, folds, steps)
                err = np.mean([np.sum((fit(X, y, name, lam, kind, steps) - beta0) ** 2)
                               for X, y in problems])
                res[name].append((n, float(err), lam))
        out[kind] = res
    return out


LABELS = {"none": "least sq."}


def table(results):
    """The page's rst table: ||beta - beta*||^2 per penalty (lam chosen by CV), best in bold."""

    names = list(next(iter(results.values())))
    rows = []
    for kind, res in results.items():
        for i, (n, _, _) in enumerate(res["none"]):
            errors = {name: res[name][i][1] for name in names}
            best = min(errors.values())
            cells = [f"{errors[name]:.3g}" for name in names]
            cells = [f"**{c}**" if errors[name] == best else c for c, name in zip(cells, names)]
            lams = [f"{res[name][i][2]:.0e}" for name in names if name != "none"]
            rows.append([f"{kind}, {n}", *cells, " ".join(lams)])
    header = ["weights, n", *(LABELS.get(name, name) for name in names),
              "lam (" + ", ".join(name for name in names if name != "none") + ")"]
    return rst_table(header, rows)


def figure(results):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 3.4))
    for ax, (kind, res) in zip(np.atleast_1d(axes), results.items()):
        for name, rows in res.items():
            ns, mse = [r[0] for r in rows], [r[1] for r in rows]
            style = "-o" if name.startswith("Top") else "--."
            ax.semilogy(ns, mse, style, label="least squares" if name == "none" else name)
        ax.set_xlabel("n (samples)")
        ax.set_ylabel("||beta - beta*||^2")
        ax.set_title(f"true weights: {kind}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one n, one lam, 30 steps, 1 draw")
    parser.add_argument("--figure", default=None)
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/examples/tables/ (the page includes it)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    # one Numba thread too: the spinning OpenMP workers of Numba's parallel kernels
    # otherwise slow torch's own CPU kernels down many times in the same process
    numba.set_num_threads(1)
    start = time.perf_counter()
    if args.quick:
        results = run(ns=(80,), lams=(0.1,), steps=30, draws=1)
    else:
        results = run(ns=(30, 70, 110), folds=2, draws=2)
    print(table(results))
    print(f"{time.perf_counter() - start:.1f} s")
    if args.figure:
        figure(results).savefig(args.figure, dpi=100)
    if args.write:
        write_tables(f"topologylayer_regression.{'quick' if args.quick else 'full'}",
                     "topologylayer_regression.py", list(sys.argv[1:] if argv is None else argv),
                     [("``||beta - beta*||^2`` (bold: the best of the row); the ``lam`` chosen "
                       "by cross-validation:", table(results))])
    return results


if __name__ == "__main__":
    main()
