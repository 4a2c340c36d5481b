"""Train the PD0 approximator (after Slater and Weighill, AAAI 2023) on offline images.

Every step draws 32 augmented 32 x 32 patches (``nn_pd0_data.training_batch``:
training images and synthetic ones, monotone intensity maps, inversion,
blur, noise, quantisation, flips / quarter turns), computes their exact
diagrams (:func:`fasttopo.persistence_batch`, microseconds a patch) and the
targets (``fasttopo.nn.approximation.pair_targets``), and takes one AdamW
step on ``pair_loss`` (linear warm-up, cosine decay).  The model is the
UNet with a pairing head of :mod:`fasttopo.nn.approximation`.

Model selection uses patches of the training images' held-out pieces only
(``nn_pd0_data.split_images``); the evaluation images are never seen here.

Run (the shipped model; deterministic for the seed; checkpoints every 200
steps, ``--resume`` continues from the last one)::

    OMP_NUM_THREADS=1 python docs/examples/nn_pd0_train.py --steps 12000 \
        --dir pd0_run --out fasttopo/models/pd0_approximator.npz

``--quick`` trains a tiny model for a few steps (what the tests run).
"""

import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np
import torch

import fasttopo

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nn_pd0_data  # noqa: E402
from fasttopo.approximation.decoding import decode  # noqa: E402
from fasttopo.approximation import score_diagrams  # noqa: E402
from fasttopo.nn.approximation import (PD0Approximator, pair_loss,  # noqa: E402
                                       pair_targets, save_approximator)

#: Weights of the pairing loss by lifetime rank: the top 9 finite points, then 15 more.
RANK_WEIGHTS = [1.0] * 9 + [0.5] * 15


def outputs(model, patches, batch=256):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(patches[s:s + batch]))
                          for s in range(0, len(patches), batch)]).numpy()


def validate(model, patches, exact):
    """Mean found / present / bottleneck on held-out patches, births ranked two ways."""
    out = outputs(model, patches)
    row = {}
    for rank in ("birth", "life"):
        scores = score_diagrams(decode(out, patches, rank=rank), exact)
        row[rank] = {n: round(float(v.mean()), 4) for n, v in scores.items()}
    return row


def learning_rate(step, steps, lr, warmup=300):
    return lr * min(1.0, (step + 1) / warmup) * 0.5 * (1 + np.cos(np.pi * step / steps))


def train(args, log):
    d = pathlib.Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    kwargs = {"digits": 40, "faces": 20} if args.quick else {}
    images, held_out = nn_pd0_data.split_images(seed=0, **kwargs)
    val = nn_pd0_data.held_out_patches(held_out, 2 if args.quick else 48, seed=1)
    val_exact = fasttopo.persistence_batch(val, max_dim=0, connectivity=1)
    torch.manual_seed(args.seed)
    model = PD0Approximator(widths=args.widths)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    step, curve = 0, []
    checkpoint = d / "checkpoint.pt"
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        step, curve = state["step"], state["curve"]
        log({"resumed": step})
    else:
        log({"args": vars(args), "parameters": sum(p.numel() for p in model.parameters()),
             "training pieces": sum(map(len, images.values())),
             "held-out pieces": sum(map(len, held_out.values())), "validation": len(val)})
    weights = torch.tensor(RANK_WEIGHTS)
    start, running = time.perf_counter(), []
    while step < args.steps:
        model.train()
        lr = learning_rate(step, args.steps, args.lr)
        for group in opt.param_groups:
            group["lr"] = lr
        patches = nn_pd0_data.training_batch(images, rng, args.batch, args.synthetic)
        exact = fasttopo.persistence_batch(patches, max_dim=0, connectivity=1, n_jobs=1)
        targets = pair_targets(patches, exact, rng=rng)
        loss, parts = pair_loss(model(torch.from_numpy(patches)), patches, targets,
                                rank_weights=weights)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        step += 1
        running.append(parts)
        if step % args.log_every == 0 or step == args.steps:
            mean = np.mean(running, axis=0)
            running = []
            row = {"step": step, "seconds": round(time.perf_counter() - start, 1),
                   "lr": float(f"{lr:.3g}"), "birth_loss": round(float(mean[0]), 4),
                   "lifetime_loss": round(float(mean[1]), 5),
                   "regression_loss": round(float(mean[2]), 4),
                   "pair_loss": round(float(mean[3]), 4)}
            if step % args.val_every == 0 or step == args.steps:
                row["validation"] = validate(model, val, val_exact)
                found = row["validation"]["birth"]["found"]
                if found > max((r["validation"]["birth"]["found"] for r in curve
                                if "validation" in r), default=-1.0):
                    # the model selected on the training images' held-out pieces
                    best = {"model": model.state_dict(), "step": step,
                            "curve": curve + [row], "config": model.config}
                    torch.save(best, str(d / "best.pt") + ".tmp")
                    os.replace(str(d / "best.pt") + ".tmp", d / "best.pt")
            curve.append(row)
            log(row)
        stop = bool(args.stop_after) and step >= args.stop_after
        if step % args.checkpoint_every == 0 or step == args.steps or stop:
            state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                     "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                     "curve": curve, "config": model.config}
            torch.save(state, str(checkpoint) + ".tmp")
            os.replace(str(checkpoint) + ".tmp", checkpoint)
        if stop:
            log({"stopped": step})
            return model, curve, False
    return model, curve, True


def save(model, args, curve, steps):
    save_approximator(model, args.out, seed=args.seed, steps=steps, planned_steps=args.steps,
                      batch=args.batch, lr=args.lr, synthetic=args.synthetic,
                      script="docs/examples/nn_pd0_train.py", learning_curve=curve)


def export(args):
    """Write the model of ``args.dir``'s best (or last) checkpoint to ``args.out``."""
    state = torch.load(pathlib.Path(args.dir) / args.checkpoint, weights_only=False)
    model = PD0Approximator(**state["config"])
    model.load_state_dict(state["model"])
    save(model.eval(), args, state["curve"], state["step"])
    print(json.dumps({"exported": args.out, "step": state["step"]}))
    return model, state["curve"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, a few steps")
    parser.add_argument("--steps", type=int, default=12000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 48, 64, 96])
    parser.add_argument("--synthetic", type=float, default=0.3,
                        help="fraction of synthetic patches")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dir", default="pd0_run", help="checkpoint and log folder")
    parser.add_argument("--resume", action="store_true", help="continue from --dir's checkpoint")
    parser.add_argument("--stop-after", type=int, default=None,
                        help="stop (resumable) after this step")
    parser.add_argument("--val-every", type=int, default=500)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--checkpoint-every", type=int, default=200)
    parser.add_argument("--out", default="pd0_approximator.npz")
    parser.add_argument("--export", action="store_true",
                        help="only write --out from a checkpoint of --dir")
    parser.add_argument("--checkpoint", default="best.pt", choices=["best.pt", "checkpoint.pt"],
                        help="for --export: the best on the held-out pieces, or the last")
    args = parser.parse_args(argv)
    if args.export:
        return export(args)
    if args.quick:
        args.steps, args.widths, args.batch = min(args.steps, 4), [4, 4, 4, 4], 8
        args.val_every = args.log_every = 2
    torch.set_num_threads(args.threads)
    pathlib.Path(args.dir).mkdir(parents=True, exist_ok=True)
    lines = open(pathlib.Path(args.dir) / "log.jsonl", "a") if not args.quick else None

    def log(row):
        print(json.dumps(row), flush=True)
        if lines is not None:
            lines.write(json.dumps(row) + "\n")
            lines.flush()

    start = time.perf_counter()
    model, curve, finished = train(args, log)
    if finished:
        save(model.eval(), args, curve, args.steps)
        log({"saved": args.out, "seconds this run": round(time.perf_counter() - start)})
    return model, curve


if __name__ == "__main__":
    main()
