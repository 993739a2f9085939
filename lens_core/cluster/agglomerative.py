"""Average-linkage clusters of distinct failure texts, cut at one distance: the default for causes.

Why not UMAP + HDBSCAN here: a run's distinct error meanings are few (hundreds to a few thousand), and
UMAP on a few hundred points moves with float-level noise and point order (ARI between runs of 0.82 to
0.97 on the sample). Hierarchical clustering in the embedding space itself has no random state: the same
texts give the same tree, and the points arrive in the canonical order of their text hashes, so the
order of ingestion cannot matter either.

Failure families (lens_core.parse.meaning.family_of_meaning) are extra coordinates: `family_features` appends
a one-hot block scaled by `family_separation` to the unit embedding vectors. Two texts of different
families are then at least sqrt(2) * family_separation apart, so with the default separation a cut below
that never joins them (an expired token and a missing permission stay apart however alike their words
are); a text with no known family sits halfway and may join the family its words are nearest to.

Memory grows with the square of the points (scipy's condensed distance matrix), so a fit takes at most
`max_points` distinct texts; the pipeline fits a weighted sample of that size and assigns the rest to the
nearest cluster (lens_core.cluster.sampled_fit), as `process --fit-sample` does for HDBSCAN.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from lens_core.cluster.base import PrototypeMixin, validate_data
from lens_core.errors import ClusteringError

# The defaults of distance_threshold and family_separation are the registry's (lens_core.registry),
# chosen leave-one-corpus-out on lens's labelled corpora (bench/generalisation.py prints the choice and
# the score on each corpus left out). In euclidean distance between unit vectors: a cut of 1.2 is a
# cosine distance of 0.72 on average between two clusters' members.
DEFAULT_MAX_POINTS = 8000  # 8,000 points: a 256 MB distance matrix, a few seconds on one core


def family_features(vectors: np.ndarray, families: list[str], separation: float) -> np.ndarray:
    """Unit vectors with a one-hot family block scaled by `separation` ('' is no family: zeros)."""
    names = sorted({f for f in families if f})
    block = np.zeros((len(families), len(names)), dtype=np.float32)
    column = {name: i for i, name in enumerate(names)}
    for row, family in enumerate(families):
        if family:
            block[row, column[family]] = separation
    return np.hstack([np.asarray(vectors, dtype=np.float32), block])


class AgglomerativeClusterer(PrototypeMixin, ClusterMixin, BaseEstimator):
    """Average-linkage clusters cut at `distance_threshold` (euclidean); every point is in a cluster.

    sample_weight is accepted for the common protocol and used for centroids and radii; the tree itself
    links distinct points, each once, so a frequent text does not pull its neighbours in by its count.
    `family_separation` scales the families' block of `coordinates`, the points it is fitted on.
    Learned: labels_, probabilities_ (all 1: there is no noise), n_clusters_, noise_share_ (0),
    centroids_, radii_, adjustments_ (empty: nothing is changed to fit the data).
    """

    def __init__(
        self,
        distance_threshold: float = 1.2,
        family_separation: float = 1.0,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> None:
        self.distance_threshold = distance_threshold
        self.family_separation = family_separation
        self.max_points = max_points

    def coordinates(self, vectors: np.ndarray, families: list[str]) -> np.ndarray:
        """The embeddings themselves (no reduction, no random state), with the families' block."""
        if not (isinstance(self.family_separation, (int, float)) and self.family_separation >= 0):
            raise ClusteringError(f"family_separation must be a number >= 0, not {self.family_separation!r}")
        return family_features(vectors, families, self.family_separation)

    def fit(
        self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None, represents: int | None = None
    ) -> AgglomerativeClusterer:
        self._check_params()
        X, weights = validate_data(X, sample_weight)
        if len(X) > self.max_points:
            raise ClusteringError(
                f"agglomerative clustering takes at most {self.max_points} distinct texts, got {len(X)}: "
                "fit a sample (process --fit-sample) or raise max_points"
            )
        self.adjustments_: list[str] = []
        labels = self._labels(X)
        self.labels_ = labels
        self.probabilities_ = np.ones(len(X), dtype=np.float64)
        self.n_clusters_ = int(labels.max() + 1) if len(labels) else 0
        self.noise_share_ = 0.0
        self._fit_prototypes(X, weights, labels, self.n_clusters_)
        return self

    def _labels(self, X: np.ndarray) -> np.ndarray:
        if len(X) < 2:
            return np.zeros(len(X), dtype=np.intp)
        from scipy.cluster.hierarchy import fcluster, linkage

        tree = linkage(X.astype(np.float64), method="average", metric="euclidean")
        flat = fcluster(tree, t=float(self.distance_threshold), criterion="distance")
        # fcluster numbers clusters 1..k in tree order; 0..k-1 in order of first point keeps labels
        # a function of the (canonically ordered) points alone.
        _, first = np.unique(flat, return_index=True)
        order = {int(flat[i]): n for n, i in enumerate(sorted(first))}
        return np.array([order[int(x)] for x in flat], dtype=np.intp)

    def _check_params(self) -> None:
        if not (isinstance(self.distance_threshold, (int, float)) and self.distance_threshold > 0):
            raise ClusteringError(f"distance_threshold must be a positive number, not {self.distance_threshold!r}")
        if not isinstance(self.max_points, (int, np.integer)) or self.max_points < 2:
            raise ClusteringError(f"max_points must be an integer >= 2, not {self.max_points!r}")
