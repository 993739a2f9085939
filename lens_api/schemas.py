"""The API's own request and response models. Responses are built from lens_core values, never rows.

Telemetry events are typed loosely on purpose: every field is `Any` here so that lens_core's row
validation, which names the field and the reason, is the one judge of an event, for one event and for a
batch alike. The fields are still listed, with descriptions, so /docs shows the original design's shape.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model

from lens_core.registry import CHOICE_OPTIONS, REGISTRY
from lens_core.runs.options import MIN_FIT_SAMPLE
from lens_core.schema import ClusterDigest
from lens_core.storage.models import PipelineJob, PipelineRun
from lens_core.storage.stats import finite

MAX_ID = 2**63 - 1  # the largest id any supported database stores; larger ones cannot exist
EXAMPLE_EVENT = {
    "evaluation_id": "eval-001",
    "customer_prompt": "Schedule a meeting with John tomorrow at 2pm",
    "skill_input": 'create_calendar_event(attendee="John", time="tomorrow 2pm")',
    "skill_output": {
        "error_type": "AuthenticationError", "status_code": 401, "message": "Token expired",
        "plugin": "Calendar", "endpoint": "/api/calendar/events",
    },
    "ai_output": "I apologize, but I was unable to schedule the meeting.",
}


def utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; lens stores UTC, so say so in every answer."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# -- ingest -------------------------------------------------------------------------------------------


class TelemetryEventIn(BaseModel):
    """One failed response. Any other field is kept as an attribute of the event."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_EVENT]})

    evaluation_id: Any = Field(None, description="Unique id of the evaluation (text or whole number); required")
    customer_prompt: Any = Field(None, description="What the user asked; required")
    skill_input: Any = Field(None, description="How the assistant called the plugin")
    skill_output: Any = Field(None, description="What the plugin returned: an object, JSON text or raw text; required")
    ai_output: Any = Field(None, description="What the assistant answered")
    timestamp: Any = Field(None, description="ISO 8601 or Unix seconds; UTC when no zone is given")
    user_id: Any = Field(None, description="Who was hurt")
    tenant_id: Any = Field(None, description="Which customer organisation")
    release: Any = Field(None, description="The assistant's release (\"2024.05.1\"), at most 100 characters")

    def record(self) -> dict[str, Any]:
        """The event as sent: only the fields present, extra ones included."""
        return self.model_dump(exclude_unset=True)


class BatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"events": [EXAMPLE_EVENT]}]})

    # Items are any JSON value on purpose: an item that is not an object is reported as rejected at its
    # index (like any other bad event) instead of failing the whole batch.
    events: list[Any] = Field(..., description="Telemetry Events (objects shaped as in POST /ingest/event); "
                              "each is validated on its own and reported by its index when rejected")


class AssignOut(BaseModel):
    """What `lens assign` reports: new events, how many joined a cluster, how many are novel (noise)."""

    run_id: int
    events: int
    assigned: int
    novel: int
    embedded: int
    per_cluster: dict[str, int] = Field(description="cluster label -> events assigned now; -1 is the novel bucket")

    @classmethod
    def of(cls, report: Any) -> AssignOut:
        """From lens_core.cluster.assign.AssignReport."""
        return cls(run_id=report.run_id, events=report.events, assigned=report.assigned, novel=report.novel,
                   embedded=report.embedded, per_cluster={str(k): v for k, v in report.per_cluster.items()})


class Arrival(BaseModel):
    """With ?assign=true: the new events given to the latest completed run's clusters (as `lens assign`)."""

    assignment: AssignOut | None = Field(None, description="What assign did; null when not asked or not possible")
    assignment_note: str | None = Field(None, description="Why nothing was assigned (no completed run yet, ...)")


class EventAccepted(Arrival):
    evaluation_id: str
    status: Literal["accepted", "duplicate"] = Field(description="duplicate: this evaluation_id was stored before")


class Rejected(BaseModel):
    index: int = Field(description="Position of the event in `events`, from 0")
    field: str | None
    reason: str


class BatchReport(Arrival):
    accepted: int
    duplicates: int
    rejected_count: int
    rejected: list[Rejected]
    seconds: float


# -- pipeline -----------------------------------------------------------------------------------------


def process_in_model() -> type[BaseModel]:
    """The options of `lens process` as a request body, generated from the registry (lens_core.registry):
    a choice per stage and a field per parameter; anything left out comes from the server's settings."""
    fields: dict[str, Any] = {}
    for stage, option in CHOICE_OPTIONS.items():
        names = REGISTRY.names(stage)
        described = "; ".join(f"{name}: {REGISTRY.get(stage, name).help}" for name in names)
        default = "the view's own" if stage == "clusterer" else REGISTRY.default(stage)
        fields[option] = (Optional[Literal[names]], Field(None, description=f"{described}. Default: {default}"))
    for name, owner in REGISTRY.param_owners().items():
        param = next(p for p in owner.params if p.name == name)
        fields[name] = (Optional[param.kind], Field(
            None, ge=param.minimum, le=param.maximum,
            description=f"{owner.stage} {owner.name}: {param.help}. Default: "
                        + ("automatic" if param.optional and param.default is None else f"{param.default}"
                           + (f" ({param.setting.upper()})" if param.setting else "")),
        ))
    fields["random_state"] = (Optional[int], Field(None, ge=0, le=2**32 - 1, description="Default: RANDOM_STATE"))
    fields["fit_sample"] = (Optional[int], Field(
        None, ge=MIN_FIT_SAMPLE, le=10_000_000,
        description="Reduce and cluster at most this many distinct texts (a weighted sample); assign the rest",
    ))
    # strict: `true` is no number of neighbours, and "5" no cluster size; typos in names are refused too.
    return create_model("ProcessIn", __config__=ConfigDict(extra="forbid", strict=True),
                        __doc__="The options of `lens process`; anything left out comes from the server's settings.",
                        **fields)


class AssignIn(BaseModel):
    """Which run new events join (default: the latest completed one) and how strictly."""

    model_config = ConfigDict(extra="forbid", strict=True)

    run_id: int | None = Field(None, ge=0, le=MAX_ID, description="Default: the latest completed run")
    distance_factor: float = Field(
        1.0, gt=0.0, le=100.0, description="How far beyond a cluster's radius an event may lie and still join it"
    )


class JobAccepted(BaseModel):
    job_id: int
    state: str
    status_url: str
    existing: bool = Field(False, description="True when an identical request's job was still queued or running: "
                                             "this is that job, and no other was queued")


class JobOut(BaseModel):
    job_id: int
    state: Literal["queued", "running", "completed", "failed"]
    stage: str | None
    progress: float = Field(ge=0.0, le=1.0)
    run_id: int | None
    error: str | None
    options: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: PipelineJob) -> JobOut:
        return cls(
            job_id=job.id, state=job.state, stage=job.stage, progress=max(0.0, min(1.0, job.progress or 0.0)),
            run_id=job.run_id, error=job.error, options=job.options or {}, created_at=utc(job.created_at),
            updated_at=utc(job.updated_at), finished_at=utc(job.finished_at),
        )


# -- runs ---------------------------------------------------------------------------------------------


class RunOut(BaseModel):
    run_id: int
    status: str
    algorithm: str
    view: str
    embedder: str
    embedding_model: str
    parameters: dict[str, Any]
    versions: dict[str, Any]
    counts: dict[str, Any]
    timings: dict[str, Any]
    notes: list[str]
    n_events: int
    n_clusters: int
    noise_share: float | None
    silhouette: float | None
    error: str | None
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: PipelineRun) -> RunOut:
        return cls(
            run_id=run.id, status=run.status, algorithm=run.algorithm, view=run.view, embedder=run.embedder,
            embedding_model=run.embedding_model, parameters=run.parameters or {}, versions=run.versions or {},
            counts=run.counts or {}, timings=run.timings or {}, notes=[str(n) for n in run.notes or []],
            n_events=run.n_events, n_clusters=run.n_clusters, noise_share=finite(run.noise_share),
            silhouette=finite(run.silhouette), error=run.error, created_at=utc(run.created_at),
            finished_at=utc(run.finished_at),
        )


# -- clusters -----------------------------------------------------------------------------------------


class ClusterOut(BaseModel):
    """The original design's Cluster Response, plus share, first/last seen and unique users."""

    cluster_id: int
    run_id: int
    size: int
    share: float
    algorithm: str
    label: str | None = Field(description="The analyst's name for the cluster, if one was given")
    notes: str | None
    summary: str
    root_cause: str
    suggested_fix: str
    severity: str
    confidence: float | None
    common_plugins: list[str]
    common_endpoints: list[str]
    common_error_codes: list[str]
    common_error_types: list[str]
    keywords: list[str]
    sample_prompts: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    unique_users: int
    unique_tenants: int
    fingerprints: int = Field(description="How many distinct failure fingerprints the cluster holds")
    pattern_id: int | None = Field(None, description="The failure pattern this cluster continued or opened "
                                   "(GET /patterns/{id}); null for noise and runs that were never tracked")
    pattern_title: str | None = Field(None, description="That pattern's title")


class CountOut(BaseModel):
    value: str
    count: int


class RepresentativeOut(BaseModel):
    evaluation_id: str
    customer_prompt: str
    error: str
    fingerprint: str | None = None


class FingerprintOut(BaseModel):
    hash: str
    template: str
    count: int


# A cluster's evidence as the API shows it: the ClusterDigest fields named here, read as attributes (no
# docstring: it would become a description in the OpenAPI schema).
class Evidence(BaseModel):
    plugins: list[CountOut] = []
    endpoints: list[CountOut] = []
    status_codes: list[CountOut] = []
    error_codes: list[CountOut] = []
    error_types: list[CountOut] = []
    tenants: list[CountOut] = []
    keywords: list[str] = []
    representatives: list[RepresentativeOut] = []
    fingerprints: list[FingerprintOut] = []
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    unique_users: int = 0
    unique_tenants: int = 0

    @classmethod
    def of(cls, digest: ClusterDigest) -> Evidence:
        return cls.model_validate(digest, from_attributes=True)


class ClusterDetail(ClusterOut):
    evidence: Evidence


class EventOut(BaseModel):
    event_id: int
    evaluation_id: str
    customer_prompt: str
    skill_input: str
    skill_output: str
    ai_output: str
    timestamp: datetime | None
    user_id: str | None
    tenant_id: str | None
    release: str | None
    attributes: dict[str, Any]
    plugin: str | None
    endpoint: str | None
    status_code: int | None
    error_code: str | None
    error_type: str | None
    error_message: str | None
    fingerprint: str
    distance: float | None
    probability: float | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> EventOut:
        fields = {name: row.get(name) for name in cls.model_fields if name != "event_id"}
        fields.update(event_id=row["id"], timestamp=utc(row.get("timestamp")), attributes=row.get("attributes") or {},
                      distance=finite(row.get("distance")), probability=finite(row.get("probability")))
        return cls(**fields)


class EventPage(BaseModel):
    run_id: int
    cluster_id: int
    total: int
    offset: int
    limit: int
    events: list[EventOut]


# -- stats --------------------------------------------------------------------------------------------


class ValueCountOut(BaseModel):
    value: str | int | None = Field(description="null: events where the parser found no such value")
    count: int


class Overview(BaseModel):
    events: int
    fingerprints: int
    clusters: int = Field(description="Clusters of the latest completed run (noise not counted)")
    noise_share: float | None
    by_plugin: list[ValueCountOut]
    by_status_code: list[ValueCountOut]
    by_error_type: list[ValueCountOut]
    by_error_code: list[ValueCountOut]
    latest_run: RunOut | None


class ClusteringStats(BaseModel):
    run_id: int
    algorithm: str
    view: str
    embedder: str
    embedding_model: str
    parameters: dict[str, Any]
    n_events: int
    n_clusters: int
    noise_events: int
    noise_share: float | None
    silhouette: float | None = Field(description="Over clustered events; null when fewer than 2 clusters")
    largest_cluster_share: float | None
    timings: dict[str, Any]
    total_seconds: float
    counts: dict[str, Any]
    cluster_sizes: list[ValueCountOut] = Field(description="value: cluster id (-1 is noise)")


# -- health -------------------------------------------------------------------------------------------


class Check(BaseModel):
    ok: bool
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    database: Check
    model: Check
    embedding_backend: str
    version: str

