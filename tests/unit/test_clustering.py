"""Reduction and clustering on synthetic data with known truth."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from lens_core.cluster import (
    AgglomerativeClusterer,
    HdbscanClusterer,
    KMeansClusterer,
    MapReducer,
    UmapReducer,
)
from lens_core.cluster.agglomerative import family_features
from lens_core.cluster.base import Clusterer, ClusterFit
from lens_core.errors import ClusteringError, ConfigError
from lens_core.registry import REGISTRY


def blobs(n_per: int = 60, k: int = 5, dim: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k well-separated Gaussian blobs: centres ~N(0, 10^2), unit spread."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(k), n_per)
    centres = rng.normal(scale=10.0, size=(k, dim))
    return (centres[truth] + rng.normal(size=(len(truth), dim))).astype(np.float32), truth


# --- HDBSCAN ---------------------------------------------------------------------------------------


def test_hdbscan_finds_blobs() -> None:
    X, truth = blobs()
    model = HdbscanClusterer().fit(X)
    assert model.n_clusters_ == 5
    assert adjusted_rand_score(truth, model.labels_) > 0.9
    assert model.noise_share_ < 0.1 and model.probabilities_.shape == (len(X),)


def test_hdbscan_weighted_unique_points_match_blobs() -> None:
    X, truth = blobs(n_per=30)
    weights = np.random.default_rng(1).integers(1, 40, size=len(X))  # many heavy points (>= 10)
    model = HdbscanClusterer().fit(X, sample_weight=weights)
    assert adjusted_rand_score(truth, model.labels_) > 0.9
    assert model.n_clusters_ == 5


def test_hdbscan_min_cluster_size_counts_events() -> None:
    rng = np.random.default_rng(2)
    heavy = np.array([[0.0] * 5, [20.0] * 5, [-20.0] * 5])
    singletons = rng.normal(scale=60.0, size=(4, 5)) + 100.0
    X = np.vstack([heavy, singletons]).astype(np.float32)
    weights = np.array([50, 50, 50, 1, 1, 1, 1])
    model = HdbscanClusterer(min_cluster_size=10).fit(X, sample_weight=weights)
    assert model.n_clusters_ == 3
    assert len(set(model.labels_[:3])) == 3 and (model.labels_[:3] >= 0).all()
    assert (model.labels_[3:] == -1).all()
    assert model.noise_share_ == pytest.approx(4 / 154)
    # Unweighted, the same seven points are far too few for a cluster of 10.
    assert (HdbscanClusterer(min_cluster_size=10).fit(X).labels_ == -1).all()


def test_hdbscan_too_few_points_is_all_noise() -> None:
    X, _ = blobs(n_per=2, k=2)
    model = HdbscanClusterer(min_cluster_size=10).fit(X)
    assert (model.labels_ == -1).all() and model.n_clusters_ == 0 and model.noise_share_ == 1.0
    assert model.adjustments_ and model.centroids_.shape == (0, X.shape[1])
    empty = HdbscanClusterer().fit(np.zeros((0, 3)))
    assert empty.labels_.shape == (0,) and empty.n_clusters_ == 0


def test_hdbscan_clamps_min_samples_and_records_it() -> None:
    X, _ = blobs(n_per=4, k=3)
    model = HdbscanClusterer(min_cluster_size=2, min_samples=50).fit(X)
    assert model.min_samples_ == len(X) - 1
    assert any("min_samples" in note for note in model.adjustments_)


def test_hdbscan_assign_far_points_to_noise() -> None:
    X, truth = blobs()
    model = HdbscanClusterer().fit(X)
    assert model.centroids_.shape == (5, 20) and (model.radii_ > 0).all()
    near = model.assign(X[::60] + 0.01)
    assert list(near) == list(model.labels_[::60])
    assert (model.assign(np.full((2, 20), 500.0)) == -1).all()
    assert (model.assign(np.full((1, 20), 500.0), distance_factor=None) >= 0).all()


def test_hdbscan_rejects_bad_input() -> None:
    with pytest.raises(ClusteringError):
        HdbscanClusterer(min_cluster_size=1).fit(np.zeros((5, 2)))
    with pytest.raises(ClusteringError):
        HdbscanClusterer().fit(np.zeros((5, 2)), sample_weight=np.ones(4))
    with pytest.raises(ClusteringError):
        HdbscanClusterer().assign(np.zeros((1, 2)))


# --- K-Means ---------------------------------------------------------------------------------------


def test_kmeans_auto_k_picks_true_k() -> None:
    X, truth = blobs(n_per=40)
    model = KMeansClusterer(k_max=10).fit(X)
    assert model.n_clusters_ == 5
    assert adjusted_rand_score(truth, model.labels_) > 0.99
    assert max(model.silhouette_by_k_, key=model.silhouette_by_k_.get) == 5
    assert model.silhouette_ == model.silhouette_by_k_[5]


def test_kmeans_given_k_weights_and_assign() -> None:
    X, truth = blobs(n_per=20, k=3)
    model = KMeansClusterer(n_clusters=3).fit(X, sample_weight=np.arange(1, len(X) + 1))
    assert model.silhouette_ is None and model.n_clusters_ == 3 and model.noise_share_ == 0.0
    far = np.full((1, 20), 500.0)
    assert model.assign(far)[0] >= 0  # K-Means has no noise
    assert model.assign(far, distance_factor=1.0)[0] == -1


def test_kmeans_tiny_inputs_are_one_cluster() -> None:
    model = KMeansClusterer().fit(np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 2.0]]))
    assert list(model.labels_) == [0, 0, 0] and model.n_clusters_ == 1
    assert KMeansClusterer().fit(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])).n_clusters_ == 2


def test_registry_builds_each_clusterer_with_its_parameters() -> None:
    classes = {name: REGISTRY.get("clusterer", name).load() for name in REGISTRY.names("clusterer")}
    assert classes == {
        "agglomerative": AgglomerativeClusterer, "hdbscan": HdbscanClusterer, "kmeans": KMeansClusterer,
    }
    kmeans = REGISTRY.get("clusterer", "kmeans")
    built = kmeans.build(kmeans.validate({"k": 3}), random_state=7)  # k is K-Means' n_clusters
    assert built.get_params()["n_clusters"] == 3 and built.get_params()["random_state"] == 7
    with pytest.raises(ConfigError, match="agglomerative, hdbscan, kmeans"):
        REGISTRY.get("clusterer", "dbscan")
    with pytest.raises(ConfigError, match="hdbscan has no parameter k; it takes min_cluster_size"):
        REGISTRY.get("clusterer", "hdbscan").validate({"k": 3})
    with pytest.raises(ConfigError, match="min_cluster_size must be at least 2"):
        REGISTRY.get("clusterer", "hdbscan").validate({"min_cluster_size": 1})


@pytest.mark.parametrize("name", ["agglomerative", "hdbscan", "kmeans"])
def test_every_clusterer_follows_the_protocol(name: str) -> None:
    X, truth = blobs(n_per=40, k=3, dim=6)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    row = REGISTRY.get("clusterer", name)
    clusterer = row.build(row.validate({}), random_state=0)
    assert isinstance(clusterer, Clusterer)
    points = clusterer.coordinates(X, [""] * len(X))
    fit = clusterer.fit(points, sample_weight=np.ones(len(X)), represents=len(X)).result()
    assert isinstance(fit, ClusterFit) and len(fit.labels) == len(fit.probabilities) == len(X)
    assert fit.centres.shape == (int(fit.labels.max()) + 1, points.shape[1])
    # A fitted point is assigned back to its own cluster.
    clustered = np.flatnonzero(fit.labels >= 0)
    assert (clusterer.assign(points[clustered], distance_factor=None) == fit.labels[clustered]).all()


# --- agglomerative ---------------------------------------------------------------------------------


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_agglomerative_finds_blobs_without_noise_and_assigns() -> None:
    X, truth = blobs(n_per=15, k=3)
    model = AgglomerativeClusterer(distance_threshold=20.0).fit(X)
    assert model.n_clusters_ == 3 and model.noise_share_ == 0.0
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    assert (model.probabilities_ == 1.0).all()
    assert model.assign(X[:5]).tolist() == model.labels_[:5].tolist()


def test_agglomerative_is_independent_of_point_order() -> None:
    X, _ = blobs(n_per=12, k=4)
    first = AgglomerativeClusterer(distance_threshold=20.0).fit(X).labels_
    order = np.random.default_rng(3).permutation(len(X))
    second = AgglomerativeClusterer(distance_threshold=20.0).fit(X[order]).labels_
    assert adjusted_rand_score(first[order], second) == 1.0


def test_agglomerative_labels_number_clusters_by_first_point() -> None:
    X = np.array([[10.0, 0.0], [0.0, 0.0], [10.0, 0.1], [0.0, 0.1]])
    assert AgglomerativeClusterer(distance_threshold=1.0).fit(X).labels_.tolist() == [0, 1, 0, 1]


def test_family_features_keep_families_apart() -> None:
    # Two nearly identical texts of different families, and a third of the first family further away.
    vectors = _unit(np.array([[1.0, 0.0, 0.0], [0.99, 0.05, 0.0], [0.8, 0.6, 0.0]]))
    alike = AgglomerativeClusterer(distance_threshold=1.2).fit(vectors).labels_
    assert len(set(alike.tolist())) == 1
    points = family_features(vectors, ["auth", "permission", "auth"], separation=1.0)
    apart = AgglomerativeClusterer(distance_threshold=1.2).fit(points).labels_
    assert apart[0] == apart[2] != apart[1]
    assert family_features(vectors, ["", "", ""], separation=1.0).shape == (3, 3)  # no family: no block


def test_agglomerative_refuses_bad_parameters_and_too_many_points() -> None:
    with pytest.raises(ClusteringError, match="distance_threshold"):
        AgglomerativeClusterer(distance_threshold=0).fit(np.zeros((3, 2)))
    with pytest.raises(ClusteringError, match="at most 5 distinct texts"):
        AgglomerativeClusterer(max_points=5).fit(np.random.default_rng(0).random((6, 2)))
    single = AgglomerativeClusterer().fit(np.ones((1, 4)))
    assert single.labels_.tolist() == [0] and single.n_clusters_ == 1


# --- UMAP ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_like() -> np.ndarray:
    """200 unit vectors in 5 blobs plus 100 exact duplicates of some of them (shared texts)."""
    X, _ = blobs(n_per=40, dim=32, seed=3)
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    return np.vstack([X, X[::2]])


def test_umap_is_deterministic_and_maps_duplicates_together(text_like: np.ndarray) -> None:
    first = UmapReducer().fit_transform(text_like)
    second = UmapReducer().fit_transform(text_like)
    assert first.shape == (300, 5) and first.dtype == np.float32
    assert np.array_equal(first, second)
    assert np.array_equal(first[200:], first[:200:2])
    reducer = UmapReducer().fit(text_like)
    assert reducer.n_unique_ == 200 and reducer.fallback_ is None


def test_umap_output_keeps_clusters(text_like: np.ndarray) -> None:
    truth = np.r_[np.repeat(np.arange(5), 40), np.repeat(np.arange(5), 40)[::2]]
    reduced = UmapReducer().fit_transform(text_like)
    assert adjusted_rand_score(truth, HdbscanClusterer().fit(reduced).labels_) > 0.9


@pytest.mark.parametrize("n", [1, 2, 5])
def test_umap_tiny_inputs_fall_back(n: int) -> None:
    X = np.random.default_rng(n).normal(size=(n, 16)).astype(np.float32)
    reducer = UmapReducer()
    out = reducer.fit_transform(X)
    assert out.shape == (n, 5) and np.isfinite(out).all()
    assert reducer.fallback_ is not None and reducer.fallback_.startswith("pca")


def test_map_reducer_small_input_lowers_neighbours() -> None:
    X = np.random.default_rng(7).normal(size=(8, 16)).astype(np.float32)
    reducer = MapReducer()
    out = reducer.fit_transform(X)
    assert out.shape == (8, 2) and reducer.fallback_ is None and reducer.n_neighbors_ == 7
    assert reducer.get_params()["min_dist"] == 0.1
    assert UmapReducer().fit_transform(np.zeros((0, 4))).shape == (0, 5)


def test_hdbscan_scales_min_cluster_size_with_distinct_points() -> None:
    X, _ = blobs(n_per=2000, k=5, dim=5)  # 10,000 distinct points: sqrt(10000) / 4 = 25
    fixed = HdbscanClusterer(min_cluster_size=10, min_samples=5).fit(X)
    scaled = HdbscanClusterer(min_cluster_size=10, min_samples=5, scale_min_cluster_size=True).fit(X)
    assert fixed.min_cluster_size_ == 10 and scaled.min_cluster_size_ == 25
    # Few distinct points keep the setting, however many events they stand for.
    few = HdbscanClusterer(min_cluster_size=10, scale_min_cluster_size=True)
    few.fit(X[:100], sample_weight=np.full(100, 1000.0))
    assert few.min_cluster_size_ == 10
    # A sample that stands for 10,000 distinct points is scaled for them.
    few.fit(X[:100], sample_weight=np.full(100, 1000.0), represents=10_000)
    assert few.min_cluster_size_ == 25


def test_hdbscan_assign_noise_leaves_no_noise() -> None:
    X, y = blobs(n_per=60, k=4)
    rng = np.random.default_rng(1)
    far = np.vstack([X, rng.uniform(-40, 40, size=(6, X.shape[1]))])  # isolated stragglers: noise first
    kept = HdbscanClusterer(min_cluster_size=10, min_samples=5).fit(far)
    assigned = HdbscanClusterer(min_cluster_size=10, min_samples=5, assign_noise=True).fit(far)
    assert (kept.labels_ == -1).any()
    assert (assigned.labels_ != -1).all() and assigned.noise_share_ == 0.0
    assert assigned.noise_assigned_ == int((kept.labels_ == -1).sum())
    np.testing.assert_array_equal(assigned.labels_[kept.labels_ != -1], kept.labels_[kept.labels_ != -1])
