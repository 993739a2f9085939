"""Ingest: validate each row, parse its error, fingerprint it and store it, a chunk per transaction.

Re-running is safe: an evaluation_id already stored (or seen earlier in the same file) is counted as a
duplicate and changes nothing. A bad row is reported with its number and reason and never stops the rest.

Each chunk of CHUNK_SIZE events commits on its own, so a file of millions of rows never holds the
database's write lock for minutes (the API and the dashboard keep writing beside it) and several ingests
write side by side. An ingest that stops midway (killed, or the database refused a write) keeps the
chunks it committed; running it again stores the rest, each event once. Rows are inserted sorted by key,
so that two concurrent PostgreSQL transactions wait for each other's rows in one order, never in a cycle
(a deadlock): concurrent ingests of overlapping files deadlocked before.

Every ingest, whatever surface called it (CLI, API, dashboard), ends in _ingest, which re-mines the
message patterns once its events are stored (lens_core.ingest.message_patterns).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from lens_core.errors import RowError, StorageError
from lens_core.ingest.message_patterns import refresh_if_needed
from lens_core.ingest.parallel import map_chunks, warm_up
from lens_core.ingest.prepare import (
    EVENT_COLUMNS,
    EVENT_ID,
    FINGERPRINT_COLUMNS,
    Chunk,
    Prepared,
    RawItem,
    RowIssue,
    fingerprints_of,
    prepare_chunk,
)
from lens_core.ingest.readers import ColumnMap, RowItem, read_bytes, read_file
from lens_core.ingest.validate import valid_id
from lens_core.storage import events as event_store

log = logging.getLogger(__name__)

CHUNK_SIZE = 2000
_POOL_WORTHY_BYTES = 4 * 1024 * 1024  # a file this large holds many chunks: it will use the pool
DEFAULT_MAX_CHARS = 1_000_000


@dataclass
class IngestReport:
    source: str
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # how columns were mapped to fields (readers.mapping)

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
    path: str | Path, *, engine: Engine, max_chars: int = DEFAULT_MAX_CHARS, workers: int | None = None,
    mapping: ColumnMap | None = None,
) -> IngestReport:
    """Ingest one file; InputError if the file as a whole cannot be read, or the mapping does not fit its
    columns (nothing is written then).

    workers: processes that parse and fingerprint (lens_core.ingest.parallel); None: one per core.
    mapping: which columns are which fields (readers.mapping); None guesses from common names.
    """
    path = Path(path)
    mapping = mapping or ColumnMap()
    if path.is_file() and path.stat().st_size > _POOL_WORTHY_BYTES:
        warm_up(workers)  # the workers' fork server starts while the file is read
    report = _ingest(read_file(path, mapping=mapping), source=path.name, engine=engine, max_chars=max_chars,
                     workers=workers)
    report.notes = list(mapping.notes)
    return report


def ingest_bytes(
    data: bytes, *, name: str, engine: Engine, fmt: str | None = None, max_chars: int = DEFAULT_MAX_CHARS,
    workers: int | None = None, mapping: ColumnMap | None = None,
) -> IngestReport:
    """Ingest an uploaded file held in memory, of any type read_file takes (compressed too); `fmt` (csv,
    json, jsonl or parquet) overrides the format its name and content give."""
    mapping = mapping or ColumnMap()
    rows = read_bytes(data, name=name, fmt=fmt, mapping=mapping)
    report = _ingest(rows, source=name, engine=engine, max_chars=max_chars, workers=workers)
    report.notes = list(mapping.notes)
    return report


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
    prepare = functools.partial(prepare_chunk, source=source, max_chars=max_chars, driver=_driver(engine))
    try:
        for prepared in map_chunks(prepare, _chunks(engine, rows), workers):
            report.rejected.extend(prepared.issues)
            report.duplicates += prepared.already_stored
            events = _first_seen(prepared.events)
            report.duplicates += len(prepared.events) - len(events)
            if events:
                stored = _store_chunk(engine, events, prepared)
                report.accepted += stored
                report.duplicates += len(events) - stored  # stored by another writer meanwhile
        refresh_if_needed(engine=engine, stored_events=report.accepted)
    except SQLAlchemyError as exc:
        raise StorageError(f"{source}: {_kept(report)}the database refused the write: {_reason(exc)}") from None
    except UnicodeError as exc:  # validation cleans text; a driver that still cannot encode a value says so here
        raise StorageError(f"{source}: {_kept(report)}a value could not be encoded for the database: "
                           f"{exc.reason}") from None
    report.seconds = time.perf_counter() - started
    log.info(report.summary_line())
    return report


def _driver(engine: Engine) -> str:
    dialect = engine.dialect
    return f"{dialect.name}+{dialect.driver}"


def _chunks(engine: Engine, rows: Iterable[RowItem]) -> Iterator[Chunk]:
    """The input in chunks of CHUNK_SIZE rows, each with the evaluation_ids among them that the database
    already holds: re-running a file parses nothing again. (A row another process stores meanwhile is
    still caught by the insert's ON CONFLICT.) A row the reader could not read travels as its issue."""
    items: list[RawItem] = []
    # Into a database that held no events when the ingest began (a first load), there is nothing to look
    # up. Asked once the first chunk is full, before anything of this ingest is stored; an input of one
    # chunk (an API request) is looked up directly, without that extra query.
    look_up: bool | None = None
    for row_number, record in rows:
        if isinstance(record, RowError):
            items.append((row_number, RowIssue.of(record)))
        else:
            items.append((row_number, record))
        if len(items) >= CHUNK_SIZE:
            if look_up is None:
                look_up = _holds_events(engine)
            yield Chunk(items, _stored_ids(engine, items) if look_up else frozenset())
            items = []
    if items:
        yield Chunk(items, frozenset() if look_up is False else _stored_ids(engine, items))


def _holds_events(engine: Engine) -> bool:
    return event_store.holds_events(engine=engine)


def _stored_ids(engine: Engine, items: list[RawItem]) -> frozenset[str]:
    """Which of the rows' ids are stored (a few short reads, outside any write transaction).
    Ids are taken as validation will write them; one it refuses is left out (it is never stored, and one
    holding a NUL or invalid UTF-8 cannot even be sent to PostgreSQL as a query parameter)."""
    ids = [valid_id(record.get("evaluation_id")) for _, record in items if isinstance(record, dict)]
    ids = [i for i in ids if i is not None]
    return event_store.stored_evaluation_ids(engine=engine, ids=ids)


def _first_seen(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The chunk's events without a repeated evaluation_id: in a file, the first occurrence wins. An id
    repeated in a later chunk is found stored by then (the chunk's lookup, or the insert's ON CONFLICT),
    so nothing here grows with the file: memory stays bounded however many events a file holds."""
    seen: set[str] = set()
    kept = []
    for event in events:
        key = event[EVENT_ID]
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept


def _kept(report: IngestReport) -> str:
    """How a failed ingest left the database, for the start of its message."""
    if not report.accepted:
        return "nothing was stored, "
    return (f"the first {report.accepted:,} new events were stored (run the ingest again to store the rest, "
            "each event once), then ")


def _store_chunk(engine: Engine, events: list[tuple[Any, ...]], prepared: Prepared) -> int:
    """Insert the events' fingerprints and the events in one transaction; returns how many events were new.
    Sorted by key: see the module's note. (The chunk's stored ids were left out when it was prepared.)"""
    return event_store.insert_event_chunk(
        engine=engine, fingerprint_columns=FINGERPRINT_COLUMNS, fingerprints=fingerprints_of(events, prepared),
        event_columns=EVENT_COLUMNS, events=sorted(events, key=itemgetter(EVENT_ID)),
    )


def _reason(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
