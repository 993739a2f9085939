"""Keyword-only queries over lens's tables. Every SQL statement here uses bound parameters."""

from __future__ import annotations

import logging
import os
import socket
import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lens_core.errors import NotFoundError
from lens_core.runs import liveness
from lens_core.storage import patterns as pattern_store
from lens_core.storage import read_only
from lens_core.storage.bind import IN_CHUNK
from lens_core.storage.engine import insert_frame, insert_rows
from lens_core.storage.models import (
    ClusterAssignment,
    ClusterRow,
    ClusterSummaryRow,
    EmbeddingRow,
    FailureFingerprint,
    MessagePattern,
    PipelineRun,
    Reduction,
    TelemetryEventRow,
    utcnow,
)

log = logging.getLogger(__name__)


EVENT_COLUMNS = (
    "id", "evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output", "timestamp",
    "user_id", "tenant_id", "plugin", "endpoint", "endpoint_template", "status_code", "error_code",
    "error_type", "error_message", "error_form", "fingerprint",
)


# -- events -------------------------------------------------------------------------------------------


def load_events_frame(*, engine: Engine, columns: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    """All stored events with their fingerprint's template, ordered by id (stable across runs); with the
    fingerprint among the columns, also its message pattern's template (`message_pattern`, None where
    not mined yet).

    The frame is kept per engine and read again only when the events changed: re-clustering after a
    parameter change (the dashboard's sliders, the API) must not spend seconds reading 100k unchanged
    events back. Events are only ever inserted, never updated or deleted, so their count, highest id and
    latest ingest time tell whether the kept frame still is the table. Patterns do change (a re-mining
    regroups fingerprints): they are read each time, one row per fingerprint, and mapped onto the kept
    frame when they differ from the ones it was kept with. The caller gets its own shallow copy
    (copy-on-write: changing it never changes the kept one).
    """
    ev = TelemetryEventRow.__table__
    columns = tuple(columns)
    with_patterns = "fingerprint" in columns
    with engine.connect() as conn:
        version = tuple(conn.execute(select(func.count(), func.max(ev.c.id), func.max(ev.c.ingested_at))).one())
        texts = pattern_store.pattern_texts(conn) if with_patterns else None
        kept = _frames.setdefault(engine, {}).get(columns)
        if kept is not None and kept[0] == version and kept[1] == texts:
            return kept[2].copy(deep=False)
        frame = kept[2] if kept is not None and kept[0] == version else _typed(pd.read_sql(_events_select(columns), conn))
    if texts is not None:
        frame = _with_patterns(frame.copy(deep=False), texts)
    _frames[engine][columns] = (version, texts, frame)
    return frame.copy(deep=False)


def unassigned_events_frame(*, engine: Engine, run_id: int, columns: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    """The events that run `run_id` has no assignment for (those stored after it), as load_events_frame."""
    ev, ca = TelemetryEventRow.__table__, ClusterAssignment.__table__
    assigned = select(ca.c.event_id).where(ca.c.run_id == run_id, ca.c.event_id == ev.c.id).exists()
    with engine.connect() as conn:
        frame = _typed(pd.read_sql(_events_select(tuple(columns)).where(~assigned), conn))
        if "fingerprint" in frame:
            frame = _with_patterns(frame, pattern_store.pattern_texts(conn))
    return frame


def _events_select(columns: tuple[str, ...]) -> Any:
    ev, fp = TelemetryEventRow.__table__, FailureFingerprint.__table__
    return (
        select(*[ev.c[name] for name in columns], fp.c.message_template)
        .join(fp, fp.c.hash == ev.c.fingerprint)
        .order_by(ev.c.id)
    )


def _with_patterns(frame: pd.DataFrame, texts: dict[str, str]) -> pd.DataFrame:
    """The frame with `message_pattern`: each event's fingerprint's pattern template (None: not mined)."""
    pattern = frame["fingerprint"].map(texts)
    frame["message_pattern"] = pattern.astype(object).where(pattern.notna(), None)
    return frame


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    if "status_code" in frame:
        frame["status_code"] = frame["status_code"].astype("Int64")
    if "timestamp" in frame:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


# engine -> columns -> (events version, pattern texts or None, frame): see load_events_frame. Weak keys:
# a disposed engine's frames go with it.
_frames: weakref.WeakKeyDictionary[
    Engine, dict[tuple[str, ...], tuple[tuple[Any, ...], dict[str, str] | None, pd.DataFrame]]
] = weakref.WeakKeyDictionary()


def count_events(*, engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(TelemetryEventRow)).scalar_one())


def count_fingerprints(*, engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(FailureFingerprint)).scalar_one())


# -- embeddings ---------------------------------------------------------------------------------------


def cached_vectors(*, engine: Engine, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
    table = EmbeddingRow.__table__
    found: dict[str, np.ndarray] = {}
    wanted = list(hashes)
    with engine.connect() as conn:
        for start in range(0, len(wanted), IN_CHUNK):
            part = wanted[start : start + IN_CHUNK]
            stmt = select(table.c.text_hash, table.c.vector).where(
                table.c.model == model, table.c.text_hash.in_(part)
            )
            for text_hash, blob in conn.execute(stmt):
                found[text_hash] = np.frombuffer(blob, dtype=np.float32)
    return found


def store_vectors(*, engine: Engine, model: str, vectors: dict[str, np.ndarray]) -> None:
    """Store new vectors; a vector another process stored meanwhile is kept as it is."""
    if not vectors:
        return
    table = EmbeddingRow.__table__
    now = utcnow()
    columns = ["model", "text_hash", "dim", "vector", "created_at"]
    rows = [(model, h, int(v.shape[0]), v.astype(np.float32).tobytes(), now) for h, v in vectors.items()]
    with engine.begin() as conn:
        insert_rows(conn, table, columns, rows, skip_conflicts_on=("model", "text_hash"))


# -- reductions ---------------------------------------------------------------------------------------


def find_reduction(*, engine: Engine, key: str) -> Reduction | None:
    with Session(engine) as session:
        return session.execute(select(Reduction).where(Reduction.key == key)).scalars().first()


def store_reduction(*, engine: Engine, reduction: Reduction) -> Reduction:
    table = Reduction.__table__
    values = reduction.model_dump(exclude={"id"})
    with engine.begin() as conn:
        insert_rows(conn, table, list(values), [tuple(values.values())], skip_conflicts_on="key")
    stored = find_reduction(engine=engine, key=reduction.key)
    assert stored is not None  # just inserted, or inserted by a concurrent run with the same key
    return stored


# -- runs ---------------------------------------------------------------------------------------------


def create_run(*, engine: Engine, run: PipelineRun) -> PipelineRun:
    with Session(engine) as session:
        session.add(run)
        session.commit()
        session.refresh(run)
        return run


def update_run(*, engine: Engine, run_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(PipelineRun.__table__).where(PipelineRun.__table__.c.id == run_id).values(**values))


def get_run(*, engine: Engine, run_id: int) -> PipelineRun:
    fail_stale_runs(engine=engine)
    with Session(engine) as session:
        run = session.get(PipelineRun, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    return run


def latest_run(*, engine: Engine) -> PipelineRun | None:
    """The newest completed run: what every surface shows unless asked for another."""
    stmt = select(PipelineRun).where(PipelineRun.status == "completed").order_by(PipelineRun.id.desc()).limit(1)
    with Session(engine) as session:
        return session.execute(stmt).scalars().first()


def resolve_run(*, engine: Engine, run_id: int | None) -> PipelineRun:
    if run_id is not None:
        return get_run(engine=engine, run_id=run_id)
    run = latest_run(engine=engine)
    if run is None:
        raise NotFoundError("no completed run yet: run `lens process` first")
    return run


def list_runs(*, engine: Engine, limit: int = 100) -> list[PipelineRun]:
    """Newest first; a "running" run whose process is gone is failed first (fail_stale_runs)."""
    fail_stale_runs(engine=engine)
    with Session(engine) as session:
        stmt = select(PipelineRun).order_by(PipelineRun.id.desc()).limit(limit)
        return list(session.execute(stmt).scalars().all())


def beat_run(*, engine: Engine, run_id: int, stage: str | None = None) -> None:
    """A running run's sign of life (and, at a stage's start, that stage); a finished run is left alone."""
    table = PipelineRun.__table__
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if stage is not None:
        values["stage"] = stage
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == run_id, table.c.status == "running").values(**values))


def fail_stale_runs(*, engine: Engine) -> list[int]:
    """Fail the "running" runs whose process is gone (killed, crashed); returns their ids.

    Gone means what it means for jobs (lens_core.runs.liveness): its pid no longer exists on this host, or no
    heartbeat for STALE_AFTER_S. Cheap when nothing runs: one query over the running runs. A read-only
    database is left as it is (its readers must still read): such a run shows as "running" there.
    """
    if read_only.reason(engine) is not None:
        return []
    table = PipelineRun.__table__
    columns = (table.c.id, table.c.owner, table.c.stage, table.c.heartbeat_at, table.c.created_at)
    with engine.connect() as conn:
        running = conn.execute(select(*columns).where(table.c.status == "running")).all()
    host, me, now = socket.gethostname(), os.getpid(), utcnow()
    failed = []
    for run in running:
        reason = _stopped_reason(run, host=host, me=me, now=now)
        if reason is None:
            continue
        stmt = update(table).where(table.c.id == run.id, table.c.status == "running")
        with engine.begin() as conn:  # only from "running": a run that finished meanwhile keeps its outcome
            if conn.execute(stmt.values(status="failed", error=reason, finished_at=now)).rowcount:
                log.warning("run %d failed: %s", run.id, reason)
                failed.append(run.id)
    return failed


def _stopped_reason(run: Any, *, host: str, me: int, now: datetime) -> str | None:
    reason = f"the process running it stopped (killed or crashed) during {run.stage or 'an unknown stage'}"
    if liveness.stopped_here(run.owner or "", host=host, me=me):
        return reason
    if liveness.is_stale(run.heartbeat_at or run.created_at, now):
        return f"{reason}: no sign of life from {run.owner or 'it'} for over {liveness.STALE_AFTER_S:.0f} s"
    return None


# -- clusters -----------------------------------------------------------------------------------------


def store_run_results(
    *,
    engine: Engine,
    run_id: int,
    clusters: list[ClusterRow],
    summaries: dict[int, ClusterSummaryRow],
    assignments: pd.DataFrame,
) -> None:
    """Clusters, their summaries and every event's assignment, in one transaction.

    `summaries` is keyed by cluster label; `assignments` has columns event_id, label, probability,
    distance, map_x, map_y.
    """
    with Session(engine) as session:
        session.add_all(clusters)
        session.flush()
        by_label = {c.label: c.id for c in clusters}
        for label, summary in summaries.items():
            summary.cluster_id = by_label[label]
            session.add(summary)
        session.flush()
        insert_frame(session.connection(), ClusterAssignment.__table__, assignments.assign(run_id=run_id))
        session.commit()


def clusters_of_run(*, engine: Engine, run_id: int, include_noise: bool = True) -> list[ClusterRow]:
    """Clusters ranked by size (noise last)."""
    stmt = select(ClusterRow).where(ClusterRow.run_id == run_id)
    if not include_noise:
        stmt = stmt.where(ClusterRow.label != -1)
    with Session(engine) as session:
        rows = list(session.execute(stmt).scalars().all())
    return sorted(rows, key=lambda c: (c.label == -1, -c.size, c.label))


def get_cluster(*, engine: Engine, run_id: int, label: int) -> ClusterRow:
    stmt = select(ClusterRow).where(ClusterRow.run_id == run_id, ClusterRow.label == label)
    with Session(engine) as session:
        row = session.execute(stmt).scalars().first()
    if row is None:
        raise NotFoundError(f"cluster {label} does not exist in run {run_id}")
    return row


def cluster_events(
    *, engine: Engine, run_id: int, label: int | None = None, offset: int = 0, limit: int = 50,
    search: str | None = None, pattern_id: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of a cluster's (or, by `pattern_id`, a pattern's) events by event id, and the total count."""
    ev, ca = TelemetryEventRow.__table__, ClusterAssignment.__table__
    where = [ca.c.run_id == run_id] + ([ca.c.label == label] if label is not None else []) + (
        [ca.c.pattern_id == pattern_id] if pattern_id is not None else [])
    if search:
        # autoescape: `%` and `_` in what the user typed are those characters, not LIKE's wildcards.
        needle = search.lower()
        where.append(func.lower(ev.c.customer_prompt).contains(needle, autoescape=True)
                     | func.lower(ev.c.skill_output).contains(needle, autoescape=True))
    base = select(ev, ca.c.label, ca.c.distance, ca.c.probability).join(ca, ca.c.event_id == ev.c.id).where(*where)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(base.order_by(ev.c.id).offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)


def assignments_frame(*, engine: Engine, run_id: int) -> pd.DataFrame:
    """evaluation_id, fingerprint, message_pattern (its template, None where not mined yet), cluster_id,
    run_id, plus map coordinates and the event's pattern (pattern_id, None where untracked)."""
    ev, ca = TelemetryEventRow.__table__, ClusterAssignment.__table__
    fp, mp = FailureFingerprint.__table__, MessagePattern.__table__
    stmt = (
        select(
            ev.c.evaluation_id, ev.c.fingerprint, mp.c.template.label("message_pattern"),
            ca.c.label.label("cluster_id"), ca.c.run_id, ca.c.probability, ca.c.distance, ca.c.map_x, ca.c.map_y,
            ca.c.pattern_id,
        )
        .join(ca, ca.c.event_id == ev.c.id)
        .join(fp, fp.c.hash == ev.c.fingerprint)
        .outerjoin(mp, mp.c.hash == fp.c.message_pattern)
        .where(ca.c.run_id == run_id)
        .order_by(ev.c.id)
    )
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def set_cluster_annotation(
    *, engine: Engine, run_id: int, label: int, analyst_label: str | None, analyst_notes: str | None
) -> None:
    get_cluster(engine=engine, run_id=run_id, label=label)
    with engine.begin() as conn:
        conn.execute(
            update(ClusterRow.__table__)
            .where(ClusterRow.__table__.c.run_id == run_id, ClusterRow.__table__.c.label == label)
            .values(analyst_label=analyst_label, analyst_notes=analyst_notes)
        )


def summaries_of_cluster(*, engine: Engine, cluster_id: int) -> list[ClusterSummaryRow]:
    stmt = select(ClusterSummaryRow).where(ClusterSummaryRow.cluster_id == cluster_id).order_by(ClusterSummaryRow.id)
    with Session(engine) as session:
        return list(session.execute(stmt).scalars().all())


def mark_finished(*, engine: Engine, run_id: int, status: str, **values: Any) -> None:
    update_run(engine=engine, run_id=run_id, status=status, finished_at=utcnow(), **values)


def as_datetime(value: Any) -> datetime | None:
    """A pandas/NumPy timestamp as a Python datetime (None for NaT)."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()
