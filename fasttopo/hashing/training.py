"""PD-GAN-style training of the diagram hasher (private; needs torch).

Imported only by :meth:`fasttopo.DiagramHasher.fit`.  See the notes of
:mod:`fasttopo.hashing.codes` for the method and the choices it fills in.
"""

import time

import numpy as np
import torch
from torch import nn

from .features import cells as _cells, exact_w1 as w1, synthetic_diagrams

__all__ = ["train", "w1", "perturb"]

_HIDDEN = (128, 128)
_GEN_HIDDEN = 128
_COARSE = 2                # the learned cell weights live on a grid 2x coarser, upsampled
_BLUR_SIGMA = 1.5          # cells
#: S_B from the tanh-relaxed codes (True) or from the signs, straight-through (False)
_RELAXED_SIMILARITY = True
_SCALES = 4                # similarity = mean of exp(-W1 / (sigma 3^-s)), s < _SCALES
_RANDOM_PAIRS = 4          # random partners per diagram and step, besides its perturbed copy
_WEIGHTS = {"rec": 0.1, "adv": 0.01, "quant": 0.1, "balance": 0.1}


def perturb(rng, points, shift=0.01, churn=0.1):
    """A nearby diagram: points moved by N(0, shift); ~churn/2 of the shortest-lived
    points removed and as many near-diagonal points added."""
    moved = np.clip(points + rng.normal(scale=shift, size=points.shape), 0.0, 1.0)
    moved = np.sort(moved, axis=1)
    k = int(rng.binomial(len(moved), churn))
    drop, add = k // 2, k - k // 2
    if drop:
        life = moved[:, 1] - moved[:, 0]
        moved = moved[np.sort(np.argsort(life, kind="stable")[drop:])]
    if add:
        b = rng.random(add)
        new = np.column_stack([b, np.minimum(1.0, b + rng.exponential(0.01, add))])
        moved = np.vstack([moved, new])
    return moved


def _smoothing(bins):
    """(bins, coarse) matrix: bilinear upsampling from the coarse grid, then Gaussian blur."""
    coarse = -(-bins // _COARSE)
    x = np.clip((np.arange(bins) + 0.5) / _COARSE - 0.5, 0, coarse - 1)
    lo = np.floor(x).astype(int)
    hi = np.minimum(lo + 1, coarse - 1)
    up = np.zeros((bins, coarse))
    np.add.at(up, (np.arange(bins), lo), 1 - (x - lo))
    np.add.at(up, (np.arange(bins), hi), x - lo)
    r = np.arange(bins)
    blur = np.exp(-(r[:, None] - r[None, :]) ** 2 / (2 * _BLUR_SIGMA ** 2))
    blur[np.abs(r[:, None] - r[None, :]) > 4] = 0.0          # 9 x 9 kernel, zero padding
    blur /= np.exp(-np.arange(-4, 5) ** 2 / (2 * _BLUR_SIGMA ** 2)).sum()
    return torch.tensor(blur @ up, dtype=torch.float32)


class _Encoder(nn.Module):
    def __init__(self, bins, n_bits):
        super().__init__()
        self.bins = bins
        h0, h1 = _HIDDEN
        coarse = -(-bins // _COARSE)
        self.cells = nn.Parameter(torch.randn(h0, coarse, coarse) * (1.0 / bins))
        self.count = nn.Parameter(torch.zeros(h0))
        self.b0 = nn.Parameter(torch.zeros(h0))
        self.register_buffer("smooth", _smoothing(bins))
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(h0, h1), nn.ReLU(), nn.Linear(h1, n_bits),
                                 nn.BatchNorm1d(n_bits, affine=False))

    def first_layer(self):
        """(h0, bins^2 + 1): smoothed cell weights (separable), then the count weight."""
        fine = self.smooth @ self.cells @ self.smooth.T
        return torch.cat([fine.flatten(1), self.count[:, None]], dim=1)

    def forward(self, x):
        return self.mlp(x @ self.first_layer().T + self.b0)


def _features(points, bins, count_scale):
    x = torch.from_numpy(_cells(points, bins).toarray().astype(np.float32))
    x[:, -1] /= count_scale
    return x


def _pooled(x, bins):
    """The histogram summed over 2 x 2 cells, plus the count cell (the GAN's view)."""
    grid = x[:, :-1].reshape(-1, 1, bins, bins)
    pooled = nn.functional.avg_pool2d(grid, _COARSE, ceil_mode=True) * _COARSE ** 2
    return torch.cat([pooled.flatten(1), x[:, -1:]], dim=1)


def _batch(rng, counts, half):
    base = synthetic_diagrams(half, counts, random_state=rng)
    return base + [perturb(rng, p) for p in base]


def _pairs(rng, n, half):
    """Index pairs: each diagram with its copy, plus random partners."""
    i = np.arange(half)
    own = np.column_stack([i, i + half])
    a = np.repeat(np.arange(n), _RANDOM_PAIRS)
    b = (a + rng.integers(1, n, size=len(a))) % n
    return np.vstack([own, np.column_stack([a, b])])


def train(counts, *, n_bits, bins, n_steps, batch_size, learning_rate, seed, progress):
    """Train encoder, generator and discriminator; return (encoder weights, info)."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    torch_seed = int(rng.integers(0, 2 ** 31))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)      # OpenMP workers spin: on a shared CPU one thread is faster
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(torch_seed)
            return _train(rng, counts, n_bits, bins, n_steps, batch_size, learning_rate,
                          progress, tqdm, start)
    finally:
        torch.set_num_threads(threads)


def _train(rng, counts, n_bits, bins, n_steps, batch_size, learning_rate, progress, tqdm,
           start):
    half = batch_size // 2
    n = 2 * half
    count_scale = float(max(1.0, np.mean(counts)))
    size = (-(-bins // _COARSE)) ** 2 + 1
    encoder = _Encoder(bins, n_bits)
    generator = nn.Sequential(nn.Linear(n_bits, _GEN_HIDDEN), nn.ReLU(),
                              nn.Linear(_GEN_HIDDEN, size), nn.Softplus())
    critic = nn.Sequential(nn.Linear(size, _GEN_HIDDEN), nn.LeakyReLU(0.2),
                           nn.Linear(_GEN_HIDDEN, 1))
    opt = torch.optim.Adam(list(encoder.parameters()) + list(generator.parameters()),
                           lr=learning_rate)
    opt_d = torch.optim.Adam(critic.parameters(), lr=learning_rate)
    bce = nn.functional.binary_cross_entropy_with_logits

    # sigma: median W1 of random pairs in a few batches
    sample = []
    for _ in range(4):
        dg = _batch(rng, counts, half)
        pr = _pairs(rng, n, half)[half:]
        sample += [w1(dg[i], dg[j]) for i, j in pr[:64]]
    sigma = float(max(np.median(sample), 1e-6))
    scales = sigma * 3.0 ** -np.arange(_SCALES)

    history = []
    bar = tqdm(range(n_steps), disable=not progress, desc="DiagramHasher.fit", unit="step")
    for _ in bar:
        dg = _batch(rng, counts, half)
        pr = _pairs(rng, n, half)
        dist = np.array([w1(dg[i], dg[j]) for i, j in pr])
        target = torch.tensor(np.mean([np.exp(-dist / s) for s in scales], axis=0),
                              dtype=torch.float32)
        x = _features(dg, bins, count_scale)
        real = _pooled(x, bins)
        ii, jj = torch.from_numpy(pr[:, 0]), torch.from_numpy(pr[:, 1])

        logits = encoder(x)
        b = torch.tanh(logits)
        signs = b + (torch.sign(b) - b).detach()          # straight-through
        codes = b if _RELAXED_SIMILARITY else signs
        s_b = (codes[ii] * codes[jj]).sum(1) / n_bits
        loss_sim = ((s_b - target) ** 2).mean()
        rebuilt = generator(signs)
        loss_rec = ((rebuilt - real) ** 2).mean()
        loss_adv = bce(critic(rebuilt), torch.ones(n, 1))
        loss_quant = ((b.abs() - 1.0) ** 2).mean()
        loss_bal = (b.mean(0) ** 2).mean()
        loss = (loss_sim + _WEIGHTS["rec"] * loss_rec + _WEIGHTS["adv"] * loss_adv
                + _WEIGHTS["quant"] * loss_quant + _WEIGHTS["balance"] * loss_bal)
        opt.zero_grad()
        loss.backward()
        opt.step()

        d_loss = bce(critic(real), torch.ones(n, 1)) + bce(critic(rebuilt.detach()),
                                                        torch.zeros(n, 1))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        history.append([loss_sim.item(), loss_rec.item(), loss_adv.item(), d_loss.item()])
        if progress and len(history) % 50 == 0:
            bar.set_postfix(sim=f"{np.mean([h[0] for h in history[-50:]]):.4f}")

    encoder.eval()
    with torch.no_grad():
        # the batch normalisation only centres each output (a positive scale keeps the
        # sign): fold its running mean into the last bias
        bias = encoder.mlp[3].bias.double() - encoder.mlp[4].running_mean.double()
        first = encoder.first_layer().double().numpy().T.copy()     # (size, h0)
        first[-1] /= count_scale
        weights = {"W0": first, "b0": encoder.b0.double().numpy().copy(),
                   "W1": encoder.mlp[1].weight.double().numpy().T.copy(),
                   "b1": encoder.mlp[1].bias.double().numpy().copy(),
                   "W2": encoder.mlp[3].weight.double().numpy().T.copy(),
                   "b2": bias.numpy().copy()}
    last = np.mean(history[-100:], axis=0) if history else [np.nan] * 4
    info = {"sigma": sigma, "n_steps": n_steps, "batch_size": batch_size,
            "learning_rate": learning_rate, "counts_min": int(np.min(counts)),
            "counts_max": int(np.max(counts)), "counts_mean": float(np.mean(counts)),
            "loss_similarity": float(last[0]), "loss_reconstruction": float(last[1]),
            "loss_adversarial": float(last[2]), "loss_discriminator": float(last[3]),
            "loss_similarity_curve": [round(float(np.mean([h[0] for h in history[i:i + 250]])), 4)
                                      for i in range(0, len(history), 250)],
            "seconds": round(time.perf_counter() - start, 1), "torch": torch.__version__}
    return weights, info
