"""Train the PD0 approximator (Slater and Weighill, AAAI 2023) on offline images.

As in the paper: the training images are shuffled every epoch, taken 16 at
a time, one random 32 x 32 patch per image per step (random flip / quarter
turn); the targets are computed on the fly by the exact engine
(:func:`fasttopo.persistence_targets_batch`); Adam (warm-up, cosine decay).

Output encoding (``--encoding``, see :mod:`fasttopo.nn.approximation`):

* ``pairs`` (default, the shipped model): birth and death maps of the top
  10 points as sets, plus the offset from each birth pixel to its death
  pixel and the death value; loss ``fasttopo.nn.approximation.pair_loss``
  (cross-entropy on the candidate pixels, smooth L1 on offset and value,
  the latter at the birth pixels of the top 20 points);
* ``ranks`` (the paper's per-rank masks): dice loss plus a weighted binary
  cross-entropy (the dice loss alone fell into the all-zero output from
  scratch), ranks *matched* to the channels by default (``--fixed-ranks``:
  channel r learns the r-th point, as in the paper).

``--pools 5 9 17`` adds erosion / dilation input channels (local filters).

Training images (all shipped offline): ``skimage.data`` brick, grass,
gravel, camera, coins, astronaut (each cut into 64 x 64 tiles, every tile
one "image"), ``lfw_subset`` (25 x 25 faces upscaled to 50 x 50) and
the first 300 ``sklearn.datasets.load_digits`` (8 x 8 upscaled to 40 x 40;
all 1,797 would make three quarters of every batch, and their flat
backgrounds have few points).  The held-out
images (other ``skimage.data`` images) are only used for the learning
curve and the evaluation (``nn_pd0_evaluate.py``).

Run (the shipped model; deterministic for the seed, about 75 minutes on
one thread of a shared 2-core host)::

    python docs/examples/nn_pd0_train.py --steps 32000 --threads 1 \
        --pools 5 9 17 --out fasttopo/models/pd0_approximator.npz --log train.log

``--quick`` trains a tiny model for a few steps (what the tests run).
"""

import argparse
import json
import pathlib
import time

import numpy as np
import torch
from skimage import data
from skimage.color import rgb2gray
from skimage.transform import resize

import fasttopo
from fasttopo.nn.approximation import (PD0Approximator, approximate_diagrams, pair_loss,
                                       pair_targets, save_approximator, score_diagrams,
                                       training_loss)

PATCH = 32
TRAIN_NAMES = ("brick", "grass", "gravel", "camera", "coins", "astronaut")
HELDOUT_NAMES = ("moon", "text", "page", "clock", "cell", "chelsea", "coffee", "rocket",
                 "hubble_deep_field", "immunohistochemistry", "microaneurysms", "cat")


def grey(name):
    """A ``skimage.data`` image as float32 grey values in [0, 1]."""
    image = getattr(data, name)()
    image = rgb2gray(image[..., :3]) if image.ndim == 3 else image
    image = np.asarray(image, dtype=np.float64)
    if image.max() > 1.0:
        image = image / 255.0
    return image.astype(np.float32)


def tiles(image, size=64):
    """Non-overlapping ``size x size`` tiles of an image (each at least 32 x 32)."""
    h, w = image.shape
    return [image[i:i + size, j:j + size] for i in range(0, h - size + 1, size)
            for j in range(0, w - size + 1, size)]


def training_images(digits=300, faces=None):
    """The training set: a list of float32 grey images in [0, 1], each >= 32 x 32."""
    from sklearn.datasets import load_digits

    images = [t for name in TRAIN_NAMES for t in tiles(grey(name))]
    lfw = data.lfw_subset()[:faces]
    images += [resize(face, (50, 50), order=1).astype(np.float32) for face in lfw]
    digit_images = load_digits().images[:digits] / 16.0
    images += [resize(d, (40, 40), order=1).astype(np.float32) for d in digit_images]
    return images


def heldout_patches(count_per_image, seed):
    """Random 32 x 32 patches of the held-out images, ``(n, 32, 32)`` float32."""
    rng = np.random.default_rng(seed)
    out = []
    for name in HELDOUT_NAMES:
        image = grey(name)
        for _ in range(count_per_image):
            out.append(random_patch(image, rng))
    return np.stack(out)


def random_patch(image, rng, augment=False):
    """One random 32 x 32 patch; with ``augment`` also a random flip / quarter turn."""
    h, w = image.shape
    i = rng.integers(0, h - PATCH + 1)
    j = rng.integers(0, w - PATCH + 1)
    patch = image[i:i + PATCH, j:j + PATCH]
    if augment:  # the pairs' pixels move with the patch, their values do not change
        patch = np.rot90(patch, rng.integers(4))
        if rng.integers(2):
            patch = patch[:, ::-1]
    return np.ascontiguousarray(patch)


def batches(images, rng, batch_size=16):
    """Endless stream of (16, 32, 32) batches: shuffled images, one patch each."""
    while True:
        order = rng.permutation(len(images))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield np.stack([random_patch(images[i], rng, augment=True)
                            for i in order[start:start + batch_size]])


def evaluate(model, patches, k=10):
    """Mean found / present / bottleneck of the model on patches (exact engine as truth)."""
    exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1)
    scores = score_diagrams(approximate_diagrams(patches, k=k, model=model), exact, k=k)
    return {name: float(np.mean(v)) for name, v in scores.items()}


def train(model, images, *, steps, minutes=None, lr=2e-3, seed=0, k=10, monitor=None,
          eval_every=250, log_every=50, checkpoint_dir=None, log=print, progress=True,
          matched=True, regression_k=20):
    """Train ``model`` in place; return the learning curve (a list of dicts).

    Stops after ``steps`` steps or ``minutes`` of wall-clock time, whichever
    comes first; with ``minutes`` the learning-rate schedule follows the
    elapsed time (not bit-reproducible on a loaded host), without it the run
    is deterministic for a given seed.
    """
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    stream = batches(images, rng)
    curve, running, start = [], [], time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=steps, mininterval=5.0)
    for step in range(1, steps + 1):
        model.train()
        # warm-up over the first 5 %, then cosine decay; the fraction is of the
        # steps, or of the wall-clock budget when one is given (the host is shared)
        done = (step - 1) / steps
        if minutes is not None:
            done = max(done, (time.perf_counter() - start) / (60 * minutes))
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, done / 0.05 + 0.01) * 0.5 * (1 + np.cos(np.pi * done))
        patches = next(stream)
        x = torch.from_numpy(patches)
        if model.config.get("encoding", "ranks") == "pairs":
            _, points = fasttopo.persistence_targets_batch(patches, k=regression_k, connectivity=1,
                                                           n_jobs=1)
            loss = pair_loss(model(x), x, pair_targets(patches, points, k=k))
        else:
            masks, _ = fasttopo.persistence_targets_batch(patches, k=k, connectivity=1, n_jobs=1)
            loss = training_loss(model(x), torch.from_numpy(masks), matched=matched)
        opt.zero_grad()
        loss.backward()
        opt.step()
        running.append(float(loss.detach()))
        elapsed = time.perf_counter() - start
        out_of_time = minutes is not None and elapsed > 60 * minutes
        if bar is not None:
            bar.update(1)
        if step % log_every == 0 or step == steps or out_of_time:
            # "dice_loss": the mean training loss (dice + BCE, or pair_loss)
            row = {"step": step, "seconds": round(elapsed, 1),
                   "dice_loss": float(np.mean(running))}
            running = []
            if monitor is not None and (step % eval_every == 0 or step == steps or out_of_time):
                row.update(evaluate(model, monitor, k=k))
            curve.append(row)
            log(json.dumps(row))
        if checkpoint_dir is not None and (step % 1000 == 0 or step == steps or out_of_time):
            path = pathlib.Path(checkpoint_dir)
            path.mkdir(parents=True, exist_ok=True)
            torch.save({"step": step, "model": model.state_dict(), "optimizer": opt.state_dict(),
                        "config": model.config}, path / "pd0_checkpoint.pt")
        if out_of_time:
            log(f"time budget of {minutes} min reached at step {step}")
            break
    if bar is not None:
        bar.close()
    return curve


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, a few steps")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--minutes", type=float, default=None, help="wall-clock budget")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fixed-ranks", action="store_true",
                        help="the paper's loss: channel r on the r-th point (default: matched)")
    parser.add_argument("--encoding", choices=("pairs", "ranks"), default="pairs",
                        help="output encoding (fasttopo.nn.approximation; default pairs)")
    parser.add_argument("--pools", type=int, nargs="*", default=[],
                        help="window sizes of the erosion / dilation input channels")
    parser.add_argument("--out", default="pd0_approximator.npz")
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--log", default=None, help="also append the log lines to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    def log(line):
        print(line, flush=True)
        if args.log:
            with open(args.log, "a") as f:
                f.write(line + "\n")

    if args.quick:
        model = PD0Approximator(widths=(4, 4, 4, 4), gcn_width=4, encoding=args.encoding,
                                pools=args.pools)
        images = training_images(digits=40, faces=10)
        monitor = heldout_patches(1, seed=1)
        steps, eval_every = min(args.steps, 6), 6
    else:
        model = PD0Approximator(encoding=args.encoding, pools=args.pools)
        images = training_images()
        monitor = heldout_patches(12, seed=1)  # 144 held-out patches for the curve
        steps, eval_every = args.steps, 250
    log(json.dumps({"images": len(images), "parameters": sum(p.numel()
                                                             for p in model.parameters()),
                    "args": vars(args)}))
    curve = train(model, images, steps=steps, minutes=args.minutes, lr=args.lr,
                  seed=args.seed, monitor=monitor, eval_every=eval_every,
                  log_every=2 if args.quick else 50, checkpoint_dir=args.checkpoint_dir,
                  log=log, progress=not args.quick, matched=not args.fixed_ranks)
    save_approximator(model, args.out, seed=args.seed, steps=curve[-1]["step"], args=vars(args),
                      batch_size=16, lr=args.lr, train_images=len(images),
                      loss=("pair_loss (BCE + smooth L1)" if args.encoding == "pairs" else
                            "dice + BCE, " + ("fixed" if args.fixed_ranks else "matched")
                            + " ranks"),
                      learning_curve=curve)
    log(f"saved {args.out}")
    return model, curve


if __name__ == "__main__":
    main()
