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
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from lens_core.config import Settings
from lens_core.describe import digest_to_dict
from lens_core.embed import Embedder, get_embedder
from lens_core.errors import ConfigError
from lens_core.schema import ClusterDigest
from lens_core.storage import queries
from lens_core.storage.engine import insert_frame
from lens_core.storage.models import ClusterAssignment, ClusterRow, PipelineRun
from lens_core.embed.cache import embed_cached
from lens_core.embed.views import build_view, distinct_texts

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
    centres = np.stack([np.frombuffer(c.centroid, dtype=np.float32) for c in clusters])
    radii = np.array([max(c.radius or 0.0, 1e-6) for c in clusters]) * distance_factor
    cluster_labels = np.array([c.label for c in clusters])
    distance = 1.0 - np.asarray(vectors, dtype=np.float32) @ centres.T
    nearest = distance.argmin(axis=1)
    best = distance[np.arange(len(vectors)), nearest]
    return np.where(best <= radii[nearest], cluster_labels[nearest], NOVEL), best.astype(float)


def _empty_evidence() -> dict:
    digest = ClusterDigest(label=NOVEL, size=0, share=0.0, plugins=[], endpoints=[], status_codes=[],
                           error_codes=[], error_types=[], keywords=[], representatives=[], fingerprints=[])
    return digest_to_dict(digest)


def _store(
    engine: Engine, run: PipelineRun, event_ids: np.ndarray, labels: np.ndarray, distances: np.ndarray,
    report: AssignReport,
) -> None:
    """Assignments, cluster sizes and shares, and the run's counts, in one transaction."""
    rows = pd.DataFrame({"run_id": run.id, "event_id": event_ids.astype("int64"), "label": labels.astype("int64"),
                         "distance": distances.astype(float)})  # NaN distance (novel): NULL; no map position
    clusters_table = ClusterRow.__table__
    with engine.begin() as conn:
        insert_frame(conn, ClusterAssignment.__table__, rows)
        sizes = dict(conn.execute(
            select(clusters_table.c.label, clusters_table.c.size).where(clusters_table.c.run_id == run.id)
        ).all())
        if report.novel and NOVEL not in sizes:
            conn.execute(clusters_table.insert(), [{
                "run_id": run.id, "label": NOVEL, "size": 0, "share": 0.0, "evidence": _empty_evidence(),
                "summary": "Novel: events that arrived after this run and fit none of its clusters",
                "root_cause": "", "suggested_fix": "Process again to see whether they form a new cluster.",
                "severity": "",
            }])
            sizes[NOVEL] = 0
        for label, n in report.per_cluster.items():
            sizes[label] = sizes.get(label, 0) + n
        total = sum(sizes.values())
        for label, size in sizes.items():
            conn.execute(
                update(clusters_table)
                .where(clusters_table.c.run_id == run.id, clusters_table.c.label == label)
                .values(size=size, share=size / total if total else 0.0)
            )
        counts = dict(run.counts or {})
        counts["assigned_after_run"] = counts.get("assigned_after_run", 0) + report.assigned
        counts["novel_after_run"] = counts.get("novel_after_run", 0) + report.novel
        noise = sizes.get(NOVEL, 0)
        conn.execute(
            update(PipelineRun.__table__).where(PipelineRun.__table__.c.id == run.id).values(
                n_events=total, counts=counts, noise_share=noise / total if total else 0.0,
                notes=[*(run.notes or []), report.summary_line()],
            )
        )
