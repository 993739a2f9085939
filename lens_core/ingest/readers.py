"""Readers for CSV, JSON (an array or {"events": [...]}) and JSON Lines telemetry files.

Each reader yields `(row_number, record)` where record is a dict, or a RowError for a row that could not
even be read; a broken row never stops the rows after it. Problems with the file as a whole (missing,
empty, binary, not CSV/JSON) raise InputError before anything is yielded.

Bytes are decoded as UTF-8 with surrogateescape, so an invalid byte sequence stays visible in the one
field that holds it (validation rejects that row by name) instead of failing the whole file.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lens_core.errors import InputError, RowError

Record = dict[str, Any]
RowItem = tuple[int, "Record | RowError"]

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SNIFF_BYTES = 8192

# CSV fields may legitimately be large (HTML error pages); validation, not the reader, enforces the limit.
csv.field_size_limit(sys.maxsize)


def detect_format(path: Path, head: bytes) -> str:
    """By extension first; for other names, by the first non-blank character."""
    known = FORMATS.get(path.suffix.lower())
    if known:
        return known
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first == b"[":
        return "json"
    if first == b"{":
        return "jsonl" if b"\n{" in head else "json"
    raise InputError(f"{path.name}: unknown file type; lens reads .csv, .json and .jsonl files")


def read_file(path: str | Path) -> Iterator[RowItem]:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a telemetry file")
    data = path.read_bytes()
    return read_bytes(data, name=path.name, fmt=detect_format(path, data[:_SNIFF_BYTES]))


def read_bytes(data: bytes, *, name: str, fmt: str) -> Iterator[RowItem]:
    """Rows of an in-memory file (uploads use this directly)."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    _reject_binary(data, name)
    text = _decode(data)
    readers = {"csv": _csv_rows, "json": _json_rows, "jsonl": _jsonl_rows}
    if fmt not in readers:
        raise InputError(f"{name}: unknown format {fmt!r}; lens reads csv, json and jsonl")
    return readers[fmt](text, name)


def _reject_binary(data: bytes, name: str) -> None:
    head = data[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a BOM: decoded below
    if b"\x00" in head:
        raise InputError(f"{name}: binary content (NUL bytes); expected a CSV, JSON or JSON Lines text file")


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="surrogateescape")
    return data.decode("utf-8-sig", errors="surrogateescape")


def _csv_rows(text: str, name: str) -> Iterator[RowItem]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name}: no header row; the first line must name the columns")
    columns = [cell.strip() for cell in header]
    if "evaluation_id" not in columns:
        raise InputError(
            f"{name}: missing required column evaluation_id; found columns: {', '.join(columns)}"
        )
    return _csv_records(reader, columns, name)


def _csv_records(reader: Any, columns: list[str], name: str) -> Iterator[RowItem]:
    row_number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_number += 1
            yield row_number, RowError(f"unreadable CSV: {exc}", source=name, row=row_number)
            continue
        row_number += 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        if len(cells) > len(columns):
            yield row_number, RowError(
                f"{len(cells)} values for {len(columns)} columns (an unquoted comma?)", source=name, row=row_number
            )
            continue
        yield row_number, dict(zip(columns, cells))


def _jsonl_rows(text: str, name: str) -> Iterator[RowItem]:
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield line_number, RowError(f"invalid JSON: {_json_reason(exc)}", source=name, row=line_number)
            continue
        yield line_number, _as_record(value, name, line_number)


def _json_rows(text: str, name: str) -> Iterator[RowItem]:
    pos = _skip_ws(text, 0)
    if text.startswith("[", pos):
        return _array_elements(text, pos + 1, name)
    if text.startswith("{", pos):
        return _events_document(text, name)
    raise InputError(f'{name}: not JSON: expected an array of events or {{"events": [...]}}')


def _events_document(text: str, name: str) -> Iterator[RowItem]:
    """A `{"events": [...]}` document: read whole, since its array cannot be reached element by element."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{name}: invalid JSON: {_json_reason(exc)}") from None
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise InputError(f'{name}: a JSON object must hold the events as a list under "events"')
    return ((index, _as_record(value, name, index)) for index, value in enumerate(events, start=1))


def _array_elements(text: str, pos: int, name: str) -> Iterator[RowItem]:
    """Elements of a top-level array, decoded one at a time.

    Decoding element by element keeps every complete element of a truncated or partly broken file
    and names the first one that is broken.
    """
    decoder = json.JSONDecoder()
    index = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            yield index + 1, RowError("the file ends inside the array (truncated?)", source=name, row=index + 1)
            return
        if text[pos] == "]":
            return
        index += 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield index, RowError(f"invalid JSON: {_json_reason(exc)}; reading stopped here", source=name, row=index)
            return
        yield index, _as_record(value, name, index)
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            yield index + 1, RowError(f"expected ',' or ']' at character {pos}", source=name, row=index + 1)
            return


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _as_record(value: Any, name: str, row: int) -> Record | RowError:
    if isinstance(value, dict):
        return value
    kind = type(value).__name__ if value is not None else "null"
    return RowError(f"expected an object with the event's fields, got {kind}", source=name, row=row)


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "nested too deeply"
