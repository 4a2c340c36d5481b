"""Approximate 0-dimensional diagrams of 32 x 32 patches with a network, in NumPy.

The torch-free half of the PD0 approximator (after Slater and Weighill, AAAI
2023): the public entry and the scores (``inference``), the decoding of the
network's outputs (``decoding``), the model file and its validation
(``model_file``) and the forward pass (``forward``).  The torch model, its
targets, loss and training are in :mod:`fasttopo.nn.approximation`.
"""

from .inference import (HEAD, MAX_K, PRETRAINED_PATH, approximate_diagrams, check_arguments,
                        decode_outputs, read_weights, score_diagrams)

__all__ = ["approximate_diagrams", "decode_outputs", "score_diagrams", "read_weights",
           "check_arguments", "PRETRAINED_PATH", "MAX_K", "HEAD"]
