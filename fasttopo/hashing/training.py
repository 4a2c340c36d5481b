"""PD-GAN-style training of the paper's diagram hasher (private; needs torch).

Imported only by :meth:`fasttopo.DiagramHasher.fit` with ``method="paper"``:
the method of Qin, Fasy, Wenk, Summa (IEEE VIS 2021,
https://doi.org/10.1109/TVCG.2021.3114872), kept as the baseline of the
threshold codes.  A diagram on ``[0, 1]^2`` is turned into the paper's
histogram (50 x 50 cells, reflected across the diagonal, plus one cell
counting the points; :func:`fasttopo.diagram_histogram`), an encoder maps it
to ``n_bits`` real values, and their signs are the code.  Training: an
encoder to ``n_bits``, a generator that rebuilds the histogram from the code,
a discriminator that tells rebuilt from real histograms, and a loss making
the codes' similarity matrix follow the diagrams' similarity matrix computed
from exact W1; the training diagrams are synthetic
(:func:`fasttopo.synthetic_diagrams`) with point counts matched to the
target data (domain-oblivious).  Torch runs on one thread with deterministic
algorithms, so that a seed gives the same weights.

Choices the paper leaves open, and deviations from it
------------------------------------------------------
*Deviations*

- Encoder: the paper's encoder is a VGG19-based convolutional network; here
  it is a 3-layer perceptron (2,501 -> 128 -> 128 -> n_bits, ReLU), whose
  first layer's cell weights are learned on a 25 x 25 grid, upsampled
  bilinearly to 50 x 50 and smoothed by a fixed Gaussian (standard
  deviation 1.5 cells, a prior that nearby cells mean nearby diagrams), and
  exported as one (2,501, 128) matrix.  Because the first layer is linear and the histogram is
  sparse, inference is one sparse-times-dense product per diagram batch:
  10,000 diagrams are hashed in well under a second on a CPU, which a VGG
  could not do.
- Generator and discriminator are perceptrons too, on the histogram summed
  over 2 x 2 cells plus the count (code -> 128 -> 626 and 626 -> 128 -> 1:
  small tensors keep a CPU training step cheap); they are used in training
  only and not shipped.
- The shipped model's number of training steps (750) was chosen among 300,
  750, 2,000 and 3,000 by the rank correlation of Hamming with W1 on 200
  real image tiles and 100 faces: a look at real data the paper's fully
  domain-oblivious recipe does not take (the weights never see them).
- Essential classes (infinite death) are left out of the histogram and the
  count cell; the paper's diagrams have none.

*Choices where the paper is silent* (the code below)

- Diagram similarity: ``S_D = mean_s exp(-W1 / (sigma 3^-s))``, s = 0..3,
  a mixture of scales so that the Hamming distance follows W1 over two
  orders of magnitude (near and far pairs); ``W1`` is the exact
  1-Wasserstein distance with the L-infinity ground metric (GUDHI's and
  :func:`fasttopo.wasserstein_distance`'s default), ``sigma`` the median W1
  of random pairs in the first training batches (stored in the model).
  Code similarity: ``S_B = b_i . b_j / n_bits``, which for +-1 codes is
  ``1 - 2 Hamming / n_bits``.
- Loss: ``mean (S_B - S_D)^2`` over sampled pairs (each diagram with its
  perturbed copy and 4 random partners), ``S_B`` from the relaxed codes
  ``tanh(logits)`` (with the +-1 signs and straight-through gradients the
  training collapsed to a few codes after ~1,000 steps); + 0.1 x histogram
  reconstruction (mean squared error of the generator from the sign codes)
  + 0.01 x non-saturating adversarial loss + 0.1 x quantisation
  ``mean (|b| - 1)^2`` + 0.1 x bit balance ``mean_j (mean_i b_ij)^2``;
  the encoder's outputs are batch-normalised (no affine part) in training
  so that every bit splits the data, and the running mean is folded into
  the last bias for inference.  Adam, learning rate 1e-3, batches of 64
  fresh synthetic diagrams.
- Synthetic diagrams: each is a mixture of 1 to 4 Gaussian blobs in the
  triangle ``0 <= birth <= death <= 1`` (lifetimes of the centres
  log-uniform, so that short-lived points, which dominate diagrams of real
  images, are as present as long-lived ones) plus 20 % uniform points; half of
  every batch are perturbed copies of the other half (points moved by
  N(0, 0.01), ~5 % of the shortest-lived points removed and as many
  near-diagonal points added), so that batches
  hold near pairs as well as far ones.
- Cells: :func:`numpy.histogram2d`'s half-open bins on ``[0, 1]``; a point
  in a diagonal cell counts twice (``H + H.T``), as in the paper's
  reflection.
"""
import numpy as np
import torch
from torch import nn

from .._validation import require
from .features import cells, concat, exact_w1 as w1, synthetic_diagrams

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
    x = torch.from_numpy(cells(*concat(points), bins).toarray().astype(np.float32))
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
    if progress:
        require("tqdm", "DiagramHasher(progress=True)")
        from tqdm.auto import tqdm
    else:
        def tqdm(iterable, **_):
            return iterable

    rng = np.random.default_rng(seed)
    torch_seed = int(rng.integers(0, 2 ** 31))
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)      # OpenMP workers spin: on a shared CPU one thread is faster
    torch.use_deterministic_algorithms(True)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(torch_seed)
            return _train(rng, counts, n_bits, bins, n_steps, batch_size, learning_rate,
                          progress, tqdm)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(rng, counts, n_bits, bins, n_steps, batch_size, learning_rate, progress, tqdm):
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
    bar = tqdm(range(n_steps), desc="DiagramHasher.fit", unit="step")
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

        d_loss = (bce(critic(real), torch.ones(n, 1))
                  + bce(critic(rebuilt.detach()), torch.zeros(n, 1)))
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
            "torch": torch.__version__}
    return weights, info
