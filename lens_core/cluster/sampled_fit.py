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

import numpy as np

from lens_core.cluster.base import NOISE, ClusterFit
from lens_core.cluster.centres import centres_of, nearest_centres

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


def extend_to_all(fit: ClusterFit, sample: np.ndarray, vectors: np.ndarray, weights: np.ndarray) -> ClusterFit:
    """The clusterer's labels on the sample, and nearest-centre labels (embedding space) for the rest;
    the centres stay the clusterer's, in the space it fitted in."""
    n = len(vectors)
    labels = np.full(n, NOISE, dtype=np.int64)
    probabilities = np.zeros(n, dtype=float)
    fitted = np.zeros(n, dtype=bool)
    fitted[sample] = True
    labels[sample] = fit.labels
    probabilities[sample] = fit.probabilities

    rest = np.flatnonzero(~fitted)
    cluster_ids = sorted({int(x) for x in fit.labels if x != NOISE})
    if len(rest) and cluster_ids:
        centres = centres_of(vectors[sample], weights[sample], np.asarray(fit.labels), cluster_ids, "cosine")
        labels[rest], _ = nearest_centres(vectors[rest], centres, outside=NOISE)
        probabilities[rest] = (labels[rest] != NOISE).astype(float)
    adjustments = [
        *fit.adjustments,
        f"fit on a sample of {len(sample)} of {n} distinct texts; the other {len(rest)} assigned to the "
        f"nearest cluster centre within its radius ({int((labels[rest] != NOISE).sum())} joined, "
        f"{int((labels[rest] == NOISE).sum())} noise)",
    ]
    return ClusterFit(labels, probabilities, fit.centres, adjustments)
