"""Ingest: validate each row, parse its error, fingerprint it and store it, a chunk per transaction.

Re-running is safe: an evaluation_id already stored (or seen earlier in the same file) is counted as a
duplicate and changes nothing. A bad row is reported with its number and reason and never stops the rest.

Each chunk of CHUNK_SIZE events commits on its own, so a file of millions of rows never holds the
database's write lock for minutes (the API and the dashboard keep writing beside it) and several ingests
write side by side. An ingest that stops midway (killed, or the database refused a write) keeps the
chunks it committed; running it again stores the rest, each event once. Rows are inserted sorted by key,
so that two concurrent PostgreSQL transactions wait for each other's rows in one order, never in a cycle
(a deadlock): concurrent ingests of overlapping files deadlocked before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lens_core.errors import RowError, StorageError
from lens_core.ingest.parallel import Parsed, parse_chunks
from lens_core.ingest.readers import RowItem, read_bytes, read_file
from lens_core.ingest.validate import validate_record
from lens_core.schema import TelemetryEvent
from lens_core.storage.engine import insert_rows
from lens_core.storage.models import FailureFingerprint, TelemetryEventRow, utcnow

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
_IN_CHUNK = 900  # ids per IN (...) lookup: under SQLite's oldest limit on bound parameters
DEFAULT_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class RowIssue:
    row: int | None
    field: str | None
    reason: str


@dataclass
class IngestReport:
    source: str
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.accepted + self.duplicates + len(self.rejected)

    def summary_line(self) -> str:
        return (
            f"{self.source}: {self.accepted} accepted, {self.duplicates} duplicates, "
            f"{len(self.rejected)} rejected ({self.seconds:.2f} s)"
        )

    def issue_lines(self) -> list[str]:
        return [
            f"{self.source}: row {i.row}{f', field {i.field}' if i.field else ''}: {i.reason}" for i in self.rejected
        ]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected_count"] = len(self.rejected)
        return data


def ingest_file(
    path: str | Path, *, engine: Engine, max_chars: int = DEFAULT_MAX_CHARS, workers: int | None = None
) -> IngestReport:
    """Ingest one file; InputError if the file as a whole cannot be read (nothing is written then).

    workers: processes that parse and fingerprint (lens_core.ingest.parallel); None: one per core.
    """
    path = Path(path)
    return _ingest(read_file(path), source=path.name, engine=engine, max_chars=max_chars, workers=workers)


def ingest_bytes(
    data: bytes, *, name: str, fmt: str, engine: Engine, max_chars: int = DEFAULT_MAX_CHARS,
    workers: int | None = None,
) -> IngestReport:
    """Ingest an uploaded file held in memory; `fmt` is csv, json or jsonl."""
    rows = read_bytes(data, name=name, fmt=fmt)
    return _ingest(rows, source=name, engine=engine, max_chars=max_chars, workers=workers)


def ingest_records(
    records: Iterable[Any], *, engine: Engine, source: str = "records", max_chars: int = DEFAULT_MAX_CHARS,
    workers: int | None = None,
) -> IngestReport:
    """Ingest Python dicts (the API and tests); rows are numbered from 1 in the order given."""
    rows: Iterator[RowItem] = (
        (n, rec if isinstance(rec, dict) else RowError("expected an object", source=source, row=n))
        for n, rec in enumerate(records, start=1)
    )
    return _ingest(rows, source=source, engine=engine, max_chars=max_chars, workers=workers)


def _ingest(
    rows: Iterable[RowItem], *, source: str, engine: Engine, max_chars: int, workers: int | None
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport(source=source)
    seen: dict[str, int] = {}
    try:
        valid = _valid_chunks(rows, report, seen, source, max_chars)
        for chunk, parsed in parse_chunks(_not_stored(engine, valid, report), workers):
            with engine.begin() as conn:
                stored = _store_chunk(conn, chunk, parsed, source)
            report.accepted += stored
            report.duplicates += len(chunk) - stored
    except SQLAlchemyError as exc:
        raise StorageError(f"{source}: {_kept(report)}the database refused the write: {_reason(exc)}") from None
    except UnicodeError as exc:  # validation cleans text; a driver that still cannot encode a value says so here
        raise StorageError(f"{source}: {_kept(report)}a value could not be encoded for the database: "
                           f"{exc.reason}") from None
    report.seconds = time.perf_counter() - started
    log.info(report.summary_line())
    return report


def _valid_chunks(
    rows: Iterable[RowItem], report: IngestReport, seen: dict[str, int], source: str, max_chars: int
) -> Iterator[list[TelemetryEvent]]:
    chunk: list[TelemetryEvent] = []
    for row_number, record in rows:
        try:
            if isinstance(record, RowError):
                raise record
            event = validate_record(record, source=source, row=row_number, max_chars=max_chars)
        except RowError as err:
            report.rejected.append(RowIssue(row=err.row, field=err.field, reason=err.reason))
            continue
        if event.evaluation_id in seen:
            report.duplicates += 1  # repeated inside this file: the first occurrence wins
            continue
        seen[event.evaluation_id] = row_number
        chunk.append(event)
        if len(chunk) >= CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _kept(report: IngestReport) -> str:
    """How a failed ingest left the database, for the start of its message."""
    if not report.accepted:
        return "nothing was stored, "
    return (f"the first {report.accepted:,} new events were stored (run the ingest again to store the rest, "
            "each event once), then ")


def _not_stored(
    engine: Engine, chunks: Iterable[list[TelemetryEvent]], report: IngestReport
) -> Iterator[list[TelemetryEvent]]:
    """Chunks without the events already stored, counted as duplicates: re-running a file parses nothing
    again. (A row another process stores meanwhile is still caught by the insert's ON CONFLICT.) Each
    lookup is its own short read, outside the chunk's write transaction."""
    ids_column = TelemetryEventRow.__table__.c.evaluation_id
    for chunk in chunks:
        ids = [event.evaluation_id for event in chunk]
        stored: set[str] = set()
        with engine.connect() as conn:
            for start in range(0, len(ids), _IN_CHUNK):
                part = ids[start : start + _IN_CHUNK]
                stored.update(conn.execute(select(ids_column).where(ids_column.in_(part))).scalars())
        report.duplicates += len(stored)
        new = [event for event in chunk if event.evaluation_id not in stored]
        if new:
            yield new


def _store_chunk(conn: Connection, events: list[TelemetryEvent], parsed: Parsed, source: str) -> int:
    """Insert the chunk's fingerprints and events; returns how many events were new."""
    fingerprints: dict[str, dict[str, Any]] = {}
    event_rows = []
    now = utcnow()
    for event, (error, fp) in zip(events, parsed, strict=True):
        if fp.hash not in fingerprints:
            fingerprints[fp.hash] = _fingerprint_row(fp, error, now)
        event_rows.append(_event_row(event, error, fp.hash, source, now))
    # Sorted by key: see the module's note.
    _insert_dicts(conn, FailureFingerprint.__table__, [fingerprints[key] for key in sorted(fingerprints)], "hash")
    event_rows.sort(key=lambda row: row["evaluation_id"])
    # likely_new: _not_stored has just left out the stored events
    return _insert_dicts(conn, TelemetryEventRow.__table__, event_rows, "evaluation_id", likely_new=True)


def _insert_dicts(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str, likely_new: bool = False) -> int:
    """New rows only (an existing key is skipped); how many went in."""
    columns = list(rows[0])
    return insert_rows(conn, table, columns, [tuple(row.values()) for row in rows], skip_conflicts_on=key,
                       likely_new=likely_new)


def _fingerprint_row(fp: Any, parsed: Any, now: Any) -> dict[str, Any]:
    return {
        "hash": fp.hash,
        "version": fp.version,
        "plugin": _clip(parsed.plugin, 200),
        "endpoint_template": parsed.endpoint_template,
        "status_code": _http_status(parsed.status_code),
        "error_code": _clip(fp.fields.get("error_code"), 300),
        "message_template": fp.message_template,
        "created_at": now,
    }


def _event_row(event: TelemetryEvent, parsed: Any, fingerprint: str, source: str, now: Any) -> dict[str, Any]:
    return {
        "evaluation_id": event.evaluation_id,
        "customer_prompt": event.customer_prompt,
        "skill_input": event.skill_input,
        "skill_output": event.skill_output,
        "ai_output": event.ai_output,
        "timestamp": event.timestamp,
        "user_id": event.user_id,
        "tenant_id": event.tenant_id,
        "attributes": event.attributes,
        "plugin": _clip(parsed.plugin, 200),
        "endpoint": parsed.endpoint,
        "endpoint_template": parsed.endpoint_template,
        "http_method": _clip(parsed.http_method, 16),
        "status_code": _http_status(parsed.status_code),
        "error_code": _clip(parsed.error_code, 300),
        "error_type": _clip(parsed.error_type, 300),
        "error_message": parsed.message,
        "error_form": parsed.form,
        "fingerprint": fingerprint,
        "source": source[:500],
        "ingested_at": now,
    }


def _clip(value: str | None, limit: int) -> str | None:
    """Parsed labels go into bounded columns; a longer one is cut rather than failing the whole file."""
    return value[:limit] if value is not None else None


def _http_status(code: int | None) -> int | None:
    return code if code is not None and 100 <= code <= 599 else None


def _reason(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
