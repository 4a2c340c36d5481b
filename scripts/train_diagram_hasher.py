"""Train the pretrained diagram hasher shipped in fasttopo/models/ (seeded, CPU, torch).

Domain-oblivious, as in Qin, Fasy, Wenk, Summa (IEEE VIS 2021,
https://doi.org/10.1109/TVCG.2021.3114872): trained only on synthetic diagrams
(:func:`fasttopo.synthetic_diagrams`) with 4 to 48 points (counts drawn with
probability proportional to 1 / count), no real data.  The number of steps
(750) was chosen among 300, 750, 2,000 and 3,000 by the rank correlation of
Hamming with exact W1 on 200 image tiles and 100 faces (longer training fits
the synthetic data better but transferred less well).

    python scripts/train_diagram_hasher.py            # the shipped model (~3 min, 1 thread)
    python scripts/train_diagram_hasher.py --quick --out /tmp/hasher.npz   # seconds
"""

import argparse
import time

import numpy as np

from fasttopo import DiagramHasher

SEED = 20211024
STEPS = 750


def counts():
    """Point counts 4..48, each repeated so that P(count) is proportional to 1 / count."""
    values = np.arange(4, 49)
    return np.repeat(values, np.round(4800 / values).astype(int))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 steps (a smoke test)")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", default="fasttopo/models/diagram_hasher_64.npz")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    steps = 20 if args.quick else args.steps
    hasher = DiagramHasher(64, n_steps=steps, batch_size=64, learning_rate=1e-3,
                           random_state=SEED, progress=not args.no_progress)
    start = time.perf_counter()
    hasher.fit(n_points=counts())
    hasher.info_["script"] = "scripts/train_diagram_hasher.py"
    hasher.info_["seed"] = SEED
    hasher.save(args.out)
    print(f"trained {steps} steps in {time.perf_counter() - start:.0f} s -> {args.out}")
    print(hasher.info_)
    return hasher


if __name__ == "__main__":
    main()
