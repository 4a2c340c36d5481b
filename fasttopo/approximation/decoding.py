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


#: The 8 pixels around a pixel, in ring order (each 4-adjacent to the next): N, NE, E, SE,
#: S, SW, W, NW; the 4-neighbours are the even positions.
RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def order_ranks(patches):
    """Rank ``(B, H, W)`` int64 of every pixel in the filtration order of its patch:
    by value, ties by flat index (the engine's order)."""
    x = np.asarray(patches)
    flat = x.reshape(len(x), -1)
    ranks = np.empty(flat.shape, np.int64)
    np.put_along_axis(ranks, np.argsort(flat, axis=1, kind="stable"),
                      np.arange(flat.shape[1])[None, :], axis=1)
    return ranks.reshape(x.shape)


def ring_tests(ranks):
    """Local tests on the 3 x 3 window of every pixel, from filtration ranks ``(B, H, W)``.

    ``earlier``: the 8 pixels of the ring entered before the centre ``(8, B, H, W)``;
    returns ``(birth, death)`` bool ``(B, H, W)``: no 4-neighbour entered before (a
    possible birth pixel), and 4-neighbours entered before that fall in two or more
    runs of the ring (two lower 4-neighbours joined through the ring's lower pixels are
    already connected, so the pixel cannot merge them: a possible death pixel needs two
    such runs).  Both are necessary conditions, not persistence.
    """
    big = np.iinfo(np.int64).max
    h, w = ranks.shape[1:]
    padded = np.pad(ranks, ((0, 0), (1, 1), (1, 1)), constant_values=big)
    earlier = np.stack([padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] < ranks
                        for dy, dx in RING])
    four = earlier[0::2]
    joined = np.stack([earlier[2 * k] & earlier[2 * k + 1] & earlier[(2 * k + 2) % 8]
                       for k in range(4)])
    runs = four.sum(0) - joined.sum(0)             # 0 when the four are joined all round
    runs = np.where(four.any(0) & (runs < 1), 1, runs)
    return ~four.any(0), runs >= 2


def candidates(patches):
    """Possible birth and death pixels of ``(B, H, W)`` patches, ``(B, H*W)`` bool arrays.

    A birth pixel of a dimension-0 point has no 4-neighbour before it in the
    filtration order (value, then flat index); a death pixel has
    4-neighbours before it in two separate runs of its 3 x 3 ring
    (:func:`ring_tests`).  Local tests: every birth and death pixel passes
    them, other pixels may.
    """
    x = np.asarray(patches)
    birth, death = ring_tests(order_ranks(x))
    return birth.reshape(len(x), -1), death.reshape(len(x), -1)


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


#: The symmetries of the square grid used by the test-time augmentation: rotations by
#: ``t * 90`` degrees, mirrored (last axis reversed) for ``t >= 4``.
SYMMETRIES = 8


def symmetric(patches, t):
    """Copy ``t`` (0 the patches themselves) of a ``(B, H, W)`` stack under the grid's
    symmetries: a C-contiguous array, ``(B, W, H)`` for odd rotations."""
    turned = np.rot90(patches, t % 4, axes=(1, 2))
    return np.ascontiguousarray(turned[:, :, ::-1] if t >= 4 else turned)


def vote(runs, patches, *, k=10):
    """Diagrams of ``patches`` from the decodings ``runs[t]`` of their copies
    ``symmetric(patches, t)``: each (birth, death) value pair counts the copies that report
    it, and the ``k`` pairs of most votes (ties: the longer-lived, then the earlier-born
    first) are kept.

    The persistence diagram of a patch is invariant under the grid's symmetries, so
    every copy estimates the same points; pixels are mapped back to the patch (a pair
    keeps the pixels of the first copy that reported it).
    """
    count, h, w = patches.shape
    index = np.arange(h * w, dtype=np.int64).reshape(1, h, w)
    back = [symmetric(index, t).reshape(-1) for t in range(len(runs))]
    values = patches.reshape(count, h * w).astype(np.float64)
    out = []
    for b in range(count):
        votes, pixels = {}, {}
        for to_patch, run in zip(back, runs):
            dgm = run[b]
            for i, j in zip(dgm.birth_index.tolist(), dgm.death_index.tolist()):
                i = int(to_patch[i])
                j = int(to_patch[j]) if j >= 0 else -1
                pair = (values[b, i], values[b, j] if j >= 0 else np.inf)
                votes[pair] = votes.get(pair, 0) + 1
                pixels.setdefault(pair, (i, j))
        # most votes, then the longer-lived, then the earlier birth: a rule of the votes
        # alone, so that the copies' order does not matter
        kept = sorted(votes, key=lambda pair: (-votes[pair], pair[0] - pair[1], pair[0]))[:k]
        kept.sort(key=lambda pair: pair[0] - pair[1])   # the essential class, then by lifetime
        birth_index = np.array([pixels[p][0] for p in kept], np.int64).reshape(-1)
        death_index = np.array([pixels[p][1] for p in kept], np.int64).reshape(-1)
        out.append(PersistenceDiagram(np.zeros(len(kept), np.int8),
                                      np.array([p[0] for p in kept], np.float64),
                                      np.array([p[1] for p in kept], np.float64),
                                      birth_index, death_index, shape=(h, w), connectivity=1))
    return out
