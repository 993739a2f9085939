"""POST /ingest/event and /ingest/batch: lens_core's ingestor, one transaction per request."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine

from lens_api.deps import get_engine, get_settings_dep
from lens_api.errors import error_responses
from lens_api.limits import StrictJSONRoute
from lens_api.schemas import BatchIn, BatchReport, EventAccepted, Rejected, TelemetryEventIn
from lens_core.config import Settings
from lens_core.errors import RowError
from lens_core.ingest.ingestor import ingest_records

router = APIRouter(route_class=StrictJSONRoute, prefix="/ingest", tags=["ingest"], responses=error_responses(400, 413, 503))


@router.post("/event", response_model=EventAccepted)
def ingest_event(
    event: TelemetryEventIn, engine: Engine = Depends(get_engine), settings: Settings = Depends(get_settings_dep)
) -> EventAccepted:
    """Store one Telemetry Event. A rejected event answers 422 naming the field and the reason."""
    record = event.record()
    report = ingest_records([record], engine=engine, source="api", max_chars=settings.max_field_chars)
    if report.rejected:
        issue = report.rejected[0]
        raise RowError(issue.reason, source="api", field=issue.field)
    return EventAccepted(
        evaluation_id=str(record["evaluation_id"]).strip(),  # valid once accepted: text or a whole number
        status="accepted" if report.accepted else "duplicate",
    )


@router.post("/batch", response_model=BatchReport)
def ingest_batch(
    batch: BatchIn, engine: Engine = Depends(get_engine), settings: Settings = Depends(get_settings_dep)
) -> BatchReport:
    """Store the valid events of a batch in one transaction; report each rejected one by its index."""
    report = ingest_records(batch.events, engine=engine, source="api-batch", max_chars=settings.max_field_chars)
    rejected = [
        Rejected(index=(issue.row or 1) - 1, field=issue.field, reason=issue.reason) for issue in report.rejected
    ]
    return BatchReport(
        accepted=report.accepted, duplicates=report.duplicates, rejected_count=len(rejected), rejected=rejected,
        seconds=round(report.seconds, 4),
    )
