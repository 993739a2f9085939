"""Counts over the stored failures and the quality figures of a run, for the API and the dashboard.

Plain GROUP BY / COUNT queries that run the same on SQLite and PostgreSQL; nothing is loaded into pandas,
so an overview of millions of events costs a few index scans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from lens_core.errors import StorageError
from lens_core.storage import queries
from lens_core.storage.models import PipelineRun, TelemetryEventRow

TOP_VALUES = 20


@dataclass(frozen=True)
class ValueCount:
    value: str | int | None  # None: events where the parser found no such value
    count: int


@dataclass
class Overview:
    events: int
    fingerprints: int
    clusters: int
    noise_share: float | None
    by_plugin: list[ValueCount] = field(default_factory=list)
    by_status_code: list[ValueCount] = field(default_factory=list)
    by_error_type: list[ValueCount] = field(default_factory=list)
    by_error_code: list[ValueCount] = field(default_factory=list)
    latest_run: PipelineRun | None = None


@dataclass
class RunQuality:
    run: PipelineRun
    noise_events: int
    largest_cluster_share: float | None
    total_seconds: float
    cluster_sizes: list[ValueCount]  # value: the run-local label; noise (-1) included


def ping(*, engine: Engine) -> None:
    """SELECT 1; StorageError naming the reason (never the URL's password) when it fails."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StorageError(f"database not reachable: {reason[0] if reason else type(exc).__name__}") from None


def value_counts(*, engine: Engine, column: str, limit: int = TOP_VALUES) -> list[ValueCount]:
    """The most frequent values of one event column (NULL counted as its own value), largest first."""
    col = TelemetryEventRow.__table__.c[column]
    n = func.count().label("n")
    stmt = select(col, n).group_by(col).order_by(n.desc(), col).limit(limit)
    with engine.connect() as conn:
        return [ValueCount(value=value, count=int(count)) for value, count in conn.execute(stmt)]


def overview(*, engine: Engine, limit: int = TOP_VALUES) -> Overview:
    run = queries.latest_run(engine=engine)
    return Overview(
        events=queries.count_events(engine=engine),
        fingerprints=queries.count_fingerprints(engine=engine),
        clusters=run.n_clusters if run else 0,
        noise_share=finite(run.noise_share) if run else None,
        by_plugin=value_counts(engine=engine, column="plugin", limit=limit),
        by_status_code=value_counts(engine=engine, column="status_code", limit=limit),
        by_error_type=value_counts(engine=engine, column="error_type", limit=limit),
        by_error_code=value_counts(engine=engine, column="error_code", limit=limit),
        latest_run=run,
    )


def run_quality(*, engine: Engine, run_id: int | None = None) -> RunQuality:
    """A run's figures beyond its row: cluster sizes, noise events, the largest cluster, total time."""
    run = queries.resolve_run(engine=engine, run_id=run_id)
    clusters = queries.clusters_of_run(engine=engine, run_id=run.id, include_noise=True)
    real = [c for c in clusters if c.label != -1]
    noise = sum(c.size for c in clusters if c.label == -1)
    return RunQuality(
        run=run,
        noise_events=noise,
        largest_cluster_share=finite(max(c.share for c in real)) if real else None,
        total_seconds=round(sum(float(v) for v in (run.timings or {}).values() if _number(v)), 3),
        cluster_sizes=[ValueCount(value=c.label, count=c.size) for c in clusters],
    )


def finite(value: Any) -> float | None:
    """A float fit for JSON: NaN and infinities (which JSON cannot hold) become None."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
