"""Nearest centre within its radius: how a point joins a cluster it was not fitted with.

One helper for every place that does it: a clusterer's `assign` (euclidean, in the space it clustered
in), a sampled fit's left-out texts and `lens assign`'s new events (cosine, between unit embeddings).
A cluster's radius is the weighted 95th percentile of its members' distances to its centre, so a point
joins when it is no farther out than nearly all of the cluster's own events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

RADIUS_QUANTILE = 0.95
# A cluster of one repeated text has radius 0; the floor still lets that exact text in.
MIN_RADIUS = 1e-6
_CHUNK = 4096  # rows per block of the distance matrix, to bound memory

Metric = Literal["euclidean", "cosine"]


@dataclass(frozen=True)
class Centres:
    """Cluster centres (rows, float32), their radii, and the cluster label each row stands for."""

    vectors: np.ndarray
    radii: np.ndarray
    labels: np.ndarray
    metric: Metric

    def __len__(self) -> int:
        return len(self.labels)


def centres_of(
    X: np.ndarray, weights: np.ndarray, labels: np.ndarray, cluster_ids: list[int], metric: Metric
) -> Centres:
    """Weighted centre and radius of each cluster in `cluster_ids`. Cosine centres are unit vectors
    (X's rows must be unit vectors too); an empty cluster gets a zero centre and radius 0."""
    vectors = np.zeros((len(cluster_ids), X.shape[1]), dtype=np.float32)
    radii = np.zeros(len(cluster_ids), dtype=np.float64)
    for i, label in enumerate(cluster_ids):
        members = labels == label
        if not members.any():
            continue
        centre = np.average(X[members], axis=0, weights=weights[members])
        if metric == "cosine":
            norm = np.linalg.norm(centre)
            centre = centre / norm if norm else centre
        vectors[i] = centre
        if metric == "cosine":
            member_distances = 1.0 - X[members] @ centre
        else:
            member_distances = np.linalg.norm(X[members] - centre, axis=1)
        radii[i] = weighted_quantile(member_distances, weights[members], RADIUS_QUANTILE)
    return Centres(vectors, radii, np.asarray(cluster_ids, dtype=np.int64), metric)


def nearest_centres(
    X: np.ndarray, centres: Centres, distance_factor: float | None = 1.0, outside: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """For each row of X: the label of its nearest centre, or `outside` where it lies farther than that
    cluster's radius times distance_factor (None: never outside); and its distance to that centre."""
    X = np.asarray(X, dtype=np.float32)
    labels = np.full(len(X), outside, dtype=np.int64)
    distances = np.full(len(X), np.nan)
    if len(centres) == 0:
        return labels, distances
    for start in range(0, len(X), _CHUNK):
        block = slice(start, start + _CHUNK)
        matrix = _distances(X[block], centres.vectors, centres.metric)
        nearest = matrix.argmin(axis=1)
        best = matrix[np.arange(len(matrix)), nearest]
        distances[block] = best
        if distance_factor is None:
            labels[block] = centres.labels[nearest]
            continue
        limit = np.maximum(centres.radii[nearest], MIN_RADIUS) * distance_factor
        labels[block] = np.where(best <= limit, centres.labels[nearest], outside)
    return labels, distances


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches q of the total."""
    if len(values) == 0:
        return 0.0
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1]))
    return float(values[order][min(index, len(values) - 1)])


def _distances(points: np.ndarray, centres: np.ndarray, metric: Metric) -> np.ndarray:
    """(points x centres) distances; euclidean without a (points, centres, dims) intermediate."""
    if metric == "cosine":
        return 1.0 - points @ centres.T
    squared = (points**2).sum(1)[:, None] + (centres**2).sum(1)[None, :] - 2.0 * points @ centres.T
    return np.sqrt(np.maximum(squared, 0.0))
