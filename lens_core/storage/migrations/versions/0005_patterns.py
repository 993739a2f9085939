"""The tracking layer: patterns, run_patterns, pattern_rules, pattern_lineage, and each event's pattern.

Four new tables (lens_core.storage.tracking_tables) and a nullable cluster_assignments.pattern_id with an
index on (run_id, pattern_id). Runs stored before get their patterns when the next run or `lens patterns`
tracks the latest run; older runs keep NULL (they are records, not re-tracked).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_cluster_assignments_run_pattern"


def upgrade() -> None:
    op.create_table(
        "patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("space", sa.String(length=300), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("radius", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["patterns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "run_patterns",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=False),
        sa.Column("overlap", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "label"),
    )
    op.create_index("ix_run_patterns_pattern_id", "run_patterns", ["pattern_id"], unique=False)
    op.create_table(
        "pattern_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("last_applied", sa.Boolean(), nullable=True),
        sa.Column("last_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pattern_rules_pattern_id", "pattern_rules", ["pattern_id"], unique=False)
    op.create_table(
        "pattern_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["other_id"], ["patterns.id"]),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pattern_lineage_run", "pattern_lineage", ["run_id"], unique=False)
    with op.batch_alter_table("cluster_assignments") as batch_op:
        batch_op.add_column(sa.Column("pattern_id", sa.Integer(), nullable=True))
        batch_op.create_index(INDEX, ["run_id", "pattern_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cluster_assignments") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("pattern_id")
    op.drop_index("ix_pattern_lineage_run", table_name="pattern_lineage")
    op.drop_table("pattern_lineage")
    op.drop_index("ix_pattern_rules_pattern_id", table_name="pattern_rules")
    op.drop_table("pattern_rules")
    op.drop_index("ix_run_patterns_pattern_id", table_name="run_patterns")
    op.drop_table("run_patterns")
    op.drop_table("patterns")
