"""SQLModel tables. Portable between SQLite and PostgreSQL: no dialect-only column types.

Rows never leave the core as they are: surfaces build their own response models from them.
Vectors are float32 bytes (`np.ndarray.tobytes()`), decoded with `np.frombuffer(..., dtype=np.float32)`.
A cluster's evidence is a ClusterDigest on both sides of the database; EvidenceJSON is the one place it
becomes JSON and back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, SQLModel

from lens_core.schema import ClusterDigest


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(**kw: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kw)


class EvidenceJSON(TypeDecorator[ClusterDigest | None]):
    """A JSON column holding a ClusterDigest (ClusterDigest.to_json / from_json): code reads and writes the
    typed digest, the database stores the JSON every earlier version stored.

    A row stored without evidence ({}: the first versions' default) reads as None; ClusterRow's load
    hook below turns that into an empty digest of the row's own label, size and share."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, ClusterDigest):
            return value.to_json()
        if value is None:
            return {}
        raise TypeError(f"cluster evidence must be a ClusterDigest, not {type(value).__name__}")

    def process_result_value(self, value: Any, dialect: Any) -> ClusterDigest | None:
        if not value or "label" not in value:
            return None
        return ClusterDigest.from_json(value)


class FailureFingerprint(SQLModel, table=True):
    """An exact failure signature: its hash, the fields it hashes and the template analysts read."""

    __tablename__ = "failure_fingerprints"

    hash: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=16)
    plugin: str | None = Field(default=None, max_length=200)
    endpoint_template: str | None = Field(default=None, sa_type=Text)
    status_code: int | None = None
    error_code: str | None = Field(default=None, max_length=300)
    message_template: str = Field(default="", sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)
    # The message_patterns hash its template was mined into; NULL until the next refresh mines it
    # (lens_core.ingest.message_patterns). No foreign key: a plain column added without rebuilding the
    # table (revision 0004), written only after its pattern row, in the same transaction.
    message_pattern: str | None = Field(default=None, max_length=64, index=True)


class MessagePattern(SQLModel, table=True):
    """A mined message template ("Mailbox of <*> is over quota"): the level between fingerprints and
    clusters. `hash` covers `version` and `template`; rows are never changed, and a re-mining that
    regroups points fingerprints at other rows."""

    __tablename__ = "message_patterns"

    hash: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)
    template: str = Field(default="", sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)


class TelemetryEventRow(SQLModel, table=True):
    """One ingested failure, with what the parser read from its skill_output."""

    __tablename__ = "telemetry_events"
    __table_args__ = (Index("ix_telemetry_events_timestamp", "timestamp"),)

    # BIGINT on PostgreSQL for millions of events; INTEGER on SQLite, where only that aliases the rowid.
    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True))
    evaluation_id: str = Field(max_length=256, unique=True)
    customer_prompt: str = Field(default="", sa_type=Text)
    skill_input: str = Field(default="", sa_type=Text)
    skill_output: str = Field(default="", sa_type=Text)
    ai_output: str = Field(default="", sa_type=Text)
    timestamp: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    user_id: str | None = Field(default=None, max_length=256, index=True)
    tenant_id: str | None = Field(default=None, max_length=256)
    release: str | None = Field(default=None, max_length=100, index=True)  # revision 0006
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    plugin: str | None = Field(default=None, max_length=200)
    endpoint: str | None = Field(default=None, sa_type=Text)
    endpoint_template: str | None = Field(default=None, sa_type=Text)
    http_method: str | None = Field(default=None, max_length=16)
    status_code: int | None = None
    error_code: str | None = Field(default=None, max_length=300)
    error_type: str | None = Field(default=None, max_length=300)
    error_message: str | None = Field(default=None, sa_type=Text)
    error_form: str = Field(default="empty", max_length=16)
    fingerprint: str = Field(foreign_key="failure_fingerprints.hash", index=True, max_length=64)
    source: str | None = Field(default=None, max_length=500)
    ingested_at: datetime = _when(default_factory=utcnow)


class EmbeddingRow(SQLModel, table=True):
    """One vector per (model, text hash): a text is embedded once per model, ever."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model", "text_hash", name="uq_embeddings_model_text"),)

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(max_length=200)
    text_hash: str = Field(max_length=64)
    dim: int
    vector: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = _when(default_factory=utcnow)


class Reduction(SQLModel, table=True):
    """A stored UMAP output over unique texts, found again by `key` so re-clustering never recomputes it.

    `key` hashes everything the output depends on: the embedding model, the exact set of texts (their
    hashes) and the parameters. Row i of `vectors` belongs to the i-th 32-byte digest in `text_hashes`.
    """

    __tablename__ = "reductions"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    n_components: int
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    n_points: int
    text_hashes: bytes = Field(sa_type=LargeBinary)
    vectors: bytes = Field(sa_type=LargeBinary)
    fallback: str | None = Field(default=None, sa_type=Text)
    seconds: float = 0.0
    created_at: datetime = _when(default_factory=utcnow)


class PipelineRun(SQLModel, table=True):
    """One processing run: its parameters, versions, counts and per-stage timings, kept for comparison."""

    __tablename__ = "pipeline_runs"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="running", max_length=16)  # running | completed | failed
    algorithm: str = Field(max_length=16)
    view: str = Field(max_length=32)
    embedder: str = Field(max_length=32)
    embedding_model: str = Field(default="", max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    versions: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    timings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    notes: list[str] = Field(default_factory=list, sa_type=JSON)
    n_events: int = 0
    n_clusters: int = 0
    noise_share: float | None = None
    silhouette: float | None = None
    reduction_id: int | None = Field(default=None, foreign_key="reductions.id")
    map_reduction_id: int | None = Field(default=None, foreign_key="reductions.id")
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # "host:pid" of the process running it, its last sign of life and the stage it started last: a
    # running run whose process is gone is failed by queries.fail_stale_runs (revision 0002).
    owner: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": text("''")})
    heartbeat_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    stage: str | None = Field(default=None, max_length=32)


class ClusterRow(SQLModel, table=True):
    """A cluster of one run. `label` is run-local (-1 is noise); summary/root_cause are the ones shown."""

    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("run_id", "label", name="uq_clusters_run_label"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=Column(ForeignKey("pipeline_runs.id", ondelete="CASCADE"), index=True))
    label: int
    size: int
    share: float
    summary: str = Field(default="", sa_type=Text)
    root_cause: str = Field(default="", sa_type=Text)
    suggested_fix: str = Field(default="", sa_type=Text)
    severity: str = Field(default="", max_length=16)
    confidence: float | None = None
    evidence: ClusterDigest = Field(default=None, sa_type=EvidenceJSON, nullable=False)  # unset: stored as {}
    centroid: bytes | None = Field(default=None, sa_type=LargeBinary)
    radius: float | None = None
    analyst_label: str | None = Field(default=None, max_length=200)
    analyst_notes: str | None = Field(default=None, sa_type=Text)


@event.listens_for(ClusterRow, "load")
@event.listens_for(ClusterRow, "refresh")
def _evidence_of_rows_without_it(row: ClusterRow, *_: Any) -> None:
    """Every loaded ClusterRow has a ClusterDigest: a row stored without evidence gets an empty one."""
    if "evidence" in row.__dict__ and row.__dict__["evidence"] is None:  # loaded, and stored without one
        set_committed_value(row, "evidence", ClusterDigest.empty(row.label, row.size, row.share))


class ClusterAssignment(SQLModel, table=True):
    """Which cluster each event of a run fell in, how firmly, and where it sits on the 2-D map.

    A row per event per run, written in bulk at every re-clustering: no foreign keys, whose row-by-row
    checks cost more than the write (migration 0003 says why that is safe). run_id is a pipeline_runs
    id and event_id a telemetry_events id.
    """

    __tablename__ = "cluster_assignments"
    __table_args__ = (
        Index("ix_cluster_assignments_run_label", "run_id", "label"),
        Index("ix_cluster_assignments_run_pattern", "run_id", "pattern_id"),
    )

    run_id: int = Field(sa_column=Column(Integer, primary_key=True))
    event_id: int = Field(sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True))
    label: int
    probability: float | None = None
    distance: float | None = None
    map_x: float | None = None
    map_y: float | None = None
    # The event's failure pattern in this run (lens_core.tracking): its cluster's, with the analyst's rules
    # applied; NULL for noise and until the run is tracked (revision 0005).
    pattern_id: int | None = None


class ClusterSummaryRow(SQLModel, table=True):
    """Every summary ever written for a cluster, with where it came from (offline rules or an LLM)."""

    __tablename__ = "cluster_summaries"

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(sa_column=Column(ForeignKey("clusters.id", ondelete="CASCADE"), index=True))
    source: str = Field(max_length=16)  # offline | llm
    model: str = Field(default="", max_length=200)
    prompt_version: str = Field(default="", max_length=32)
    prompt_hash: str = Field(default="", max_length=64)
    summary: str = Field(default="", sa_type=Text)
    root_cause: str = Field(default="", sa_type=Text)
    suggested_fix: str = Field(default="", sa_type=Text)
    severity: str = Field(default="", max_length=16)
    confidence: float | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    input_tokens: int = 0
    output_tokens: int = 0
    created_at: datetime = _when(default_factory=utcnow)


class PipelineJob(SQLModel, table=True):
    """A processing request made through the REST API, run in the background by one API process.

    A row, not process memory, so its state survives a restart and every API process sharing the
    database answers the same. `owner` is "host:pid" of the process running it and `updated_at` its
    heartbeat: a queued or running job whose owner stopped beating is failed rather than left hanging.
    `run_id` is a plain column (no foreign key) so that a job row never blocks removing a run.
    """

    __tablename__ = "pipeline_jobs"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(default="queued", max_length=16, index=True)  # queued | running | completed | failed
    stage: str | None = Field(default=None, max_length=32)
    progress: float = 0.0
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    run_id: int | None = None
    error: str | None = Field(default=None, sa_type=Text)
    owner: str = Field(default="", max_length=300)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ColumnMappingRow(SQLModel, table=True):
    """A saved column mapping of one source (`lens ingest --save-mapping NAME`): which of its files'
    columns is which lens field, {field: column}, reused with `--mapping NAME` (revision 0008)."""

    __tablename__ = "column_mappings"

    name: str = Field(primary_key=True, max_length=100)
    mapping: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = _when(default_factory=utcnow)
