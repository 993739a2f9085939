"""Fit on a sample, assign the rest: how a run scales past what UMAP can reduce on one machine.

UMAP's cost grows with the distinct texts; beyond some tens of thousands it dominates a run. With
`process --fit-sample N`, reduction and clustering see N distinct texts, drawn with probability
growing with their event counts (weighted sampling without replacement, Efraimidis-Spirakis, seeded:
the same data gives the same sample), so every frequent failure is in it.

The sample stands for all the data: each sampled text carries, besides its own events, the events of
every text left out whose nearest sampled text (cosine, in embedding space) it is. HDBSCAN then sees the
masses the whole data has, so min_cluster_size (which counts events, and scales with the distinct
texts of the whole data) means what it means in a full fit. Unweighted, a sample of half the texts holds
about half the events, and a group that reaches min_cluster_size only with its left-out half is lost.

Every other text is then assigned in embedding space, as `lens assign` does for new events: to the
nearest cluster centre when within that cluster's radius (95th percentile of its members' cosine
distances), else to noise.

Texts assigned this way have no place in the reduced space or on the map (NaN there): the map shows
the fitted sample, and the run's notes say how many texts were fitted and how many assigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lens_core.cluster.hdbscan_clusterer import RADIUS_QUANTILE, weighted_quantile

NOISE = -1
_CHUNK = 8192


def sample_indices(weights: np.ndarray, size: int, random_state: int) -> np.ndarray:
    """`size` indices drawn without replacement, heavier points likelier; sorted. All when size >= n."""
    n = len(weights)
    if size >= n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    # Key u^(1/w) per point, the largest `size` keys win; in logs to stay finite for large weights.
    keys = np.log(rng.random(n)) / np.maximum(weights.astype(float), 1e-12)
    return np.sort(np.argpartition(-keys, size - 1)[:size])


def represented_weights(vectors: np.ndarray, weights: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Events each sampled point stands for: its own, plus those of the left-out points nearest to it."""
    out = weights[sample].astype(np.float64)
    rest = np.setdiff1d(np.arange(len(vectors)), sample, assume_unique=True)
    fitted = vectors[sample]
    for start in range(0, len(rest), _CHUNK):
        block = rest[start : start + _CHUNK]
        nearest = (vectors[block] @ fitted.T).argmax(axis=1)  # rows are unit vectors: highest cosine
        np.add.at(out, nearest, weights[block])
    return out.astype(np.float32)


@dataclass
class SampledLabels:
    """What a clusterer fitted on a sample says about every point."""

    labels_: np.ndarray  # clusterer labels for all points (-1 noise)
    probabilities_: np.ndarray  # the clusterer's for fitted points; 1 assigned, 0 noise for the rest
    centroids_: np.ndarray  # the clusterer's centres in the reduced space
    adjustments_: list[str]
    fitted: np.ndarray  # bool per point: in the sample


def extend_to_all(
    clusterer: object, sample: np.ndarray, vectors: np.ndarray, weights: np.ndarray
) -> SampledLabels:
    """The clusterer's labels on the sample, and nearest-centre labels (embedding space) for the rest."""
    n = len(vectors)
    labels = np.full(n, NOISE, dtype=np.int64)
    probabilities = np.zeros(n, dtype=float)
    fitted = np.zeros(n, dtype=bool)
    fitted[sample] = True
    sample_labels = np.asarray(clusterer.labels_, dtype=np.int64)
    labels[sample] = sample_labels
    sample_probabilities = getattr(clusterer, "probabilities_", None)
    probabilities[sample] = 1.0 if sample_probabilities is None else np.asarray(sample_probabilities, dtype=float)

    rest = np.flatnonzero(~fitted)
    cluster_ids = sorted({int(x) for x in sample_labels if x != NOISE})
    if len(rest) and cluster_ids:
        centres, radii = _centres(vectors[sample], weights[sample], sample_labels, cluster_ids)
        ids = np.array(cluster_ids)
        for start in range(0, len(rest), _CHUNK):
            block = rest[start : start + _CHUNK]
            distance = 1.0 - vectors[block] @ centres.T
            nearest = distance.argmin(axis=1)
            inside = distance[np.arange(len(block)), nearest] <= radii[nearest]
            labels[block] = np.where(inside, ids[nearest], NOISE)
            probabilities[block] = inside.astype(float)
    adjustments = list(getattr(clusterer, "adjustments_", []))
    adjustments.append(
        f"fit on a sample of {len(sample)} of {n} distinct texts; the other {len(rest)} assigned to the "
        f"nearest cluster centre within its radius ({int((labels[rest] != NOISE).sum())} joined, "
        f"{int((labels[rest] == NOISE).sum())} noise)"
    )
    return SampledLabels(labels, probabilities, np.asarray(clusterer.centroids_), adjustments, fitted)


def _centres(
    vectors: np.ndarray, weights: np.ndarray, labels: np.ndarray, cluster_ids: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Unit centre and weighted 95th-percentile cosine radius of each cluster, in embedding space."""
    centres = np.zeros((len(cluster_ids), vectors.shape[1]), dtype=np.float32)
    radii = np.zeros(len(cluster_ids))
    for i, label in enumerate(cluster_ids):
        members = labels == label
        centre = np.average(vectors[members], axis=0, weights=weights[members])
        centre /= np.linalg.norm(centre) or 1.0
        centres[i] = centre
        radii[i] = max(weighted_quantile(1.0 - vectors[members] @ centre, weights[members], RADIUS_QUANTILE), 1e-6)
    return centres, radii
