"""From fitted clusters to what a run stores: ranked clusters, evidence, summaries and assignments."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_score

from lens_core.cluster.base import NOISE, ClusterFit
from lens_core.cluster.centres import centres_of
from lens_core.describe import OfflineSummarizer, build_digests
from lens_core.describe.offline import MAX_TITLE
from lens_core.describe.titles import distinct_titles
from lens_core.parse.fingerprint import FINGERPRINT_VERSION
from lens_core.parse.versions import message_pattern_version
from lens_core.schema import ClusterDigest
from lens_core.storage.models import ClusterRow, ClusterSummaryRow

SILHOUETTE_SAMPLE = 3000
NEIGHBOURS = 3
_PACKAGES = (
    "numpy", "pandas", "scikit-learn", "umap-learn", "fast-hdbscan", "hdbscan", "sentence-transformers",
    "torch", "sqlalchemy", "sqlmodel",
)


@dataclass
class RunOutcome:
    run_id: int
    clusters: list[ClusterRow]
    summaries: dict[int, ClusterSummaryRow]
    digests: dict[int, ClusterDigest]
    assignments: pd.DataFrame
    n_clusters: int
    noise_events: int
    noise_share: float
    silhouette: float | None
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "fingerprint": FINGERPRINT_VERSION,
             "message_pattern": message_pattern_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def rank_mapping(point_labels: np.ndarray, weights: np.ndarray) -> dict[int, int]:
    """Clusterer label -> lens label: 0, 1, 2... by event count (largest first). Noise is not in it."""
    labels = np.asarray(point_labels)
    real = sorted({int(x) for x in labels if x != NOISE}, key=lambda lab: (-weights[labels == lab].sum(), lab))
    return {old: new for new, old in enumerate(real)}


def ranked_labels(point_labels: np.ndarray, mapping: dict[int, int]) -> np.ndarray:
    return np.array([mapping.get(int(x), NOISE) for x in np.asarray(point_labels)], dtype=np.int64)


def build_results(
    run_id: int,
    *,
    events: pd.DataFrame,
    texts: pd.Series,
    families: list[str],
    point_of_event: np.ndarray,
    points: np.ndarray,
    weights: np.ndarray,
    vectors: np.ndarray,
    map_points: np.ndarray,
    fit: ClusterFit,
    random_state: int,
) -> RunOutcome:
    mapping = rank_mapping(fit.labels, weights)
    point_labels = ranked_labels(fit.labels, mapping)
    # The clusterer's own centres: the same ones its assign() uses for events that arrive later.
    centroids = {new: np.asarray(fit.centres[old], dtype=float) for old, new in mapping.items()}
    point_distance = _distance_to_centroid(points, point_labels, centroids)
    event_labels = point_labels[point_of_event]
    point_probability = fit.probabilities

    frame = events.assign(
        label=event_labels,
        distance=point_distance[point_of_event],
        text=texts.values,
        family=np.asarray(families, dtype=object)[point_of_event],  # per distinct text; '' states none
        message=events["error_message"],
    )
    # Points assigned after a sampled fit have no reduced coordinates (NaN): zero vectors to the
    # representatives' picker, which then prefers fitted points (their distances come first anyway).
    # Replaced on the distinct points, before they are spread to every event.
    unreduced = np.isnan(points).any(axis=1)
    picked = np.where(unreduced[:, None], 0.0, points).astype(np.float32) if unreduced.any() else points
    digests = build_digests(frame, EventRows(picked, point_of_event))
    summaries = _summarise(digests, centroids)
    clusters = [_cluster_row(run_id, d, summaries[d.label], vectors, point_labels, weights) for d in digests.values()]
    summary_rows = {label: _summary_row(s, digests[label]) for label, s in summaries.items()}
    assignments = pd.DataFrame(
        {
            "event_id": events["id"].astype("int64").values,
            "label": event_labels,
            "probability": point_probability[point_of_event],
            "distance": point_distance[point_of_event],
            "map_x": map_points[point_of_event, 0].astype(float),
            "map_y": map_points[point_of_event, 1].astype(float),
        }
    )
    assignments["distance"] = assignments["distance"].where(assignments["label"] != NOISE, None)
    noise_events = int((event_labels == NOISE).sum())
    return RunOutcome(
        run_id=run_id,
        clusters=clusters,
        summaries=summary_rows,
        digests=digests,
        assignments=assignments,
        n_clusters=len({int(x) for x in point_labels if x != NOISE}),
        noise_events=noise_events,
        noise_share=noise_events / len(events),
        silhouette=_silhouette(points, point_of_event, event_labels, random_state),
        # What the clusterer changed to fit the data (a scaled min_cluster_size, clamped min_samples).
        notes=[f"cluster: {note}" for note in fit.adjustments],
    )


def _distance_to_centroid(points: np.ndarray, labels: np.ndarray, centroids: dict[int, np.ndarray]) -> np.ndarray:
    distance = np.full(len(points), np.nan)
    for label, centre in centroids.items():
        mask = labels == label
        distance[mask] = np.linalg.norm(points[mask] - centre, axis=1)
    return distance


def _summarise(digests: dict[int, ClusterDigest], centroids: dict[int, np.ndarray]) -> dict[int, Any]:
    """Offline summaries; each cluster sees its nearest clusters so a summary can name what is distinctive."""
    summarizer = OfflineSummarizer()
    labels = sorted(centroids)
    summaries = {}
    for label, digest in digests.items():
        neighbours: list[ClusterDigest] = []
        if label in centroids and len(labels) > 1:
            others = sorted((lab for lab in labels if lab != label),
                            key=lambda lab: float(np.linalg.norm(centroids[lab] - centroids[label])))
            neighbours = [digests[lab] for lab in others[:NEIGHBOURS] if lab in digests]
        summaries[label] = summarizer.summarize(digest, neighbours=neighbours)
    titles = distinct_titles({label: s.summary for label, s in summaries.items()}, digests, MAX_TITLE)
    return {label: replace(s, summary=titles[label]) for label, s in summaries.items()}


def _cluster_row(
    run_id: int, digest: ClusterDigest, summary: Any, vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> ClusterRow:
    centroid, radius = _embedding_centroid(vectors, labels, digest.label, weights)
    return ClusterRow(
        run_id=run_id,
        label=digest.label,
        size=digest.size,
        share=digest.share,
        **_summary_fields(summary),
        evidence=digest,
        centroid=None if digest.label == NOISE else centroid.astype(np.float32).tobytes(),
        radius=None if digest.label == NOISE else radius,
    )


def _embedding_centroid(
    vectors: np.ndarray, labels: np.ndarray, label: int, weights: np.ndarray
) -> tuple[np.ndarray, float]:
    """Centre and 95th-percentile cosine radius in embedding space: what assigns new events later."""
    centres = centres_of(vectors, weights, labels, [label], "cosine")
    return centres.vectors[0], float(centres.radii[0])


def _summary_fields(summary: Any) -> dict[str, Any]:
    """The fields a ClusterSummary shares with the cluster row and the summary history row."""
    return {
        "summary": summary.summary,
        "root_cause": summary.root_cause,
        "suggested_fix": summary.suggested_fix,
        "severity": summary.severity,
        "confidence": summary.confidence,
    }


def _summary_row(summary: Any, digest: ClusterDigest) -> ClusterSummaryRow:
    return ClusterSummaryRow(
        cluster_id=0,  # set when the cluster row has its id
        source=summary.source,
        **_summary_fields(summary),
        evidence={"size": digest.size, "share": digest.share},
    )


def _silhouette(points: np.ndarray, point_of_event: np.ndarray, labels: np.ndarray, random_state: int) -> float | None:
    """Silhouette of clustered events (noise and points without coordinates left out) on a fixed sample
    of them; None when undefined. Only the sampled events' points are gathered (points may be wide)."""
    usable = np.isfinite(points).all(axis=1)
    candidates = np.flatnonzero((labels != NOISE) & usable[point_of_event])
    if len(candidates) < 3 or len(np.unique(labels[candidates])) < 2:
        return None
    rng = np.random.RandomState(random_state)
    chosen = np.sort(rng.permutation(candidates)[:SILHOUETTE_SAMPLE])
    if len(np.unique(labels[chosen])) < 2:
        return None
    return float(silhouette_score(points[point_of_event[chosen]], labels[chosen]))


class EventRows:
    """Each event's row of the distinct points, gathered only for the rows asked for: the evidence needs
    a few thousand of them, and a copy for every event of 400-wide points costs more than it reads."""

    def __init__(self, points: np.ndarray, point_of_event: np.ndarray) -> None:
        self.points = points
        self.point_of_event = point_of_event

    def __len__(self) -> int:
        return len(self.point_of_event)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        return self.points[self.point_of_event[rows]]
