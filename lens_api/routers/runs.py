"""GET /runs and /runs/{id}: stored processing runs with their parameters, counts and timings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine
from lens_api.errors import error_responses
from lens_api.schemas import MAX_ID, RunOut
from lens_core.storage import queries

router = APIRouter(prefix="/runs", tags=["runs"], responses=error_responses(503))


@router.get("", response_model=list[RunOut])
def list_runs(limit: int = Query(100, ge=1, le=1000), engine: Engine = Depends(get_engine)) -> list[RunOut]:
    """Newest first, failed and running ones included."""
    return [RunOut.of(run) for run in queries.list_runs(engine=engine, limit=limit)]


@router.get("/{run_id}", response_model=RunOut, responses=error_responses(404))
def get_run(run_id: int = Path(ge=0, le=MAX_ID), engine: Engine = Depends(get_engine)) -> RunOut:
    return RunOut.of(queries.get_run(engine=engine, run_id=run_id))
