"""GET /clusters/top, /clusters/{id} and /clusters/{id}/events. Cluster ids are run-local labels (-1: noise)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine
from lens_api.errors import error_responses
from lens_api.schemas import MAX_ID, ClusterDetail, ClusterOut, EventOut, EventPage, Evidence
from lens_core.runs.export import cluster_patterns, cluster_response, top_clusters
from lens_core.storage import queries

router = APIRouter(prefix="/clusters", tags=["clusters"], responses=error_responses(404, 503))

RunId = Query(None, ge=0, le=MAX_ID, description="A run's id; default: the latest completed run")
ClusterId = Path(ge=-1, le=2**31 - 1, description="The cluster's id within its run (-1: noise)")


@router.get("/top", response_model=list[ClusterOut])
def top(
    limit: int = Query(10, ge=1, le=1000), run_id: int | None = RunId, engine: Engine = Depends(get_engine)
) -> list[ClusterOut]:
    """The largest clusters (noise left out), largest first, each in the original design's Cluster Response
    shape; a plain list as in the original design (each item names its run)."""
    _, rows = top_clusters(engine=engine, run_id=run_id, limit=limit)
    return [ClusterOut(**row) for row in rows]


@router.get("/{cluster_id}", response_model=ClusterDetail)
def one(cluster_id: int = ClusterId, run_id: int | None = RunId, engine: Engine = Depends(get_engine)) -> ClusterDetail:
    """One cluster with all its evidence: plugins, endpoints, codes, keywords, representatives, fingerprints."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    cluster = queries.get_cluster(engine=engine, run_id=run.id, label=cluster_id)
    patterns = cluster_patterns(engine=engine, run_id=run.id)
    return ClusterDetail(**cluster_response(cluster, run, patterns), evidence=Evidence.of(cluster.evidence))


@router.get("/{cluster_id}/events", response_model=EventPage)
def events(
    cluster_id: int = ClusterId,
    run_id: int | None = RunId,
    offset: int = Query(0, ge=0, le=10**9),
    limit: int = Query(50, ge=1, le=500),
    q: str | None = Query(None, max_length=200, description="Only events whose prompt or output contains this"),
    engine: Engine = Depends(get_engine),
) -> EventPage:
    """The cluster's events by id, one page at a time, with each event's distance to the cluster's centre."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    queries.get_cluster(engine=engine, run_id=run.id, label=cluster_id)  # 404 for a cluster the run lacks
    rows, total = queries.cluster_events(
        engine=engine, run_id=run.id, label=cluster_id, offset=offset, limit=limit, search=q or None
    )
    return EventPage(run_id=run.id, cluster_id=cluster_id, total=total, offset=offset, limit=limit,
                     events=[EventOut.of(row) for row in rows])
