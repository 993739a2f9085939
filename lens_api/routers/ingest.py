"""POST /ingest/event, /ingest/batch and /ingest/file: lens_core's ingestor (a transaction per
2,000 events: a large batch or file commits as it goes, and sending it again is safe).

With ?assign=true each route then gives the events stored since the latest completed run to that run's
clusters, as `lens assign` and POST /pipeline/assign do (new events join the nearest cluster within its
radius, the rest go to the novel bucket), and reports it under "assignment". The ingest itself is
committed first: when nothing can be assigned (no completed run yet) the answer says why in
"assignment_note" and is still a success.

/ingest/file takes a telemetry file as the raw request body (CSV, JSON, JSON Lines or Parquet, the text
formats also gzip- or zstd-compressed, as `lens ingest` and the dashboard's upload read them) and answers
the same report: rows kept, duplicates, and each rejected row by its number and field. The body's first
bytes tell compression and Parquet whatever the name says (`name=x.csv` carrying gzip bytes is read as
gzip). A file that cannot be read as a whole answers 422 naming it.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from lens_api.deps import get_context, get_engine, get_settings_dep
from lens_api.errors import error_responses
from lens_api.limits import StrictJSONRoute
from lens_api.schemas import Arrival, AssignOut, BatchIn, BatchReport, EventAccepted, Rejected, TelemetryEventIn
from lens_core.cluster.assign import assign_new_events
from lens_core.config import Settings
from lens_core.errors import InputError, LensError, RowError
from lens_core.ingest.ingestor import ingest_bytes, ingest_records
from lens_core.ingest.mappings import column_map
from lens_core.ingest.readers import ACCEPTED
from lens_core.storage import queries

router = APIRouter(
    route_class=StrictJSONRoute, prefix="/ingest", tags=["ingest"], responses=error_responses(400, 413, 503)
)
AssignOnArrival = Query(False, alias="assign", description="Also give the new events to the latest completed "
                        "run's clusters (as POST /pipeline/assign) and report it under `assignment`")


def _arrival(request: Request, engine: Engine, settings: Settings, wanted: bool) -> Arrival:
    """Assign on arrival when asked; the events are stored already, so a reason not to is a note."""
    if not wanted:
        return Arrival()
    run = queries.latest_run(engine=engine)
    if run is None:
        return Arrival(assignment_note="no completed run yet: the events are stored; process them first")
    try:
        report = assign_new_events(engine=engine, settings=settings, run_id=run.id,
                                   embedder=get_context(request).embedder(run.embedder))
    except LensError as exc:
        return Arrival(assignment_note=f"not assigned: {exc}")
    return Arrival(assignment=AssignOut.of(report))


@router.post("/event", response_model=EventAccepted, response_model_exclude_none=True)
def ingest_event(
    event: TelemetryEventIn, request: Request, assign: bool = AssignOnArrival,
    engine: Engine = Depends(get_engine), settings: Settings = Depends(get_settings_dep),
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
        **_arrival(request, engine, settings, assign).model_dump(),
    )


@router.post("/batch", response_model=BatchReport)
def ingest_batch(
    batch: BatchIn, request: Request, assign: bool = AssignOnArrival,
    engine: Engine = Depends(get_engine), settings: Settings = Depends(get_settings_dep),
) -> BatchReport:
    """Store the valid events of a batch; report each rejected one by its index."""
    report = ingest_records(batch.events, engine=engine, source="api-batch", max_chars=settings.max_field_chars)
    rejected = [
        Rejected(index=(issue.row or 1) - 1, field=issue.field, reason=issue.reason) for issue in report.rejected
    ]
    return BatchReport(
        accepted=report.accepted, duplicates=report.duplicates, rejected_count=len(rejected), rejected=rejected,
        seconds=round(report.seconds, 4), **_arrival(request, engine, settings, assign).model_dump(),
    )


# -- files --------------------------------------------------------------------------------------------
# The models live here, beside their only route; lens_api/schemas.py is their natural home later.


class RejectedRow(BaseModel):
    row: int | None = Field(description="Row of the file: CSV data rows and JSON array elements from 1, "
                            "JSON Lines line numbers")
    field: str | None
    reason: str
    message: str = Field(description="The whole line: file, row, field and reason")


class FileReport(Arrival):
    file: str
    accepted: int
    duplicates: int = Field(description="Rows whose evaluation_id was stored before or seen earlier in the file")
    rejected_count: int
    rejected: list[RejectedRow]
    seconds: float
    mapped: list[str] = Field(default_factory=list, description="How columns were mapped to lens fields, "
                              "guesses marked (guessed)")


_BODY = {  # any Content-Type is read the same way: the bytes are the file
    "required": True,
    "description": "The file's bytes, as saved: text in UTF-8 (with or without a BOM), UTF-16 or Latin-1, "
                   "gzip or zstd data, or Parquet",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


async def _file_body(request: Request) -> bytes:
    return await request.body()


@router.post("/file", response_model=FileReport, openapi_extra={"requestBody": _BODY},
             responses=error_responses(400, 413, 503))
def ingest_file_body(
    request: Request,
    data: bytes = Depends(_file_body),
    name: str = Query(..., min_length=1, max_length=255,
                      description=f"The file's name: named in every message; its suffixes give the type ({ACCEPTED})"),
    fmt: Literal["csv", "json", "jsonl", "parquet"] | None = Query(
        None, alias="format", description="csv, json, jsonl or parquet; by default from the name's suffixes, "
                                          "else from the content"),
    assign: bool = AssignOnArrival,
    pairs: list[str] = Query([], alias="map", description="FIELD=COLUMN: which of the file's columns is a lens "
                             "field, e.g. customer_prompt=Prompt (repeat for each); unmapped columns are "
                             "attributes, and missing fields are guessed from common column names"),
    mapping: str | None = Query(None, max_length=100, description="A mapping saved with `lens ingest "
                                "--save-mapping NAME` (map pairs win)"),
    engine: Engine = Depends(get_engine),
    settings: Settings = Depends(get_settings_dep),
) -> FileReport:
    """Store the valid rows of a telemetry file (the raw body); report each rejected row. A mapping that
    does not fit the file (an unknown field, a column it lacks) answers 422 naming it; nothing is stored."""
    name = _file_name(name)
    chosen = column_map(engine=engine, pairs=pairs, saved=mapping, where="map")
    report = ingest_bytes(data, name=name, fmt=fmt, engine=engine, max_chars=settings.max_field_chars,
                          mapping=chosen)
    rows = [
        RejectedRow(row=issue.row, field=issue.field, reason=issue.reason, message=line)
        for issue, line in zip(report.rejected, report.issue_lines())
    ]
    return FileReport(file=name, accepted=report.accepted, duplicates=report.duplicates,
                      rejected_count=len(rows), rejected=rows, seconds=round(report.seconds, 4), mapped=report.notes,
                      **_arrival(request, engine, settings, assign).model_dump())


def _file_name(raw: str) -> str:
    """The name without any folder; refused when it holds control characters (it is stored with each row)."""
    name = PurePosixPath(raw.replace("\\", "/")).name.strip()
    if not name or not name.isprintable():
        raise InputError(f"name: {raw!a} is not a usable file name (printable characters, no folders)")
    return name
