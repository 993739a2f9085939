"""pipeline_runs: who runs a run and when it last showed life, so a run whose process died is failed.

`owner` is "host:pid" of the process running it, `heartbeat_at` refreshed while it runs, `stage` the
stage it started last (where it stopped, if it stops). Rows older than this revision get "" and NULLs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("pipeline_runs") as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=300), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("stage", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pipeline_runs") as batch_op:
        batch_op.drop_column("stage")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("owner")
