"""The PD0 approximator's forward pass in NumPy (no torch): batch norms folded into the
convolutions, channels-last 3 x 3 convolutions as nine shifted matrix products."""

import numpy as np

from .decoding import candidates


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
    birth, death = (m.reshape(x.shape) for m in candidates(patches.astype(np.float32)))
    rows = (np.arange(h, dtype=np.float32) * 2 - (h - 1)) / np.float32(max(h - 1, 1))
    cols = (np.arange(w, dtype=np.float32) * 2 - (w - 1)) / np.float32(max(w - 1, 1))
    channels = [x, np.maximum(x - near.min(axis=0), 0), birth, death,
                np.broadcast_to(rows[:, None], x.shape), np.broadcast_to(cols[None, :], x.shape)]
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
