"""run_held_keys: fingerprints a run kept in a curated pattern its clustering merged into another.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "run_held_keys",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["pipeline_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"]),
        sa.PrimaryKeyConstraint("run_id", "fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("run_held_keys")
