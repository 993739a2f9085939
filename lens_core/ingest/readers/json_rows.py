"""JSON telemetry: an array of events (or `{"events": [...]}`), and JSON Lines, one event a line.

JSON Lines is read line by line as the text streams in; a broken line costs only itself. A JSON document
is read whole (its array is decoded element by element, so a truncated or partly broken file keeps every
complete event); files too large to hold are better written as JSON Lines, CSV or Parquet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import Record, RowItem
from lens_core.ingest.readers.otlp import is_otlp, otlp_rows


def jsonl_rows(blocks: Iterator[str], name: str) -> Iterator[RowItem]:
    for line_number, line in enumerate(_lines(blocks), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield line_number, RowError(f"invalid JSON: {_json_reason(exc)}", source=name, row=line_number)
            continue
        if is_otlp(value):  # a line of an OTLP trace export: its tool-error spans are the events
            yield from _otlp_line(value, name, line_number)
            continue
        yield line_number, _as_record(value, name, line_number)


def _otlp_line(value: dict, name: str, line: int) -> Iterator[RowItem]:
    try:
        yield from otlp_rows(value, name, line=line)
    except InputError as exc:  # a broken line costs only itself
        yield line, RowError(str(exc).removeprefix(f"{name}: line {line}: "), source=name, row=line)


def _lines(blocks: Iterator[str]) -> Iterator[str]:
    """Lines end at "\\n" only: str.splitlines() would also cut at U+2028 and other separators that JSON
    allows inside a string. A line that goes on into the next block waits for it."""
    pending: list[str] = []
    for block in blocks:
        cut = block.rfind("\n")
        if cut < 0:
            pending.append(block)
            continue
        text = "".join(pending) + block[:cut] if pending else block[:cut]
        pending = [block[cut + 1:]]
        yield from text.split("\n")
    yield "".join(pending)


def json_rows(text: str, name: str) -> Iterator[RowItem]:
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
    if is_otlp(document):
        return otlp_rows(document, name)
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise InputError(f'{name}: a JSON object must hold the events as a list under "events" (or be an OTLP '
                         'trace export, with "resourceSpans")')
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
