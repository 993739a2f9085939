"""K-Means with K chosen by silhouette when not given. Every point belongs to a cluster: no noise."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from lens_core.cluster.base import PrototypeMixin, validate_data
from lens_core.errors import ClusteringError

log = logging.getLogger(__name__)

SILHOUETTE_SAMPLE = 5000  # silhouette is quadratic in points; a fixed-seed sample keeps it fast


class KMeansClusterer(PrototypeMixin, ClusterMixin, BaseEstimator):
    """K-Means on the (unique, weighted) points; K = n_clusters, or the best silhouette in k_min..k_max.

    The silhouette is computed on the points as given, unweighted: lens passes unique points, so a
    text shared by many events counts once there, while K-Means itself uses the weights.
    Learned: labels_, n_clusters_, silhouette_ (of the chosen K, or None), silhouette_by_k_,
    probabilities_ (all 1), noise_share_ (0), adjustments_, centroids_, radii_.
    `assign(X)` gives the nearest centroid; pass a distance_factor to get -1 for far points.
    """

    def __init__(
        self,
        n_clusters: int | None = None,
        k_min: int = 2,
        k_max: int = 30,
        random_state: int = 42,
        n_init: int | str = "auto",
    ) -> None:
        self.n_clusters = n_clusters
        self.k_min = k_min
        self.k_max = k_max
        self.random_state = random_state
        self.n_init = n_init

    def fit(
        self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None, represents: int | None = None
    ) -> KMeansClusterer:
        self._check_params()
        X, weights = validate_data(X, sample_weight)
        self.adjustments_: list[str] = []
        self.silhouette_: float | None = None
        self.silhouette_by_k_: dict[int, float] = {}
        n_unique = len(np.unique(X, axis=0)) if len(X) else 0
        if n_unique < 3:
            self._note(f"{n_unique} distinct points: one cluster")
            labels = np.zeros(len(X), dtype=np.intp)
        elif self.n_clusters is not None:
            labels = self._fit_k(X, weights, self._given_k(n_unique))
        else:
            labels = self._search_k(X, weights, n_unique)
        self.labels_ = labels
        self.n_clusters_ = int(labels.max() + 1) if len(labels) else 0
        self.probabilities_ = np.ones(len(X))
        self.noise_share_ = 0.0
        self._fit_prototypes(X, weights, labels, self.n_clusters_)
        return self

    def assign(self, X: np.ndarray, distance_factor: float | None = None) -> np.ndarray:
        """Nearest centroid for each row (K-Means has no noise); with a distance_factor, -1 beyond
        radius * factor, as HdbscanClusterer.assign."""
        return super().assign(X, distance_factor)

    def _check_params(self) -> None:
        if self.n_clusters is not None and (not isinstance(self.n_clusters, (int, np.integer)) or self.n_clusters < 1):
            raise ClusteringError(f"n_clusters must be a positive integer or None, not {self.n_clusters!r}")
        if not (isinstance(self.k_min, (int, np.integer)) and isinstance(self.k_max, (int, np.integer))):
            raise ClusteringError("k_min and k_max must be integers")
        if not 2 <= self.k_min <= self.k_max:
            raise ClusteringError(f"need 2 <= k_min <= k_max, got k_min={self.k_min}, k_max={self.k_max}")

    def _note(self, message: str) -> None:
        log.info("kmeans: %s", message)
        self.adjustments_.append(message)

    def _given_k(self, n_unique: int) -> int:
        if self.n_clusters > n_unique:
            self._note(f"n_clusters lowered from {self.n_clusters} to {n_unique}: only {n_unique} distinct points")
            return n_unique
        return int(self.n_clusters)

    def _fit_k(self, X: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
        model = KMeans(n_clusters=k, random_state=self.random_state, n_init=self.n_init)
        labels = model.fit_predict(X, sample_weight=weights)
        # Renumber by first appearance so that labels do not depend on KMeans's internal order.
        _, first = np.unique(labels, return_index=True)
        renumber = np.empty(k, dtype=np.intp)
        renumber[labels[np.sort(first)]] = np.arange(len(first))
        return renumber[labels]

    def _search_k(self, X: np.ndarray, weights: np.ndarray, n_unique: int) -> np.ndarray:
        k_max = min(self.k_max, n_unique - 1)  # silhouette needs 2 <= k <= n - 1
        if self.k_min > k_max:
            self._note(f"k_min {self.k_min} above the {n_unique - 1} clusters possible: K = {k_max}")
            return self._fit_k(X, weights, k_max)
        best_k, best_labels = None, None
        for k in range(self.k_min, k_max + 1):
            labels = self._fit_k(X, weights, k)
            if len(np.unique(labels)) < 2:
                continue
            score = float(
                silhouette_score(
                    X, labels, sample_size=min(SILHOUETTE_SAMPLE, len(X)), random_state=self.random_state
                )
            )
            self.silhouette_by_k_[k] = score
            if best_k is None or score > self.silhouette_by_k_[best_k]:  # ties keep the smaller K
                best_k, best_labels = k, labels
        if best_k is None:
            self._note("no K gave two clusters: one cluster")
            return np.zeros(len(X), dtype=np.intp)
        self.silhouette_ = self.silhouette_by_k_[best_k]
        return best_labels
