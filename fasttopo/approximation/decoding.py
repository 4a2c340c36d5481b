"""Decoding of the PD0 approximator's outputs into diagrams (NumPy): candidates, pairing
logits, the greedy decoding."""

import numpy as np
from scipy import ndimage

from .._diagram import PersistenceDiagram

#: Width of the query and key embeddings of the pairing head.
EMBED = 16
#: Head channels: birth logit, lifetime, row and column offset to the death pixel (in units
#: of OFFSET_SCALE pixels), death value, value precision, death bias, spatial precision,
#: EMBED query, EMBED key.
HEAD = 8 + 2 * EMBED
OFFSET_SCALE = 8.0
#: Width, in pixels, of the pairing's spatial term around the pixel the offset points to
#: (divided by the square root of softplus(spatial precision channel) + 0.05).
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


def pair_logits(flat, normalised, i, deaths, width, key=None):
    """Pairing logits of birth pixel ``i`` with the pixels ``deaths`` of one patch.

    ``flat`` the patch's outputs ``(HEAD, H*W)``, ``normalised`` its values
    rescaled to [0, 1]; the formula of
    :func:`fasttopo.nn.approximation.pair_logits`.
    """
    key = flat[8 + EMBED:][:, deaths].T if key is None else key          # (D, EMBED)
    logit = key @ flat[8:8 + EMBED, i] / np.sqrt(EMBED) + flat[6, deaths]
    rows, cols = np.divmod(deaths, width)
    target_row = i // width + OFFSET_SCALE * flat[2, i]
    target_col = i % width + OFFSET_SCALE * flat[3, i]
    spatial = np.logaddexp(0.0, flat[7, i]) + 0.05
    logit -= spatial * ((rows - target_row) ** 2 + (cols - target_col) ** 2) / (2 * SIGMA ** 2)
    precision = np.logaddexp(0.0, flat[5, i]) * VALUE_PRECISION + 1.0
    return logit - precision * np.abs(normalised[deaths] - flat[4, i])


def decode(outputs, patches, *, k=10, threshold=0.0, rank="birth", tries=3):
    """Diagrams (at most ``k`` points) from head outputs ``(B, HEAD, H, W)`` of patches.

    Arguments already validated.  The essential class is born at the global
    minimum; the other possible birth pixels (outside the global minimum's
    plateau) are taken by decreasing birth logit (``rank="birth"``) or
    predicted lifetime (``"life"``), at most ``tries * k`` of them, those of
    birth probability below ``threshold`` left out; each is paired with the
    death value of largest softmax mass of the pairing logits (over the
    possible death pixels of higher value), and a (birth, death) value pair
    already reported is skipped.
    """
    least = np.log(threshold / (1 - threshold)) if 0 < threshold < 1 else (
        -np.inf if threshold <= 0 else np.inf)
    count, channels, h, w = outputs.shape
    n = h * w
    flat = outputs.reshape(count, channels, n).astype(np.float64)
    values = patches.reshape(count, n).astype(np.float64)
    lo = values.min(1, keepdims=True)
    normalised = (values - lo) / np.maximum(values.max(1, keepdims=True) - lo, 1e-12)
    can_birth, can_death = candidates(patches)
    out = []
    for b in range(count):
        essential = int(np.argmin(values[b]))
        # the plateau of the global minimum holds the essential class's birth and no other
        labels, _ = ndimage.label(values[b].reshape(h, w) == values[b, essential], _FOUR)
        births = np.flatnonzero(can_birth[b] & (labels.reshape(-1) != labels.flat[essential]))
        score = flat[b, 0 if rank == "birth" else 1]
        births = births[np.argsort(-score[births], kind="stable")][:tries * k]
        births = births[flat[b, 0, births] >= least]
        deaths = np.flatnonzero(can_death[b])
        key = flat[b, 8 + EMBED:][:, deaths].T
        death_values = values[b, deaths]
        unique, inverse = np.unique(death_values, return_inverse=True)
        birth_index, death_index, seen = [essential], [-1], set()
        for i in births:
            if len(birth_index) >= k:
                break
            valid = death_values > values[b, i]
            if not valid.any():
                continue
            logit = pair_logits(flat[b], normalised[b], i, deaths, w, key=key)
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
