"""HDBSCAN through fast_hdbscan, on unique points weighted by how many events share each one.

Also the "prototype" helpers shared with K-Means: per-cluster weighted centroids and radii, and
`assign`, which places new points in existing clusters. fast_hdbscan has no approximate_predict, so
this is lens's prediction data: nearest centroid, or noise when farther than that cluster's radius.
"""

from __future__ import annotations

import logging
import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from lens_core.errors import ClusteringError

log = logging.getLogger(__name__)

RADIUS_QUANTILE = 0.95
_CHUNK = 4096  # rows per block when measuring distances to centroids, to bound memory


class PrototypeMixin:
    """centroids_ / radii_ learned from labels, and `assign` for new points."""

    def _fit_prototypes(self, X: np.ndarray, weights: np.ndarray, labels: np.ndarray, n_clusters: int) -> None:
        self.centroids_ = np.zeros((n_clusters, X.shape[1]), dtype=np.float32)
        self.radii_ = np.zeros(n_clusters, dtype=np.float32)
        for label in range(n_clusters):
            members = labels == label
            w = weights[members]
            centroid = np.average(X[members], axis=0, weights=w)
            distances = np.linalg.norm(X[members] - centroid, axis=1)
            self.centroids_[label] = centroid
            self.radii_[label] = weighted_quantile(distances, w, RADIUS_QUANTILE)

    def assign(self, X: np.ndarray, distance_factor: float | None = 1.0) -> np.ndarray:
        """Label of the nearest centroid for each row of X (in the clustering space), or -1 where the
        point is farther from it than radius * distance_factor. None: never -1."""
        if not hasattr(self, "centroids_"):
            raise ClusteringError(f"{type(self).__name__} must be fitted before assign()")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or (len(self.centroids_) and X.shape[1] != self.centroids_.shape[1]):
            raise ClusteringError(f"assign() needs vectors of {self.centroids_.shape[1]} dims, got shape {X.shape}")
        labels = np.full(X.shape[0], -1, dtype=np.intp)
        if len(self.centroids_) == 0:
            return labels
        for start in range(0, X.shape[0], _CHUNK):
            block = X[start : start + _CHUNK]
            distances = _distances(block, self.centroids_)
            nearest = distances.argmin(axis=1)
            if distance_factor is None:
                labels[start : start + len(block)] = nearest
                continue
            # A tiny floor so that a cluster of one repeated text still takes that exact text.
            limit = np.maximum(self.radii_[nearest], 1e-6) * distance_factor
            inside = distances[np.arange(len(block)), nearest] <= limit
            labels[start : start + len(block)] = np.where(inside, nearest, -1)
        return labels


class HdbscanClusterer(PrototypeMixin, ClusterMixin, BaseEstimator):
    """Density clusters with noise (-1). min_cluster_size counts events: total sample_weight.

    scale_min_cluster_size: raise min_cluster_size to round(sqrt(distinct points) / 4) when that is
    larger (10 up to 1,600 distinct texts, 25 at 10,000, 79 at 100,000), so that a run over many distinct
    texts is not cut into hundreds of near-duplicate groups of ten; the size used is min_cluster_size_.
    Distinct points, not events: repeated texts are already one weighted point, and a few hundred
    distinct error signatures behind a million events should keep the fine resolution.
    distinct_points: the distinct texts the data stands for, when X is a sample of them (a sampled fit,
    whose weights carry the left-out texts' events): min_cluster_size is scaled for those. None: X's own.
    assign_noise: after clustering, give every noise point to its nearest cluster centroid (in the
    clustering space, `assign(X, distance_factor=None)`); such points keep probability 0, so they stay
    recognisable, and noise_share_ becomes 0. Off by default: noise stays visible.

    Learned: labels_, probabilities_, n_clusters_, noise_share_ (share of total weight labelled -1),
    min_cluster_size_ and min_samples_ (as used), adjustments_ (what was changed to make the data fit,
    for the run record), noise_assigned_ (points given to a cluster by assign_noise), centroids_, radii_.
    """

    def __init__(
        self,
        min_cluster_size: int = 10,
        min_samples: int = 5,
        cluster_selection_method: str = "eom",
        cluster_selection_epsilon: float = 0.0,
        scale_min_cluster_size: bool = False,
        assign_noise: bool = False,
        distinct_points: int | None = None,
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.scale_min_cluster_size = scale_min_cluster_size
        self.assign_noise = assign_noise
        self.distinct_points = distinct_points

    def fit(self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None) -> HdbscanClusterer:
        self._check_params()
        X, weights = validate_data(X, sample_weight)
        self.adjustments_: list[str] = []
        n_unique = len(np.unique(X, axis=0)) if len(X) else 0
        self.min_cluster_size_ = self._scaled_min_cluster_size(max(n_unique, self.distinct_points or 0))
        self.min_samples_ = self._clamped_min_samples(n_unique)
        if weights.sum() < self.min_cluster_size_ or n_unique < 2:
            self._note(f"{weights.sum():g} events in {n_unique} distinct points: too few for HDBSCAN")
            labels, probabilities = np.full(len(X), -1, dtype=np.intp), np.zeros(len(X))
            self._own_clusters(labels, probabilities, weights)
        else:
            labels, probabilities = self._run(X, weights if sample_weight is not None else None)
        self._set_results(X, weights, labels, probabilities)
        if self.assign_noise:
            self._assign_noise(X, weights)
        return self

    def _scaled_min_cluster_size(self, n_unique: int) -> int:
        if not self.scale_min_cluster_size:
            return int(self.min_cluster_size)
        scaled = int(round(np.sqrt(n_unique) / 4))
        if scaled <= self.min_cluster_size:
            return int(self.min_cluster_size)
        self._note(f"min_cluster_size raised from {self.min_cluster_size} to {scaled} for {n_unique} distinct points")
        return scaled

    def _assign_noise(self, X: np.ndarray, weights: np.ndarray) -> None:
        noise = np.flatnonzero(self.labels_ == -1)
        self.noise_assigned_ = 0
        if len(noise) == 0 or self.n_clusters_ == 0:
            return
        self.labels_[noise] = self.assign(X[noise], distance_factor=None)
        self.noise_assigned_ = int(len(noise))
        self._note(f"{len(noise)} noise points ({self.noise_share_:.1%} of events) given to their nearest cluster")
        self.noise_share_ = 0.0
        # Centroids and radii now describe the clusters with their new members.
        self._fit_prototypes(X, weights, self.labels_, self.n_clusters_)

    def _check_params(self) -> None:
        if not isinstance(self.min_cluster_size, (int, np.integer)) or self.min_cluster_size < 2:
            raise ClusteringError(f"min_cluster_size must be an integer >= 2, not {self.min_cluster_size!r}")
        if not isinstance(self.min_samples, (int, np.integer)) or self.min_samples < 1:
            raise ClusteringError(f"min_samples must be a positive integer, not {self.min_samples!r}")
        if self.cluster_selection_method not in ("eom", "leaf"):
            method = self.cluster_selection_method
            raise ClusteringError(f"cluster_selection_method must be 'eom' or 'leaf', not {method!r}")
        if not isinstance(self.scale_min_cluster_size, (bool, np.bool_)):
            raise ClusteringError(f"scale_min_cluster_size must be True or False, not {self.scale_min_cluster_size!r}")
        if not isinstance(self.assign_noise, (bool, np.bool_)):
            raise ClusteringError(f"assign_noise must be True or False, not {self.assign_noise!r}")
        if not self.cluster_selection_epsilon >= 0:
            raise ClusteringError(f"cluster_selection_epsilon must be >= 0, not {self.cluster_selection_epsilon!r}")

    def _clamped_min_samples(self, n_unique: int) -> int:
        limit = max(1, n_unique - 1)
        if self.min_samples > limit:
            self._note(f"min_samples lowered from {self.min_samples} to {limit}: only {n_unique} distinct points")
            return limit
        return int(self.min_samples)

    def _note(self, message: str) -> None:
        log.info("hdbscan: %s", message)
        self.adjustments_.append(message)

    def _run(self, X: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        import fast_hdbscan  # numba-compiled: imported here, after lens_core.cluster set the cache folder

        fit_weights = None
        if weights is not None:
            # fast_hdbscan 0.3.4 loses a single point whose weight alone reaches min_cluster_size: its
            # condensed tree turns the point into a cluster with no members, and the point (often the
            # most common text) comes out as noise. So weights are capped just below min_cluster_size,
            # which changes no decision about a group of two or more points (any such group holding a
            # capped point still reaches min_cluster_size), and single heavy points are handled below.
            fit_weights = np.minimum(weights, self.min_cluster_size_ * (1 - 1e-4))
        model = fast_hdbscan.HDBSCAN(
            min_cluster_size=int(self.min_cluster_size_),
            min_samples=self.min_samples_,
            cluster_selection_method=self.cluster_selection_method,
            cluster_selection_epsilon=float(self.cluster_selection_epsilon),
            reproducible=True,
        )
        try:
            model.fit(X, sample_weight=fit_weights)
        except (ValueError, MemoryError) as exc:
            raise ClusteringError(f"HDBSCAN could not cluster {len(X)} points: {exc}") from exc
        labels = np.asarray(model.labels_, dtype=np.intp).copy()
        probabilities = np.asarray(model.probabilities_, dtype=np.float64).copy()
        if weights is not None:
            self._own_clusters(labels, probabilities, weights)
        return labels, probabilities

    def _own_clusters(self, labels: np.ndarray, probabilities: np.ndarray, weights: np.ndarray) -> None:
        """A point left as noise that alone holds min_cluster_size events (one text shared that often)
        is a cluster of its own: weighted HDBSCAN never calls such a point noise."""
        heavy = np.flatnonzero((labels == -1) & (weights >= self.min_cluster_size_))
        if len(heavy) == 0:
            return
        self._note(f"{len(heavy)} distinct points with >= {self.min_cluster_size_} events each: own clusters")
        labels[heavy] = labels.max() + 1 + np.arange(len(heavy))
        probabilities[heavy] = 1.0

    def _set_results(self, X: np.ndarray, weights: np.ndarray, labels: np.ndarray, probabilities: np.ndarray) -> None:
        self.labels_ = labels
        self.probabilities_ = probabilities.astype(np.float64)
        self.n_clusters_ = int(labels.max() + 1) if len(labels) else 0
        total = weights.sum()
        self.noise_share_ = float(weights[labels == -1].sum() / total) if total > 0 else 0.0
        self._fit_prototypes(X, weights, labels, self.n_clusters_)


def _distances(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Euclidean distances (points x centroids) without a (points, centroids, dims) intermediate."""
    squared = (points**2).sum(1)[:, None] + (centroids**2).sum(1)[None, :] - 2.0 * points @ centroids.T
    return np.sqrt(np.maximum(squared, 0.0))


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


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches q of the total."""
    if len(values) == 0:
        return 0.0
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1]))
    return float(values[order][min(index, len(values) - 1)])
