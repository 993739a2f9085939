"""message_patterns, and the pattern of each fingerprint: the mined template between fingerprint and cluster.

A new table (hash, version, template, created_at) and a nullable, indexed failure_fingerprints.message_pattern
holding a message_patterns hash. Existing fingerprints start with NULL and get their pattern at the next
ingest or refresh (lens_core.ingest.message_patterns), which mines every stored template. The column has
no foreign key, so SQLite adds it with ALTER TABLE instead of rebuilding a table that events reference.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_failure_fingerprints_message_pattern"


def upgrade() -> None:
    op.create_table(
        "message_patterns",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    with op.batch_alter_table("failure_fingerprints") as batch_op:
        batch_op.add_column(sa.Column("message_pattern", sa.String(length=64), nullable=True))
        batch_op.create_index(INDEX, ["message_pattern"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("failure_fingerprints") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("message_pattern")
    op.drop_table("message_patterns")
