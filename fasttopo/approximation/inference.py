"""Approximate 0-dimensional diagrams of 32 x 32 patches with a network, in NumPy.

The torch-free half of :mod:`fasttopo.nn.approximation` (Slater and
Weighill, AAAI 2023): the forward pass of the shipped
:class:`~fasttopo.nn.approximation.PD0Approximator` written with NumPy
(convolutions as ``sliding_window_view`` + ``tensordot``, batch norms
folded), the decoding of its outputs (birth / death maps with offsets,
:func:`decode_pairs`, or per-rank pixel scores, :func:`decode_diagrams`)
into :class:`~fasttopo.PersistenceDiagram` objects, and the paper's scores.
Importing this module does not import torch; neither the forward pass nor
the decoding calls the exact engine.  The encoding and the decoding rule are
described in :mod:`fasttopo.nn.approximation`.
"""

import functools
import json
import pathlib

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._diagram import PersistenceDiagram

__all__ = ["approximate_diagrams", "decode_diagrams", "decode_pairs", "score_diagrams",
           "read_weights", "PRETRAINED_PATH", "ENCODINGS", "PAIR_CHANNELS", "OFFSET_SCALE"]

PRETRAINED_PATH = pathlib.Path(__file__).resolve().parent.parent / "models" / "pd0_approximator.npz"

#: Output encodings of the network: one map per lifetime rank, or birth / death maps + pairing.
ENCODINGS = ("ranks", "pairs")
#: Channels of the ``"pairs"`` encoding: birth logit, death logit, row and column offset
#: (in units of ``OFFSET_SCALE`` pixels) from a birth pixel to its death pixel, death value.
PAIR_CHANNELS = 5
OFFSET_SCALE = 8.0


def read_weights(path=None):
    """The weights of a PD0 approximator saved by ``save_approximator`` (no torch needed).

    Parameters
    ----------
    path : str or path-like, optional
        A ``.npz`` file; default the shipped model, ``PRETRAINED_PATH``
        (``fasttopo/models/pd0_approximator.npz``).

    Returns
    -------
    config : dict
        The architecture: ``k`` ranks, channel widths, kernel sizes.
    arrays : dict of str to ndarray
        The layers' weights and batch-norm statistics, by torch parameter
        name.
    metadata : dict
        How the model was trained (script, seed, steps, learning curve).

    Raises
    ------
    OSError
        If ``path`` cannot be read.
    KeyError
        If the file has no fasttopo header (not saved by ``save_approximator``).

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.

    Examples
    --------
    >>> from fasttopo.approximation import read_weights
    >>> config, arrays, metadata = read_weights()
    >>> config["k"], metadata["seed"]
    (10, 0)
    """
    path = PRETRAINED_PATH if path is None else pathlib.Path(path)
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["__header__"]))
        arrays = {n: data[n].copy() for n in data.files if n != "__header__"}
    return header["config"], arrays, header.get("metadata", {})


@functools.lru_cache(maxsize=1)
def _pretrained():
    config, arrays, _ = read_weights()
    return config, _fold(arrays)


# ------------------------------------------------------------------ NumPy forward pass
def _fold(arrays):
    """Fold every batch norm (eval mode) into the convolution before it.

    A ``conv + batch norm`` pair is saved as ``<prefix>.0.weight`` and
    ``<prefix>.1.{weight, bias, running_mean, running_var}``.
    """
    out = dict(arrays)
    for name in arrays:
        if not name.endswith(".1.running_var"):
            continue
        prefix = name[:-len(".1.running_var")]
        scale = arrays[prefix + ".1.weight"] / np.sqrt(arrays[name] + 1e-5)
        shift = arrays[prefix + ".1.bias"] - arrays[prefix + ".1.running_mean"] * scale
        out[prefix + ".0.weight"] = (arrays[prefix + ".0.weight"]
                                     * scale[:, None, None, None]).astype(np.float32)
        out[prefix + ".0.bias"] = shift.astype(np.float32)
    return out


def _conv(x, weight, bias=None, stride=1):
    """``torch.nn.functional.conv2d`` with 'same' padding ``kernel // 2``: (B, C, H, W)."""
    kh, kw = weight.shape[2:]
    x = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if bias is not None:
        out += bias[None, :, None, None]
    return np.ascontiguousarray(out, dtype=np.float32)


def _conv_bn(w, prefix, x, stride=1, relu=True):
    y = _conv(x, w[prefix + ".0.weight"], w[prefix + ".0.bias"], stride)
    return np.maximum(y, 0) if relu else y


def _residual(w, prefix, x, stride=1):
    y = _conv_bn(w, prefix + ".body.0", x, stride)
    y = _conv_bn(w, prefix + ".body.1", y, relu=False)
    skip = _conv_bn(w, prefix + ".skip", x, stride, relu=False) if prefix + ".skip.0.weight" in w \
        else x
    return np.maximum(y + skip, 0)


def _gcn(w, prefix, x):
    left = _conv(_conv(x, w[prefix + ".left.0.weight"], w[prefix + ".left.0.bias"]),
                 w[prefix + ".left.1.weight"], w[prefix + ".left.1.bias"])
    right = _conv(_conv(x, w[prefix + ".right.0.weight"], w[prefix + ".right.0.bias"]),
                  w[prefix + ".right.1.weight"], w[prefix + ".right.1.bias"])
    n = prefix + ".norm."
    scale = w[n + "weight"] / np.sqrt(w[n + "running_var"] + 1e-5)
    shift = w[n + "bias"] - w[n + "running_mean"] * scale
    return (left + right) * scale[None, :, None, None] + shift[None, :, None, None]


def _refine(w, prefix, x):
    y = _conv_bn(w, prefix + ".body.0", x)
    return x + _conv_bn(w, prefix + ".body.1", y, relu=False)


def _upsample(w, prefix, x):
    """Transposed convolution, kernel 2, stride 2."""
    weight, bias = w[prefix + ".weight"], w[prefix + ".bias"]   # (C_in, C_out, 2, 2)
    b, _, h, wd = x.shape
    y = np.tensordot(x, weight, axes=([1], [0]))               # (B, H, W, C_out, 2, 2)
    y = y.transpose(0, 3, 1, 4, 2, 5).reshape(b, weight.shape[1], 2 * h, 2 * wd)
    return y + bias[None, :, None, None]


def features(patches, pools=()):
    """The network's input channels (see ``PD0Approximator.features``)."""
    x = patches.astype(np.float32)[:, None]
    lo = x.min(axis=(2, 3), keepdims=True)
    hi = x.max(axis=(2, 3), keepdims=True)
    x = (x - lo) / np.maximum(hi - lo, np.float32(1e-12))
    pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=2.0)
    near = np.stack([pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1], pad[:, :, 1:-1, :-2],
                     pad[:, :, 1:-1, 2:]])
    birth = (near >= x).all(axis=0)
    death = (near <= x).sum(axis=0) >= 2
    channels = [x, np.maximum(x - near.min(axis=0), 0), birth, death]
    for size in pools:
        h = size // 2
        padded = np.pad(x, ((0, 0), (0, 0), (h, h), (h, h)), mode="edge")
        windows = sliding_window_view(padded, (size, size), axis=(2, 3))
        channels += [x - windows.min(axis=(4, 5)), windows.max(axis=(4, 5)) - x]
    return np.concatenate(channels, axis=1).astype(np.float32)


def forward(weights, patches, pools=()):
    """Outputs ``(B, C, H, W)`` of the network whose folded weights are ``weights``."""
    w = weights
    x = _residual(w, "stem.1", _conv_bn(w, "stem.0", features(patches, pools)))
    levels = [x]
    for i in range(3):
        x = _residual(w, f"down.{i}.1", _residual(w, f"down.{i}.0", x, stride=2))
        levels.append(x)
    skips = [_refine(w, f"refine_skip.{i}", _gcn(w, f"gcn.{i}", f)) for i, f in enumerate(levels)]
    y = skips[3]
    for level in (2, 1, 0):
        y = _refine(w, f"refine_merge.{level}", _upsample(w, f"up.{level}", y) + skips[level])
    return _conv(y, w["head.weight"], w["head.bias"])


# ------------------------------------------------------------------------- decoding
def _candidates(patches):
    """Pixels that can be a birth (no lower 4-neighbour) or a death (two 4-neighbours
    lower or equal) of a dimension-0 point, as ``(B, H*W)`` boolean arrays."""
    x = patches.astype(np.float64)
    pad = np.pad(x, ((0, 0), (1, 1), (1, 1)), constant_values=np.inf)
    neighbours = np.stack([pad[:, :-2, 1:-1], pad[:, 2:, 1:-1], pad[:, 1:-1, :-2],
                           pad[:, 1:-1, 2:]])
    birth = (neighbours >= x).all(axis=0)
    death = (neighbours <= x).sum(axis=0) >= 2
    return birth.reshape(len(x), -1), death.reshape(len(x), -1)


def _check_outputs(outputs, patches, name, channels):
    """``(outputs as float64, patches)`` checked: (B, channels, H, W) and (B, H, W) of the
    same B, H, W (``channels`` an int, or a letter for any), both finite."""
    outputs = np.asarray(outputs, dtype=np.float64)
    patches = np.asarray(patches)
    if outputs.ndim != 4 or patches.ndim != 3 or outputs.shape[0] != patches.shape[0] \
            or outputs.shape[2:] != patches.shape[1:] \
            or (isinstance(channels, int) and outputs.shape[1] != channels):
        raise ValueError(f"{name} must be (B, {channels}, H, W) and patches (B, H, W) of the "
                         f"same B, H, W, got shapes {outputs.shape} and {patches.shape}")
    if not (np.isfinite(outputs).all() and np.isfinite(patches).all()):
        raise ValueError(f"{name} and patches must be finite (no NaN or infinity)")
    return outputs, patches


def decode_diagrams(scores, patches, *, k=None, threshold=0.5, candidates=True):
    """Points of the top-k PD0 from per-rank pixel scores (no persistence computation).

    Parameters
    ----------
    scores : (B, C, H, W) array_like
        Per-rank scores (probabilities), channel 0 the essential class.
    patches : (B, H, W) array_like
        The patches; birth and death values are read from them.
    k : int, optional
        Channels to use (default: all ``C``).
    threshold : float, optional
        Both pixels of a channel ``r >= 1`` must score at least this.
    candidates : bool, optional
        Default True: a birth pixel is chosen among the pixels with no
        lower 4-neighbour (every birth pixel of a dimension-0 point is
        one) and a death pixel among those with two 4-neighbours lower or
        equal (every death pixel merges two components), the best-scoring
        of each in the channel; a point needs ``death > birth``.  False:
        the two best-scoring pixels of the channel, the lower-valued one as
        the birth.  Both are local tests of the patch, not persistence.

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One dimension-0 diagram per patch, sublevel, ``connectivity=1``,
        at most ``k`` points: the essential class first, then by decreasing
        lifetime.  A point whose birth pixel an earlier channel used is
        dropped.

    Raises
    ------
    ValueError
        If ``scores`` is not ``(B, C, H, W)``, ``patches`` not ``(B, H, W)``
        of the same ``B``, ``H``, ``W``, either holds NaN or infinities, or
        ``k < 1``.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.approximation import decode_diagrams
    >>> patch = np.array([[0.0, 0.9, 0.2], [0.8, 0.9, 0.9], [0.9, 0.9, 0.9]])
    >>> scores = np.zeros((1, 2, 3, 3))
    >>> scores[0, 0, 0, 0] = 1.0                      # essential class at (0, 0)
    >>> scores[0, 1, 0, 2] = scores[0, 1, 0, 1] = 0.9  # born at (0, 2), dies at (0, 1)
    >>> decode_diagrams(scores, patch[None])[0].to_pairs()
    array([[0. , inf],
           [0.2, 0.9]])
    """
    scores, patches = _check_outputs(scores, patches, "scores", "C")
    count, channels = scores.shape[:2]
    if k is not None and int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    k = channels if k is None else min(int(k), channels)
    flat_scores = scores[:, :k].reshape(count, k, -1)
    flat = patches.reshape(count, -1)
    values = flat.astype(np.float64)
    shape = tuple(patches.shape[1:])
    if candidates:
        can_birth, can_death = _candidates(patches)
        births = np.where(can_birth[:, None], flat_scores, -np.inf).argmax(axis=2)
        deaths = np.where(can_death[:, None], flat_scores, -np.inf).argmax(axis=2)
    else:  # two best pixels of every channel, the lower-valued one is the birth
        best2 = np.argpartition(-flat_scores, 1, axis=2)[:, :, :2]
        i, j = best2[..., 0], best2[..., 1]
        vi = np.take_along_axis(values[:, None], i[..., None], 2)[..., 0]
        vj = np.take_along_axis(values[:, None], j[..., None], 2)[..., 0]
        first = (vi < vj) | ((vi == vj) & (i < j))
        births, deaths = np.where(first, i, j), np.where(first, j, i)
        top = flat_scores.argmax(axis=2)
        births[:, 0] = top[:, 0]
    s_birth = np.take_along_axis(flat_scores, births[..., None], 2)[..., 0]
    s_death = np.take_along_axis(flat_scores, deaths[..., None], 2)[..., 0]
    v_birth = np.take_along_axis(values, births, 1)
    v_death = np.take_along_axis(values, deaths, 1)
    keep = (np.minimum(s_birth, s_death) >= threshold) & (v_death > v_birth)
    keep[:, 0] = True
    out = []
    for b in range(count):
        birth_index, death_index, used = [], [], set()
        for r in np.flatnonzero(keep[b]):
            i = int(births[b, r])
            if i in used:
                continue
            used.add(i)
            birth_index.append(i)
            death_index.append(-1 if r == 0 else int(deaths[b, r]))
        birth_index = np.array(birth_index, dtype=np.int64)
        death_index = np.array(death_index, dtype=np.int64)
        birth = values[b, birth_index]
        death = np.where(death_index < 0, np.inf, values[b, death_index])
        order = np.argsort(birth - death, kind="stable")  # essential first, then lifetime
        birth, death = birth[order], death[order]
        birth_index, death_index = birth_index[order], death_index[order]
        out.append(PersistenceDiagram(np.zeros(len(birth), np.int8), birth, death, birth_index,
                                      death_index, shape=shape, connectivity=1))
    return out


def decode_pairs(outputs, patches, *, k=10, threshold=0.0, sigma=2.5, tau=0.05):
    """Points of the top-k PD0 from ``"pairs"`` outputs (no persistence computation).

    The ``"pairs"`` encoding (:data:`PAIR_CHANNELS` maps per patch) is a
    birth map and a death map (logits: is this pixel the birth, resp. death,
    pixel of one of the ``k - 1`` longest-lived finite points), and, read at
    birth pixels, the offset to the death pixel (rows, columns, in units of
    :data:`OFFSET_SCALE` pixels) and the death value of the min-max
    rescaled patch (the keypoint-plus-offset association of CenterNet).

    Decoding, per patch, with two local tests of the patch (a possible birth
    pixel has no lower 4-neighbour; a possible death pixel has two
    4-neighbours lower or equal):

    1. the essential class is born at the global minimum (exact: it is the
       first pixel of the sublevel filtration);
    2. the other possible birth pixels are taken by decreasing birth score
       (those scoring below ``threshold`` are not);
    3. each is paired with the possible death pixel ``d`` of higher value
       that minimises ``-log s(d) + |d - (b + offset)|^2 / (2 sigma^2) +
       |v(d) - predicted death value| / tau`` (``s`` the death score): the
       pixel where the offset points, of about the predicted value;
    4. a point whose (birth, death) values repeat an earlier one is dropped
       (ties of a plateau), until ``k`` points are kept.

    The defaults ``sigma=2.5``, ``tau=0.05`` gave the most true top-10
    points found on 300 patches of the *training* images, among ``sigma``
    in 1 to 4 and ``tau`` in 0.02 to 0.5 (the spread was 55-61 %).

    Parameters
    ----------
    outputs : (B, 5, H, W) array_like
        Network outputs (logits for channels 0 and 1).
    patches : (B, H, W) array_like
        The patches; birth and death values are read from them.
    k : int, optional
        At most this many points per patch, the essential class included.
    threshold : float, optional
        Least birth probability of a reported finite point (default 0:
        always ``k`` points when the patch has that many candidates).
    sigma : float, optional
        Tolerance, in pixels, around the pixel the offset points to.
    tau : float, optional
        Tolerance on the death value (rescaled patch, in [0, 1]).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One dimension-0 diagram per patch, sublevel, ``connectivity=1``,
        the essential class first, then by decreasing lifetime.

    Raises
    ------
    ValueError
        If ``outputs`` is not ``(B, 5, H, W)``, ``patches`` not ``(B, H, W)``
        of the same ``B``, ``H``, ``W``, either holds NaN or infinities, or
        ``k < 1``.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.
    .. [2] X. Zhou, D. Wang, P. Kraehenbuehl, "Objects as points",
       arXiv:1904.07850, 2019, https://doi.org/10.48550/arXiv.1904.07850.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.approximation import decode_pairs
    >>> patch = np.array([[0.0, 0.9, 0.2], [0.8, 0.9, 0.9], [0.9, 0.9, 0.9]])
    >>> outputs = np.zeros((1, 5, 3, 3))
    >>> outputs[0, :2] = -5.0
    >>> outputs[0, 0, 0, 2] = 5.0                  # a birth at (0, 2) ...
    >>> outputs[0, 3, 0, 2] = -1 / 8               # ... whose death is one column left
    >>> outputs[0, 4, 0, 2] = 1.0                  # ... at the top value
    >>> decode_pairs(outputs, patch[None])[0].to_pairs()
    array([[0. , inf],
           [0.2, 0.9]])
    """
    outputs, patches = _check_outputs(outputs, patches, "outputs", PAIR_CHANNELS)
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    count, _, height, width = outputs.shape
    shape = (height, width)
    flat = patches.reshape(count, -1)
    values = flat.astype(np.float64)
    lo = values.min(axis=1, keepdims=True)
    normalised = (values - lo) / np.maximum(values.max(axis=1, keepdims=True) - lo, 1e-12)
    can_birth, can_death = _candidates(patches)
    rows, cols = np.divmod(np.arange(height * width), width)
    out = outputs.reshape(count, PAIR_CHANNELS, -1)
    birth_score = -np.logaddexp(0.0, -out[:, 0])        # log sigmoid
    death_score = -np.logaddexp(0.0, -out[:, 1])
    diagrams = []
    for b in range(count):
        essential = int(np.argmin(values[b]))
        births = np.flatnonzero(can_birth[b])
        births = births[births != essential]
        births = births[np.argsort(-birth_score[b, births], kind="stable")]
        deaths = np.flatnonzero(can_death[b])
        birth_index, death_index, seen = [essential], [-1], set()
        for i in births:
            if len(birth_index) >= k or birth_score[b, i] < np.log(max(threshold, 1e-300)):
                break
            later = deaths[values[b, deaths] > values[b, i]]
            if not len(later):
                continue
            row = rows[i] + OFFSET_SCALE * out[b, 2, i]
            col = cols[i] + OFFSET_SCALE * out[b, 3, i]
            cost = (-death_score[b, later]
                    + ((rows[later] - row) ** 2 + (cols[later] - col) ** 2) / (2 * sigma ** 2)
                    + np.abs(normalised[b, later] - out[b, 4, i]) / tau)
            j = int(later[np.argmin(cost)])
            key = (values[b, i], values[b, j])
            if key in seen:
                continue
            seen.add(key)
            birth_index.append(int(i))
            death_index.append(j)
        birth_index = np.array(birth_index, dtype=np.int64)
        death_index = np.array(death_index, dtype=np.int64)
        birth = values[b, birth_index]
        death = np.where(death_index < 0, np.inf, values[b, np.maximum(death_index, 0)])
        order = np.argsort(birth - death, kind="stable")  # essential first, then lifetime
        diagrams.append(PersistenceDiagram(np.zeros(len(birth), np.int8), birth[order],
                                           death[order], birth_index[order],
                                           death_index[order], shape=shape, connectivity=1))
    return diagrams


def check_patches(patches):
    """Validated ``(B, H, W)`` real, finite ndarray (H, W multiples of 8)."""
    try:
        array = np.asarray(patches)
    except Exception as exc:  # pragma: no cover - numpy's own message is kept
        raise TypeError(f"patches must be an array or tensor, got {type(patches)}") from exc
    if array.dtype == bool or array.dtype.kind not in "fiu":
        raise TypeError(f"patches must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 3 or array.shape[0] == 0:
        raise ValueError(f"patches must be a non-empty (B, H, W) stack, got shape {array.shape}")
    if array.shape[1] % 8 or array.shape[2] % 8:
        raise ValueError(f"patches need H and W multiples of 8 (32 x 32 in training), "
                         f"got shape {array.shape}")
    if not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"patches contain NaN or inf at index {tuple(where.tolist())}")
    return array


# ------------------------------------------------------------------------ evaluation
def score_diagrams(predicted, exact, *, k=10):
    """The paper's three scores of approximate diagrams against exact ones, per patch.

    Parameters
    ----------
    predicted : list of PersistenceDiagram
        Approximate dimension-0 diagrams (e.g. :func:`approximate_diagrams`).
    exact : list of PersistenceDiagram
        Exact diagrams of the same patches (:func:`fasttopo.persistence_batch`
        with ``max_dim=0, connectivity=1``).
    k : int, optional
        Size of the true top-k diagram (default 10).

    Returns
    -------
    scores : dict of (B,) ndarrays
        ``"found"``: fraction of the true top-``k`` points (by decreasing
        lifetime, the essential class included) that some predicted point
        matches in birth and death value; ``"present"``: fraction of the
        predicted points whose (birth, death) occurs anywhere in the full
        exact dimension-0 diagram; ``"bottleneck"``: bottleneck distance
        between the predicted and the true top-``k`` diagrams.

    Raises
    ------
    ValueError
        If ``predicted`` and ``exact`` differ in length.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import persistence_batch
    >>> from fasttopo.approximation import score_diagrams
    >>> patches = np.random.default_rng(0).random((2, 8, 8))
    >>> exact = persistence_batch(patches, max_dim=0, connectivity=1)
    >>> s = score_diagrams([d.top_k(10, dim=0) for d in exact], exact)
    >>> s["found"].tolist(), s["present"].tolist(), s["bottleneck"].tolist()
    ([1.0, 1.0], [1.0, 1.0], [0.0, 0.0])
    """
    from ..distances import bottleneck_distance

    found, present, bottleneck = [], [], []
    for pred, true in zip(predicted, exact, strict=True):
        true0 = true.select(0)
        top = true0.top_k(k)
        pred_pairs = pred.select(0).to_pairs()
        top_pairs = top.to_pairs()
        pred_set = {tuple(p) for p in pred_pairs.tolist()}
        all_set = {tuple(p) for p in true0.to_pairs().tolist()}
        found.append(np.mean([tuple(p) in pred_set for p in top_pairs.tolist()])
                     if len(top_pairs) else 1.0)
        present.append(np.mean([tuple(p) in all_set for p in pred_pairs.tolist()])
                       if len(pred_pairs) else 0.0)
        bottleneck.append(bottleneck_distance(pred_pairs, top_pairs))
    return {"found": np.array(found), "present": np.array(present),
            "bottleneck": np.array(bottleneck)}


def approximate_diagrams(patches, *, k=10, threshold=None, candidates=True, path=None,
                         batch_size=128):
    """:func:`fasttopo.nn.approximate_diagrams` without torch (NumPy forward pass).

    Same network, same decoding, same result up to float32 rounding of the
    scores; slower than the torch version on the CPU.

    Parameters
    ----------
    patches : (B, 32, 32) array_like
        Grey patches with values in [0, 1].
    k : int, optional
        At most this many points per patch (default 10).
    threshold, candidates : optional
        As in :func:`fasttopo.nn.approximate_diagrams` (:func:`decode_pairs`
        or :func:`decode_diagrams`, after the model's encoding).
    path : str or path-like, optional
        Weights saved by ``fasttopo.nn.approximation.save_approximator``
        (default: the shipped model).
    batch_size : int, optional
        Patches per forward pass (memory: about ``batch_size`` x 2 MB).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One dimension-0 diagram per patch, values read from the patch.

    Raises
    ------
    TypeError, ValueError
        As :func:`fasttopo.nn.approximate_diagrams`.

    References
    ----------
    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.

    Examples
    --------
    >>> from skimage import data
    >>> from fasttopo.approximation import approximate_diagrams
    >>> patches = data.camera()[None, 200:232, 200:232] / 255.0
    >>> dgm = approximate_diagrams(patches)[0]
    >>> bool(dgm.is_essential[0]) and len(dgm) <= 10
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    array = check_patches(patches)
    if path is None:
        config, weights = _pretrained()
    else:
        config, arrays, _ = read_weights(path)
        weights = _fold(arrays)
    pools = config.get("pools", [])
    logits = np.concatenate([forward(weights, array[s:s + batch_size], pools)
                             for s in range(0, len(array), batch_size)])
    if config.get("encoding", "ranks") == "pairs":
        return decode_pairs(logits, array, k=k, threshold=0.0 if threshold is None else threshold)
    scores = 1 / (1 + np.exp(-logits[:, :k].astype(np.float64)))
    return decode_diagrams(scores, array, threshold=0.05 if threshold is None else threshold,
                           candidates=candidates)
