"""The schema lens had before migrations: what SQLModel.metadata.create_all made from the models.

A database made by that older lens has these tables and no alembic_version row; lens_core.storage.migrate
creates whichever of them it lacks (`TABLES`) and stamps it at this revision instead of running it.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# BIGINT on PostgreSQL for millions of events; INTEGER on SQLite, where only that aliases the rowid.
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def failure_fingerprints() -> None:
    op.create_table(
        "failure_fingerprints",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=True),
        sa.Column("endpoint_template", sa.Text(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=300), nullable=True),
        sa.Column("message_template", sa.Text(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("hash"),
    )


def telemetry_events() -> None:
    op.create_table(
        "telemetry_events",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("evaluation_id", sa.String(length=256), nullable=False),
        sa.Column("customer_prompt", sa.Text(), nullable=False),
        sa.Column("skill_input", sa.Text(), nullable=False),
        sa.Column("skill_output", sa.Text(), nullable=False),
        sa.Column("ai_output", sa.Text(), nullable=False),
        _when("timestamp", nullable=True),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("tenant_id", sa.String(length=256), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("plugin", sa.String(length=200), nullable=True),
        sa.Column("endpoint", sa.Text(), nullable=True),
        sa.Column("endpoint_template", sa.Text(), nullable=True),
        sa.Column("http_method", sa.String(length=16), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=300), nullable=True),
        sa.Column("error_type", sa.String(length=300), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_form", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        _when("ingested_at"),
        sa.ForeignKeyConstraint(["fingerprint"], ["failure_fingerprints.hash"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evaluation_id"),
    )
    op.create_index("ix_telemetry_events_fingerprint", "telemetry_events", ["fingerprint"])
    op.create_index("ix_telemetry_events_timestamp", "telemetry_events", ["timestamp"])
    op.create_index("ix_telemetry_events_user_id", "telemetry_events", ["user_id"])


def embeddings() -> None:
    op.create_table(
        "embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model", "text_hash", name="uq_embeddings_model_text"),
    )


def reductions() -> None:
    op.create_table(
        "reductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("n_components", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("n_points", sa.Integer(), nullable=False),
        sa.Column("text_hashes", sa.LargeBinary(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("fallback", sa.Text(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )


def pipeline_runs() -> None:
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.Column("embedder", sa.String(length=32), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("n_events", sa.Integer(), nullable=False),
        sa.Column("n_clusters", sa.Integer(), nullable=False),
        sa.Column("noise_share", sa.Float(), nullable=True),
        sa.Column("silhouette", sa.Float(), nullable=True),
        sa.Column("reduction_id", sa.Integer(), nullable=True),
        sa.Column("map_reduction_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _when("created_at"),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(["map_reduction_id"], ["reductions.id"]),
        sa.ForeignKeyConstraint(["reduction_id"], ["reductions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def clusters() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("suggested_fix", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("radius", sa.Float(), nullable=True),
        sa.Column("analyst_label", sa.String(length=200), nullable=True),
        sa.Column("analyst_notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "label", name="uq_clusters_run_label"),
    )
    op.create_index("ix_clusters_run_id", "clusters", ["run_id"])


def cluster_assignments() -> None:
    op.create_table(
        "cluster_assignments",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("event_id", EVENT_ID, nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("distance", sa.Float(), nullable=True),
        sa.Column("map_x", sa.Float(), nullable=True),
        sa.Column("map_y", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["telemetry_events.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "event_id"),
    )
    op.create_index("ix_cluster_assignments_run_label", "cluster_assignments", ["run_id", "label"])


def cluster_summaries() -> None:
    op.create_table(
        "cluster_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_version", sa.String(length=32), nullable=False),
        sa.Column("prompt_hash", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("suggested_fix", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cluster_summaries_cluster_id", "cluster_summaries", ["cluster_id"])


def pipeline_jobs() -> None:
    op.create_table(
        "pipeline_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=300), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        _when("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pipeline_jobs_state", "pipeline_jobs", ["state"])


# Each table's creation, parents before the tables that refer to them.
TABLES: dict[str, Callable[[], None]] = {
    "failure_fingerprints": failure_fingerprints,
    "telemetry_events": telemetry_events,
    "embeddings": embeddings,
    "reductions": reductions,
    "pipeline_runs": pipeline_runs,
    "clusters": clusters,
    "cluster_assignments": cluster_assignments,
    "cluster_summaries": cluster_summaries,
    "pipeline_jobs": pipeline_jobs,
}


def upgrade() -> None:
    for create in TABLES.values():
        create()


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
