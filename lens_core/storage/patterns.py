"""The SQL of message patterns: what mining reads (every fingerprint's template and event count), what it
writes (new pattern rows, then the fingerprints that point at them), and the lock that keeps concurrent
re-minings apart. The mining itself is lens_core.ingest.message_patterns.

Several `lens ingest` processes may finish at once, each re-mining. `exclusive()` lets one re-mining at a
time read and write, in one transaction: each reads every event committed before it, so the last one
to run sees the most and its mining is what stays, whole (never half one mining, half another). Ingest
transactions never wait for it on PostgreSQL (an advisory lock; the rows it updates are committed
fingerprints, which an ingest's INSERT ... ON CONFLICT DO NOTHING only reads) and wait for it as for any
writer on SQLite, whose database lock it takes at its start (BEGIN IMMEDIATE), so it never has to
upgrade a read to a write (what SQLite answers "database is locked" at once).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from lens_core.storage.bind import IN_CHUNK
from lens_core.storage.engine import insert_rows
from lens_core.storage.migrate import postgres_xact_lock
from lens_core.storage.models import FailureFingerprint, MessagePattern, TelemetryEventRow


class FingerprintTemplate(NamedTuple):
    hash: str
    message_template: str
    events: int  # how many stored events have this fingerprint (0 for one whose events another writer stored)
    message_pattern: str | None  # the pattern hash it points at now


@contextmanager
def exclusive(engine: Engine) -> Iterator[Connection]:
    """A transaction that one re-mining at a time is in (per database, per schema on PostgreSQL);
    committed when the block ends, rolled back if it raises. One function per dialect."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            postgres_xact_lock(conn, "lens-message-patterns")
            yield conn
        return
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now (waited for), not at the first UPDATE
        yield conn
        conn.commit()


def fingerprint_templates(conn: Connection) -> list[FingerprintTemplate]:
    """Every fingerprint with its template, event count and current pattern, by hash."""
    fp, ev = FailureFingerprint.__table__, TelemetryEventRow.__table__
    counts = select(ev.c.fingerprint, func.count().label("events")).group_by(ev.c.fingerprint).subquery()
    stmt = (
        select(fp.c.hash, fp.c.message_template, func.coalesce(counts.c.events, 0), fp.c.message_pattern)
        .outerjoin(counts, counts.c.fingerprint == fp.c.hash)
        .order_by(fp.c.hash)
    )
    return [FingerprintTemplate(h, t or "", int(n), p) for h, t, n, p in conn.execute(stmt)]


def store_patterns(
    conn: Connection, *, version: str, patterns: Mapping[str, str], assigned: Mapping[str, str], now: datetime
) -> None:
    """Insert the patterns (hash -> template) not stored yet, then point each fingerprint of `assigned`
    (fingerprint hash -> pattern hash) at its pattern: one UPDATE per pattern and chunk of fingerprints,
    in hash order."""
    rows = [(key, version, patterns[key], now) for key in sorted(patterns)]
    insert_rows(conn, MessagePattern.__table__, ["hash", "version", "template", "created_at"], rows,
                skip_conflicts_on="hash")
    by_pattern: dict[str, list[str]] = {}
    for fingerprint, pattern in assigned.items():
        by_pattern.setdefault(pattern, []).append(fingerprint)
    fp = FailureFingerprint.__table__
    for pattern in sorted(by_pattern):
        hashes = sorted(by_pattern[pattern])
        for start in range(0, len(hashes), IN_CHUNK):
            part = hashes[start : start + IN_CHUNK]
            conn.execute(update(fp).where(fp.c.hash.in_(part)).values(message_pattern=pattern))


def any_outdated(*, engine: Engine, version: str) -> bool:
    """Whether some fingerprint has no pattern of `version` (never mined, or mined by another version)."""
    fp, mp = FailureFingerprint.__table__, MessagePattern.__table__
    stmt = (
        select(fp.c.hash)
        .outerjoin(mp, mp.c.hash == fp.c.message_pattern)
        .where(or_(mp.c.version.is_(None), mp.c.version != version))
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(stmt).first() is not None


def pattern_texts(conn: Connection) -> dict[str, str]:
    """fingerprint hash -> its message pattern's template, for the fingerprints that have one."""
    fp, mp = FailureFingerprint.__table__, MessagePattern.__table__
    stmt = select(fp.c.hash, mp.c.template).join(mp, mp.c.hash == fp.c.message_pattern)
    return {h: t for h, t in conn.execute(stmt)}
