"""release: each event's assistant release, a nullable, indexed telemetry_events.release (String(100)).

Ingest used to keep a `release` column among the event's attributes; events stored before get that value
(text, or a number as its text, stripped; one over 100 characters or empty stays NULL) and keep the
attribute as it was. The backfill is plain SQLAlchemy Core, reading (id, attributes) by id in chunks, so it
runs alike on SQLite and PostgreSQL whatever JSON type the column has.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_telemetry_events_release"
MAX_CHARS = 100
CHUNK = 2000


def upgrade() -> None:
    with op.batch_alter_table("telemetry_events") as batch_op:
        batch_op.add_column(sa.Column("release", sa.String(length=MAX_CHARS), nullable=True))
        batch_op.create_index(INDEX, ["release"], unique=False)
    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("telemetry_events") as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("release")


def backfill(conn: sa.Connection) -> int:
    """Set release from attributes["release"] on every event that has one; returns how many were set."""
    events = sa.table("telemetry_events", sa.column("id", sa.Integer), sa.column("attributes", sa.JSON),
                      sa.column("release", sa.String))
    update = (sa.update(events).where(events.c.id == sa.bindparam("event_id"))
              .values(release=sa.bindparam("new_release")))
    done, last = 0, None
    while True:
        stmt = sa.select(events.c.id, events.c.attributes).where(events.c.attributes.is_not(None))
        if last is not None:
            stmt = stmt.where(events.c.id > last)
        rows = conn.execute(stmt.order_by(events.c.id).limit(CHUNK)).all()
        if not rows:
            return done
        last = rows[-1][0]
        changes = [{"event_id": event_id, "new_release": value} for event_id, attributes in rows
                   if (value := release_of(attributes)) is not None]
        if changes:
            conn.execute(update, changes)
            done += len(changes)


def release_of(attributes: Any) -> str | None:
    """The release an event's attributes hold, as ingest's validation would read it, or None."""
    if isinstance(attributes, str):  # a JSON column read as text (or a value stored as a JSON string)
        try:
            attributes = json.loads(attributes)
        except ValueError:
            return None
    if not isinstance(attributes, dict):
        return None
    value = attributes.get("release")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if 0 < len(value) <= MAX_CHARS and "\x00" not in value else None
