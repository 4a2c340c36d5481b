"""The PD0 approximator's model file and its forward pass in NumPy (private).

A model file is an ``.npz`` of float32 arrays named after the torch
parameters of :class:`fasttopo.nn.approximation.PD0Approximator`, plus a
``__header__`` JSON string: ``{"format": FORMAT, "config": {...},
"metadata": {...}}``.  :func:`read_model` checks everything a forward pass
relies on (names, shapes, finite values, positive variances, a consistent
configuration) and names the file in its errors.
"""

import json
import math
import pathlib

import numpy as np

from ._pd0_decode import HEAD

FORMAT = "fasttopo-pd0-unet-1"
#: Largest number of points per patch a model may be trained for (its ``k``).
MAX_K = 64
#: Window sizes allowed for the erosion / dilation input channels.
MAX_POOL = 31
PRETRAINED_PATH = pathlib.Path(__file__).resolve().parent / "models" / "pd0_approximator.npz"


def input_channels(pools):
    """Number of input channels for the given erosion / dilation windows."""
    return 6 + 2 * len(pools)


def check_config(config, where="config"):
    """A validated copy of a model configuration ``{"k", "widths", "pools"}``.

    ``k`` an int in [2, MAX_K]; ``widths`` 2 to 6 ints in [1, 1024]; ``pools``
    0 to 4 odd ints in [3, MAX_POOL].  ValueError names ``where``.
    """
    if not isinstance(config, dict) or set(config) != {"k", "widths", "pools"}:
        raise ValueError(f"{where}: the configuration must have exactly the keys k, widths, "
                         f"pools, got {config!r}")

    def ints(value):
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)

    k, widths, pools = config["k"], config["widths"], config["pools"]
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_K:
        raise ValueError(f"{where}: k must be an int in [2, {MAX_K}], got {k!r}")
    if not ints(widths) or not 2 <= len(widths) <= 6 or not all(1 <= w <= 1024 for w in widths):
        raise ValueError(f"{where}: widths must be 2 to 6 ints in [1, 1024], got {widths!r}")
    if not ints(pools) or len(pools) > 4 or not all(
            3 <= p <= MAX_POOL and p % 2 for p in pools):
        raise ValueError(f"{where}: pools must be at most 4 odd ints in [3, {MAX_POOL}], "
                         f"got {pools!r}")
    return {"k": k, "widths": list(widths), "pools": list(pools)}


def _conv_bn_shapes(prefix, c_in, c_out):
    return {f"{prefix}.0.weight": (c_out, c_in, 3, 3),
            **{f"{prefix}.1.{n}": (c_out,) for n in ("weight", "bias", "running_mean",
                                                     "running_var")},
            f"{prefix}.3.weight": (c_out, c_out, 3, 3),
            **{f"{prefix}.4.{n}": (c_out,) for n in ("weight", "bias", "running_mean",
                                                     "running_var")}}


def expected_shapes(config):
    """Array name -> shape of a model with this (validated) configuration."""
    w = config["widths"]
    shapes = _conv_bn_shapes("enc.0", input_channels(config["pools"]), w[0])
    for i in range(1, len(w)):
        shapes.update(_conv_bn_shapes(f"enc.{i}", w[i - 1], w[i]))
    for i in range(len(w) - 1):
        shapes.update(_conv_bn_shapes(f"dec.{i}", w[i + 1] + w[i], w[i]))
    shapes["head.weight"] = (HEAD, w[0], 1, 1)
    shapes["head.bias"] = (HEAD,)
    return shapes


def read_model(path=None):
    """``(config, arrays, metadata)`` of a model file, validated.

    Raises ValueError naming the file when it is not a readable ``.npz``,
    has no valid header, a configuration out of range, missing, extra or
    wrongly shaped arrays, non-finite values or non-positive variances.
    """
    path = PRETRAINED_PATH if path is None else pathlib.Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            names = list(data.files)
            header = str(data["__header__"]) if "__header__" in names else None
            arrays = {n: data[n] for n in names if n != "__header__"}
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .npz model file ({exc})") from None
    try:
        header = json.loads(header)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: no valid JSON header (__header__); save models with "
                         f"fasttopo.nn.approximation.save_approximator") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        got = header.get("format") if isinstance(header, dict) else header
        raise ValueError(f"{path}: model format must be {FORMAT!r}, got {got!r}")
    config = check_config(header.get("config"), where=str(path))
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: metadata must be a JSON object, got {metadata!r}")
    shapes = expected_shapes(config)
    missing, extra = sorted(set(shapes) - set(arrays)), sorted(set(arrays) - set(shapes))
    if missing or extra:
        raise ValueError(f"{path}: arrays do not match the configuration {config}: missing "
                         f"{missing[:3]}{'...' if len(missing) > 3 else ''}, unexpected "
                         f"{extra[:3]}{'...' if len(extra) > 3 else ''}")
    for name, shape in shapes.items():
        array = arrays[name]
        if array.shape != shape or array.dtype.kind != "f":
            raise ValueError(f"{path}: array {name} must be float of shape {shape}, got "
                             f"{array.dtype} of shape {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{path}: array {name} holds NaN or infinite values")
        if name.endswith("running_var") and not (array > 0).all():
            raise ValueError(f"{path}: array {name} must be positive (batch-norm variance)")
    arrays = {n: np.asarray(a, dtype=np.float32) for n, a in arrays.items()}
    return config, arrays, metadata


def fold(arrays, eps=1e-5):
    """Per block: ``[(weight, bias), (weight, bias)]`` with the batch norms folded in,
    weights as ``(3, 3, C_in, C_out)`` for channels-last convolutions."""
    folded = {}
    for name in arrays:
        if name.endswith(".0.weight") and (name.startswith("enc.") or name.startswith("dec.")):
            block = name[:-len(".0.weight")]
            pairs = []
            for conv, norm in ((".0", ".1"), (".3", ".4")):
                scale = arrays[block + norm + ".weight"] / np.sqrt(
                    arrays[block + norm + ".running_var"] + eps)
                shift = arrays[block + norm + ".bias"] - arrays[block + norm
                                                                + ".running_mean"] * scale
                weight = arrays[block + conv + ".weight"] * scale[:, None, None, None]
                pairs.append((np.ascontiguousarray(weight.transpose(2, 3, 1, 0), np.float32),
                              shift.astype(np.float32)))
            folded[block] = pairs
    folded["head"] = (np.ascontiguousarray(arrays["head.weight"][:, :, 0, 0].T),
                      arrays["head.bias"].astype(np.float32))
    return folded


def features(patches, pools):
    """Input channels, channels-last ``(B, H, W, C)`` float32 (as the torch model's)."""
    from numpy.lib.stride_tricks import sliding_window_view

    x = patches.astype(np.float32)[:, None]
    lo = x.min(axis=(2, 3), keepdims=True)
    hi = x.max(axis=(2, 3), keepdims=True)
    x = (x - lo) / np.maximum(hi - lo, np.float32(1e-12))
    pad = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=2.0)
    near = np.stack([pad[:, :, :-2, 1:-1], pad[:, :, 2:, 1:-1], pad[:, :, 1:-1, :-2],
                     pad[:, :, 1:-1, 2:]])
    h, w = x.shape[2:]
    rows = np.broadcast_to(np.linspace(-1, 1, h, dtype=np.float32)[:, None], x.shape)
    cols = np.broadcast_to(np.linspace(-1, 1, w, dtype=np.float32)[None, :], x.shape)
    channels = [x, np.maximum(x - near.min(axis=0), 0), (near >= x).all(axis=0),
                (near <= x).sum(axis=0) >= 2, rows, cols]
    for size in pools:
        half = size // 2
        windows = sliding_window_view(np.pad(x, ((0, 0), (0, 0), (half, half), (half, half)),
                                             mode="edge"), (size, size), axis=(2, 3))
        channels += [x - windows.min(axis=(4, 5)), windows.max(axis=(4, 5)) - x]
    return np.concatenate(channels, axis=1).astype(np.float32).transpose(0, 2, 3, 1)


def _conv3(x, weight, bias):
    """3 x 3 convolution, zero padding, channels-last: nine shifted matrix products."""
    b, h, w, _ = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.empty((b, h, w, weight.shape[3]), np.float32)
    out[...] = bias
    for dy in range(3):
        for dx in range(3):
            out += padded[:, dy:dy + h, dx:dx + w] @ weight[dy, dx]
    return out


def _block(x, pairs):
    for weight, bias in pairs:
        x = np.maximum(_conv3(x, weight, bias), 0)
    return x


def forward(folded, config, patches):
    """Head outputs ``(B, HEAD, H, W)`` float32 of ``(B, H, W)`` patches."""
    levels = len(config["widths"])
    x = features(patches, config["pools"])
    skips = []
    for i in range(levels):
        if i:
            b, h, w, c = x.shape
            x = x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        x = _block(x, folded[f"enc.{i}"])
        skips.append(x)
    y = skips[-1]
    for i in range(levels - 2, -1, -1):
        y = np.repeat(np.repeat(y, 2, axis=1), 2, axis=2)
        y = _block(np.concatenate([y, skips[i]], axis=3), folded[f"dec.{i}"])
    weight, bias = folded["head"]
    return np.ascontiguousarray((y @ weight + bias).transpose(0, 3, 1, 2))


def patch_multiple(config):
    """Patch sides must be multiples of this (2 ** (levels - 1))."""
    return 2 ** (len(config["widths"]) - 1)


def check_k(k, model_k):
    """``k`` an int in [1, model_k] (the model is trained for its ``k`` points)."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r}")
    if not 1 <= k <= model_k:
        raise ValueError(f"k must be in [1, {model_k}] (the model's k), got {k}")
    return int(k)


def check_threshold(threshold):
    """``threshold`` a real number in [0, 1] (a birth probability)."""
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(
            threshold, (int, float, np.integer, np.floating)):
        raise TypeError(f"threshold must be a real number in [0, 1], got {threshold!r}")
    if not (math.isfinite(threshold) and 0 <= threshold <= 1):
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    return float(threshold)
