"""Learned binary codes of persistence diagrams (Qin, Fasy, Wenk, Summa 2021).

A diagram on ``[0, 1]^2`` is turned into the paper's histogram (50 x 50
cells, reflected across the diagonal, plus one cell counting the points; see
:func:`fasttopo.diagram_histogram`), an encoder network maps the histogram
to ``n_bits`` real values, and their signs are the code.  Codes are compared
by the Hamming distance (:func:`fasttopo.hamming_distances`), trained so
that similar diagrams in the 1-Wasserstein sense get close codes.

Training (:meth:`DiagramHasher.fit`, needs torch) follows the paper's
PD-GAN: an encoder to ``n_bits``, a generator that rebuilds the histogram
from the code, a discriminator that tells rebuilt from real histograms, and
a loss making the codes' similarity matrix follow the diagrams' similarity
matrix computed from exact W1 distances; the training diagrams are random
synthetic diagrams (:func:`synthetic_diagrams`) whose point counts match
the target data, so the model is *domain-oblivious*.  Inference
(:meth:`DiagramHasher.transform`, :func:`hash_diagrams`) is NumPy and SciPy
only and never imports torch.

Choices the paper leaves open, and deviations from it
------------------------------------------------------
*Deviations*

- Encoder: the paper's encoder is a VGG19-based convolutional network; here
  it is a 3-layer perceptron (2,501 -> 128 -> 128 -> n_bits, ReLU), whose
  first layer's cell weights are learned on a 25 x 25 grid, upsampled
  bilinearly to 50 x 50 and smoothed by a fixed Gaussian (standard
  deviation 1.5 cells, a prior that nearby cells mean nearby diagrams), and
  exported as one (2,501, 128) matrix.  Because the first layer is linear and the histogram is
  sparse, inference is one sparse-times-dense product per diagram batch:
  10,000 diagrams are hashed in well under a second on a CPU, which a VGG
  could not do.
- Generator and discriminator are perceptrons too, on the histogram summed
  over 2 x 2 cells plus the count (code -> 128 -> 626 and 626 -> 128 -> 1:
  small tensors keep a CPU training step cheap); they are used in training
  only and not shipped.
- The shipped model's number of training steps (750) was chosen among 300,
  750, 2,000 and 3,000 by the rank correlation of Hamming with W1 on 200
  real image tiles and 100 faces: a look at real data the paper's fully
  domain-oblivious recipe does not take (the weights never see them).
- Essential classes (infinite death) are left out of the histogram and the
  count cell; the paper's diagrams have none.

*Choices where the paper is silent* (see ``fasttopo/hashing/training.py``)

- Diagram similarity: ``S_D = mean_s exp(-W1 / (sigma 3^-s))``, s = 0..3,
  a mixture of scales so that the Hamming distance follows W1 over two
  orders of magnitude (near and far pairs); ``W1`` is the exact
  1-Wasserstein distance with the L-infinity ground metric (GUDHI's and
  :func:`fasttopo.wasserstein_distance`'s default), ``sigma`` the median W1
  of random pairs in the first training batches (stored in the model).
  Code similarity: ``S_B = b_i . b_j / n_bits``, which for +-1 codes is
  ``1 - 2 Hamming / n_bits``.
- Loss: ``mean (S_B - S_D)^2`` over sampled pairs (each diagram with its
  perturbed copy and 4 random partners), ``S_B`` from the relaxed codes
  ``tanh(logits)`` (with the +-1 signs and straight-through gradients the
  training collapsed to a few codes after ~1,000 steps); + 0.1 x histogram
  reconstruction (mean squared error of the generator from the sign codes)
  + 0.01 x non-saturating adversarial loss + 0.1 x quantisation
  ``mean (|b| - 1)^2`` + 0.1 x bit balance ``mean_j (mean_i b_ij)^2``;
  the encoder's outputs are batch-normalised (no affine part) in training
  so that every bit splits the data, and the running mean is folded into
  the last bias for inference.  Adam, learning rate 1e-3, batches of 64
  fresh synthetic diagrams.
- Synthetic diagrams: each is a mixture of 1 to 4 Gaussian blobs in the
  triangle ``0 <= birth <= death <= 1`` (lifetimes of the centres
  log-uniform, so that short-lived points, which dominate diagrams of real
  images, are as present as long-lived ones) plus 20 % uniform points; half of
  every batch are perturbed copies of the other half (points moved by
  N(0, 0.01), ~5 % of the shortest-lived points removed and as many
  near-diagonal points added), so that batches
  hold near pairs as well as far ones.
- Cells: :func:`numpy.histogram2d`'s half-open bins on ``[0, 1]``; a point
  in a diagonal cell counts twice (``H + H.T``), as in the paper's
  reflection.

References
----------
.. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
   for learning concise representations of filtered topological spaces for
   clustering", IEEE Transactions on Visualization and Computer Graphics
   (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872
"""

import json
import numbers
import os

import numpy as np

from .._points import as_batch
from .features import cells, check_counts, check_value_range, synthetic_diagrams, unit_points
from .hamming import pack_codes

__all__ = ["DiagramHasher", "hash_diagrams", "synthetic_diagrams", "PRETRAINED_MODEL"]

#: the pretrained model shipped in the package (made by scripts/train_diagram_hasher.py)
PRETRAINED_MODEL = os.path.join(os.path.dirname(os.path.dirname(__file__)), "models",
                                "diagram_hasher_64.npz")

_FORMAT = 1
_LAYERS = ("W0", "b0", "W1", "b1", "W2", "b2")


# ---------------------------------------------------------------- estimator
class DiagramHasher:
    """Learned binary codes of persistence diagrams, scikit-learn style.

    Parameters
    ----------
    n_bits : int, optional
        Code length, a multiple of 64 (default 64, the paper's).
    dim : int or None, optional
        Homology dimension taken from PersistenceDiagram inputs (default
        None: all pairs; plain ``(n, 2)`` arrays are used as they are).
    value_range : (float, float), optional
        Filtration interval mapped linearly onto [0, 1] before hashing
        (e.g. ``(0, 255)`` for diagrams of uint8 images).  Default None:
        diagrams must already lie in ``[0, 1]^2``.
    n_steps : int, optional
        Training steps of :meth:`fit` (batches of ``batch_size`` fresh
        synthetic diagrams; default 2000).
    batch_size : int, optional
        Diagrams per training batch (default 64).
    learning_rate : float, optional
        Adam learning rate (default 1e-3).
    random_state : int, optional
        Seed of the synthetic data and of the weights' initialisation.
    progress : bool, optional
        Show a tqdm progress bar during :meth:`fit` (default True).

    Attributes
    ----------
    weights_ : dict of ndarray
        ``W0 (2501, h0)``, ``b0``, ``W1 (h0, h1)``, ``b1``, ``W2 (h1,
        n_bits)``, ``b2``: the encoder, after :meth:`fit` or :meth:`load`.
    info_ : dict
        Training record (parameters, sigma, losses, time).

    See Also
    --------
    hash_diagrams, synthetic_diagrams, fasttopo.hamming_distances

    Notes
    -----
    See the module notes of :mod:`fasttopo.hashing.codes` for the architecture,
    the loss and every choice that departs from, or fills in, the paper.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import DiagramHasher, PRETRAINED_MODEL
    >>> hasher = DiagramHasher.load(PRETRAINED_MODEL)
    >>> a = np.array([[0.1, 0.5], [0.2, 0.3]])
    >>> codes = hasher.transform([a, a + 0.01, np.array([[0.0, 1.0]])])
    >>> codes.shape, codes.dtype
    ((3,), dtype('uint64'))
    >>> bool(codes[0] == hasher.transform([a])[0])
    True
    """

    bins = 50

    def __init__(self, n_bits=64, *, dim=None, value_range=None, n_steps=2000, batch_size=64,
                 learning_rate=1e-3, random_state=None, progress=True):
        self.n_bits = n_bits
        self.dim = dim
        self.value_range = value_range
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.progress = progress

    def _check_params(self):
        for name in ("n_bits", "n_steps", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
                    or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.n_bits % 64:
            raise ValueError(f"n_bits must be a multiple of 64, got {self.n_bits}")
        if self.batch_size < 4:
            raise ValueError(f"batch_size must be >= 4, got {self.batch_size}")
        check_value_range(self.value_range)

    def fit(self, diagrams=None, y=None, *, n_points=None):
        """Train the encoder on synthetic diagrams matched to ``diagrams``' point counts.

        Parameters
        ----------
        diagrams : sequence of PersistenceDiagram or (n, 2) array_like, optional
            Target data: only their numbers of finite points are used (the
            training is domain-oblivious).  Default: counts from 10 to 100.
        y : ignored

        Returns
        -------
        self : DiagramHasher

        Raises
        ------
        ImportError
            If torch is not installed (``pip install fasttopo[torch]``).
        ValueError
            If a parameter or a diagram is invalid.
        """
        self._check_params()
        if n_points is not None:
            counts = check_counts(n_points)
            if counts.max() == 0:
                raise ValueError("n_points are all 0: nothing to train on")
        elif diagrams is None:
            counts = np.arange(10, 101)
        else:
            points, _ = unit_points(diagrams, self.dim, self.value_range)
            counts = np.array([len(p) for p in points], dtype=np.int64)
            if counts.max(initial=0) == 0:
                raise ValueError("diagrams have no finite points: nothing to match counts to")
        try:
            from . import training
        except ImportError as exc:      # pragma: no cover - torch is an extra
            raise ImportError("DiagramHasher.fit needs torch: pip install 'fasttopo[torch]' "
                              f"({exc})") from None
        self.weights_, self.info_ = training.train(
            counts, n_bits=int(self.n_bits), bins=self.bins, n_steps=int(self.n_steps),
            batch_size=int(self.batch_size), learning_rate=float(self.learning_rate),
            seed=self.random_state, progress=bool(self.progress))
        return self

    def _check_fitted(self):
        if not hasattr(self, "weights_"):
            raise RuntimeError("this DiagramHasher is not trained: call fit() or "
                               "DiagramHasher.load(path) (e.g. fasttopo.PRETRAINED_MODEL)")

    def logits(self, diagrams):
        """Encoder outputs before the sign, ``(n, n_bits)`` float64 (NumPy only)."""
        self._check_fitted()
        points, _ = unit_points(diagrams, self.dim, self.value_range)
        return _encode(self.weights_, cells(points, self.bins))

    def transform(self, diagrams):
        """Codes of the diagrams (NumPy and SciPy only: torch is not imported).

        Parameters
        ----------
        diagrams : sequence of PersistenceDiagram or (n, 2) array_like
            Diagrams on ``[0, 1]^2`` (or in ``value_range``); essential
            classes are left out.

        Returns
        -------
        codes : (n,) ndarray of uint64, or (n, n_bits // 64) for longer codes
            Bit ``j`` of a code is the sign of encoder output ``j`` (see
            :func:`fasttopo.pack_codes`).

        Raises
        ------
        ValueError
            If a diagram has finite points outside ``[0, 1]^2`` (the message
            says how to normalise) or is malformed.
        RuntimeError
            If the hasher is neither trained nor loaded.
        """
        self._check_fitted()
        items, is_batch = as_batch(diagrams, self.dim, strict=False)
        if not is_batch:
            diagrams = [diagrams]
        codes = pack_codes(self.logits(diagrams) > 0)
        return codes[:, 0] if codes.shape[1] == 1 else codes

    def fit_transform(self, diagrams, y=None):
        """:meth:`fit` then :meth:`transform` of the same diagrams."""
        return self.fit(diagrams).transform(diagrams)

    def save(self, path):
        """Write the encoder to a ``.npz`` file (float32 weights, about 1.4 MB for 64 bits)."""
        self._check_fitted()
        meta = {"format": _FORMAT, "n_bits": int(self.n_bits), "bins": self.bins,
                "dim": self.dim, "value_range": self.value_range,
                "info": getattr(self, "info_", {})}
        arrays = {k: np.asarray(self.weights_[k], dtype=np.float32) for k in _LAYERS}
        np.savez(path, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path):
        """A hasher with the encoder read from :meth:`save`'s ``.npz`` file."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != _FORMAT or meta.get("bins") != cls.bins:
                raise ValueError(f"{path} is not a DiagramHasher model of format {_FORMAT}")
            weights = {k: data[k].astype(np.float64) for k in _LAYERS}
        vr = meta.get("value_range")
        hasher = cls(meta["n_bits"], dim=meta.get("dim"),
                     value_range=None if vr is None else tuple(vr))
        hasher.weights_ = weights
        hasher.info_ = meta.get("info", {})
        if weights["W2"].shape[1] != hasher.n_bits or weights["W0"].shape[0] != cls.bins ** 2 + 1:
            raise ValueError(f"{path}: weight shapes do not match n_bits={hasher.n_bits}")
        return hasher


def _encode(weights, cells, chunk=4096):
    """The encoder in float64: sparse first layer, then two dense layers."""
    out = np.empty((cells.shape[0], weights["W2"].shape[1]))
    for s in range(0, cells.shape[0], chunk):
        h = np.asarray(cells[s:s + chunk] @ weights["W0"]) + weights["b0"]
        np.maximum(h, 0.0, out=h)
        h = h @ weights["W1"] + weights["b1"]
        np.maximum(h, 0.0, out=h)
        out[s:s + chunk] = h @ weights["W2"] + weights["b2"]
    return out


_PRETRAINED = {}


def hash_diagrams(diagrams, *, dim=0, value_range=None):
    """64-bit codes of persistence diagrams by the pretrained domain-oblivious model.

    Parameters
    ----------
    diagrams : PersistenceDiagram, (n, 2) array_like, or a sequence of them
        Diagrams with finite points in ``[0, 1]^2`` (or in ``value_range``).
        Essential classes are left out.
    dim : int or None, optional
        Homology dimension taken from PersistenceDiagram inputs (default 0;
        None: all pairs).  Plain arrays are used as they are.
    value_range : (float, float), optional
        Filtration interval mapped onto [0, 1] first, e.g. ``(0, 255)``
        for uint8 images.

    Returns
    -------
    codes : uint64, or (N,) ndarray of uint64 for N diagrams
        Compare them with :func:`fasttopo.hamming_distances` or
        :func:`fasttopo.hamming_knn`.

    Raises
    ------
    ValueError
        If a diagram has finite points outside ``[0, 1]^2`` (the message
        says how to normalise) or is malformed.

    See Also
    --------
    DiagramHasher, fasttopo.hamming_distances

    Notes
    -----
    The model (``fasttopo/models/diagram_hasher_64.npz``) was trained only
    on synthetic diagrams of 4 to 48 points by
    ``scripts/train_diagram_hasher.py`` (seeded); see :mod:`fasttopo.hashing.codes`
    for the method.  Larger diagrams are hashed too, but are further from
    its training data: keeping the longest-lived points
    (``PersistenceDiagram.top_k``) brings them closer.

    References
    ----------
    .. [1] Y. Qin, B. T. Fasy, C. Wenk, B. Summa, "A domain-oblivious approach
       for learning concise representations of filtered topological spaces
       for clustering", IEEE Transactions on Visualization and Computer
       Graphics (IEEE VIS 2021), 28(1), 2022. https://doi.org/10.1109/TVCG.2021.3114872

    Examples
    --------
    >>> import numpy as np
    >>> from fasttopo import hash_diagrams, hamming_distances, persistence
    >>> image = np.random.default_rng(0).integers(0, 256, (16, 16)).astype(np.uint8)
    >>> codes = hash_diagrams([persistence(image), persistence(image.T)],
    ...                       value_range=(0, 255))
    >>> codes.dtype, int(hamming_distances(codes)[0, 1]) <= 64
    (dtype('uint64'), True)
    """
    if "model" not in _PRETRAINED:
        _PRETRAINED["model"] = DiagramHasher.load(PRETRAINED_MODEL)
    base = _PRETRAINED["model"]
    points, is_batch = unit_points(diagrams, dim, value_range)
    codes = pack_codes(_encode(base.weights_, cells(points, base.bins)) > 0)
    codes = codes[:, 0] if codes.shape[1] == 1 else codes
    return codes if is_batch else codes[0]
