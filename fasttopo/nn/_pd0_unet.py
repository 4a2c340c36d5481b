"""The PD0 approximator's network (UNet + pairing head), its targets and its loss (torch)."""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._pd0_decode import EMBED, HEAD, OFFSET_SCALE, SIGMA, VALUE_PRECISION, candidates


def features(patches, pools=(5, 9, 17)):
    """Input channels ``(B, 6 + 2 len(pools), H, W)`` of ``(B, H, W)`` patches.

    0: the patch rescaled to [0, 1] (min-max); 1: its excess over the lowest
    4-neighbour; 2: 1 where no 4-neighbour is lower (possible birth pixels);
    3: 1 where two 4-neighbours are lower or equal (possible death pixels);
    4, 5: row and column in [-1, 1]; then, per window size ``s`` of
    ``pools``, the excess over the minimum and the deficit under the maximum
    of the ``s x s`` window.  Local tests and filters, no persistence.
    """
    x = patches.unsqueeze(1)
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    x = (x - lo) / (hi - lo).clamp_min(1e-12)
    pad = F.pad(x, (1, 1, 1, 1), value=2.0)
    near = torch.stack([pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1],
                        pad[:, :, 1:-1, :-2], pad[:, :, 1:-1, 2:]])
    birth = (near >= x).all(dim=0).to(x.dtype)
    death = ((near <= x).sum(dim=0) >= 2).to(x.dtype)
    h, w = x.shape[2:]
    rows = torch.linspace(-1, 1, h, dtype=x.dtype, device=x.device).view(1, 1, h, 1)
    cols = torch.linspace(-1, 1, w, dtype=x.dtype, device=x.device).view(1, 1, 1, w)
    channels = [x, (x - near.amin(dim=0)).clamp_min(0.0), birth, death,
                rows.expand_as(x), cols.expand_as(x)]
    for size in pools:
        channels += [x + F.max_pool2d(-x, size, 1, size // 2),
                     F.max_pool2d(x, size, 1, size // 2) - x]
    return torch.cat(channels, dim=1)


def _block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


class PD0Approximator(nn.Module):
    """UNet with a pairing head for the top-k points of the 0-dimensional diagram."""

    def __init__(self, k=10, widths=(32, 48, 64, 96), pools=(5, 9, 17)):
        super().__init__()
        self.config = {"k": int(k), "widths": [int(w) for w in widths],
                       "pools": [int(p) for p in pools]}
        w = self.config["widths"]
        self.enc = nn.ModuleList([_block(6 + 2 * len(pools), w[0])]
                                 + [_block(w[i], w[i + 1]) for i in range(len(w) - 1)])
        self.dec = nn.ModuleList([_block(w[i + 1] + w[i], w[i]) for i in range(len(w) - 1)])
        self.head = nn.Conv2d(w[0], HEAD, 1)
        with torch.no_grad():
            self.head.bias.zero_()
            self.head.bias[0] = -2.0

    def forward(self, patches):
        """Head outputs ``(B, HEAD, H, W)`` of ``(B, H, W)`` patches."""
        x = features(patches, self.config["pools"])
        skips = []
        for i, block in enumerate(self.enc):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        y = skips[-1]
        for i in range(len(self.dec) - 1, -1, -1):
            y = self.dec[i](torch.cat([F.interpolate(y, scale_factor=2.0, mode="nearest"),
                                       skips[i]], dim=1))
        return self.head(y)


def pair_logits(outputs, patches, births):
    """Pairing logits ``(B, M, H*W)`` of the birth pixels ``births`` ``(B, M)`` (int64).

    The same formula as the NumPy decoding (``fasttopo._pd0_decode``).
    """
    b, channels, h, w = outputs.shape
    flat = outputs.flatten(2)
    idx = births.clamp_min(0)
    g = torch.gather(flat, 2, idx[:, None, :].expand(b, channels, idx.shape[1]))   # (B, C, M)
    logits = (torch.bmm(g[:, 7:7 + EMBED].transpose(1, 2), flat[:, 7 + EMBED:]) / np.sqrt(EMBED)
              + flat[:, 6][:, None, :])
    pos = torch.arange(h * w, device=outputs.device)
    r, c = (pos // w).to(outputs.dtype), (pos % w).to(outputs.dtype)
    tr = (idx // w).to(outputs.dtype) + OFFSET_SCALE * g[:, 2]
    tc = (idx % w).to(outputs.dtype) + OFFSET_SCALE * g[:, 3]
    dist2 = (r[None, None] - tr[..., None]) ** 2 + (c[None, None] - tc[..., None]) ** 2
    x = patches.flatten(1).to(outputs.dtype)
    lo = x.amin(1, keepdim=True)
    xn = (x - lo) / (x.amax(1, keepdim=True) - lo).clamp_min(1e-12)
    precision = F.softplus(g[:, 5]) * VALUE_PRECISION + 1.0
    return (logits - dist2 / (2 * SIGMA ** 2)
            - precision[..., None] * (xn[:, None, :] - g[:, 4][..., None]).abs())


def pair_loss(outputs, patches, targets, *, rank_weights=None):
    """Training loss: birth cross-entropy + lifetime L1 + pairing cross-entropy.

    ``targets`` from :func:`pair_targets`.  The pairing term is the negative
    log of the softmax mass (over the possible death pixels of higher value)
    of the pixels that hold the true death value.
    """
    birth, life, births, deaths = (torch.as_tensor(t) for t in targets)
    array = patches.detach().cpu().numpy() if isinstance(patches, torch.Tensor) else patches
    can_birth, can_death = (torch.from_numpy(c) for c in candidates(np.asarray(array)))
    x = torch.as_tensor(array).flatten(1).to(outputs.dtype)
    o = outputs.flatten(2)
    cb = can_birth.to(outputs.dtype)
    bce = F.binary_cross_entropy_with_logits(o[:, 0], birth.to(outputs.dtype), reduction="none",
                                             pos_weight=torch.tensor(2.0, dtype=outputs.dtype))
    l_birth = (bce * cb).sum() / cb.sum()
    l_life = (F.smooth_l1_loss(o[:, 1], life.to(outputs.dtype), beta=0.02, reduction="none")
              * cb).sum() / cb.sum()
    logits = pair_logits(outputs, torch.as_tensor(array), births)
    xb = torch.gather(x, 1, births.clamp_min(0))
    valid = can_death[:, None, :] & (x[:, None, :] > xb[..., None])
    target = valid & (x[:, None, :] == deaths.to(x.dtype)[..., None])
    ok = (births >= 0) & target.any(-1)
    ce = (torch.logsumexp(logits.masked_fill(~valid, -1e9), -1)
          - torch.logsumexp(logits.masked_fill(~target, -1e9), -1))
    if rank_weights is None:
        rank_weights = torch.ones(births.shape[1])
    weights = torch.as_tensor(rank_weights, dtype=outputs.dtype)[None, :] * ok.to(outputs.dtype)
    l_pair = (ce * weights).sum() / weights.sum().clamp_min(1.0)
    loss = l_birth + 5.0 * l_life + 0.5 * l_pair
    return loss, (float(l_birth.detach()), float(l_life.detach()), float(l_pair.detach()))


def pair_targets(patches, diagrams, *, k=10, m=24, rng=None):
    """Training targets of ``(B, H, W)`` patches from their exact diagrams.

    Returns ``birth`` ``(B, H*W)`` (1 on the plateaus of the birth pixels
    of the ``k - 1`` longest-lived finite points), ``life`` ``(B, H*W)``
    (lifetime / patch range on every pixel of a birth plateau), ``births``
    ``(B, m)`` (a pixel of the birth plateau of each of the ``m``
    longest-lived finite points, chosen at random with ``rng``, -1 where
    fewer) and ``deaths`` ``(B, m)`` (their death values).
    """
    from skimage.measure import label

    rng = np.random.default_rng(0) if rng is None else rng
    count, h, w = patches.shape
    n = h * w
    birth = np.zeros((count, n), np.float32)
    life = np.zeros((count, n), np.float32)
    births = np.full((count, m), -1, np.int64)
    deaths = np.zeros((count, m), patches.dtype)
    for b, dgm in enumerate(diagrams):
        flat = patches[b].reshape(-1)
        scale = max(float(flat.max()) - float(flat.min()), 1e-12)
        _, inverse = np.unique(flat, return_inverse=True)
        plateau = label(inverse.reshape(h, w) + 1, connectivity=1, background=0).reshape(-1)
        finite = (dgm.dim == 0) & (dgm.death_index >= 0)
        bi, di = dgm.birth_index[finite], dgm.death_index[finite]
        lifetime = (dgm.death[finite] - dgm.birth[finite]) / scale
        order = np.argsort(-lifetime, kind="stable")
        bi, di, lifetime = bi[order], di[order], lifetime[order]
        labels = plateau[bi]
        table = np.zeros(plateau.max() + 1, np.float32)
        table[labels[::-1]] = lifetime[::-1]
        life[b] = table[plateau]
        top = np.zeros(plateau.max() + 1, bool)
        top[labels[:k - 1]] = True
        birth[b] = top[plateau]
        for r in range(min(m, len(bi))):
            members = np.flatnonzero(plateau == labels[r])
            births[b, r] = members[rng.integers(len(members))] if len(members) > 1 else bi[r]
            deaths[b, r] = flat[di[r]]
    return birth, life, births, deaths


#: Format tag of the model files.
FORMAT = "fasttopo-pd0-unet-1"


def save_approximator(model, path, **metadata):
    """Save a :class:`PD0Approximator` as an ``.npz`` of float32 arrays (no pickle)."""
    import json

    arrays = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()
              if not name.endswith("num_batches_tracked")}
    arrays = {n: a.astype(np.float32) for n, a in arrays.items()}
    header = json.dumps({"format": FORMAT, "config": model.config, "metadata": metadata})
    np.savez_compressed(path, __header__=np.array(header), **arrays)
