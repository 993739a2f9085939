"""GET /stats/overview and /clustering/stats (lens_core.storage.stats)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine
from lens_api.errors import error_responses
from lens_api.schemas import MAX_ID, ClusteringStats, Overview, RunOut, ValueCountOut
from lens_core.storage import stats
from lens_core.storage.stats import ValueCount, finite

router = APIRouter(tags=["stats"], responses=error_responses(503))


def _counts(values: list[ValueCount]) -> list[ValueCountOut]:
    return [ValueCountOut(value=v.value, count=v.count) for v in values]


@router.get("/stats/overview", response_model=Overview)
def overview(limit: int = Query(20, ge=1, le=1000), engine: Engine = Depends(get_engine)) -> Overview:
    """Counts of events, fingerprints and clusters; failures by plugin, status, error type; the latest run."""
    found = stats.overview(engine=engine, limit=limit)
    return Overview(
        events=found.events, fingerprints=found.fingerprints, clusters=found.clusters,
        noise_share=found.noise_share, by_plugin=_counts(found.by_plugin),
        by_status_code=_counts(found.by_status_code), by_error_type=_counts(found.by_error_type),
        by_error_code=_counts(found.by_error_code),
        latest_run=RunOut.of(found.latest_run) if found.latest_run else None,
    )


@router.get("/clustering/stats", response_model=ClusteringStats, responses=error_responses(404))
def clustering_stats(
    run_id: int | None = Query(None, ge=0, le=MAX_ID, description="Default: the latest completed run"),
    engine: Engine = Depends(get_engine),
) -> ClusteringStats:
    """A run's parameters and quality figures: clusters, noise, silhouette, sizes and stage timings."""
    quality = stats.run_quality(engine=engine, run_id=run_id)
    run = quality.run
    return ClusteringStats(
        run_id=run.id, algorithm=run.algorithm, view=run.view, embedder=run.embedder,
        embedding_model=run.embedding_model, parameters=run.parameters or {}, n_events=run.n_events,
        n_clusters=run.n_clusters, noise_events=quality.noise_events, noise_share=finite(run.noise_share),
        silhouette=finite(run.silhouette), largest_cluster_share=quality.largest_cluster_share,
        timings=run.timings or {}, total_seconds=quality.total_seconds, counts=run.counts or {},
        cluster_sizes=_counts(quality.cluster_sizes),
    )
