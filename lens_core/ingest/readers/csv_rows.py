"""CSV telemetry, read line by line as the text streams in (lens_core.ingest.readers.text).

Columns may be separated by ",", ";", tab or "|": the one that makes the header name evaluation_id.
A broken quote costs only its own line: strict parsing reports a quote left open (or text after a
closing quote) instead of silently swallowing the rows after it into one value, and the lines it
swallowed are read again as rows of their own.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from typing import Any

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import RowItem, check_columns, missing_column
from lens_core.ingest.readers.mapping import ColumnMap
from lens_core.ingest.readers.text import Text

_DELIMITERS = (",", ";", "\t", "|")
# CSV fields may legitimately be large (HTML error pages); validation, not the reader, enforces the limit.
csv.field_size_limit(sys.maxsize)


def csv_rows(text: Text, name: str, mapping: ColumnMap | None = None) -> Iterator[RowItem]:
    """The rows of a CSV text; a header that names no evaluation_id refuses the file here, at once."""
    lines = _Lines(text.blocks())
    reader = csv.reader(lines, delimiter=_delimiter(text.head), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}: the header row is not readable CSV: {exc}") from None
    if not header or not any(cell.strip() for cell in header):
        raise InputError(f"{name}: no header row; the first line must name the columns")
    columns: list[str | None] = [cell.strip() for cell in header]
    if mapping is not None:
        columns = mapping.header(columns, name)  # None: a column the mapping leaves unread
    missing = check_columns([c for c in columns if c is not None], name)
    return _records(reader, lines, columns, name, missing)


class _Lines:
    """The text's lines for csv.reader, ends kept, read a block at a time; `rewind` re-reads lines that a
    broken quote swallowed. Only the lines of the row being read are held (and those of a quote left
    open, which csv itself holds too)."""

    def __init__(self, blocks: Iterator[str]) -> None:
        self.batches = _line_batches(blocks)
        self.held: list[str] = []  # lines from number `base + 1` on
        self.base = 0
        self.pos = 0  # lines handed out so far: the number of the last one

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        while self.pos - self.base >= len(self.held):
            self.held.extend(next(self.batches))  # StopIteration ends the text, as it ends the reader
        self.pos += 1
        return self.held[self.pos - 1 - self.base]

    def rewind(self, line: int) -> None:
        self.pos = line - 1

    def forget(self) -> None:
        """Drop the lines handed out (a row starts at the next one): now and then, all at once."""
        done = self.pos - self.base
        if done == len(self.held) or done >= 4096:
            del self.held[:done]
            self.base = self.pos


def _line_batches(blocks: Iterator[str]) -> Iterator[list[str]]:
    """Each block's complete lines, ends kept; a line that goes on into the next block waits for it (and
    so does a final "\\r", which a "\\n" may follow)."""
    pending: list[str] = []
    for block in blocks:
        cut = max(block.rfind("\n"), block.rfind("\r", 0, len(block) - 1)) + 1
        if not cut:
            pending.append(block)
            continue
        text = "".join(pending) + block[:cut] if pending else block[:cut]
        pending = [block[cut:]] if cut < len(block) else []
        yield _split(text)
    if pending:
        yield _split("".join(pending))


def _split(text: str) -> list[str]:
    # str.splitlines is C-fast but also ends lines at \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, which
    # CSV keeps inside a line: it serves only texts free of them (most blocks), the regex the rest.
    # (One substring search per character: five times faster than a regex class over a whole block.)
    if any(end in text for end in _OTHER_LINE_ENDS):
        return _LINE.findall(text)
    return text.splitlines(keepends=True)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_OTHER_LINE_ENDS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _delimiter(head: str) -> str:
    """The separator that makes the header name evaluation_id (",", ";", tab or "|"); "," otherwise."""
    first_line = _NEWLINE.split(head[:65536], maxsplit=1)[0]
    for delimiter in _DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if "evaluation_id" in (cell.strip() for cell in cells):
            return delimiter
    return ","


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _records(reader: Any, lines: _Lines, columns: list[str | None], name: str, missing: list[str]
             ) -> Iterator[RowItem]:
    row_number = data_rows = 0
    unread = None in columns
    while True:
        lines.forget()
        first = lines.pos + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_number += 1
            data_rows += 1
            yield row_number, RowError(_problem(exc, first, lines.pos), source=name, row=row_number)
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
            yield row_number, missing_column(missing, name, row_number)
            continue
        record = dict(zip(columns, cells))
        if unread:
            record.pop(None, None)  # (a short row may not reach it)
        yield row_number, record
    if data_rows == 0:
        raise InputError(f"{name}: the header names the columns but no data rows follow")


def _problem(exc: csv.Error, first: int, last: int) -> str:
    if first < last or "unexpected end of data" in str(exc):
        return (f"unreadable CSV (line {first}): a quoted value opened on this line is not closed where it "
                "should be; the line was skipped and the lines after it read on their own")
    if "expected after" in str(exc):
        return (f"unreadable CSV (line {first}): text after a closing quote "
                '(a quote inside a quoted value is written "")')
    return f"unreadable CSV (line {first}): {exc}"
