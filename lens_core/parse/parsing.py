"""ErrorParser: what a skill_output says about a failure, whatever shape it arrived in.

Forms: "json" (an object, or a JSON string of one), "traceback" (Python), "stacktrace" (JVM, .NET,
Node.js, Go panics), "xml" (S3 / AWS / SOAP error bodies), "html" (gateway error pages), "text" (log
lines) and "empty"; a gRPC status is read inside any of them. This module holds the entry point: it picks
the form, reads `skill_input` as a fallback, remembers recent texts and builds the ParsedError. The readers
live beside it: `form_readers` (one per form), `messages` (scans of any text), `json_bodies` (the JSON walk),
`literals` (objects embedded in text), `stacktraces`, `xml_bodies` and `grpc_statuses`.
A field the blob does not state stays None: the parser reads, it never guesses. It never raises
either: one odd row must not stop an ingest of a hundred thousand.
`skill_input` is read only as a fallback for plugin, endpoint and method.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from lens_core.parse.endpoints import DOTTED_CALL, endpoint_template, normalize_endpoint, normalize_plugin
from lens_core.parse.form_readers import (
    HTML_SNIFF,
    TRACEBACK,
    read_html,
    read_stacktrace_fields,
    read_text,
    read_traceback,
    read_xml_fields,
    with_grpc_status,
)
from lens_core.parse.grpc_statuses import GRPC_HTTP_STATUS  # noqa: F401  (re-exported for later stages)
from lens_core.parse.json_bodies import JsonWalk, fields_from_json, load_json
from lens_core.parse.messages import SCAN, clean_text, scan_call
from lens_core.parse.stacktraces import looks_like_stacktrace
from lens_core.parse.xml_bodies import looks_like_xml
from lens_core.schema import ParsedError

log = logging.getLogger(__name__)

# Bump when the parser reads different fields from the same skill_output (lens_core.parse.versions says why).
PARSER_VERSION = "p3"


# --- the parser ---------------------------------------------------------------------------------
def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _parse_output(output: Any) -> dict[str, Any]:
    if isinstance(output, (dict, list)):
        return {**fields_from_json(output), "form": "json"}
    text = _as_text(output)
    stripped = text.strip()
    if not stripped:
        return {"form": "empty"}
    for _ in range(2):  # a JSON string of an object, possibly encoded twice
        if stripped[:1] not in ("{", "[", '"'):
            break
        decoded = load_json(stripped)
        if isinstance(decoded, (dict, list)):
            return {**fields_from_json(decoded), "form": "json"}
        if not isinstance(decoded, str) or not decoded.strip():
            break
        stripped = text = decoded.strip()
    if TRACEBACK in text[:SCAN] or TRACEBACK in text[-SCAN:]:
        fields = read_traceback(text)
        return {**with_grpc_status(fields, fields.get("message") or ""), "form": "traceback"}
    if HTML_SNIFF.match(text[:2000]):
        return {**read_html(text), "form": "html"}
    xml = read_xml_fields(stripped) if looks_like_xml(stripped) else None
    if xml is not None:  # anything XML-like that does not parse (or is refused) is read as text below
        return {**xml, "form": "xml"}
    trace = read_stacktrace_fields(stripped) if looks_like_stacktrace(stripped[:SCAN]) else None
    if trace is not None:
        return {**trace, "form": "stacktrace"}
    return {**with_grpc_status(read_text(stripped), stripped), "form": "text"}


def _input_hints(skill_input: Any) -> dict[str, Any]:
    """Plugin, endpoint and method that the call's input states ({"plugin": ...} or "Calendar.x(...)")."""
    obj = skill_input if isinstance(skill_input, (dict, list)) else None
    text = _as_text(skill_input).strip() if obj is None else ""
    if text[:1] in ("{", "["):
        obj = load_json(text)
    if isinstance(obj, (dict, list)):
        walk = JsonWalk()
        walk.visit(obj, 0)
        hints = {k: walk.best[k][1] for k in ("plugin", "endpoint", "http_method") if k in walk.best}
        if "endpoint" in walk.best and walk.best["endpoint"][2] == "path":
            hints.pop("endpoint")  # an input's "path" is as likely a file as an endpoint
        return hints
    hints = scan_call(text)  # a status the input mentions is not the call's outcome
    call = DOTTED_CALL.match(text)
    if call and hints.get("plugin") is None:
        hints["plugin"] = normalize_plugin(call.group(1))
    return hints


def _storable(value: Any) -> Any:
    """Text every database stores: JSON escapes can decode to NUL (PostgreSQL refuses it in text) or to
    an unpaired surrogate (not encodable as UTF-8); the parsed fields drop the one and mark the other."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():  # O(1): ASCII is valid UTF-8
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = _SURROGATE.sub("\ufffd", value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _build(fields: dict[str, Any]) -> ParsedError:
    """The error the fields state (`fields` is left as it is: it may be a remembered one)."""
    unsafe = [name for name, value in fields.items()  # the rest are storable as they are
              if type(value) is str and (not value.isascii() or "\x00" in value)]
    if unsafe:
        fields = {**fields, **{name: _storable(fields[name]) for name in unsafe}}
    endpoint = normalize_endpoint(fields.get("endpoint"))
    status = fields.get("status_code")
    return ParsedError(
        plugin=fields.get("plugin") if isinstance(fields.get("plugin"), str) else None,
        endpoint=endpoint,
        endpoint_template=endpoint_template(endpoint) if endpoint else None,
        http_method=fields.get("http_method"),
        status_code=status if isinstance(status, int) else None,
        error_code=clean_text(fields.get("error_code")),
        error_type=clean_text(fields.get("error_type")),
        message=clean_text(fields.get("message")),
        form=fields.get("form", "text"),
    )


# Many failures repeat their blob exactly (the same throttling or permission error, with no request
# id in it), and a skill's input repeats across users; parsing one again gives the same fields, so the
# latest texts' results are kept. Texts longer than MEMO_CHARS are parsed every time (bounded memory).
MEMO_CHARS = 2048
MEMO_SIZE = 4096
_HINTED = ("plugin", "endpoint", "http_method")  # what skill_input may state when the output does not


def _output_fields(skill_output: Any) -> dict[str, Any]:
    """The fields a skill_output states; a remembered dict for a recent text, so never changed by callers."""
    if type(skill_output) is str and len(skill_output) <= MEMO_CHARS:
        return _memo_output(skill_output)
    return _parse_output(skill_output)


def _hints(skill_input: Any) -> dict[str, Any]:
    """Plugin, endpoint and method a skill_input states; as _output_fields, never to be changed."""
    if type(skill_input) is str and len(skill_input) <= MEMO_CHARS:
        return _memo_hints(skill_input)
    return _input_hints(skill_input)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _memo_output(text: str) -> dict[str, Any]:
    return _parse_output(text)


@functools.lru_cache(maxsize=MEMO_SIZE)
def _memo_hints(text: str) -> dict[str, Any]:
    return _input_hints(text)


class ErrorParser:
    """skill_output (object, JSON string, traceback, HTML page, text) -> ParsedError. Stateless (the
    memo of recent texts is shared by the process and changes no result)."""

    def parse(self, skill_output: Any, *, skill_input: Any = "") -> ParsedError:
        try:
            fields = _output_fields(skill_output)
            if skill_input and any(fields.get(name) is None for name in _HINTED):
                stated = {name: value for name, value in _hints(skill_input).items()
                          if fields.get(name) is None and value is not None}
                if stated:
                    return _build({**fields, **stated})
            return _build(fields)
        except Exception:  # a parser bug must not stop an ingest; logged so that it gets fixed
            log.warning("could not parse a skill_output; kept as text", exc_info=True)
            try:
                return ParsedError(form="text", message=_storable(clean_text(_as_text(skill_output))))
            except Exception:  # str() of a hostile object can itself raise
                return ParsedError(form="text")
