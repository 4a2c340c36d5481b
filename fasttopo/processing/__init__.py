"""Topological image processing: border modification, the lifetime threshold, object marking,
and the training targets of the PD0 approximator.

The pipeline of Vandaele et al. (Sci. Rep. 2020, doi:10.1038/s41598-020-77399-5) as
scikit-image-style functions, exact on any dtype and scale.
"""

from .border import modify_border
from .marking import mark_objects, topological_process
from .targets import persistence_targets, persistence_targets_batch
from .threshold import lifetime_threshold

__all__ = ["modify_border", "lifetime_threshold", "mark_objects", "topological_process",
           "persistence_targets", "persistence_targets_batch"]
