"""Row validation: a raw record (from a file, the API or Python) becomes a TelemetryEvent or a RowError.

The rules, each with the message a user sees:
- evaluation_id is required: text or a whole number, at most 256 characters.
- skill_output is required: an event is a failure, and the error is what lens groups by. customer_prompt,
  skill_input and ai_output may be absent (empty): an error-only event (a plugin failure logged without
  the prompt that led to it) is still counted, grouped by cause and fingerprinted; the intent view gives
  it a placeholder (lens_core.embed.views).
- text fields take text only: a number, list or object where text belongs is rejected, not coerced,
  because a silently stringified value would be clustered as if a person had written it.
- skill_output also takes a JSON object or array (stored as its JSON text).
- no field may exceed MAX_FIELD_CHARS or hold invalid UTF-8 (bytes, or unpaired surrogates from JSON).
- NUL characters: PostgreSQL cannot store them in text, so a row holding one in any field it stores as
  written (the text fields, the ids, an extra column's name or value) is rejected, on every database
  alike, naming the field and the character position; nothing is stripped. Inside a skill_output
  object (or JSON text), "\u0000" is stored as that escape and only the parsed fields drop it.
- timestamp, when present, is ISO 8601 or Unix seconds; values without a zone are taken as UTC; every
  time is stored in UTC and must fall within the years 1-9999 there.
- release, when present, is text (or a number, taken as its text: 2024.5) of at most MAX_RELEASE_CHARS
  after stripping; empty means none.
- any other column is kept as an attribute; a problem in one is reported under the column's name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from lens_core.errors import RowError
from lens_core.schema import KNOWN_FIELDS, TelemetryEvent

REQUIRED_TEXT = ("skill_output",)
OPTIONAL_TEXT = ("customer_prompt", "skill_input", "ai_output")
# (field, required), in the order a row's problems are looked for
_TEXT_FIELDS = (("customer_prompt", False), ("skill_output", True), ("skill_input", False), ("ai_output", False))
_KNOWN = frozenset(KNOWN_FIELDS)
MAX_ID_CHARS = 256
MAX_RELEASE_CHARS = 100  # TelemetryEventRow.release
# 1e11 s is the year 5138: larger numbers are milliseconds, which some pipelines emit.
_EPOCH_MS_THRESHOLD = 1e11


def validate_record(raw: dict[str, Any], *, source: str, row: int, max_chars: int) -> TelemetryEvent:
    def fail(reason: str, field: str | None = None) -> RowError:
        return RowError(reason, source=source, row=row, field=field)

    raw_id = raw.get("evaluation_id")
    if not _present(raw_id) and not any(_present(value) for value in raw.values()):
        raise fail("empty row")  # (a row with an id is not empty: no need to look at the rest)
    evaluation_id = _evaluation_id(raw_id, fail)
    texts = {}
    for name, required in _TEXT_FIELDS:
        value = raw.get(name)
        if type(value) is not str or not value:
            value = _text(value, name, fail, required=required)
        # _check_text's own tests, cheapest first and inline: almost all text passes them (isascii is O(1))
        if len(value) > max_chars or not value.isascii() or "\x00" in value:
            _check_text(value, name, fail, max_chars)
        texts[name] = value
    return TelemetryEvent(
        evaluation_id=evaluation_id,
        customer_prompt=texts["customer_prompt"],
        skill_input=texts["skill_input"],
        skill_output=texts["skill_output"],
        ai_output=texts["ai_output"],
        timestamp=_timestamp(raw.get("timestamp"), fail),
        user_id=_optional_id(raw.get("user_id"), "user_id", fail),
        tenant_id=_optional_id(raw.get("tenant_id"), "tenant_id", fail),
        release=_release(raw.get("release"), fail),
        attributes=_attributes(raw, fail, max_chars),
    )


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def valid_id(value: Any) -> str | None:
    """The evaluation_id a raw value becomes, or None where validation refuses it: what ingest looks up
    in the database before validating the rows."""
    try:
        return _evaluation_id(value, lambda reason, field=None: RowError(reason, field=field))
    except RowError:
        return None


def _evaluation_id(value: Any, fail: Any) -> str:
    if not _present(value):
        raise fail("evaluation_id is missing or empty", "evaluation_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise fail(f"expected text, got {_kind(value)}", "evaluation_id")
    value = value.strip()
    if len(value) > MAX_ID_CHARS:
        raise fail(f"{len(value):,} characters, over the limit of {MAX_ID_CHARS}", "evaluation_id")
    _check_text(value, "evaluation_id", fail, MAX_ID_CHARS)
    return value


def _text(value: Any, name: str, fail: Any, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise fail("missing or empty", name)
        return ""
    if isinstance(value, str):
        return value
    if name == "skill_output" and isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (ValueError, TypeError, RecursionError):
            raise fail("the object cannot be written as JSON (NaN/Infinity, or nested too deeply)", name) from None
    if name == "skill_output":
        raise fail(f"expected an object or text, got {_kind(value)}", name)
    raise fail(f"expected text, got {_kind(value)}", name)


def _check_text(value: str, name: str, fail: Any, max_chars: int) -> None:
    if len(value) > max_chars:
        raise fail(f"{len(value):,} characters, over the limit of {max_chars:,} (MAX_FIELD_CHARS)", name)
    problem = text_problem(value)
    if problem:
        raise fail(problem, name)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text on every database (a NUL, invalid UTF-8), or None."""
    nul = value.find("\x00")
    if nul >= 0:
        return f"contains a NUL character (\\x00) at character {nul}; PostgreSQL cannot store it, so the row is refused"
    if value.isascii():  # O(1) in CPython: ASCII text is valid UTF-8, with no copy made to find out
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        char = ord(value[exc.start])
        if 0xDC80 <= char <= 0xDCFF:  # a byte that was not UTF-8, kept by the reader's surrogateescape
            return f"invalid UTF-8 byte 0x{char - 0xDC00:02X} at character {exc.start} (is the file saved as UTF-8?)"
        return f"invalid UTF-8 bytes at character {exc.start} (an unpaired surrogate \\u{char:04x})"
    return None


def _optional_id(value: Any, name: str, fail: Any) -> str | None:
    if not _present(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise fail(f"expected text, got {_kind(value)}", name)
    _check_text(value, name, fail, MAX_ID_CHARS)
    return value.strip()[:MAX_ID_CHARS]


def _release(value: Any, fail: Any) -> str | None:
    """A release name: text, or a number as its text (JSON writes 2024.5 unquoted); refused, never cut."""
    if not _present(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise fail(f"{value} is not a release name", "release")
        value = str(value)
    if not isinstance(value, str):
        raise fail(f"expected text, got {_kind(value)}", "release")
    value = value.strip()
    if len(value) > MAX_RELEASE_CHARS:
        raise fail(f"{len(value):,} characters, over the limit of {MAX_RELEASE_CHARS}", "release")
    _check_text(value, "release", fail, MAX_RELEASE_CHARS)
    return value


def _timestamp(value: Any, fail: Any) -> datetime | None:
    if not _present(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value), fail)
    if not isinstance(value, str):
        raise fail(f"expected an ISO 8601 date-time, got {_kind(value)}", "timestamp")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)  # Python 3.11 reads a "Z" suffix itself
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is UTC:
        return parsed  # already in UTC, within years 1-9999
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return _from_epoch(float(text), fail)
        except ValueError:
            raise fail(f"{_clip(text)!r} is not an ISO 8601 date-time", "timestamp") from None
    return _in_utc(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), text, fail)


def _in_utc(value: datetime, text: str, fail: Any) -> datetime:
    """Stored in UTC: SQLite keeps no zone, and a time outside years 1-9999 in UTC cannot be read back."""
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise fail(f"{_clip(text)!r} is out of range (years 1 to 9999 in UTC)", "timestamp") from None


def _from_epoch(seconds: float, fail: Any) -> datetime:
    if not math.isfinite(seconds):
        raise fail(f"{seconds} is not a time", "timestamp")
    if abs(seconds) > _EPOCH_MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise fail(f"{seconds} is out of range for a Unix time", "timestamp") from None


def _attributes(raw: dict[str, Any], fail: Any, max_chars: int) -> dict[str, Any]:
    extra = {str(k): v for k, v in raw.items() if k not in _KNOWN and _present(v)}
    if not extra:
        return {}
    for key, value in extra.items():
        _check_attribute(key, value, fail)
    if _json_chars_at_most(extra) <= max_chars:
        return extra  # short text only (a CSV's cells): no need to write the JSON to measure it
    encoded = json.dumps(extra, ensure_ascii=False)
    if len(encoded) > max_chars:
        raise fail(f"extra columns hold {len(encoded):,} characters as JSON, over the limit of {max_chars:,} "
                   "(MAX_FIELD_CHARS)", "attributes")
    return extra


def _json_chars_at_most(extra: dict[str, Any]) -> float:
    """An upper bound on len(json.dumps(extra, ensure_ascii=False)) when every value is text (a character
    is written as at most 6: \\uXXXX; each pair adds quotes, ": " and ", "); infinite otherwise."""
    total = 2
    for key, value in extra.items():
        if type(value) is not str:
            return float("inf")
        total += 6 * (len(key) + len(value)) + 8
    return total


def _check_attribute(key: str, value: Any, fail: Any) -> None:
    """One extra column (field "attributes"; the reason names the column): storable as JSON everywhere."""
    problem = text_problem(key)
    if problem:
        raise fail(f"an extra column's name {_clip(ascii(key))}: {problem}", "attributes")
    if not isinstance(value, str):  # text (every CSV cell) is always JSON; a JSON file's value may not be
        try:
            # allow_nan=False: Python reads NaN/Infinity in JSON files, but PostgreSQL's JSON refuses them.
            json.dumps(value, ensure_ascii=False, allow_nan=False)
        except (ValueError, TypeError, RecursionError):
            raise fail(f"extra column {_clip(key)!r}: the value cannot be stored as JSON (NaN/Infinity, or "
                       "nested too deeply)", "attributes") from None
    for text in (value,) if isinstance(value, str) else _strings(value):
        problem = text_problem(text)
        if problem:
            raise fail(f"extra column {_clip(key)!r}: {problem}", "attributes")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included; iterative, so any depth json.dumps took is fine."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
