"""Binary codes of persistence diagrams and Hamming search.

``hamming``: packing bits into 64-bit words, Hamming distances, blocks and
k-nearest codes (popcount kernels in ``_popcount``); ``codes``: the learned
64-bit codes (``DiagramHasher``, ``hash_diagrams``), their input features
(``features``), their model files (``models``), the fitting of threshold
codes to exact W1 (``thresholds``, NumPy) and the training of the paper's
codes (Qin, Fasy, Wenk and Summa, IEEE VIS 2021; ``training``, torch).
"""

from .codes import PRETRAINED_MODEL, PRETRAINED_MODELS, DiagramHasher, hash_diagrams
from .features import synthetic_diagrams
from .hamming import hamming_blocks, hamming_distances, hamming_knn, pack_codes

__all__ = ["pack_codes", "hamming_distances", "hamming_blocks", "hamming_knn", "DiagramHasher",
           "hash_diagrams", "synthetic_diagrams", "PRETRAINED_MODEL", "PRETRAINED_MODELS"]
