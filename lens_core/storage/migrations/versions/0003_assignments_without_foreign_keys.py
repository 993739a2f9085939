"""cluster_assignments: no foreign keys, so that writing a run's assignments costs the write alone.

The table holds a row per event per run: 100,000 rows every time an analyst moves a slider at 100k
events. PostgreSQL checked both of its foreign keys row by row, with a trigger each: 0.85 s of the
1.23 s that storing a re-clustering took there. lens writes these rows only in the transaction that
stores the run's clusters, for a run it has just created and events it has just read, and it never
deletes a run or an event, so the checks guarded nothing lens can do. (Deleting runs by hand: delete
their cluster_assignments rows too.) The run_id and label index and the primary key stay.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "cluster_assignments"
# SQLite's foreign keys have no names: batch mode names them by this convention to drop them.
_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_REFERENCES = (("event_id", "telemetry_events"), ("run_id", "pipeline_runs"))


def upgrade() -> None:
    bind = op.get_bind()
    foreign_keys = sa.inspect(bind).get_foreign_keys(TABLE)  # whichever there are, named or not
    if bind.dialect.name == "sqlite":
        if foreign_keys:
            with op.batch_alter_table(TABLE, naming_convention=_NAMES, recreate="always") as batch_op:
                for key in foreign_keys:
                    name = f"fk_{TABLE}_{key['constrained_columns'][0]}_{key['referred_table']}"
                    batch_op.drop_constraint(name, type_="foreignkey")
        return
    for key in foreign_keys:
        op.drop_constraint(key["name"], TABLE, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch_op:
        for column, referred in _REFERENCES:
            batch_op.create_foreign_key(f"fk_{TABLE}_{column}_{referred}", referred, [column], ["id"],
                                        ondelete="CASCADE")
