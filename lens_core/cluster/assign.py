"""Assign events that arrived after a run to that run's clusters, without clustering again.

Each cluster of a run stores its centre in embedding space and the 95th-percentile cosine distance
of its events from it (lens_core.runs.results). A new event is embedded with the run's model and view;
it joins the nearest cluster when it lies within that cluster's radius (times `distance_factor`),
and otherwise goes to the run's "novel" bucket: the noise cluster (-1), which is where everything
that fits no cluster is. A novel share that grows is the signal to process again.

Only events with no assignment in the run are touched, so running it again assigns nothing twice.
Cluster sizes and shares are updated, so every surface counts the new events at once. Map
coordinates are left empty: a new event has no place on the run's map until the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Engine

from lens_core.cluster.centres import Centres, nearest_centres
from lens_core.config import Settings
from lens_core.embed import Embedder, get_embedder
from lens_core.embed.cache import embed_cached
from lens_core.embed.views import build_view, distinct_texts
from lens_core.errors import ConfigError
from lens_core.schema import ClusterDigest
from lens_core.storage import queries
from lens_core.storage.assignments import store_late_assignments
from lens_core.storage.models import ClusterRow, PipelineRun
from lens_core.tracking.track import track_assigned

log = logging.getLogger(__name__)

NOVEL = -1  # the run's noise cluster: what fits no cluster


@dataclass
class AssignReport:
    run_id: int
    events: int = 0  # events that had no assignment in the run
    assigned: int = 0  # of those, joined a cluster
    novel: int = 0  # of those, fit no cluster
    embedded: int = 0  # texts embedded now (the rest came from the cache)
    per_cluster: dict[int, int] = field(default_factory=dict)

    def summary_line(self) -> str:
        return (f"run {self.run_id}: {self.events} new events, {self.assigned} assigned to clusters, "
                f"{self.novel} novel (fit no cluster)")


def assign_new_events(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int | None = None,
    embedder: Embedder | None = None,
    distance_factor: float = 1.0,
) -> AssignReport:
    """Assign every stored event that the run (default: the latest completed one) has not seen."""
    if not distance_factor > 0:
        raise ConfigError("distance_factor must be greater than 0")
    run = queries.resolve_run(engine=engine, run_id=run_id)
    assert run.id is not None
    embedder = embedder or get_embedder(run.embedder, settings)
    if embedder.model != run.embedding_model:
        raise ConfigError(
            f"run {run.id} was embedded with {run.embedding_model!r}; assigning with {embedder.model!r} "
            "would compare vectors of different models: use the run's embedder or process again"
        )
    report = AssignReport(run_id=run.id)
    events = queries.unassigned_events_frame(engine=engine, run_id=run.id)
    if events.empty:
        return report
    clusters = [c for c in queries.clusters_of_run(engine=engine, run_id=run.id, include_noise=False)
                if c.centroid is not None]
    texts, hashes, text_of_event = distinct_texts(build_view(run.view, events))
    vectors, report.embedded = embed_cached(texts, list(hashes), embedder=embedder, engine=engine)
    labels_of_text, distance_of_text = nearest_clusters(vectors, clusters, distance_factor)
    labels, distances = labels_of_text[text_of_event], distance_of_text[text_of_event]

    report.events = len(events)
    report.novel = int((labels == NOVEL).sum())
    report.assigned = report.events - report.novel
    report.per_cluster = {int(k): int(v) for k, v in zip(*np.unique(labels, return_counts=True))}
    _store(engine, run, events["id"].to_numpy(), labels, distances, report)
    log.info(report.summary_line())
    return report


def nearest_clusters(
    vectors: np.ndarray, clusters: list[ClusterRow], distance_factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Label and cosine distance of the nearest cluster centre for each (unit) vector; NOVEL where
    the nearest centre is farther than that cluster's radius times distance_factor."""
    if not clusters:
        return np.full(len(vectors), NOVEL), np.full(len(vectors), np.nan)
    centres = Centres(
        vectors=np.stack([np.frombuffer(c.centroid, dtype=np.float32) for c in clusters]),
        radii=np.array([c.radius or 0.0 for c in clusters]),
        labels=np.array([c.label for c in clusters]),
        metric="cosine",
    )
    return nearest_centres(vectors, centres, distance_factor, outside=NOVEL)


def _store(
    engine: Engine, run: PipelineRun, event_ids: np.ndarray, labels: np.ndarray, distances: np.ndarray,
    report: AssignReport,
) -> None:
    novel_row = {
        "evidence": ClusterDigest.empty(NOVEL),
        "summary": "Novel: events that arrived after this run and fit none of its clusters",
        "root_cause": "", "suggested_fix": "Process again to see whether they form a new cluster.", "severity": "",
    }
    store_late_assignments(
        engine=engine, run=run, event_ids=event_ids, labels=labels, distances=distances,
        per_cluster=report.per_cluster, note=report.summary_line(), noise_label=NOVEL,
        noise_row=novel_row if report.novel else None,
        counts={"assigned_after_run": report.assigned, "novel_after_run": report.novel},
    )
    track_assigned(engine=engine, run_id=run.id, event_ids=event_ids.tolist())  # their patterns, rules applied
