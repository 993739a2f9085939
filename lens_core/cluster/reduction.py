"""UMAP to a few dimensions (for clustering) or two (for the map), safe on tiny and duplicated inputs.

Many events share one text, so X often holds thousands of identical rows. Only unique rows are
reduced and the result is mapped back: identical inputs get identical outputs, and UMAP's neighbour
graph is not flooded by copies. Inputs too small for UMAP fall back to PCA, which is logged and
exposed as `fallback_` so the run can record it (rule 3).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from lens_core.errors import ClusteringError
from lens_core.runtime import import_with_numba_cache

log = logging.getLogger(__name__)


class UmapReducer(BaseEstimator):
    """UMAP with BERTopic's defaults for clustering: 5 dims, min_dist 0, cosine, fixed seed.

    With random_state set, UMAP runs single-threaded: slower, but the same input gives the same output.
    Learned: embedding_ (the output), fallback_ (None, or why PCA was used), n_neighbors_ (used),
    n_unique_ (distinct input rows).
    """

    def __init__(
        self,
        n_neighbors: int = 15,
        n_components: int = 5,
        min_dist: float = 0.0,
        metric: str = "cosine",
        random_state: int = 42,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: None = None) -> UmapReducer:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: np.ndarray, y: None = None) -> np.ndarray:
        X = self._validate(X)
        self.fallback_: str | None = None
        self.n_neighbors_ = self.n_neighbors
        if X.shape[0] == 0:
            self.n_unique_ = 0
            self.embedding_ = np.zeros((0, self.n_components), dtype=np.float32)
            return self.embedding_
        unique, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)  # numpy 2.0.0 returned it with an extra axis
        self.n_unique_ = m = unique.shape[0]
        if m <= 2 or self.n_components >= m - 1:
            # UMAP's spectral layout needs more points than output dimensions (plus one).
            self.fallback_ = f"pca: {m} distinct points are too few for UMAP to {self.n_components} dims"
            log.info("reduction fallback: %s", self.fallback_)
            reduced = pca_project(unique, self.n_components)
        else:
            reduced = self._umap(unique)
        self.embedding_ = reduced[inverse].astype(np.float32)
        return self.embedding_

    def _validate(self, X: np.ndarray) -> np.ndarray:
        if not isinstance(self.n_components, int) or self.n_components < 1:
            raise ClusteringError(f"n_components must be a positive integer, not {self.n_components!r}")
        if not isinstance(self.n_neighbors, int) or self.n_neighbors < 2:
            raise ClusteringError(f"n_neighbors must be an integer >= 2, not {self.n_neighbors!r}")
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise ClusteringError(f"reduction needs a 2-D array of vectors, got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ClusteringError("the vectors to reduce contain NaN or infinite values")
        return X

    def _umap(self, unique: np.ndarray) -> np.ndarray:
        # numba-compiled: imported here, after lens_core.cluster set the cache folder, with its kernels
        # cached on disk (lens_core.runtime): the first process compiles them, the next ones load them.
        # pynndescent caches what numba can itself; two of its kernels use dynamic globals, which numba
        # cannot cache (and would say so at every start).
        umap = import_with_numba_cache("umap", as_declared=("pynndescent",))

        m = unique.shape[0]
        if m < self.n_neighbors + 2:
            self.n_neighbors_ = max(2, m - 1)
            log.info("reduction: %d distinct points, n_neighbors lowered to %d", m, self.n_neighbors_)
        model = umap.UMAP(
            n_neighbors=self.n_neighbors_,
            n_components=self.n_components,
            min_dist=self.min_dist,
            metric=self.metric,
            random_state=self.random_state,
            n_jobs=1,  # what UMAP forces with a seed anyway; said here to avoid its warning
        )
        with warnings.catch_warnings():
            # Small inputs make UMAP warn (spectral init, graph components); the fallbacks are its own.
            warnings.simplefilter("ignore", UserWarning)
            return np.asarray(model.fit_transform(unique), dtype=np.float32)


class MapReducer(UmapReducer):
    """The 2-D map of a run: the same reducer with 2 components and min_dist 0.1, so points of one
    cluster spread out enough to be seen. A separate fit from the clustering reduction (BERTopic)."""

    def __init__(
        self,
        n_neighbors: int = 15,
        n_components: int = 2,
        min_dist: float = 0.1,
        metric: str = "cosine",
        random_state: int = 42,
    ) -> None:
        super().__init__(n_neighbors, n_components, min_dist, metric, random_state)


@dataclass(frozen=True)
class UmapPlan:
    """The reducer stage's parameters as the two reductions a run makes: one to cluster in, one to draw
    the map (the same neighbours and seed, 2 components and a looser packing). Each is a parameter set
    of UmapReducer, stored with the reduction it produced (lens_core.cluster.stored_reductions)."""

    umap_neighbors: int = 15
    umap_components: int = 5
    umap_min_dist: float = 0.0
    map_min_dist: float = 0.1
    random_state: int = 42

    def clustering_params(self) -> dict[str, Any]:
        return {"n_neighbors": self.umap_neighbors, "n_components": self.umap_components,
                "min_dist": self.umap_min_dist, "metric": "cosine", "random_state": self.random_state}

    def map_params(self) -> dict[str, Any]:
        return {**self.clustering_params(), "n_components": 2, "min_dist": self.map_min_dist}


def pca_project(X: np.ndarray, n_components: int) -> np.ndarray:
    """Centred PCA to n_components, zero-padded where X has fewer directions; signs fixed for
    determinism (largest loading positive, as scikit-learn's svd_flip)."""
    centred = X.astype(np.float64) - X.mean(axis=0)
    out = np.zeros((X.shape[0], n_components), dtype=np.float32)
    if X.shape[0] < 2:
        return out
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    k = min(n_components, vt.shape[0])
    signs = np.sign(vt[np.arange(k), np.argmax(np.abs(vt[:k]), axis=1)])
    signs[signs == 0] = 1.0
    out[:, :k] = (u[:, :k] * s[:k]) * signs
    return out
