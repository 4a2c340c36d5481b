"""Neural approximation of 0-dimensional persistence diagrams of 32 x 32 patches (torch).

After Slater and Weighill (AAAI 2023): a network marks the birth and the death
pixel of the ``k`` longest-lived dimension-0 points of a grey patch
(sublevel filtration, V-construction), and a decoding step reads the pairs
back as :class:`~fasttopo.PersistenceDiagram` objects whose values are read
from the patch.  Neither the forward pass nor the decoding calls the exact
engine: the engine only makes the training targets (:func:`pair_targets`)
and the evaluation's truth.

The network, :class:`PD0Approximator`, is a UNet (Ronneberger et al. 2015)
whose head gives, per pixel: a birth logit (is this pixel on the plateau of
the birth pixel of one of the ``k - 1`` longest-lived finite points), the
lifetime of the point born there, and a pairing head -- an offset to the
death pixel, a death value with its precision, a death bias, and a query and
a key vector.  The pairing logit of a birth pixel ``i`` and a possible death
pixel ``j`` (:func:`pair_logits`) is ``<q_i, k_j> / 4 + bias_j - |j - (i +
offset_i)|^2 / 8 - precision_i |v_j - value_i|``; training
(:func:`pair_loss`) maximises the softmax mass of the pixels that hold the
true death value, so the decoding (:func:`fasttopo.approximation.decode_outputs`)
snaps every chosen birth to an image value of a possible death pixel.

:func:`approximate_diagrams` here and :func:`fasttopo.approximation.approximate_diagrams`
(NumPy, no torch) take the same arguments, share their checks and decoding,
and read the same model file (:func:`save_approximator`, validated on load).
"""

import functools
import json
import pathlib

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..approximation.decoding import (EMBED, HEAD, OFFSET_SCALE, SIGMA, VALUE_PRECISION,
                                      candidates, decode)
from ..approximation.inference import (PRETRAINED_PATH, check_arguments, decode_outputs,
                                       diagrams_of, score_diagrams)
from ..approximation.model_file import FORMAT, check_config, read_model

__all__ = ["PD0Approximator", "features", "pair_logits", "pair_loss", "pair_targets",
           "approximate_diagrams", "decode_outputs", "score_diagrams", "load_approximator",
           "save_approximator", "PRETRAINED_PATH"]


def features(patches, pools=(5, 9, 17)):
    """Input channels ``(B, 6 + 2 len(pools), H, W)`` of ``(B, H, W)`` patches.

    0: the patch rescaled to [0, 1] (min-max); 1: its excess over the lowest
    4-neighbour; 2, 3: 1 on the possible birth and death pixels (the local
    tests of :func:`fasttopo.approximation.decoding.candidates`, computed on
    the CPU without gradient); 4, 5: row and column in [-1, 1]; then, per
    window size ``s`` of ``pools``, the excess over the minimum and the
    deficit under the maximum of the ``s x s`` window.  Local tests and
    filters, no persistence.
    """
    x = patches.unsqueeze(1)
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    x = (x - lo) / (hi - lo).clamp_min(1e-12)
    pad = F.pad(x, (1, 1, 1, 1), value=2.0)
    near = torch.stack([pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1],
                        pad[:, :, 1:-1, :-2], pad[:, :, 1:-1, 2:]])
    h, w = x.shape[2:]
    birth, death = candidates(patches.detach().cpu().numpy())
    birth, death = (torch.from_numpy(m.reshape(-1, 1, h, w)).to(x.dtype).to(x.device)
                    for m in (birth, death))
    rows = (torch.arange(h, dtype=x.dtype, device=x.device) * 2 - (h - 1)) / max(h - 1, 1)
    cols = (torch.arange(w, dtype=x.dtype, device=x.device) * 2 - (w - 1)) / max(w - 1, 1)
    channels = [x, (x - near.amin(dim=0)).clamp_min(0.0), birth, death,
                rows.view(1, 1, h, 1).expand_as(x), cols.view(1, 1, 1, w).expand_as(x)]
    for size in pools:
        channels += [x + F.max_pool2d(-x, size, 1, size // 2),
                     F.max_pool2d(x, size, 1, size // 2) - x]
    return torch.cat(channels, dim=1)


def _block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True),
                         nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


def _as_list(value, name):
    if isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of ints, got {value!r}")
    try:
        return [int(v) if isinstance(v, (np.integer,)) else v for v in value]
    except TypeError:
        raise ValueError(f"{name} must be a sequence of ints, got {value!r}") from None


class PD0Approximator(nn.Module):
    """UNet with a pairing head for the top-k points of the 0-dimensional diagram.

    An encoder of ``len(widths)`` levels (two 3 x 3 convolutions with batch
    norm and ReLU per level, 2 x 2 max pooling between levels: 32 -> 16 -> 8
    -> 4 pixels for the default four), a decoder that upsamples (nearest),
    concatenates the skip connection of the same level and convolves again,
    and a 1 x 1 head of ``HEAD`` = 40 channels at full resolution (described
    in :mod:`fasttopo.nn.approximation`).  The input is the patch rescaled to
    [0, 1] with a few local channels (:func:`features`).

    Parameters
    ----------
    k : int, optional
        Points per patch the model is trained for (the essential class
        included), in [2, :data:`fasttopo.approximation.MAX_K`]; default 10.
    widths : sequence of int, optional
        Channels per level, 2 to 6 levels (patch sides must be multiples of
        ``2 ** (levels - 1)``).
    pools : sequence of odd int, optional
        Windows of the erosion / dilation input channels (at most 4, 3 to 31).

    Raises
    ------
    ValueError
        If an argument is out of range.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.
    .. [2] O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks
       for biomedical image segmentation", MICCAI 2015,
       https://doi.org/10.1007/978-3-319-24574-4_28.

    Examples
    --------
    >>> import torch
    >>> from fasttopo.nn.approximation import PD0Approximator
    >>> model = PD0Approximator(widths=(4, 4, 4), pools=()).eval()
    >>> model(torch.rand(2, 32, 32)).shape
    torch.Size([2, 40, 32, 32])
    """

    def __init__(self, k=10, widths=(32, 48, 64, 96), pools=(5, 9, 17)):
        super().__init__()
        k = int(k) if isinstance(k, np.integer) else k
        self.config = check_config({"k": k, "widths": _as_list(widths, "widths"),
                                    "pools": _as_list(pools, "pools")}, where="PD0Approximator")
        w, pools = self.config["widths"], self.config["pools"]
        self.enc = nn.ModuleList([_block(6 + 2 * len(pools), w[0])]
                                 + [_block(w[i], w[i + 1]) for i in range(len(w) - 1)])
        self.dec = nn.ModuleList([_block(w[i + 1] + w[i], w[i]) for i in range(len(w) - 1)])
        self.head = nn.Conv2d(w[0], HEAD, 1)
        with torch.no_grad():
            self.head.bias.zero_()
            self.head.bias[0] = -2.0        # prior: few candidates are top-k births

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

    The same formula as the NumPy decoding (``fasttopo.approximation.decoding``).
    """
    b, channels, h, w = outputs.shape
    flat = outputs.flatten(2)
    idx = births.clamp_min(0)
    g = torch.gather(flat, 2, idx[:, None, :].expand(b, channels, idx.shape[1]))   # (B, C, M)
    logits = (torch.bmm(g[:, 8:8 + EMBED].transpose(1, 2), flat[:, 8 + EMBED:]) / np.sqrt(EMBED)
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
    spatial = F.softplus(g[:, 7]) + 0.05
    return (logits - spatial[..., None] * dist2 / (2 * SIGMA ** 2)
            - precision[..., None] * (xn[:, None, :] - g[:, 4][..., None]).abs())


def pair_loss(outputs, patches, targets, *, rank_weights=None):
    """Training loss of :class:`PD0Approximator`, and its four terms.

    * birth: binary cross-entropy of the birth logits (positives weighted
      2x) over the possible birth pixels;
    * lifetime: smooth L1 of the lifetime channel over the possible birth
      pixels;
    * regression: smooth L1 of the offset (to the death pixel) and of the
      death value (weighted 4x) at the supervised birth pixels;
    * pairing: minus the log of the softmax mass of :func:`pair_logits`
      (over the possible death pixels of higher value than the birth) on the
      pixels that hold the true death value, at the supervised birth pixels.

    Parameters
    ----------
    outputs : (B, HEAD, H, W) tensor
        Network outputs.
    patches : (B, H, W) ndarray or tensor
        The patches.
    targets : tuple
        :func:`pair_targets` of the patches.
    rank_weights : (M,) array_like, optional
        Weight of the supervised points by lifetime rank (default all 1).

    Returns
    -------
    loss : 0-d tensor
        ``birth + 5 lifetime + regression + 0.5 pairing``.
    terms : tuple of 4 floats
        The four terms (detached), for the log.
    """
    birth, life, births, deaths, death_pixels = (torch.as_tensor(t) for t in targets)
    array = patches.detach().cpu().numpy() if isinstance(patches, torch.Tensor) else patches
    can_birth, can_death = (torch.from_numpy(c) for c in candidates(np.asarray(array)))
    count, _, h, w = outputs.shape
    x = torch.as_tensor(array).flatten(1).to(outputs.dtype)
    o = outputs.flatten(2)
    cb = can_birth.to(outputs.dtype)
    bce = F.binary_cross_entropy_with_logits(o[:, 0], birth.to(outputs.dtype), reduction="none",
                                             pos_weight=torch.tensor(2.0, dtype=outputs.dtype))
    l_birth = (bce * cb).sum() / cb.sum()
    l_life = (F.smooth_l1_loss(o[:, 1], life.to(outputs.dtype), beta=0.02, reduction="none")
              * cb).sum() / cb.sum()
    logits = pair_logits(outputs, torch.as_tensor(array), births)
    idx = births.clamp_min(0)
    xb = torch.gather(x, 1, idx)
    valid = can_death[:, None, :] & (x[:, None, :] > xb[..., None])
    target = valid & (x[:, None, :] == deaths.to(x.dtype)[..., None])
    ok = (births >= 0) & target.any(-1)
    ce = (torch.logsumexp(logits.masked_fill(~valid, -1e9), -1)
          - torch.logsumexp(logits.masked_fill(~target, -1e9), -1))
    if rank_weights is None:
        rank_weights = torch.ones(births.shape[1])
    weights = torch.as_tensor(rank_weights, dtype=outputs.dtype)[None, :] * ok.to(outputs.dtype)
    total = weights.sum().clamp_min(1.0)
    l_pair = (ce * weights).sum() / total
    g = torch.gather(o[:, 2:5], 2, idx[:, None, :].expand(count, 3, idx.shape[1]))  # (B, 3, M)
    dp = death_pixels.clamp_min(0)
    lo, hi = x.amin(1, keepdim=True), x.amax(1, keepdim=True)
    want = torch.stack([(dp // w - idx // w).to(outputs.dtype) / OFFSET_SCALE,
                        (dp % w - idx % w).to(outputs.dtype) / OFFSET_SCALE,
                        (torch.gather(x, 1, dp) - lo) / (hi - lo).clamp_min(1e-12)], dim=1)
    error = F.smooth_l1_loss(g, want, beta=0.02, reduction="none")
    error = error[:, 0] + error[:, 1] + 4.0 * error[:, 2]
    l_reg = (error * weights).sum() / total
    loss = l_birth + 5.0 * l_life + l_reg + 0.5 * l_pair
    return loss, tuple(float(t.detach()) for t in (l_birth, l_life, l_reg, l_pair))


def pair_targets(patches, diagrams, *, k=10, m=24, rng=None):
    """Training targets of ``(B, H, W)`` patches from their exact diagrams.

    Returns ``birth`` ``(B, H*W)`` (1 on the plateaus of the birth pixels
    of the ``k - 1`` longest-lived finite points), ``life`` ``(B, H*W)``
    (lifetime / patch range on every pixel of a birth plateau), ``births``
    ``(B, m)`` (a possible birth pixel of the birth plateau of each of the
    ``m`` longest-lived finite points, chosen at random with ``rng``, -1 where
    fewer), ``deaths`` ``(B, m)`` (their death values) and ``death_pixels``
    ``(B, m)`` (their death pixels, -1 where fewer).
    """
    from skimage.measure import label

    rng = np.random.default_rng(0) if rng is None else rng
    count, h, w = patches.shape
    n = h * w
    birth = np.zeros((count, n), np.float32)
    life = np.zeros((count, n), np.float32)
    births = np.full((count, m), -1, np.int64)
    deaths = np.zeros((count, m), patches.dtype)
    death_pixels = np.full((count, m), -1, np.int64)
    can_birth, _ = candidates(patches)
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
            members = np.flatnonzero((plateau == labels[r]) & can_birth[b])
            births[b, r] = members[rng.integers(len(members))] if len(members) > 1 else bi[r]
            deaths[b, r] = flat[di[r]]
            death_pixels[b, r] = di[r]
    return birth, life, births, deaths, death_pixels


# -------------------------------------------------------------------------- weights
def save_approximator(model, path, **metadata):
    """Save a :class:`PD0Approximator` as an ``.npz`` of float32 arrays (no pickle).

    The file holds the configuration and ``metadata`` (JSON-serialisable,
    e.g. the training record) in a ``__header__`` string;
    :func:`load_approximator` and :func:`fasttopo.approximation.read_weights`
    validate it on load.

    Parameters
    ----------
    model : PD0Approximator
    path : str or path-like
    **metadata
        Stored beside the configuration.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fasttopo.nn.approximation import (PD0Approximator, load_approximator,
    ...                                        save_approximator)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.npz"
    >>> save_approximator(PD0Approximator(widths=(4, 4)), path, note="tiny")
    >>> load_approximator(path).metadata
    {'note': 'tiny'}
    """
    if not isinstance(model, PD0Approximator):
        raise TypeError(f"model must be a PD0Approximator, got {type(model).__name__}")
    arrays = {name: t.detach().cpu().numpy().astype(np.float32)
              for name, t in model.state_dict().items()
              if not name.endswith("num_batches_tracked")}
    header = json.dumps({"format": FORMAT, "config": model.config, "metadata": metadata})
    np.savez_compressed(path, __header__=np.array(header), **arrays)


def load_approximator(path=None):
    """Load a :class:`PD0Approximator` from a file, validated, in eval mode, on the CPU.

    Parameters
    ----------
    path : str or path-like, optional
        A file written by :func:`save_approximator`; default the shipped
        model (``fasttopo/models/pd0_approximator.npz``).

    Returns
    -------
    model : PD0Approximator
        ``model.metadata`` holds the training record.

    Raises
    ------
    ValueError
        Naming the file, if it fails the checks of
        :func:`fasttopo.approximation.read_weights`.

    Examples
    --------
    >>> from fasttopo.nn.approximation import load_approximator
    >>> load_approximator().config["k"]
    10
    """
    config, arrays, metadata = read_model(path)
    model = PD0Approximator(**config)
    state = model.state_dict()
    state.update({n: torch.from_numpy(a) for n, a in arrays.items()})
    model.load_state_dict(state)
    model.metadata = metadata
    return model.eval()


@functools.lru_cache(maxsize=1)
def _pretrained():
    return load_approximator()


def _resolve(model):
    if model is None:
        return _pretrained()
    if isinstance(model, (str, pathlib.PurePath)):
        return load_approximator(model)
    if not isinstance(model, PD0Approximator):
        raise TypeError(f"model must be None (the shipped model), the path of a model file or "
                        f"a PD0Approximator, got {type(model).__name__}")
    return model


def approximate_diagrams(patches, *, k=10, threshold=0.0, model=None, batch_size=256,
                         augment=True):
    """Approximate dimension-0 diagrams of 32 x 32 patches with a network (torch).

    The network of :class:`PD0Approximator` marks the birth and death pixels
    of the ``k`` longest-lived points of the sublevel filtration
    (V-construction, ``connectivity=1``);
    :func:`fasttopo.approximation.decode_outputs` reads them back.  The exact
    engine is never called.  Same arguments, checks and decoding as
    :func:`fasttopo.approximation.approximate_diagrams` (NumPy, no torch).
    Runs where ``model`` is (CPU for the shipped model).

    Parameters
    ----------
    patches : (B, 32, 32) ndarray or tensor
        Grey patches (any real dtype; each is min-max rescaled; other sizes
        that are multiples of 8 are accepted, the model was trained on
        32 x 32).
    k : int, optional
        At most this many points per patch, the essential class included
        (1 to the model's ``k``: 10 for the shipped model).
    threshold : float, optional
        Least birth probability, in [0, 1], of a reported finite point
        (default 0: always ``k`` points where the patch has enough
        candidates).
    model : PD0Approximator, str or path-like, optional
        A model, or a model file (validated on load); default the shipped
        model.
    batch_size : int, optional
        Patches per forward pass.
    augment : bool, optional
        Test-time augmentation (default): the vote of the eight copies of
        each patch under the grid's rotations and mirrors, as in
        :func:`fasttopo.approximation.approximate_diagrams`.

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One per patch, dimension 0, birth and death values read from the
        patch, the essential class first, then by decreasing lifetime.

    Raises
    ------
    TypeError
        If ``patches`` is not real-valued, ``k`` not an int, ``threshold``
        not a number or ``model`` of another type.
    ValueError
        If ``patches`` is not a non-empty ``(B, H, W)`` stack with H, W
        multiples of 8 or holds NaN or inf, ``k``, ``threshold`` or
        ``batch_size`` is out of range, or the model file is invalid.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.

    Examples
    --------
    >>> from skimage import data
    >>> import fasttopo.nn as tnn
    >>> patches = data.camera()[None, 200:232, 200:232] / 255.0
    >>> dgm = tnn.approximate_diagrams(patches)[0]
    >>> bool(dgm.is_essential[0]), len(dgm)
    (True, 10)
    """
    model = _resolve(model)
    if isinstance(patches, torch.Tensor):
        patches = patches.detach().cpu().numpy()
    array, k, threshold, batch_size, augment = check_arguments(
        patches, k, threshold, batch_size, model.config, augment)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()

    def decoded(stack):
        with torch.no_grad():
            outputs = np.concatenate([
                model(torch.as_tensor(stack[s:s + batch_size], dtype=torch.float32,
                                      device=device)).cpu().numpy()
                for s in range(0, len(stack), batch_size)])
        return decode(outputs, stack, k=k, threshold=threshold)

    try:
        return diagrams_of(decoded, array, k, augment)
    finally:
        model.train(was_training)
