"""HDBSCAN through fast_hdbscan, on unique points weighted by how many events share each one.

fast_hdbscan has no approximate_predict, so lens's prediction data is the clusters' centroids and radii
(lens_core.cluster.base.PrototypeMixin): nearest centroid, or noise when farther than its radius.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from lens_core.cluster.base import PrototypeMixin, validate_data
from lens_core.errors import ClusteringError

log = logging.getLogger(__name__)

class HdbscanClusterer(PrototypeMixin, ClusterMixin, BaseEstimator):
    """Density clusters with noise (-1). min_cluster_size counts events: total sample_weight.

    scale_min_cluster_size: raise min_cluster_size to round(sqrt(distinct points) / 4) when that is
    larger (10 up to 1,600 distinct texts, 25 at 10,000, 79 at 100,000), so that a run over many distinct
    texts is not cut into hundreds of near-duplicate groups of ten; the size used is min_cluster_size_.
    Distinct points, not events: repeated texts are already one weighted point, and a few hundred
    distinct error signatures behind a million events should keep the fine resolution.
    `fit(..., represents=n)`: the distinct texts the data stands for, when X is a sample of them (a sampled
    fit, whose weights carry the left-out texts' events): min_cluster_size is scaled for those.
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
    ) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.cluster_selection_epsilon = cluster_selection_epsilon
        self.scale_min_cluster_size = scale_min_cluster_size
        self.assign_noise = assign_noise

    def fit(
        self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None, represents: int | None = None
    ) -> HdbscanClusterer:
        self._check_params()
        X, weights = validate_data(X, sample_weight)
        self.adjustments_: list[str] = []
        n_unique = len(np.unique(X, axis=0)) if len(X) else 0
        self.min_cluster_size_ = self._scaled_min_cluster_size(max(n_unique, represents or 0))
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
