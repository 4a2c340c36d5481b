"""Neural approximation of 0-dimensional persistence diagrams of 32 x 32 patches.

A segmentation network marks the birth and the death pixel of the ``k``
longest-lived dimension-0 points of a grey patch (Slater and Weighill,
AAAI 2023); a decoding step reads the pairs back and returns them as
:class:`~fasttopo.PersistenceDiagram` objects whose values are read from the
patch.  Neither the forward pass nor the decoding calls the exact engine:
the engine only makes the training targets
(:func:`fasttopo.persistence_targets_batch`) and the evaluation's truth.

Output encodings
----------------
Two encodings, the model's ``encoding`` (stored with its weights):

``"pairs"`` (the shipped model): five maps per patch -- a birth map and a
death map (logits: is this pixel the birth, resp. death, pixel of one of the
``k - 1`` longest-lived finite points, as a *set*), and, read at birth
pixels, the offset to the point's death pixel and its death value (in the
min-max rescaled patch).  This is the keypoint-plus-offset association of
CenterNet (Zhou et al. 2019): which minima live long and where each one dies
are learnt as two per-pixel questions, instead of a channel per rank that
must pick one point out of ten and agree with the matching.  The loss
(:func:`pair_loss`) looks at the birth and death maps only on the possible
birth and death pixels (the decoding never looks elsewhere).
:func:`fasttopo.approximation.decode_pairs` pairs each chosen birth pixel
with the possible death pixel where its offset points, of about its death
value.  Chosen because, on the same CPU budget, it found about twice as many
true top-10 points on held-out patches as the per-rank encoding (the figures
are in ``docs/examples/nn_pd0_approximation.rst``).

``"ranks"`` (the paper's target arrays): ``k`` logit maps per patch, channel
``r`` trained on the target of the ``r``-th longest-lived point (1 at its
birth pixel and at its death pixel, 0 elsewhere; channel 0 the essential
class, birth pixel only).  It carries the pairing itself: the two pixels of
a channel belong to one point.  :func:`decode_diagrams`: every birth pixel
of a dimension-0 point has no lower 4-neighbour, and every death pixel has
two 4-neighbours lower or equal (it merges two components): two local tests
of the patch that split the pixels into birth and death candidates.  In
channel 0 the best-scoring birth candidate is the birth of the essential
class (death ``+inf``).  In channel ``r >= 1`` the best-scoring birth
candidate and the best-scoring death candidate make a point when both score
at least ``threshold`` and the death value exceeds the birth value; a point
whose birth pixel an earlier channel already used is dropped; at most ``k``
points.  Training uses by default a *matched* dice loss (:func:`dice_loss`
with ``matched=True``): the finite channels are assigned to the top-k points
by a minimum-cost matching before the dice loss, so a channel must find one
of the points but not its rank.

Without torch, :func:`fasttopo.approximation.approximate_diagrams` runs the
same network with NumPy (the decoding and the scores live there too).
"""

import functools
import json

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..approximation.inference import (ENCODINGS, OFFSET_SCALE, PAIR_CHANNELS, PRETRAINED_PATH,
                                        check_patches, decode_diagrams, decode_pairs, read_weights,
                                        score_diagrams)

__all__ = ["PD0Approximator", "dice_loss", "match_targets", "training_loss", "pair_targets",
           "pair_loss", "decode_diagrams", "decode_pairs", "approximate_diagrams",
           "load_approximator", "save_approximator", "score_diagrams", "PRETRAINED_PATH"]


_REFERENCE = """    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", Proceedings of the AAAI Conference
       on Artificial Intelligence 37, 2023, https://doi.org/10.1609/aaai.v37i13.27011.
    .. [2] C. Peng, X. Zhang, G. Yu, G. Luo, J. Sun, "Large kernel matters --
       improve semantic segmentation by global convolutional network", CVPR
       2017, https://doi.org/10.1109/CVPR.2017.189."""


# ----------------------------------------------------------------------------- model
class _ConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, kernel=3, stride=1, relu=True):
        layers = [nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
                  nn.BatchNorm2d(c_out)]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class _ResidualBlock(nn.Module):
    """Basic residual block (two 3x3 convolutions), optionally downsampling by 2."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.body = nn.Sequential(_ConvBN(c_in, c_out, 3, stride),
                                  _ConvBN(c_out, c_out, 3, 1, relu=False))
        self.skip = (nn.Identity() if stride == 1 and c_in == c_out
                     else _ConvBN(c_in, c_out, 1, stride, relu=False))

    def forward(self, x):
        return F.relu(self.body(x) + self.skip(x))


class GlobalConvolution(nn.Module):
    """Global convolution block of [2]_: ``(k x 1 then 1 x k) + (1 x k then k x 1)``.

    A dense ``k x k`` receptive field for ``O(k)`` weights per channel pair;
    a batch norm on the sum (not in [2]_, which fine-tunes a pretrained
    backbone: trained from scratch without it the logits blew up within a
    few Adam steps).
    """

    def __init__(self, c_in, c_out, kernel):
        super().__init__()
        p = kernel // 2
        self.left = nn.Sequential(nn.Conv2d(c_in, c_out, (kernel, 1), padding=(p, 0)),
                                  nn.Conv2d(c_out, c_out, (1, kernel), padding=(0, p)))
        self.right = nn.Sequential(nn.Conv2d(c_in, c_out, (1, kernel), padding=(0, p)),
                                   nn.Conv2d(c_out, c_out, (kernel, 1), padding=(p, 0)))
        self.norm = nn.BatchNorm2d(c_out)

    def forward(self, x):
        return self.norm(self.left(x) + self.right(x))


class BoundaryRefinement(nn.Module):
    """Boundary refinement block of [2]_: ``x + conv(relu(conv(x)))`` (with batch norms)."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(_ConvBN(channels, channels, 3),
                                  _ConvBN(channels, channels, 3, relu=False))

    def forward(self, x):
        return x + self.body(x)


class PD0Approximator(nn.Module):
    """Global Convolutional Network variant that marks the pixels of the top-k PD0 points.

    A residual encoder (32 -> 16 -> 8 -> 4 pixels for a 32 x 32 patch), a
    global convolution block and a boundary refinement block at every
    scale, and a decoder that upsamples (transposed convolution), adds the
    finer scale and refines again, as the GCN of [2]_; the largest kernels
    span about half of the map at each scale so every pixel sees the whole
    patch, which the pairing of a death pixel with a far-away birth pixel
    needs [1]_.  A 1 x 1 head gives one logit map per lifetime rank (the
    encoding is described in :mod:`fasttopo.nn.approximation`).

    Each patch is rescaled to [0, 1] (min-max) first: the pixels of the
    pairs and the order of the lifetimes do not change under an increasing
    affine map of the intensities.  Three more input channels point at the
    local minima and the possible death pixels (:meth:`features`).

    Parameters
    ----------
    k : int, optional
        Number of points (output channels), default 10.
    widths : tuple of 4 ints, optional
        Channels of the encoder at the four scales.
    gcn_width : int, optional
        Channels of the global convolution / refinement path.
    kernels : tuple of 4 odd ints, optional
        Global convolution kernel sizes at the four scales.

    References
    ----------
    {reference}

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn.approximation import PD0Approximator
    >>> model = PD0Approximator(k=10, widths=(4, 4, 4, 4), gcn_width=4).eval()
    >>> model(torch.rand(2, 32, 32)).shape
    torch.Size([2, 10, 32, 32])
    """

    def __init__(self, k=10, widths=(16, 32, 48, 64), gcn_width=16, kernels=(15, 9, 7, 3),
                 encoding="ranks", pools=()):
        super().__init__()
        if len(widths) != 4 or len(kernels) != 4:
            raise ValueError(f"widths and kernels must have 4 entries, got {widths}, {kernels}")
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        self.config = {"k": int(k), "widths": [int(w) for w in widths],
                       "gcn_width": int(gcn_width), "kernels": [int(s) for s in kernels],
                       "encoding": encoding, "pools": [int(s) for s in pools]}
        w = widths
        self.stem = nn.Sequential(_ConvBN(4 + 2 * len(pools), w[0]), _ResidualBlock(w[0], w[0]))
        self.down = nn.ModuleList([
            nn.Sequential(_ResidualBlock(w[i], w[i + 1], stride=2),
                          _ResidualBlock(w[i + 1], w[i + 1])) for i in range(3)])
        self.gcn = nn.ModuleList([GlobalConvolution(w[i], gcn_width, kernels[i])
                                  for i in range(4)])
        self.refine_skip = nn.ModuleList([BoundaryRefinement(gcn_width) for _ in range(4)])
        self.refine_merge = nn.ModuleList([BoundaryRefinement(gcn_width) for _ in range(3)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(gcn_width, gcn_width, 2, stride=2)
                                 for _ in range(3)])
        self.head = nn.Conv2d(gcn_width, int(k) if encoding == "ranks" else PAIR_CHANNELS, 1)
        with torch.no_grad():
            if encoding == "ranks":  # prior: about two marked pixels of 32 x 32 per channel
                self.head.bias.fill_(-float(np.log(511.0)))
            else:  # prior: about one candidate in six is a top-k birth / death pixel
                self.head.bias.zero_()
                self.head.bias[:2].fill_(-float(np.log(5.0)))

    @staticmethod
    def features(patches, pools=()):
        """Input channels ``(B, 4 + 2 len(pools), H, W)`` of ``(B, H, W)`` patches.

        0: the patch rescaled to [0, 1]; 1: its excess over the lowest of the
        four neighbours; 2: 1 where no neighbour is lower (the possible
        birth pixels); 3: 1 where two neighbours are lower or equal (the
        possible death pixels); then, for every window size ``s`` in
        ``pools``, the excess over the minimum and the deficit under the
        maximum of the ``s x s`` window (grey erosion and dilation).  Local
        tests and filters only, no persistence.
        """
        x = patches.unsqueeze(1)
        lo = x.amin(dim=(2, 3), keepdim=True)
        hi = x.amax(dim=(2, 3), keepdim=True)
        x = (x - lo) / (hi - lo).clamp_min(1e-12)
        pad = F.pad(x, (1, 1, 1, 1), value=2.0)
        near = torch.stack([pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1],
                            pad[:, :, 1:-1, :-2], pad[:, :, 1:-1, 2:]])
        low = near.amin(dim=0)
        birth = (near >= x).all(dim=0).to(x.dtype)
        death = ((near <= x).sum(dim=0) >= 2).to(x.dtype)
        channels = [x, (x - low).clamp_min(0.0), birth, death]
        for size in pools:
            high = F.max_pool2d(x, size, 1, size // 2)
            channels += [x + F.max_pool2d(-x, size, 1, size // 2), high - x]
        return torch.cat(channels, dim=1)

    def forward(self, patches):
        """Logits ``(B, k, H, W)`` of ``(B, H, W)`` patches (H, W multiples of 8)."""
        x = self.stem(self.features(patches, self.config["pools"]))
        features = [x]
        for block in self.down:
            x = block(x)
            features.append(x)
        skips = [refine(gcn(f)) for f, gcn, refine
                 in zip(features, self.gcn, self.refine_skip)]
        y = skips[3]
        for level in (2, 1, 0):
            y = self.refine_merge[level](self.up[level](y) + skips[level])
        return self.head(y)


PD0Approximator.__doc__ = PD0Approximator.__doc__.format(reference=_REFERENCE.strip())


def dice_loss(logits, targets, eps=1.0, matched=False):
    """Soft dice loss, averaged over patches and channels.

    Parameters
    ----------
    logits : (B, k, H, W) tensor
        Network output (before the sigmoid).
    targets : (B, k, H, W) tensor or ndarray
        0/1 masks, e.g. from :func:`fasttopo.persistence_targets_batch`.
    eps : float, optional
        Smoothing term (an all-zero target and prediction score 0).
    matched : bool, optional
        False (the paper's loss): channel ``r`` is compared with target
        ``r``.  True: per patch, channels ``1..k-1`` are first assigned to
        targets ``1..k-1`` by a minimum-cost matching of their dice losses
        (:func:`scipy.optimize.linear_sum_assignment`, no gradient), so a
        channel must find one of the top-k points but not its lifetime
        rank; channel 0 stays on the essential class.

    Returns
    -------
    loss : 0-d tensor
        ``1 - mean((2 sum(p t) + eps) / (sum(p) + sum(t) + eps))``, ``p``
        the sigmoid of the logits.

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn.approximation import dice_loss
    >>> t = torch.zeros(1, 3, 4, 4)
    >>> t[0, 0, 0, 0] = t[0, 1, 1, 0] = t[0, 1, 1, 1] = t[0, 2, 3, 2] = t[0, 2, 3, 3] = 1
    >>> round(float(dice_loss(torch.where(t > 0, 20.0, -20.0), t)), 4)
    0.0
    >>> swapped = torch.where(t[:, [0, 2, 1]] > 0, 20.0, -20.0)   # ranks 1 and 2 swapped
    >>> fixed, matched = dice_loss(swapped, t), dice_loss(swapped, t, matched=True)
    >>> round(float(fixed), 4), round(float(matched), 4)
    (0.5333, 0.0)
    """
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if matched:
        targets = match_targets(logits, targets, eps)
    p = torch.sigmoid(logits).flatten(2)
    t = targets.flatten(2)
    dice = (2 * (p * t).sum(-1) + eps) / (p.sum(-1) + t.sum(-1) + eps)
    return 1 - dice.mean()


def match_targets(logits, targets, eps=1.0):
    """Targets with ranks ``1..k-1`` permuted, per patch, to best fit the channels.

    The permutation minimises the summed dice loss of the finite channels
    (:func:`scipy.optimize.linear_sum_assignment`, computed without
    gradient); channel 0 (the essential class) keeps its target.

    Parameters
    ----------
    logits : (B, k, H, W) tensor
    targets : (B, k, H, W) tensor

    Returns
    -------
    targets : (B, k, H, W) tensor
        The permuted targets (same dtype and device).
    """
    from scipy.optimize import linear_sum_assignment

    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if logits.shape[1] < 3:
        return targets
    with torch.no_grad():
        p, t = torch.sigmoid(logits[:, 1:]).flatten(2), targets[:, 1:].flatten(2)
        inter = torch.einsum("bin,bjn->bij", p, t)
        dice = (2 * inter + eps) / (p.sum(-1)[:, :, None] + t.sum(-1)[:, None, :] + eps)
        cost = -dice.cpu().numpy()
    columns = np.stack([linear_sum_assignment(c)[1] for c in cost])
    columns = torch.as_tensor(columns, device=targets.device)
    finite = torch.gather(targets[:, 1:], 1, columns[:, :, None, None].expand_as(targets[:, 1:]))
    return torch.cat([targets[:, :1], finite], dim=1)


def training_loss(logits, targets, *, matched=True, pos_weight=20.0):
    """Dice loss plus a weighted binary cross-entropy, on (optionally matched) targets.

    The dice loss alone (sigmoid outputs, two marked pixels in 1024) fell
    into the all-zero solution in our runs from scratch, with saturated
    logits and no gradient left; the cross-entropy term, with positives
    weighted by ``pos_weight``, keeps per-pixel gradients alive.

    Parameters
    ----------
    logits : (B, k, H, W) tensor
    targets : (B, k, H, W) tensor or ndarray
        0/1 masks from :func:`fasttopo.persistence_targets_batch`.
    matched : bool, optional
        Permute the finite ranks to the channels first (:func:`match_targets`).
    pos_weight : float, optional
        Weight of the marked pixels in the cross-entropy.

    Returns
    -------
    loss : 0-d tensor
    """
    targets = torch.as_tensor(targets, dtype=logits.dtype, device=logits.device)
    if matched:
        targets = match_targets(logits, targets)
    weight = torch.tensor(float(pos_weight), dtype=logits.dtype, device=logits.device)
    return (dice_loss(logits, targets)
            + F.binary_cross_entropy_with_logits(logits, targets, pos_weight=weight))


def pair_targets(patches, points, k=10):
    """Targets of the ``"pairs"`` encoding from the engine's top points.

    Parameters
    ----------
    patches : (B, H, W) ndarray
        The patches.
    points : list of PersistenceDiagram
        Per patch, the top points by decreasing lifetime, essential class
        first (the second output of :func:`fasttopo.persistence_targets_batch`,
        called with ``k`` or more).
    k : int, optional
        The first ``k - 1`` finite points are the positives of the birth
        and death maps; the offset and death value are supervised at the
        birth pixels of all the finite points given.

    Returns
    -------
    birth, death : (B, H, W) float32 ndarrays
        1 at the birth (death) pixels of the top ``k - 1`` finite points.
    regression : (B, 3, H, W) float32 ndarray
        At birth pixels: row and column offset to the death pixel (divided
        by ``OFFSET_SCALE``) and the death value of the min-max rescaled
        patch.
    weight : (B, H, W) float32 ndarray
        1 where ``regression`` is supervised.
    """
    count, height, width = patches.shape
    birth = np.zeros((count, height * width), np.float32)
    death = np.zeros_like(birth)
    regression = np.zeros((count, 3, height * width), np.float32)
    weight = np.zeros_like(birth)
    flat = patches.reshape(count, -1).astype(np.float64)
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    scale = np.maximum(hi - lo, 1e-12)
    for b, dgm in enumerate(points):
        finite = dgm.death_index >= 0
        bi, di = dgm.birth_index[finite], dgm.death_index[finite]
        birth[b, bi[:k - 1]] = 1
        death[b, di[:k - 1]] = 1
        regression[b, 0, bi] = (di // width - bi // width) / OFFSET_SCALE
        regression[b, 1, bi] = (di % width - bi % width) / OFFSET_SCALE
        regression[b, 2, bi] = (flat[b, di] - lo[b]) / scale[b]
        weight[b, bi] = 1
    shape = (count, height, width)
    return (birth.reshape(shape), death.reshape(shape),
            regression.reshape(count, 3, height, width), weight.reshape(shape))


def pair_loss(outputs, patches, targets, *, pos_weight=2.0, value_weight=4.0):
    """Training loss of the ``"pairs"`` encoding.

    Weighted binary cross-entropy of the birth (death) logits over the
    possible birth (death) pixels only (the decoding never looks
    elsewhere), plus a smooth-L1 loss of the offset and death value at the
    supervised birth pixels.

    Parameters
    ----------
    outputs : (B, 5, H, W) tensor
        Network output (:data:`PAIR_CHANNELS` channels).
    patches : (B, H, W) tensor
        The patches (for the candidate pixels).
    targets : tuple
        :func:`pair_targets` of the patches.
    pos_weight, value_weight : float, optional
        Weight of the positives in the cross-entropies, and of the death
        value against the offset.

    Returns
    -------
    loss : 0-d tensor
    """
    birth, death, regression, weight = (torch.as_tensor(t, dtype=outputs.dtype)
                                        for t in targets)
    with torch.no_grad():
        features = PD0Approximator.features(patches.to(outputs.dtype))
    loss = outputs.new_zeros(())
    pw = torch.tensor(float(pos_weight), dtype=outputs.dtype)
    for channel, target, mask in ((0, birth, features[:, 2]), (1, death, features[:, 3])):
        bce = F.binary_cross_entropy_with_logits(outputs[:, channel], target, pos_weight=pw,
                                                 reduction="none")
        loss = loss + (bce * mask).sum() / mask.sum().clamp_min(1.0)
    error = F.smooth_l1_loss(outputs[:, 2:5], regression, beta=0.02, reduction="none")
    error = error[:, 0] + error[:, 1] + value_weight * error[:, 2]
    return loss + (error * weight).sum() / weight.sum().clamp_min(1.0)


# -------------------------------------------------------------------------- weights
def save_approximator(model, path, **metadata):
    """Save a :class:`PD0Approximator` as an ``.npz`` of float32 arrays (no pickle).

    ``metadata`` (JSON-serialisable) is stored beside the configuration.
    """
    arrays = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}
    arrays = {n: (a.astype(np.float32) if a.dtype.kind == "f" else a) for n, a in arrays.items()}
    header = json.dumps({"config": model.config, "metadata": metadata})
    np.savez_compressed(path, __header__=np.array(header), **arrays)


def load_approximator(path=None):
    """Load a :class:`PD0Approximator` saved by :func:`save_approximator`, in eval mode.

    Parameters
    ----------
    path : str or path-like, optional
        Default: the pretrained model shipped in the package
        (``fasttopo/models/pd0_approximator.npz``).

    Returns
    -------
    model : PD0Approximator
        On the CPU; ``model.metadata`` holds the training record.

    Examples
    --------
    >>> from fasttopo.nn.approximation import load_approximator
    >>> load_approximator().config["k"]
    10
    """
    config, arrays, metadata = read_weights(path)
    model = PD0Approximator(**config)
    model.load_state_dict({n: torch.from_numpy(a) for n, a in arrays.items()})
    model.metadata = metadata
    return model.eval()


@functools.lru_cache(maxsize=1)
def _pretrained():
    return load_approximator()


# ------------------------------------------------------------------------- decoding
def _check_patches(patches):
    if isinstance(patches, torch.Tensor):
        patches = patches.detach().cpu().numpy()
    return check_patches(patches)


def approximate_diagrams(patches, *, k=10, model=None, threshold=None, candidates=True,
                         batch_size=1024):
    """Approximate dimension-0 persistence diagrams of 32 x 32 patches with a network.

    The network of [1]_ (:class:`PD0Approximator`) marks the birth and death
    pixels of the ``k`` longest-lived points of the sublevel filtration
    (V-construction, ``connectivity=1``); :func:`decode_pairs` (model
    encoding ``"pairs"``, the shipped one) or :func:`decode_diagrams`
    (``"ranks"``) reads the pairs back.  The exact engine is never called.
    Runs on the CPU by default (or wherever ``model`` is).

    Parameters
    ----------
    patches : (B, 32, 32) ndarray or tensor
        Grey patches with values in [0, 1] (any real dtype; other sizes
        divisible by 8 are accepted, the model was trained on 32 x 32).
    k : int, optional
        At most this many points per patch (default 10; at most the model's
        number of channels).
    model : PD0Approximator, optional
        Default: the pretrained model shipped in the package.
    threshold : float, optional
        ``"pairs"``: least birth probability of a reported finite point
        (default 0: always ``k`` points where the patch has enough
        candidates; "found" rewards recall).  ``"ranks"``: score both
        pixels of a rank need for the point to be reported (default 0.05:
        the best harmonic mean of "found" and "present" on 300 patches of
        the training images, among 0.02 to 0.5).
    candidates : bool, optional
        ``"ranks"`` only: choose birth and death pixels among the local
        candidates (default); see :func:`decode_diagrams`.
    batch_size : int, optional
        Patches per forward pass.

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One per patch, dimension 0, birth and death values read from the
        patch (exact values whenever the pixels are right), the essential
        class first.

    Raises
    ------
    TypeError
        If ``patches`` is not real-valued or ``k`` is not an int.
    ValueError
        If ``patches`` is not a non-empty ``(B, H, W)`` stack with H, W
        multiples of 8, holds NaN or inf, or ``k < 1``.

    References
    ----------
    {reference}

    Examples
    --------
    >>> import numpy as np
    >>> from skimage import data
    >>> import fasttopo.nn as tnn
    >>> patches = data.camera()[None, 200:232, 200:232] / 255.0
    >>> dgm = tnn.approximate_diagrams(patches)[0]
    >>> dgm.dim.tolist().count(0) == len(dgm) <= 10
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    array = _check_patches(patches)
    model = _pretrained() if model is None else model
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    ranks = model.config.get("encoding", "ranks") == "ranks"
    outputs = []
    with torch.no_grad():
        for start in range(0, len(array), batch_size):
            x = torch.as_tensor(array[start:start + batch_size], dtype=torch.float32,
                                device=device)
            y = model(x)
            outputs.append((torch.sigmoid(y[:, :k]) if ranks else y).cpu().numpy())
    model.train(was_training)
    if ranks:
        return decode_diagrams(np.concatenate(outputs), array,
                               threshold=0.05 if threshold is None else threshold,
                               candidates=candidates)
    return decode_pairs(np.concatenate(outputs), array, k=k,
                        threshold=0.0 if threshold is None else threshold)


approximate_diagrams.__doc__ = approximate_diagrams.__doc__.format(reference=_REFERENCE.strip())
