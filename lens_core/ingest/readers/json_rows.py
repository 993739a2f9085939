"""JSON telemetry: an array of events (or `{"events": [...]}`), and JSON Lines, one event a line.

JSON Lines is read line by line as the text streams in; a broken line costs only itself. A JSON document
streams too: its array is decoded element by element (json.JSONDecoder.raw_decode) from a buffer fed
block by block, so memory holds about one event and one block whatever the file's size. Python's own
decoder rather than an incremental parser, because it can resume after an error and reads what Python
writes: a broken event whose brackets balance costs only its row, NaN and Infinity are read, an invalid
UTF-8 byte (kept by text.py as a surrogate escape) reaches validation, which rejects only its row, and a
truncated document keeps every complete event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from typing import Any

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import Record, RowItem
from lens_core.ingest.readers.otlp import is_otlp, otlp_rows
from lens_core.ingest.readers.text import Text

# Python's own decoder stops at about a thousand levels (counting the stack it is called from), and the
# JSON it writes for storage too: a deeper event is rejected on its own, whatever the stack.
MAX_DEPTH = 800


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


def json_rows(text: Text, name: str) -> Iterator[RowItem]:
    """The events of a JSON document as its text streams in: an array of events, or an object with them
    as a list under "events". An OTLP trace export (`resourceSpans`) is read whole, since a span's prompt
    and answer are found on other spans anywhere in its trace (otlp.py)."""
    start = text.head.lstrip(" \t\r\n")[:1]
    if start not in ("[", "{"):
        raise InputError(f'{name}: not JSON: expected an array of events or {{"events": [...]}}')
    return _document(_Buffer(text.blocks(), keep=start == "{"), name)


def _document(buf: _Buffer, name: str) -> Iterator[RowItem]:
    buf.skip_ws()
    wrapped = buf.text[buf.pos] == "{"
    buf.pos += 1
    if wrapped and not (yield from _object(buf, name)):
        return
    if (yield from _elements(buf, name, wrapped=wrapped)):
        buf.drain()


class _Buffer:
    """The document's text from where reading has got to, fed block by block. What was read is dropped as
    the next blocks come in, so it holds about one event and one block (keep: hold it all, for the keys of
    an object before its events, which an OTLP export needs whole). Every read of a Damaged stream raises
    Damaged where the good data ends, which readers/__init__ reports after the last row."""

    def __init__(self, blocks: Iterator[str], *, keep: bool) -> None:
        self._blocks = blocks
        self.text = next(blocks)  # Text's head: never empty
        self.pos = 0
        self.ended = False  # every block is in text
        self.keep = keep
        self.dropped = 0  # characters dropped before text[0], and of them: the newlines, and the characters
        self._lines = self._column = 0  # after the last one (to name lines and columns in the whole file)

    def grow(self, at_least: int) -> None:
        """Reads on until text holds at least `at_least` characters from pos, or the text ends; joined once,
        so an event of many blocks costs no more than the blocks."""
        if not self.keep:
            self.text = self._drop()
        parts, have = [self.text], len(self.text) - self.pos
        while have < at_least:
            block = next(self._blocks, None)
            if block is None:
                self.ended = True
                break
            parts.append(block)
            have += len(block)
        self.text = "".join(parts)

    def _drop(self) -> str:
        text, pos = self.text, self.pos
        newlines = text.count("\n", 0, pos)
        if newlines:
            self._lines += newlines
            self._column = pos - text.rfind("\n", 0, pos) - 1
        else:
            self._column += pos
        self.dropped += pos
        self.pos = 0
        return text[pos:]

    def skip_ws(self) -> bool:
        """Moves past whitespace, reading on as needed; False where the text ends first."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return True
            if self.ended:
                return False
            self.grow(1)

    def decode(self, decoder: json.JSONDecoder) -> tuple[Any, int]:
        """The value at pos and where it ends. A failure at the end of the text read so far may be an event
        cut by a block's end, not a broken one: it is tried again once the text from pos has doubled (or
        has all come), which keeps a huge event linear. A number near the end may go on."""
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.text) - _CUT_MARGIN
                if self.ended or not cut:
                    raise
            else:  # a number's end is known only once what follows it is not a digit, "e", sign or "."
                if self.ended or end <= len(self.text) - _CUT_MARGIN or not isinstance(value, (int, float)):
                    return value, end
            self.grow(2 * (len(self.text) - self.pos))

    def drain(self) -> None:
        """Reads what follows the events without parsing it: damage to the file there is still reported."""
        for _ in self._blocks:
            pass

    def reason(self, exc: Exception) -> str:
        """The decoder's reason, with the line and column in the whole file."""
        if isinstance(exc, json.JSONDecodeError):
            exc.lineno, exc.colno = exc.lineno + self._lines, exc.colno + (self._column if exc.lineno == 1 else 0)
        return _json_reason(exc)

    def invalid(self, msg: str, name: str) -> InputError:
        return InputError(f"{name}: invalid JSON: {self.reason(json.JSONDecodeError(msg, self.text, self.pos))}")


_WHITESPACE = re.compile(r"[ \t\r\n]*")
# How far before the end of the text read so far the decoder may place the failure of a value that is only
# cut short there ("-Infinit", "1.5e+", "\ud83d\ud"): such a failure is retried with more text.
_CUT_MARGIN = 16


def _object(buf: _Buffer, name: str) -> Generator[RowItem, None, bool]:
    """The keys of the top-level object, read as the text streams in (the values of other keys decoded and
    dropped), until the one that decides: "events", whose array is read next (returns True), or
    "resourceSpans", an OTLP export read whole (its rows are yielded; returns False). Broken before it,
    the document is refused whole."""
    decoder = json.JSONDecoder()
    expected = "Expecting property name enclosed in double quotes"
    if buf.skip_ws() and buf.text[buf.pos] == "}":
        raise _without_events(name)
    while True:
        if not buf.skip_ws() or buf.text[buf.pos] != '"':
            raise buf.invalid(expected, name)
        key, buf.pos = _decoded(buf, decoder, name)
        if not buf.skip_ws() or buf.text[buf.pos] != ":":
            raise buf.invalid("Expecting ':' delimiter", name)
        buf.pos += 1
        if not buf.skip_ws():
            raise buf.invalid("Expecting value", name)
        if key == "resourceSpans":
            yield from _otlp_document(buf, name)
            return False
        if key == "events":
            if buf.text[buf.pos] != "[":
                raise _without_events(name)
            buf.keep = False
            buf.pos += 1
            return True
        _, buf.pos = _decoded(buf, decoder, name)
        if not buf.skip_ws() or buf.text[buf.pos] not in ",}":
            raise buf.invalid("Expecting ',' delimiter", name)
        if buf.text[buf.pos] == "}":
            raise _without_events(name)
        buf.pos += 1


def _decoded(buf: _Buffer, decoder: json.JSONDecoder, name: str) -> tuple[Any, int]:
    try:
        return buf.decode(decoder)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{name}: invalid JSON: {buf.reason(exc)}") from None


def _without_events(name: str) -> InputError:
    return InputError(f'{name}: a JSON object must hold the events as a list under "events" (or be an OTLP '
                      'trace export, with "resourceSpans")')


def _otlp_document(buf: _Buffer, name: str) -> Iterator[RowItem]:
    """An OTLP export, read whole: a span's prompt and answer are on other spans of its trace."""
    buf.grow(1 << 62)
    try:
        document = json.loads(buf.text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"{name}: invalid JSON: {_json_reason(exc)}") from None
    yield from otlp_rows(document, name)


def _elements(buf: _Buffer, name: str, *, wrapped: bool) -> Generator[RowItem, None, bool]:
    """Elements of the array, decoded one at a time; True where the array closed.

    Decoding element by element keeps every complete element of a truncated or partly broken file.
    A broken element whose brackets still balance (a syntax error inside it, or nesting deeper than
    Python's decoder goes) is skipped and reading goes on after it; otherwise reading stops there, and
    the message says so.
    """
    decoder = json.JSONDecoder()
    index = 0
    while True:
        if not buf.skip_ws():
            yield index + 1, RowError("the file ends inside the array (truncated?)", source=name, row=index + 1)
            return False
        if buf.text[buf.pos] == "]":
            if index == 0:
                raise InputError(f'{name}: the "events" list is empty' if wrapped
                                 else f"{name}: the array holds no events")
            return True
        index += 1
        try:
            value, end = buf.decode(decoder)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = buf.reason(exc)
            end, closes = _broken_end(buf)
            if end is None:
                stopped = ("reading stopped here: the events after it were not read" if closes
                           else "the file ends inside this event (truncated?)")
                yield index, RowError(f"invalid JSON: {reason}; {stopped}", source=name, row=index)
                return False
            yield index, RowError(f"invalid JSON: {reason}; this event was skipped", source=name, row=index)
        else:
            yield index, _event(value, buf.text, buf.pos, end, name, index)
        buf.pos = end
        if buf.skip_ws() and buf.text[buf.pos] == ",":
            buf.pos += 1
        elif buf.pos < len(buf.text) and buf.text[buf.pos] != "]":
            at = buf.dropped + buf.pos
            yield index + 1, RowError(f"expected ',' or ']' at character {at}; reading stopped here",
                                      source=name, row=index + 1)
            return False


def _broken_end(buf: _Buffer) -> tuple[int | None, bool]:
    """Where the broken element at pos ends, if its brackets balance and "," or "]" follows it (None
    otherwise), and whether it closes at all; reads on as far as that takes. A per-character loop, run
    only for a broken element."""
    while True:
        close = _close(buf.text, buf.pos)
        if close is not None and close >= 0:
            after = _WHITESPACE.match(buf.text, close).end()
            if after < len(buf.text) or buf.ended:
                return (close if after < len(buf.text) and buf.text[after] in ",]" else None), True
        if buf.ended or close == -1:
            return None, False
        buf.grow(2 * (len(buf.text) - buf.pos))


def _close(text: str, pos: int) -> int | None:
    """Just after the bracket that closes the object or array starting at `pos` (strings skipped); None
    if the text ends first, -1 if no object or array starts there."""
    if text[pos] not in "[{":
        return -1
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
                return i + 1
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


def _event(value: Any, text: str, start: int, end: int, name: str, row: int) -> Record | RowError:
    """The decoded element as a row; only a long one with many brackets is walked for its depth."""
    if (isinstance(value, dict) and end - start > 2 * MAX_DEPTH
            and text.count("{", start, end) + text.count("[", start, end) > MAX_DEPTH
            and not _nests_within(value, MAX_DEPTH)):
        return RowError(f"invalid JSON: {_json_reason(RecursionError())}; this event was skipped", source=name, row=row)
    return _as_record(value, name, row)


def _nests_within(value: dict | list, limit: int) -> bool:
    """False where containers nest more than `limit` levels (walked without recursion, which is the problem)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return True


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
