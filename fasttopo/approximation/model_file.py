"""The PD0 approximator's model file: format, configuration, validation on load.

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

from .decoding import HEAD

FORMAT = "fasttopo-pd0-unet-1"
#: Largest number of points per patch a model may be trained for (its ``k``).
MAX_K = 64
#: Window sizes allowed for the erosion / dilation input channels.
MAX_POOL = 31
PRETRAINED_PATH = (pathlib.Path(__file__).resolve().parent.parent / "models"
                   / "pd0_approximator.npz")


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
