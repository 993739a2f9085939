"""One chunk of raw rows -> the rows the database stores: validate, parse, fingerprint, bind.

This is the CPU-heavy part of ingest, and it runs in worker processes (lens_core.ingest.parallel), so
it takes and returns plain, cheaply pickled data: raw records in, tuples of database-ready values out
(already through each column's bind processor for the target dialect, as SQLAlchemy would send them).
The calling process is left with reading the file, skipping ids seen before, and the INSERTs.

Events whose evaluation_id the caller found already stored are validated (a bad row is still reported)
but not parsed: re-running a file costs little.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Dialect, make_url

from lens_core.errors import RowError
from lens_core.ingest.validate import validate_record
from lens_core.parse.fingerprint import Fingerprinter
from lens_core.parse.parsing import ErrorParser
from lens_core.storage.bind import bind_rows
from lens_core.storage.models import FailureFingerprint, TelemetryEventRow, utcnow

EVENT_COLUMNS = (
    "evaluation_id", "customer_prompt", "skill_input", "skill_output", "ai_output", "timestamp", "user_id",
    "tenant_id", "release", "attributes", "plugin", "endpoint", "endpoint_template", "http_method", "status_code",
    "error_code", "error_type", "error_message", "error_form", "fingerprint", "source", "ingested_at",
)
FINGERPRINT_COLUMNS = (
    "hash", "version", "plugin", "endpoint_template", "status_code", "error_code", "message_template", "created_at",
)
EVENT_ID = EVENT_COLUMNS.index("evaluation_id")
EVENT_FINGERPRINT = EVENT_COLUMNS.index("fingerprint")


@dataclass(frozen=True)
class RowIssue:
    """A rejected row: where (row number, field) and why."""

    row: int | None
    field: str | None
    reason: str

    @classmethod
    def of(cls, error: RowError) -> RowIssue:
        return cls(row=error.row, field=error.field, reason=error.reason)


@dataclass
class Prepared:
    """A chunk, ready to store. `events` keeps the file's order; every event's evaluation_id is new to
    the database as far as the caller's lookup knew (a row stored meanwhile is left to the INSERT)."""

    issues: list[RowIssue] = field(default_factory=list)  # rejected rows, in row order
    already_stored: int = 0  # valid rows whose evaluation_id the database held
    events: list[tuple[Any, ...]] = field(default_factory=list)  # EVENT_COLUMNS order
    fingerprints: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # hash -> FINGERPRINT_COLUMNS order


RawItem = tuple[int, "dict[str, Any] | RowIssue"]


@dataclass(frozen=True)
class Chunk:
    """What a worker gets: raw rows with their numbers (or the reader's issue for a row it could not
    read), and the evaluation_ids among them that the database already holds."""

    items: list[RawItem]
    stored_ids: frozenset[str] = frozenset()


def prepare_chunk(chunk: Chunk, *, source: str, max_chars: int, driver: str) -> Prepared:
    """`driver`: the engine's dialect+driver name ("sqlite", "postgresql+psycopg"); values are bound for it."""
    parser, fingerprinter = ErrorParser(), Fingerprinter()
    out = Prepared()
    now = utcnow()
    source_label = source[:500]
    events, fingerprints = [], {}
    for row_number, record in chunk.items:
        if isinstance(record, RowIssue):
            out.issues.append(record)
            continue
        try:
            event = validate_record(record, source=source, row=row_number, max_chars=max_chars)
        except RowError as err:
            out.issues.append(RowIssue.of(err))
            continue
        if event.evaluation_id in chunk.stored_ids:
            out.already_stored += 1
            continue
        parsed = parser.parse(event.skill_output, skill_input=event.skill_input)
        fp = fingerprinter.fingerprint(parsed)
        plugin, status = _clip(parsed.plugin, 200), _http_status(parsed.status_code)
        if fp.hash not in fingerprints:
            fingerprints[fp.hash] = (fp.hash, fp.version, plugin, parsed.endpoint_template, status,
                                     _clip(fp.fields.get("error_code"), 300), fp.message_template, now)
        events.append((
            event.evaluation_id, event.customer_prompt, event.skill_input, event.skill_output, event.ai_output,
            event.timestamp, event.user_id, event.tenant_id, event.release, event.attributes, plugin, parsed.endpoint,
            parsed.endpoint_template, _clip(parsed.http_method, 16), status, _clip(parsed.error_code, 300),
            _clip(parsed.error_type, 300), parsed.message, parsed.form, fp.hash, source_label, now,
        ))
    dialect = _dialect(driver)
    out.events = bind_rows(dialect, TelemetryEventRow.__table__, EVENT_COLUMNS, events)
    bound = bind_rows(dialect, FailureFingerprint.__table__, FINGERPRINT_COLUMNS, list(fingerprints.values()))
    out.fingerprints = dict(zip(fingerprints, bound, strict=True))
    return out


def fingerprints_of(events: Iterable[tuple[Any, ...]], prepared: Prepared) -> list[tuple[Any, ...]]:
    """The fingerprint rows these events refer to, sorted by hash."""
    used = {event[EVENT_FINGERPRINT] for event in events}
    return [prepared.fingerprints[key] for key in sorted(used)]


@functools.cache
def _dialect(driver: str) -> Dialect:
    return make_url(f"{driver}://").get_dialect()()


def _clip(value: str | None, limit: int) -> str | None:
    """Parsed labels go into bounded columns; a longer one is cut rather than failing the whole file."""
    return value[:limit] if value is not None else None


def _http_status(code: int | None) -> int | None:
    return code if code is not None and 100 <= code <= 599 else None
