"""Approximate 0-dimensional diagrams of 32 x 32 patches with a network, in NumPy.

After Slater and Weighill (AAAI 2023): a network looks at a grey patch and
names the birth and death pixels of the ``k`` longest-lived points of its
dimension-0 diagram (sublevel filtration, V-construction); the values are
read from the patch.  Neither the forward pass nor the decoding calls the
exact engine.  This module runs the shipped network with NumPy (no torch);
:func:`fasttopo.nn.approximate_diagrams` is the same entry with the torch
network (same arguments, same checks, same decoding).

The network (:class:`fasttopo.nn.approximation.PD0Approximator`) is a UNet
whose head gives, per pixel, a birth logit (is this pixel the birth of one of
the ``k - 1`` longest-lived finite points), a lifetime, and a pairing
query / key with an offset and a death value: the death of a chosen birth
pixel is the value, among the possible death pixels of higher value, with the
largest softmax mass of the pairing logits (:func:`decode_outputs`).
"""

import functools
import pathlib

import numpy as np

from .._validation import check_bool, check_image
from . import decoding, forward, model_file

__all__ = ["approximate_diagrams", "decode_outputs", "score_diagrams", "read_weights",
           "check_arguments", "PRETRAINED_PATH", "MAX_K", "HEAD"]

PRETRAINED_PATH = model_file.PRETRAINED_PATH
MAX_K = model_file.MAX_K
HEAD = decoding.HEAD

_REFERENCES = """    .. [1] J. Slater, T. Weighill, "Persistent homology through image
       segmentation (student abstract)", AAAI 2023,
       https://doi.org/10.1609/aaai.v37i13.27011.
    .. [2] O. Ronneberger, P. Fischer, T. Brox, "U-Net: convolutional networks
       for biomedical image segmentation", MICCAI 2015,
       https://doi.org/10.1007/978-3-319-24574-4_28."""


def read_weights(path=None):
    """The configuration, weights and training record of a PD0 approximator file.

    The file is validated: a JSON header of the right format, a configuration
    in range (``k`` in [2, :data:`MAX_K`], 2 to 6 widths, odd pool sizes), exactly
    the arrays that configuration needs, of the right shapes, finite, with
    positive batch-norm variances.

    Parameters
    ----------
    path : str or path-like, optional
        An ``.npz`` file written by
        :func:`fasttopo.nn.approximation.save_approximator`; default the
        shipped model, :data:`PRETRAINED_PATH`.

    Returns
    -------
    config : dict
        ``k`` (points per patch the model was trained for), ``widths`` (UNet
        channels per level), ``pools`` (erosion / dilation windows of the input).
    arrays : dict of str to float32 ndarray
        The weights and batch-norm statistics, by torch parameter name.
    metadata : dict
        The training record (script, seed, steps, learning curve).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, if any check above fails.

    References
    ----------
    {references}

    Examples
    --------
    >>> from fasttopo.approximation import read_weights
    >>> config, arrays, metadata = read_weights()
    >>> config["k"], metadata["seed"]
    (10, 0)
    """
    return model_file.read_model(path)


@functools.lru_cache(maxsize=4)
def _load(path):
    config, arrays, _ = model_file.read_model(path)
    return config, forward.fold(arrays)


def _model_path(model):
    if model is None:
        return PRETRAINED_PATH
    if isinstance(model, (str, pathlib.PurePath)):
        return pathlib.Path(model).resolve()
    raise TypeError(f"model must be None (the shipped model) or the path of a model file, "
                    f"got {type(model).__name__}")


def check_arguments(patches, k, threshold, batch_size, config, augment=False):
    """The checks shared by the NumPy and the torch entry: ``(patches, k, threshold,
    batch_size, augment)`` validated against a model configuration (``config``)."""
    multiple = forward.patch_multiple(config)
    array = check_image(patches, "patches", ndims=(3,))
    if array.dtype == bool:
        raise TypeError("patches must hold real numbers, got dtype bool")
    if array.shape[1] % multiple or array.shape[2] % multiple:
        raise ValueError(f"patches need H and W multiples of {multiple} (32 x 32 in training), "
                         f"got shape {array.shape}")
    k = model_file.check_k(k, config["k"])
    threshold = model_file.check_threshold(threshold)
    if isinstance(batch_size, (bool, np.bool_)) or not isinstance(
            batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    return array, k, threshold, int(batch_size), check_bool(augment, "augment")


def diagrams_of(decoded, array, k, augment):
    """``decoded(stack)`` (the diagrams of one stack of patches) of the patches, or, with
    ``augment``, the vote of the decodings of their eight symmetric copies
    (:func:`decoding.vote`).  Shared by the NumPy and the torch entry."""
    if not augment:
        return decoded(array)
    runs = [decoded(decoding.symmetric(array, t)) for t in range(decoding.SYMMETRIES)]
    return decoding.vote(runs, array, k=k)


def decode_outputs(outputs, patches, *, k=10, threshold=0.0):
    """Diagrams from the network's outputs (no persistence computation).

    Per patch: the essential class is born at the global minimum (exact);
    the other possible birth pixels (no lower 4-neighbour, outside the
    global minimum's plateau) are taken by decreasing birth logit, those of
    birth probability below ``threshold`` left out; each is paired with the
    death value, among the possible death pixels (two 4-neighbours lower or
    equal) of higher value, of largest softmax mass of its pairing logits
    (query-key product, a spatial term around the pixel its offset points
    to, a term around its predicted death value); a (birth, death) value
    pair already reported is skipped, until ``k`` points.

    Parameters
    ----------
    outputs : (B, HEAD, H, W) array_like
        Network outputs (:class:`fasttopo.nn.approximation.PD0Approximator`),
        ``HEAD`` = 40 channels.
    patches : (B, H, W) array_like
        The patches; birth and death values are read from them.
    k : int, optional
        At most this many points per patch, the essential class included
        (1 to :data:`MAX_K`).
    threshold : float, optional
        Least birth probability of a reported finite point, in [0, 1]
        (default 0: ``k`` points wherever the patch has enough candidates).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One dimension-0 diagram per patch (sublevel, ``connectivity=1``),
        the essential class first, then by decreasing lifetime.

    Raises
    ------
    TypeError
        If ``outputs`` or ``patches`` is not real-valued, or ``k`` not an int.
    ValueError
        If the shapes disagree, either holds NaN or infinities, ``k`` is
        out of range or ``threshold`` outside [0, 1].

    References
    ----------
    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo.approximation import HEAD, decode_outputs
    >>> patch = np.array([[0.0, 0.9, 0.2], [0.8, 0.9, 0.9], [0.9, 0.9, 0.9]])
    >>> outputs = np.zeros((1, HEAD, 3, 3))
    >>> decode_outputs(outputs, patch[None])[0].to_pairs()
    array([[0. , inf],
           [0.2, 0.9]])
    """
    out = check_image(outputs, "outputs", ndims=(4,))
    array = check_image(patches, "patches", ndims=(3,))
    if out.dtype == bool or array.dtype == bool:
        raise TypeError("outputs and patches must hold real numbers, not bool")
    if out.shape[0] != array.shape[0] or out.shape[1] != HEAD or out.shape[2:] != array.shape[1:]:
        raise ValueError(f"outputs must be (B, {HEAD}, H, W) and patches (B, H, W) of the same "
                         f"B, H, W, got shapes {out.shape} and {array.shape}")
    k = model_file.check_k(k, MAX_K)
    threshold = model_file.check_threshold(threshold)
    return decoding.decode(out, array, k=k, threshold=threshold)


def approximate_diagrams(patches, *, k=10, threshold=0.0, model=None, batch_size=256,
                         augment=True):
    """Approximate dimension-0 diagrams of 32 x 32 patches with a network (NumPy).

    The shipped network of [1]_ (a UNet [2]_ with a pairing head) marks the
    birth and death pixels of the ``k`` longest-lived points of the sublevel
    filtration (V-construction, ``connectivity=1``), and
    :func:`decode_outputs` reads them back.  The exact engine is never
    called.  :func:`fasttopo.nn.approximate_diagrams` takes the same
    arguments and gives the same diagrams with the torch network.

    Parameters
    ----------
    patches : (B, 32, 32) array_like
        Grey patches (any real dtype; each is min-max rescaled, so the scale
        does not matter; other sizes that are multiples of 8 are accepted,
        the model was trained on 32 x 32).
    k : int, optional
        At most this many points per patch, the essential class included
        (1 to the model's ``k``: 10 for the shipped model).
    threshold : float, optional
        Least birth probability, in [0, 1], of a reported finite point
        (default 0: always ``k`` points where the patch has enough
        candidates; the paper's "found" score rewards recall).
    model : str or path-like, optional
        A model file (:func:`fasttopo.nn.approximation.save_approximator`),
        validated on load (:func:`read_weights`); default the shipped model.
    batch_size : int, optional
        Patches per forward pass (memory: about ``batch_size`` x 1.5 MB).
    augment : bool, optional
        Test-time augmentation (default): decode the eight copies of each
        patch under the grid's rotations and mirrors (its diagram is the
        same) and keep the ``k`` (birth, death) pairs reported by the most
        copies.  About 8 times the work of ``augment=False`` (one pass), for
        more true points (see the gallery page's table).

    Returns
    -------
    diagrams : list of PersistenceDiagram
        One per patch, dimension 0, birth and death values read from the
        patch, the essential class first, then by decreasing lifetime.

    Raises
    ------
    TypeError
        If ``patches`` is not real-valued, ``k`` not an int, ``threshold``
        not a number or ``model`` not a path.
    ValueError
        If ``patches`` is not a non-empty ``(B, H, W)`` stack with H, W
        multiples of 8 or holds NaN or inf, ``k`` or ``threshold`` or
        ``batch_size`` is out of range, or the model file is invalid.

    References
    ----------
    {references}

    Examples
    --------
    >>> from skimage import data
    >>> from fasttopo.approximation import approximate_diagrams
    >>> patches = data.camera()[None, 200:232, 200:232] / 255.0
    >>> dgm = approximate_diagrams(patches)[0]
    >>> bool(dgm.is_essential[0]), len(dgm)
    (True, 10)
    """
    config, folded = _load(_model_path(model))
    array, k, threshold, batch_size, augment = check_arguments(patches, k, threshold,
                                                               batch_size, config, augment)

    def decoded(stack):
        outputs = np.concatenate([forward.forward(folded, config, stack[s:s + batch_size])
                                  for s in range(0, len(stack), batch_size)])
        return decoding.decode(outputs, stack, k=k, threshold=threshold)

    return diagrams_of(decoded, array, k, augment)


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
    {references}

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
        top_pairs = true0.top_k(k).to_pairs()
        pred_pairs = pred.select(0).to_pairs()
        pred_set = {tuple(p) for p in pred_pairs.tolist()}
        all_set = {tuple(p) for p in true0.to_pairs().tolist()}
        found.append(np.mean([tuple(p) in pred_set for p in top_pairs.tolist()])
                     if len(top_pairs) else 1.0)
        present.append(np.mean([tuple(p) in all_set for p in pred_pairs.tolist()])
                       if len(pred_pairs) else 0.0)
        bottleneck.append(bottleneck_distance(pred_pairs, top_pairs))
    return {"found": np.array(found), "present": np.array(present),
            "bottleneck": np.array(bottleneck)}


for _function in (read_weights, decode_outputs, approximate_diagrams, score_diagrams):
    _function.__doc__ = _function.__doc__.replace("{references}", _REFERENCES.strip())
del _function
