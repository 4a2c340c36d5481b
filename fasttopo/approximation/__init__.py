"""Approximate 0-dimensional diagrams of 32 x 32 patches with a network, in NumPy.

The torch-free half of the PD0 approximator of Slater and Weighill (AAAI
2023): the forward pass of the shipped model, the decoding of its outputs
into :class:`~fasttopo.PersistenceDiagram` objects, and the paper's scores
(``inference``).  The torch model and its training are in
:mod:`fasttopo.nn.approximation`.
"""

from .inference import (ENCODINGS, OFFSET_SCALE, PAIR_CHANNELS, PRETRAINED_PATH,
                        approximate_diagrams, decode_diagrams, decode_pairs, read_weights,
                        score_diagrams)

__all__ = ["approximate_diagrams", "decode_diagrams", "decode_pairs", "score_diagrams",
           "read_weights", "PRETRAINED_PATH", "ENCODINGS", "PAIR_CHANNELS", "OFFSET_SCALE"]
