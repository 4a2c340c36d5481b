"""Train the diagram hashers shipped in fasttopo/models/ (seeded: a re-run gives the same bytes).

The threshold-code models of :func:`fasttopo.hash_diagrams`, one per homology
dimension (``diagram_hasher_dim0.npz``, ``diagram_hasher_dim1.npz``):

1. training diagrams (``scripts/hashing_data.py``): patches of the training
   images of issue 25 (left three quarters of the large ones) in four
   regimes (plain, intensity-changed, small and intensity-changed,
   synthetic); ``PAIRS_PER_REGIME`` random pairs within each regime and
   their exact W1;
2. one :class:`fasttopo.DiagramHasher` (``method="betti"``, Betti numbers and
   lifetime counts) per configuration of ``CONFIGS``: the regimes whose pairs
   are used, one pooled correlation or the mean of the regimes'
   correlations as the objective (``groups``), the resolution of the cuts;
3. model selection on held-out patches of the *training* images only (their
   right quarter: plain, under an intensity change, small): the
   configuration with the largest mean over these sets of Spearman rho and
   the Fowlkes-Mallows score (:meth:`DiagramHasher.score`) is written, with
   every configuration's scores in its ``info``.

``--paper`` re-makes the baseline of the paper's method
(``diagram_hasher_paper_64.npz``: Qin, Fasy, Wenk, Summa, IEEE VIS 2021,
https://doi.org/10.1109/TVCG.2021.3114872; synthetic diagrams of 4 to 48
points, count probability proportional to 1 / count, 750 steps; torch, one
thread, deterministic algorithms).

    python scripts/train_diagram_hasher.py --cache /tmp/w1   # both models (~40 min, 1 core)
    python scripts/train_diagram_hasher.py --dim 1           # one of them
    python scripts/train_diagram_hasher.py --paper           # the baseline (~5 min, torch)
    python scripts/train_diagram_hasher.py --quick --out-dir /tmp/h    # seconds (tests)
"""

import argparse
import hashlib
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import hashing_data  # noqa: E402

import fasttopo  # noqa: E402
from fasttopo import DiagramHasher  # noqa: E402
from fasttopo.hashing.features import exact_w1  # noqa: E402
from fasttopo.hashing.thresholds import random_pairs  # noqa: E402

SEED = 20250125
PAPER_SEED = 20211024
PAPER_STEPS = 750
PAIRS_PER_REGIME = 15_000
FEATURES = ("betti", "lifetime")
#: regimes whose pairs are used (hashing_data.REGIMES)
DATA = {"plain": ("plain",), "real": ("plain", "changed", "small"),
        "all": ("plain", "changed", "small", "synthetic")}
#: (data, objective: one pooled correlation or the mean over the regimes, resolution)
CONFIGS = [("plain", "pooled", 100), ("plain", "pooled", 200)] + [
    (data, objective, resolution) for data in ("real", "all")
    for objective in ("pooled", "regimes") for resolution in (100, 200)]
MODELS = pathlib.Path(__file__).resolve().parents[1] / "fasttopo" / "models"


def paper_counts():
    """Point counts 4..48, each repeated so that P(count) is proportional to 1 / count."""
    values = np.arange(4, 49)
    return np.repeat(values, np.round(4800 / values).astype(int))


def cached(cache, name, arrays, compute):
    """``compute()``, stored in ``cache`` under a digest of ``arrays`` (None: no cache)."""
    if not cache:
        return compute()
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() + b"|"
                                     for a in arrays)).hexdigest()[:20]
    path = pathlib.Path(cache) / f"{name}_{digest}.npy"
    if path.exists():
        return np.load(path)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, value)
    return value


def regime_pairs(regime, n_pairs, rng):
    """``n_pairs`` random pairs within each regime, and the regime of each pair."""
    pairs, groups = [], []
    for r in range(int(regime.max()) + 1):
        members = np.flatnonzero(regime == r)
        pairs.append(members[random_pairs(len(members), n_pairs, rng)])
        groups.append(np.full(len(pairs[-1]), r))
    return np.vstack(pairs), np.concatenate(groups)


def train_dim(dim, *, quick=False, cache=None, out_dir=MODELS, log=print):
    start = time.perf_counter()
    sizes = dict(n_large=6, n_small=4, n_synthetic=20) if quick else {}
    train, regime = hashing_data.training_set(dim, SEED, **sizes)
    selection = hashing_data.selection_sets(
        dim, SEED, **(dict(n_large=3, n_small=2) if quick else {}))
    rng = np.random.default_rng([SEED, dim, 2])
    pairs, groups = regime_pairs(regime, 100 if quick else PAIRS_PER_REGIME, rng)
    w1 = cached(cache, f"pairs_dim{dim}", train + [pairs],
                lambda: np.array([exact_w1(train[i], train[j]) for i, j in pairs]))
    sel_w1 = {k: cached(cache, f"select_dim{dim}_{k}", v,
                        lambda v=v: fasttopo.pairwise_distances(v, "wasserstein", n_jobs=1))
              for k, v in selection.items()}
    log(f"dim {dim}: {len(train)} training diagrams, {len(pairs)} pairs, selection "
        f"{ {k: len(v) for k, v in selection.items()} } ({time.perf_counter() - start:.0f} s)")
    results, best = [], None
    ks = (2,) if quick else (4, 6, 8)
    for data, objective, resolution in (CONFIGS[-1:] if quick else CONFIGS):
        keep = np.isin(groups, [hashing_data.REGIMES.index(r) for r in DATA[data]])
        hasher = DiagramHasher(64, dim=dim, resolution=resolution, features=FEATURES,
                               random_state=SEED, progress=False)
        hasher.fit(train, pairs=pairs[keep], distances=w1[keep],
                   groups=groups[keep] if objective == "regimes" else None)
        scores = {k: hasher.score(v, distances=sel_w1[k], ks=ks) for k, v in selection.items()}
        value = float(np.mean([[s["spearman"], s["fowlkes_mallows"]] for s in scores.values()]))
        value = value if np.isfinite(value) else -np.inf      # constant codes: rho undefined
        row = {"data": data, "objective": objective, "resolution": resolution,
               "selection": round(value, 4),
               **{f"{k}_{m}": round(s[key], 4) for k, s in scores.items()
                  for m, key in (("rho", "spearman"), ("fms", "fowlkes_mallows"))}}
        results.append(row)
        log(f"  {row}")
        if best is None or value > best[0]:
            best = (value, hasher, row)
    _, hasher, row = best
    hasher.info_.update({"script": "scripts/train_diagram_hasher.py", "seed": SEED,
                         "chosen": row, "configurations": results})
    path = pathlib.Path(out_dir) / f"diagram_hasher_dim{dim}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    hasher.save(path)
    log(f"dim {dim}: chose {row} -> {path} ({time.perf_counter() - start:.0f} s)")
    return hasher


def train_paper(*, quick=False, out_dir=MODELS, progress=True, log=print):
    start = time.perf_counter()
    hasher = DiagramHasher(64, method="paper", n_steps=20 if quick else PAPER_STEPS,
                           batch_size=64, learning_rate=1e-3, random_state=PAPER_SEED,
                           progress=progress)
    hasher.fit(n_points=paper_counts())
    hasher.info_.update({"script": "scripts/train_diagram_hasher.py --paper",
                         "seed": PAPER_SEED})
    path = pathlib.Path(out_dir) / "diagram_hasher_paper_64.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    hasher.save(path)
    log(f"paper's method: {hasher.n_steps} steps -> {path} "
        f"({time.perf_counter() - start:.0f} s)")
    return hasher


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, choices=(0, 1), action="append",
                        help="the dimension(s) to train (default both)")
    parser.add_argument("--paper", action="store_true", help="the paper's baseline instead")
    parser.add_argument("--quick", action="store_true", help="tiny sets (a smoke test)")
    parser.add_argument("--cache", default=None, help="folder caching the W1 of the pairs")
    parser.add_argument("--out-dir", default=str(MODELS))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.paper:
        return train_paper(quick=args.quick, out_dir=args.out_dir,
                           progress=not args.no_progress)
    return {dim: train_dim(dim, quick=args.quick, cache=args.cache, out_dir=args.out_dir)
            for dim in (args.dim or (0, 1))}


if __name__ == "__main__":
    main()
