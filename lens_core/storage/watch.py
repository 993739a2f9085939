"""Queries of `lens watch` (lens_core.tracking.alerts): what it last saw of each pattern."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lens_core.storage.bind import IN_CHUNK
from lens_core.storage.models import ClusterAssignment
from lens_core.storage.tracking import latest_tracked_run
from lens_core.storage.tracking_tables import PatternRow, PatternWatchRow


def last_seen(*, engine: Engine) -> dict[int, PatternWatchRow]:
    with Session(engine) as session:
        rows = session.exec(select(PatternWatchRow)).scalars()  # type: ignore[call-overload]
        return {row.pattern_id: row for row in rows}


def record(*, engine: Engine, rows: Iterable[PatternWatchRow]) -> int:
    """Replace what was last seen of these patterns, in one transaction; patterns that no longer exist
    are skipped. Returns how many were written."""
    rows = list(rows)
    if not rows:
        return 0
    with Session(engine) as session:
        ids = [r.pattern_id for r in rows]
        existing: set[int] = set()
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i:i + IN_CHUNK]
            existing |= set(session.exec(select(PatternRow.id).where(PatternRow.id.in_(chunk))).scalars())  # type: ignore[call-overload,union-attr]
            session.exec(delete(PatternWatchRow).where(PatternWatchRow.pattern_id.in_(chunk)))  # type: ignore[call-overload,attr-defined]
        kept = [r for r in rows if r.pattern_id in existing]
        session.add_all(kept)
        session.commit()
    return len(kept)



def latest_events(*, engine: Engine) -> tuple[int | None, int]:
    """The latest tracked run and how many events it holds: both change when events are processed or
    assigned, and only then is there something new to watch."""
    run_id = latest_tracked_run(engine=engine)
    if run_id is None:
        return None, 0
    ca = ClusterAssignment.__table__
    with engine.connect() as conn:
        return run_id, conn.execute(select(func.count()).select_from(ca).where(ca.c.run_id == run_id)).scalar_one()
