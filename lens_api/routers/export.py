"""GET /export/summaries (json, csv, md) and /export/assignments (csv), as lens_core.runs.export writes them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine, get_settings_dep
from lens_api.errors import error_responses
from lens_api.schemas import MAX_ID
from lens_core.config import Settings
from lens_core.runs.export import assignments_csv, summaries_text
from lens_core.storage import queries

router = APIRouter(prefix="/export", tags=["export"], responses=error_responses(404, 503))

MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8"}
RunId = Query(None, ge=0, le=MAX_ID, description="A run's id; default: the latest completed run")


SCHEMAS = {
    "json": {"type": "object", "properties": {"run_id": {"type": "integer"}, "clusters": {"type": "array"}}},
    "csv": {"type": "string"},
    "md": {"type": "string"},
}


def _documented(*kinds: str) -> dict:
    return {200: {"content": {MEDIA_TYPES[k].split(";")[0]: {"schema": SCHEMAS[k]} for k in kinds}}}


@router.get("/summaries", response_class=Response, responses=_documented("json", "csv", "md"))
def summaries(
    format: Literal["json", "csv", "md"] = Query("json"), run_id: int | None = RunId,
    engine: Engine = Depends(get_engine), settings: Settings = Depends(get_settings_dep),
) -> Response:
    """Every cluster of the run, noise last. CSV and Markdown come as attachments (a file to save)."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    body = summaries_text(engine=engine, fmt=format, run_id=run.id, redact=settings.export_redact)
    headers = {}
    if format != "json":
        headers["Content-Disposition"] = f'attachment; filename="lens-summaries-run-{run.id}.{format}"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/assignments", response_class=Response, responses=_documented("csv"))
def assignments(run_id: int | None = RunId, engine: Engine = Depends(get_engine)) -> Response:
    """evaluation_id, fingerprint, message_pattern (the mined template), cluster_id, run_id for every
    event of the run."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    body = assignments_csv(engine=engine, run_id=run.id)
    disposition = f'attachment; filename="lens-assignments-run-{run.id}.csv"'
    return Response(body, media_type=MEDIA_TYPES["csv"], headers={"Content-Disposition": disposition})
