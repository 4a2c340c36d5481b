"""Decoding of the PD0 approximator's outputs into diagrams (NumPy, private)."""

import numpy as np
from scipy import ndimage

from ._diagram import PersistenceDiagram

#: Width of the query and key embeddings of the pairing head.
EMBED = 16
#: Head channels: birth logit, lifetime, row and column offset to the death pixel (in units
#: of OFFSET_SCALE pixels), death value, value precision, death bias, EMBED query, EMBED key.
HEAD = 7 + 2 * EMBED
OFFSET_SCALE = 8.0
#: Width, in pixels, of the pairing's spatial term around the pixel the offset points to.
SIGMA = 2.0
#: Scale of the pairing's value precision (softplus(channel) * VALUE_PRECISION + 1).
VALUE_PRECISION = 50.0


def candidates(patches):
    """Possible birth pixels (no lower 4-neighbour) and possible death pixels (two
    4-neighbours lower or equal) of ``(B, H, W)`` patches, as ``(B, H*W)`` bool arrays."""
    x = np.asarray(patches, dtype=np.float64)
    pad = np.pad(x, ((0, 0), (1, 1), (1, 1)), constant_values=np.inf)
    near = np.stack([pad[:, :-2, 1:-1], pad[:, 2:, 1:-1], pad[:, 1:-1, :-2], pad[:, 1:-1, 2:]])
    return (near >= x).all(0).reshape(len(x), -1), ((near <= x).sum(0) >= 2).reshape(len(x), -1)


_FOUR = ndimage.generate_binary_structure(2, 1)


def decode(outputs, patches, *, k=10, rank="birth", tries=3):
    """Diagrams (at most ``k`` points) from head outputs ``(B, HEAD, H, W)`` of patches."""
    count, channels, h, w = outputs.shape
    n = h * w
    flat = outputs.reshape(count, channels, n).astype(np.float64)
    values = patches.reshape(count, n).astype(np.float64)
    lo = values.min(1, keepdims=True)
    normalised = (values - lo) / np.maximum(values.max(1, keepdims=True) - lo, 1e-12)
    can_birth, can_death = candidates(patches)
    rows, cols = np.divmod(np.arange(n), w)
    out = []
    for b in range(count):
        essential = int(np.argmin(values[b]))
        # the plateau of the global minimum holds the essential class's birth and no other
        labels, _ = ndimage.label(values[b].reshape(h, w) == values[b, essential], _FOUR)
        births = np.flatnonzero(can_birth[b] & (labels.reshape(-1) != labels.flat[essential]))
        score = flat[b, 0 if rank == "birth" else 1]
        births = births[np.argsort(-score[births], kind="stable")][:tries * k]
        deaths = np.flatnonzero(can_death[b])
        key = flat[b, 7 + EMBED:, deaths]                         # (D, E)
        bias = flat[b, 6, deaths]
        death_values = values[b, deaths]
        unique, inverse = np.unique(death_values, return_inverse=True)
        birth_index, death_index, seen = [essential], [-1], set()
        for i in births:
            if len(birth_index) >= k:
                break
            valid = death_values > values[b, i]
            if not valid.any():
                continue
            logit = key @ flat[b, 7:7 + EMBED, i] / np.sqrt(EMBED) + bias
            tr = rows[i] + OFFSET_SCALE * flat[b, 2, i]
            tc = cols[i] + OFFSET_SCALE * flat[b, 3, i]
            logit -= ((rows[deaths] - tr) ** 2 + (cols[deaths] - tc) ** 2) / (2 * SIGMA ** 2)
            precision = np.logaddexp(0.0, flat[b, 5, i]) * VALUE_PRECISION + 1.0
            logit -= precision * np.abs(normalised[b, deaths] - flat[b, 4, i])
            logit = np.where(valid, logit, -np.inf)
            p = np.exp(logit - logit.max())
            best = int(np.argmax(np.bincount(inverse, weights=p, minlength=len(unique))))
            js = np.flatnonzero(inverse == best)
            j = int(deaths[js[np.argmax(logit[js])]])
            pair = (values[b, i], values[b, j])
            if pair in seen:
                continue
            seen.add(pair)
            birth_index.append(int(i))
            death_index.append(j)
        birth_index = np.array(birth_index, np.int64)
        death_index = np.array(death_index, np.int64)
        birth = values[b, birth_index]
        death = np.where(death_index < 0, np.inf, values[b, np.maximum(death_index, 0)])
        order = np.argsort(birth - death, kind="stable")
        out.append(PersistenceDiagram(np.zeros(len(birth), np.int8), birth[order], death[order],
                                      birth_index[order], death_index[order], shape=(h, w),
                                      connectivity=1))
    return out
