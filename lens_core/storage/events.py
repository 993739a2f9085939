"""Ingest's queries: whether any event is stored, which evaluation_ids are, and one chunk's insert.

lens_core.ingest.ingestor decides what to store and when; these run outside (the reads) or as (the
insert) one short transaction each, so an ingest never holds the write lock across chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from lens_core.storage.bind import IN_CHUNK
from lens_core.storage.engine import insert_rows
from lens_core.storage.models import FailureFingerprint, TelemetryEventRow


def holds_events(*, engine: Engine) -> bool:
    """Whether the events table holds any row (one indexed read)."""
    with engine.connect() as conn:
        return conn.execute(select(TelemetryEventRow.__table__.c.id).limit(1)).first() is not None


def stored_evaluation_ids(*, engine: Engine, ids: Sequence[str]) -> frozenset[str]:
    """Which of `ids` are stored: one short read per IN_CHUNK ids, outside any write transaction."""
    ids_column = TelemetryEventRow.__table__.c.evaluation_id
    stored: set[str] = set()
    with engine.connect() as conn:
        for start in range(0, len(ids), IN_CHUNK):
            part = ids[start : start + IN_CHUNK]
            stored.update(conn.execute(select(ids_column).where(ids_column.in_(part))).scalars())
    return frozenset(stored)


def insert_event_chunk(
    *, engine: Engine, fingerprint_columns: Sequence[str], fingerprints: list[tuple[Any, ...]],
    event_columns: Sequence[str], events: list[tuple[Any, ...]],
) -> int:
    """Insert a chunk's fingerprints, then its events, in one transaction; returns how many events were new.

    The rows went through bind_rows for the engine's dialect already (ingest's workers do that), and the
    events' ids were looked up just before (stored_evaluation_ids), so they are likely new. A key stored
    meanwhile by another writer is skipped (ON CONFLICT DO NOTHING), not counted.
    """
    with engine.begin() as conn:
        insert_rows(conn, FailureFingerprint.__table__, list(fingerprint_columns), fingerprints,
                    skip_conflicts_on="hash", bound=True)
        return insert_rows(conn, TelemetryEventRow.__table__, list(event_columns), events,
                           skip_conflicts_on="evaluation_id", likely_new=True, bound=True)
