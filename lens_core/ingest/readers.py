"""Readers for CSV, JSON (an array or {"events": [...]}) and JSON Lines telemetry files.

Each reader yields `(row_number, record)` where record is a dict, or a RowError for a row that could not
even be read; a broken row never stops the rows after it. Problems with the file as a whole (missing,
empty, binary, not CSV/JSON) raise InputError before anything is yielded.

Encodings: UTF-8 (with or without a BOM), UTF-16 (with a BOM, or ASCII-range text without one), and
legacy 8-bit files (Latin-1 / Windows-1252: no valid UTF-8 multi-byte sequence anywhere, logged). A UTF-8
file with a few invalid bytes is decoded with surrogateescape, so an invalid byte stays visible in the one
field that holds it (validation rejects that row by name) instead of failing the whole file.
CSV columns may be separated by ",", ";", tab or "|": the one that makes the header name evaluation_id.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lens_core.errors import InputError, RowError

log = logging.getLogger(__name__)

Record = dict[str, Any]
RowItem = tuple[int, "Record | RowError"]

FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SNIFF_BYTES = 8192
REQUIRED_COLUMNS = ("evaluation_id", "customer_prompt", "skill_output")
_DELIMITERS = (",", ";", "\t", "|")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Control bytes that no text file holds in quantity (tab, newlines, form feed and ESC are text).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_ARCHIVES = {b"PK\x03\x04": "a ZIP archive or an Excel .xlsx workbook", b"\x1f\x8b": "a gzip archive",
             b"\xd0\xcf\x11\xe0": "an Excel .xls workbook", b"%PDF": "a PDF document"}

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
    if not data or data.isspace():  # isspace stops at the first other byte; strip() would copy the file
        raise InputError(f"{name}: the file is empty")
    text = _decode(data, name)
    if not text or text.isspace():
        raise InputError(f"{name}: the file is empty")
    readers = {"csv": _csv_rows, "json": _json_rows, "jsonl": _jsonl_rows}
    if fmt not in readers:
        raise InputError(f"{name}: unknown format {fmt!r}; lens reads csv, json and jsonl")
    return readers[fmt](text, name)


def _decode(data: bytes, name: str) -> str:
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="surrogateescape")
    utf16 = _utf16_without_bom(data[:_SNIFF_BYTES])
    if utf16:
        return data.decode(utf16, errors="surrogateescape")
    _reject_binary(data, name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if not _UTF8_MULTIBYTE.search(data):  # not one UTF-8 sequence: a legacy 8-bit file, not a broken UTF-8 one
        log.warning("%s is not UTF-8: read as Windows-1252 (Latin-1)", name)
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
            return data.decode("latin-1")
    return data.decode("utf-8-sig", errors="surrogateescape")


def _utf16_without_bom(head: bytes) -> str | None:
    """ "a\0b\0" (or "\0a\0b"): ASCII-range text in UTF-16 without a byte-order mark."""
    if len(head) < 4 or b"\x00" not in head[:64]:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.7 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.7 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def _reject_binary(data: bytes, name: str) -> None:
    """Binary content is refused as a whole; a stray NUL in a text file is left to row validation."""
    head = data[:_SNIFF_BYTES]
    kind = next((what for magic, what in _ARCHIVES.items() if head.startswith(magic)), None)
    if kind:
        raise InputError(f"{name}: this is {kind}, not a text file; export or save it as CSV, JSON or JSON Lines")
    controls = len(head) - len(head.translate(None, _CONTROL))
    if b"\x00" in head and controls * 20 > len(head):  # over 5% control bytes, NUL among them
        raise InputError(
            f"{name}: binary content (NUL and control bytes); expected a CSV, JSON or JSON Lines text file"
        )


def _csv_rows(text: str, name: str) -> Iterator[RowItem]:
    lines = _Lines(text)
    # strict: a quote left open, or text after a closing quote, is reported instead of silently
    # swallowing the rows after it into one value.
    reader = csv.reader(lines, delimiter=_delimiter(text), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}: the header row is not readable CSV: {exc}") from None
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name}: no header row; the first line must name the columns")
    columns = [cell.strip() for cell in header]
    missing = _check_columns(columns, name)
    return _csv_records(reader, lines, columns, name, missing)


class _Lines:
    """The file's lines for csv.reader, ends kept; `rewind` re-reads lines that a broken quote swallowed."""

    def __init__(self, text: str) -> None:
        # str.splitlines is C-fast but also ends lines at \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, which
        # CSV keeps inside a line: it serves only texts free of them (most files), the regex the rest.
        # (One substring search per character: five times faster than a regex class over a whole file.)
        other_line_ends = any(end in text for end in _OTHER_LINE_ENDS)
        self.lines = _LINE.findall(text) if other_line_ends else text.splitlines(keepends=True)
        self.pos = 0  # lines handed out so far: the number of the last one

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]

    def rewind(self, line: int) -> None:
        self.pos = line - 1


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_OTHER_LINE_ENDS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _delimiter(text: str) -> str:
    """The separator that makes the header name evaluation_id (",", ";", tab or "|"); "," otherwise."""
    first_line = _NEWLINE.split(text[:65536], maxsplit=1)[0]
    for delimiter in _DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "evaluation_id" in (cell.strip() for cell in cells):
            return delimiter
    return ","


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _check_columns(columns: list[str], name: str) -> list[str]:
    """The required columns the header lacks. Without evaluation_id no row can even be named, so the
    file is refused; without another required column each row is rejected, saying so."""
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if "evaluation_id" in missing:
        raise InputError(f"{name}: missing required column evaluation_id; found columns: {_clip(', '.join(columns))}")
    repeated = sorted({column for column in columns if column and columns.count(column) > 1})
    if repeated:
        raise InputError(f"{name}: the header names column {', '.join(repeated)} more than once")
    return missing


def _csv_records(reader: Any, lines: _Lines, columns: list[str], name: str, missing: list[str]) -> Iterator[RowItem]:
    row_number = data_rows = 0
    while True:
        first = lines.pos + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_number += 1
            data_rows += 1
            yield row_number, RowError(_csv_problem(exc, first, lines.pos), source=name, row=row_number)
            lines.rewind(first + 1)  # the lines a broken quote swallowed are rows of their own
            continue
        row_number += 1
        if not any(map(str.strip, cells)):
            continue  # blank lines are not rows (but keep their numbers, as a spreadsheet does)
        data_rows += 1
        if len(cells) > len(columns):
            yield row_number, RowError(
                f"{len(cells)} values for {len(columns)} columns (an unquoted separator?)", source=name, row=row_number
            )
            continue
        if missing:
            yield row_number, RowError(f"required, and the file has no {missing[0]} column", source=name,
                                       row=row_number, field=missing[0])
            continue
        yield row_number, dict(zip(columns, cells))
    if data_rows == 0:
        raise InputError(f"{name}: the header names the columns but no data rows follow")


def _csv_problem(exc: csv.Error, first: int, last: int) -> str:
    if first < last or "unexpected end of data" in str(exc):
        return (f"unreadable CSV (line {first}): a quoted value opened on this line is not closed where it "
                "should be; the line was skipped and the lines after it read on their own")
    if "expected after" in str(exc):
        return (f"unreadable CSV (line {first}): text after a closing quote "
                '(a quote inside a quoted value is written "")')
    return f"unreadable CSV (line {first}): {exc}"


def _jsonl_rows(text: str, name: str) -> Iterator[RowItem]:
    # Lines end at "\n" only: str.splitlines() would also cut at U+2028 and other separators that JSON
    # allows inside a string.
    for line_number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
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
    if not events:
        raise InputError(f'{name}: the "events" list is empty')
    return ((index, _as_record(value, name, index)) for index, value in enumerate(events, start=1))


def _array_elements(text: str, pos: int, name: str) -> Iterator[RowItem]:
    """Elements of a top-level array, decoded one at a time.

    Decoding element by element keeps every complete element of a truncated or partly broken file.
    A broken element whose brackets still balance (a syntax error inside it, or nesting deeper than
    Python's decoder goes) is skipped and reading goes on after it; otherwise reading stops there, and
    the message says so.
    """
    decoder = json.JSONDecoder()
    index = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            yield index + 1, RowError("the file ends inside the array (truncated?)", source=name, row=index + 1)
            return
        if text[pos] == "]":
            if index == 0:
                raise InputError(f"{name}: the array holds no events")
            return
        index += 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            end = _balanced_end(text, pos)
            if end is None:
                reason = f"invalid JSON: {_json_reason(exc)}; {_stopped(text, pos)}"
                yield index, RowError(reason, source=name, row=index)
                return
            yield index, RowError(f"invalid JSON: {_json_reason(exc)}; this event was skipped", source=name, row=index)
            value, pos = None, end
        else:
            yield index, _as_record(value, name, index)
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] != "]":
            yield index + 1, RowError(
                f"expected ',' or ']' at character {pos}; reading stopped here", source=name, row=index + 1
            )
            return


def _stopped(text: str, pos: int) -> str:
    if _balanced_end(text, pos, to_end=True) is None:
        return "the file ends inside this event (truncated?)"
    return "reading stopped here: the events after it were not read"


def _balanced_end(text: str, pos: int, *, to_end: bool = False) -> int | None:
    """Where the object or array starting at `pos` closes (strings skipped), if it closes and is
    followed by "," or "]"; None otherwise. to_end: only say whether it closes before the end."""
    if pos >= len(text) or text[pos] not in "[{":
        return None
    depth, i, n = 0, pos, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            i = _string_end(text, i + 1)
            if i < 0:
                return None
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                if to_end:
                    return i + 1
                after = _skip_ws(text, i + 1)
                return i + 1 if after < n and text[after] in ",]" else None
        i += 1
    return None


def _string_end(text: str, i: int) -> int:
    """Index of the quote closing a JSON string whose content starts at i; -1 if it never closes."""
    while True:
        quote = text.find('"', i)
        if quote < 0:
            return -1
        backslashes = 0
        while text[quote - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return quote
        i = quote + 1


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _as_record(value: Any, name: str, row: int) -> Record | RowError:
    if isinstance(value, dict):
        return value
    return RowError(f"expected an object with the event's fields, got {_json_kind(value)}", source=name, row=row)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "text" if isinstance(value, str) else "a list"


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return "nested too deeply (lens reads JSON up to several hundred levels deep)"


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
