"""Queries of the tracking layer (lens_core.tracking): patterns, their runs, rules and lineage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from lens_core.errors import InputError, NotFoundError
from lens_core.storage.bind import IN_CHUNK
from lens_core.storage.models import ClusterAssignment, ClusterRow, FailureFingerprint, PipelineRun, TelemetryEventRow
from lens_core.storage.tracking_tables import (
    PatternLineageRow,
    PatternRow,
    PatternRuleRow,
    RunHeldKeyRow,
    RunPatternRow,
)

# What rules split by and what the queue counts, per event of a run.
RUN_EVENT_COLUMNS = ("event_id", "evaluation_id", "label", "pattern_id", "fingerprint", "message_pattern",
                     "plugin", "status_code", "error_code", "error_type", "endpoint_template", "user_id",
                     "tenant_id", "timestamp", "release")


def run_events_frame(*, engine: Engine, run_id: int, event_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """One row per event of the run (or of `event_ids` among them): RUN_EVENT_COLUMNS."""
    ev, ca, fp = TelemetryEventRow.__table__, ClusterAssignment.__table__, FailureFingerprint.__table__
    stmt = (
        select(
            ca.c.event_id, ev.c.evaluation_id, ca.c.label, ca.c.pattern_id, ev.c.fingerprint,
            fp.c.message_pattern, ev.c.plugin, ev.c.status_code, ev.c.error_code, ev.c.error_type,
            ev.c.endpoint_template, ev.c.user_id, ev.c.tenant_id, ev.c.timestamp, ev.c.release,
        )
        .join(ev, ev.c.id == ca.c.event_id)
        .join(fp, fp.c.hash == ev.c.fingerprint)
        .where(ca.c.run_id == run_id)
        .order_by(ca.c.event_id)
    )
    with engine.connect() as conn:
        if event_ids is None:
            return pd.read_sql(stmt, conn)
        ids = list(event_ids)
        parts = [pd.read_sql(stmt.where(ca.c.event_id.in_(ids[i:i + IN_CHUNK])), conn)
                 for i in range(0, len(ids), IN_CHUNK)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(RUN_EVENT_COLUMNS))


def tracked_runs(*, engine: Engine) -> list[int]:
    """Ids of the runs whose clusters have patterns, oldest first."""
    with engine.connect() as conn:
        return [r for (r,) in conn.execute(select(RunPatternRow.run_id).distinct().order_by(RunPatternRow.run_id))]


def latest_tracked_run(*, engine: Engine, before: int | None = None) -> int | None:
    stmt = select(func.max(RunPatternRow.run_id))
    if before is not None:
        stmt = stmt.where(RunPatternRow.run_id < before)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def run_patterns(*, engine: Engine, run_id: int) -> dict[int, int]:
    """label -> pattern id of a tracked run (its clusters' patterns before rules)."""
    with engine.connect() as conn:
        rows = conn.execute(select(RunPatternRow.label, RunPatternRow.pattern_id).where(RunPatternRow.run_id == run_id))
        return {label: pattern for label, pattern in rows}


def held_keys(*, engine: Engine, run_id: int) -> dict[str, int]:
    """fingerprint -> pattern: what a run kept in curated patterns its clustering merged away."""
    with engine.connect() as conn:
        rows = conn.execute(select(RunHeldKeyRow.fingerprint, RunHeldKeyRow.pattern_id)
                            .where(RunHeldKeyRow.run_id == run_id))
        return {fingerprint: pattern for fingerprint, pattern in rows}


def patterns(*, engine: Engine, ids: Iterable[int] | None = None) -> dict[int, PatternRow]:
    with Session(engine) as session:
        stmt = select(PatternRow)
        if ids is not None:
            stmt = stmt.where(PatternRow.id.in_(list(ids)))
        return {p.id: p for p in session.exec(stmt).scalars()}  # type: ignore[call-overload]


def get_pattern(*, engine: Engine, pattern_id: int) -> PatternRow:
    with Session(engine) as session:
        found = session.get(PatternRow, pattern_id)
    if found is None:
        raise InputError(f"no pattern {pattern_id}")
    return found


def active_rules(*, engine: Engine, include_undone: bool = False) -> list[PatternRuleRow]:
    with Session(engine) as session:
        stmt = select(PatternRuleRow).order_by(PatternRuleRow.id)
        if not include_undone:
            stmt = stmt.where(PatternRuleRow.undone_at.is_(None))
        return list(session.exec(stmt).scalars())  # type: ignore[call-overload]


def add_rule(*, engine: Engine, rule: PatternRuleRow) -> PatternRuleRow:
    with Session(engine) as session:
        session.add(rule)
        session.commit()
        session.refresh(rule)
        return rule


def new_patterns(*, engine: Engine, rows: Sequence[PatternRow]) -> list[PatternRow]:
    with Session(engine) as session:
        for p in rows:
            session.add(p)
        session.commit()
        for p in rows:
            session.refresh(p)
        return list(rows)


def set_rule(*, engine: Engine, rule_id: int, **values: Any) -> None:
    set_rules(engine=engine, values_of={rule_id: values})


def set_rules(*, engine: Engine, values_of: Mapping[int, Mapping[str, Any]]) -> None:
    """Several rules' columns in one transaction (rule id -> column values)."""
    with engine.begin() as conn:
        for rule_id, values in values_of.items():
            conn.execute(update(PatternRuleRow).where(PatternRuleRow.id == rule_id).values(**values))


def lineage(*, engine: Engine, pattern_id: int | None = None, run_id: int | None = None) -> list[PatternLineageRow]:
    with Session(engine) as session:
        stmt = select(PatternLineageRow).order_by(PatternLineageRow.id)
        if pattern_id is not None:
            stmt = stmt.where((PatternLineageRow.pattern_id == pattern_id) | (PatternLineageRow.other_id == pattern_id))
        if run_id is not None:
            stmt = stmt.where(PatternLineageRow.run_id == run_id)
        return list(session.exec(stmt).scalars())  # type: ignore[call-overload]


def last_absorbed(*, engine: Engine, pattern_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """pattern -> (the latest run whose clustering merged it into another, that pattern) from lineage
    merged_into, for those of `pattern_ids` that any run absorbed."""
    wanted = list(pattern_ids)
    if not wanted:
        return {}
    lineage = PatternLineageRow.__table__
    stmt = (select(lineage.c.pattern_id, lineage.c.run_id, lineage.c.other_id)
            .where(lineage.c.relation == "merged_into", lineage.c.pattern_id.in_(wanted))
            .order_by(lineage.c.run_id, lineage.c.id))
    with engine.connect() as conn:
        return {int(pattern): (int(run), int(into)) for pattern, run, into in conn.execute(stmt)}  # latest last


def store_tracking(
    conn: Connection,
    *,
    run_id: int,
    opened: Mapping[str, PatternRow],
    matches: Mapping[int, tuple[int | str, str, float | None]],
    lineage_rows: Sequence[dict[str, Any]],
    touched: Mapping[int, dict[str, Any]],
    held: Mapping[str, int],
) -> dict[int, int]:
    """A run's tracking in the caller's transaction: the patterns it opens (keyed in `matches` by a
    placeholder string), each cluster's pattern, lineage, the patterns' new titles and centroids, and the
    fingerprints held in curated patterns (`held`: fingerprint -> pattern).
    The run_patterns primary key makes a second tracker of the same run fail here, not duplicate.
    Returns label -> pattern id."""
    ids: dict[str, int] = {}
    table = PatternRow.__table__
    for key, row in opened.items():
        values = {c.name: getattr(row, c.name) for c in table.columns if c.name != "id"}
        ids[key] = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
    by_label = {label: (ids[p] if isinstance(p, str) else p) for label, (p, _, _) in matches.items()}
    if matches:
        conn.execute(RunPatternRow.__table__.insert(), [
            {"run_id": run_id, "label": label, "pattern_id": by_label[label], "matched_by": how, "overlap": overlap}
            for label, (_, how, overlap) in matches.items()
        ])
    for row in lineage_rows:
        resolved = {k: (ids[v] if isinstance(v, str) and k in ("pattern_id", "other_id") else v) for k, v in row.items()}
        conn.execute(PatternLineageRow.__table__.insert().values(run_id=run_id, **resolved))
    for pattern_id, values in touched.items():
        conn.execute(update(table).where(table.c.id == pattern_id).values(**values))
    if held:
        conn.execute(RunHeldKeyRow.__table__.insert(), [
            {"run_id": run_id, "fingerprint": fingerprint, "pattern_id": pattern}
            for fingerprint, pattern in sorted(held.items())])
    return by_label


def set_event_patterns(conn: Connection, *, run_id: int, pattern_of_event: Mapping[int, int | None]) -> None:
    """cluster_assignments.pattern_id for the given events of a run, grouped by pattern."""
    ca = ClusterAssignment.__table__
    groups: dict[int | None, list[int]] = {}
    for event_id, pattern_id in pattern_of_event.items():
        groups.setdefault(pattern_id, []).append(int(event_id))
    for pattern_id, event_ids in groups.items():
        for i in range(0, len(event_ids), IN_CHUNK):
            conn.execute(update(ca).where(ca.c.run_id == run_id, ca.c.event_id.in_(event_ids[i:i + IN_CHUNK]))
                         .values(pattern_id=pattern_id))


def clusters_with_centroids(*, engine: Engine, run_id: int) -> list[ClusterRow]:
    with Session(engine) as session:
        stmt = select(ClusterRow).where(ClusterRow.run_id == run_id, ClusterRow.label >= 0)
        return list(session.exec(stmt).scalars())  # type: ignore[call-overload]


def run_space(*, engine: Engine, run_id: int) -> str:
    """The embedding space of a run's centroids: its model and view."""
    with Session(engine) as session:
        run = session.get(PipelineRun, run_id)
    return f"{run.embedding_model}|{run.view}" if run else ""


def cluster_titles(*, engine: Engine, run_id: int) -> dict[int, str]:
    """pattern id -> the title (summary) of the cluster that continued it in the run: the evidence's title,
    or the LLM's once summaries were written after the run was tracked. The largest cluster wins."""
    rp, cl = RunPatternRow.__table__, ClusterRow.__table__
    stmt = (select(rp.c.pattern_id, cl.c.summary)
            .join(cl, (cl.c.run_id == rp.c.run_id) & (cl.c.label == rp.c.label))
            .where(rp.c.run_id == run_id).order_by(cl.c.size))
    with engine.connect() as conn:
        return {pattern: summary for pattern, summary in conn.execute(stmt) if summary}


def event_attribute(*, engine: Engine, run_id: int, key: str) -> pd.Series:
    """event_id -> the value of one attribute (an extra column kept at ingest, such as client_version) for
    the events of a run; missing where an event has none. Read in Python, as JSON functions differ between
    SQLite and PostgreSQL."""
    ev, ca = TelemetryEventRow.__table__, ClusterAssignment.__table__
    stmt = select(ev.c.id, ev.c.attributes).join(ca, ca.c.event_id == ev.c.id).where(ca.c.run_id == run_id)
    values: dict[int, Any] = {}
    with engine.connect() as conn:
        for event_id, attributes in conn.execute(stmt):
            if isinstance(attributes, dict) and attributes.get(key) not in (None, ""):
                values[int(event_id)] = attributes[key]
    return pd.Series(values, dtype=object)


def existing_patterns(*, engine: Engine, ids: Sequence[int]) -> dict[int, PatternRow]:
    """The patterns of `ids`; NotFoundError naming every id that is no pattern."""
    found = patterns(engine=engine, ids=ids)
    missing = sorted(set(ids) - set(found))
    if missing:
        names = ", ".join(map(str, missing))
        raise NotFoundError(f"pattern {names} does not exist" if len(missing) == 1 else f"patterns {names} do not exist")
    return found
