"""Bottleneck and Wasserstein distances between persistence diagrams, with matchings."""

from .diagram_distances import bottleneck_distance, wasserstein_distance
from .pairwise import pairwise_distances

__all__ = ["bottleneck_distance", "wasserstein_distance", "pairwise_distances"]
