"""What every clusterer is: the `Clusterer` protocol, the `ClusterFit` it yields, and shared parts.

A clusterer is a scikit-learn style estimator fitted on distinct points weighted by their event counts.
The pipeline knows clusterers only through this protocol and their registry row (lens_core.registry):
it asks for `coordinates` (the space to cluster in), calls `fit`, and reads the `ClusterFit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from lens_core.cluster.centres import Centres, centres_of, nearest_centres
from lens_core.errors import ClusteringError

NOISE = -1


@dataclass(frozen=True)
class ClusterFit:
    """What a fit says about each point, and about each cluster (label i: row i of `centres`)."""

    labels: np.ndarray  # per point, -1 noise
    probabilities: np.ndarray  # per point, 0..1 (1 where the clusterer states no probability)
    centres: np.ndarray  # per cluster, in the space the clusterer fitted in
    adjustments: list[str] = field(default_factory=list)  # what the clusterer changed to fit the data


@runtime_checkable
class Clusterer(Protocol):
    """max_points: the most distinct points one fit takes (None: no limit); the pipeline fits a weighted
    sample of that size and assigns the rest (lens_core.cluster.sampled_fit)."""

    max_points: int | None

    def coordinates(self, vectors: np.ndarray, families: list[str]) -> np.ndarray:
        """The points to fit from the run's vectors (or their reduction) and each point's failure family."""
        ...

    def fit(
        self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None, represents: int | None = None
    ) -> Clusterer:
        """represents: how many distinct points X stands for, when it is a sample of them."""
        ...

    def result(self) -> ClusterFit: ...

    def assign(self, X: np.ndarray, distance_factor: float | None = 1.0) -> np.ndarray: ...


class PrototypeMixin:
    """The parts of the protocol every lens clusterer shares: centroids_ / radii_ learned from the
    labels, `assign` of new points to them, the fitted points as given, and the ClusterFit."""

    max_points: int | None = None

    def coordinates(self, vectors: np.ndarray, families: list[str]) -> np.ndarray:
        return vectors

    def result(self) -> ClusterFit:
        return ClusterFit(
            labels=np.asarray(self.labels_), probabilities=np.asarray(self.probabilities_, dtype=float),
            centres=np.asarray(self.centroids_), adjustments=list(self.adjustments_),
        )

    def _fit_prototypes(self, X: np.ndarray, weights: np.ndarray, labels: np.ndarray, n_clusters: int) -> None:
        centres = centres_of(X, weights, labels, list(range(n_clusters)), "euclidean")
        self.centroids_ = centres.vectors
        self.radii_ = centres.radii.astype(np.float32)

    def assign(self, X: np.ndarray, distance_factor: float | None = 1.0) -> np.ndarray:
        """Label of the nearest centroid for each row of X (in the clustering space), or -1 where the
        point is farther from it than radius * distance_factor. None: never -1."""
        if not hasattr(self, "centroids_"):
            raise ClusteringError(f"{type(self).__name__} must be fitted before assign()")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or (len(self.centroids_) and X.shape[1] != self.centroids_.shape[1]):
            raise ClusteringError(f"assign() needs vectors of {self.centroids_.shape[1]} dims, got shape {X.shape}")
        centres = Centres(self.centroids_, self.radii_, np.arange(len(self.centroids_)), "euclidean")
        labels, _ = nearest_centres(X, centres, distance_factor, outside=NOISE)
        return labels.astype(np.intp)


def validate_data(X: np.ndarray, sample_weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """X as a finite float32 2-D array and positive weights (ones when none are given)."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ClusteringError(f"clustering needs a 2-D array of vectors, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ClusteringError("the vectors to cluster contain NaN or infinite values")
    if sample_weight is None:
        return X, np.ones(len(X), dtype=np.float64)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (len(X),):
        raise ClusteringError(f"sample_weight has shape {weights.shape}, expected ({len(X)},)")
    if not (np.isfinite(weights).all() and (weights > 0).all()):
        raise ClusteringError("sample_weight must be finite and positive (events per point)")
    return X, weights
