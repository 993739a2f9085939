"""OTLP JSON trace exports (`{"resourceSpans": [...]}`, or JSON Lines of them) read as failure events.

A span is a failure event when its status is ERROR and it is a tool call by the OpenTelemetry GenAI
semantic conventions (`gen_ai.operation.name` = execute_tool, or a `gen_ai.tool.name` attribute): every
other span is context, not a failure, and is skipped without a report. The prompt and the answer are not on
the tool span: they are on the agent or chat spans around it, so those are looked up in the same trace
(its ancestors first, nearest first, then the trace's other chat / invoke_agent spans). The mapping is
the README's table (Input). Rows are spans numbered in file order (in JSON Lines: the line's number), so
a malformed span is reported where it is and the others are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from lens_core.errors import InputError, RowError
from lens_core.ingest.readers.common import Record, RowItem

_ERROR = (2, "2", "STATUS_CODE_ERROR")
_CONTEXT_OPERATIONS = ("invoke_agent", "chat", "text_completion", "generate_content")
_INPUT_KEYS = ("gen_ai.input.messages", "gen_ai.prompt")
_OUTPUT_KEYS = ("gen_ai.output.messages", "gen_ai.completion")
_KEPT = ("gen_ai.tool.name", "gen_ai.tool.call.id", "gen_ai.request.model", "gen_ai.provider.name",
         "gen_ai.system", "service.name")


class _Malformed(ValueError):
    pass


def is_otlp(document: Any) -> bool:
    return isinstance(document, dict) and "resourceSpans" in document


def otlp_rows(document: dict[str, Any], name: str, *, line: int | None = None, first: int = 1) -> Iterator[RowItem]:
    """The failure events of one export; `line` numbers every row of a JSON Lines line, else spans count
    from `first`."""
    spans = _spans(document, name, line)
    traces: dict[str, list[dict[str, Any]]] = {}
    for _, span, _ in spans:
        if isinstance(span, dict) and isinstance(span.get("traceId"), str):
            traces.setdefault(span["traceId"], []).append(span)
    for number, (problem, span, resource) in enumerate(spans, start=first):
        row = line or number
        if problem:
            yield row, RowError(problem, source=name, row=row)
            continue
        try:
            record = _event(span, resource, traces.get(span["traceId"], []))
        except _Malformed as exc:
            yield row, RowError(f"span {span.get('spanId')!s}: {exc}", source=name, row=row)
            continue
        if record is not None:
            yield row, record


def _spans(document: dict[str, Any], name: str, line: int | None) -> list[tuple[str, Any, dict[str, Any]]]:
    """(problem or "", span, resource attributes) for every span of the export, in file order."""
    where = f"line {line}: " if line else ""
    groups = document.get("resourceSpans")
    if not isinstance(groups, list):
        raise InputError(f'{name}: {where}"resourceSpans" must be a list (an OTLP JSON trace export)')
    out: list[tuple[str, Any, dict[str, Any]]] = []
    for group in groups:
        group = group if isinstance(group, dict) else {}
        resource = _attributes((group.get("resource") or {}).get("attributes"))
        for scope in group.get("scopeSpans") or []:
            for span in (scope.get("spans") or []) if isinstance(scope, dict) else []:
                out.append((_problem(span), span, resource))
    return out


def _problem(span: Any) -> str:
    if not isinstance(span, dict):
        return "a span must be an object"
    for key in ("traceId", "spanId"):
        if not isinstance(span.get(key), str) or not span[key]:
            return f"the span named {span.get('name')!r} has no {key} (every span needs a traceId and a spanId)"
    if not isinstance(span.get("attributes", []), list):
        return f"span {span['spanId']}: its attributes must be a list of key/value objects"
    return ""


def _event(span: dict[str, Any], resource: dict[str, Any], trace: list[dict[str, Any]]) -> Record | None:
    attrs = _attributes(span.get("attributes"))
    status = span.get("status") or {}
    if not isinstance(status, dict):
        raise _Malformed("status must be an object")
    is_tool = attrs.get("gen_ai.operation.name") == "execute_tool" or "gen_ai.tool.name" in attrs
    if status.get("code") not in _ERROR or not is_tool:
        return None
    tool = str(attrs.get("gen_ai.tool.name") or span.get("name") or "tool")
    arguments = attrs.get("gen_ai.tool.call.arguments")
    record: Record = {
        "evaluation_id": f"{span['traceId']}:{span['spanId']}",
        "skill_input": tool if arguments is None else f"{tool} {_text(arguments)}",
        "skill_output": _error_of(span, status),
        "customer_prompt": _context(span, trace, _INPUT_KEYS, user=True),
        "ai_output": _context(span, trace, _OUTPUT_KEYS, user=False),
        "timestamp": _time(span.get("startTimeUnixNano")),
        "user_id": _first(attrs, resource, "user.id", "enduser.id"),
        "tenant_id": _first(attrs, resource, "tenant.id"),
        "release": resource.get("service.version"),
        "otel.span_name": span.get("name"),
    }
    record |= {key: value for key in _KEPT if (value := attrs.get(key, resource.get(key))) is not None}
    return {key: value for key, value in record.items() if value not in (None, "")}


def _error_of(span: dict[str, Any], status: dict[str, Any]) -> str:
    """The exception event's stack trace (it names the type and message), else its type and message, else
    the status message: the text the parser reads best."""
    for event in span.get("events") or []:
        if isinstance(event, dict) and event.get("name") == "exception":
            exc = _attributes(event.get("attributes"))
            if exc.get("exception.stacktrace"):
                return str(exc["exception.stacktrace"])
            head = ": ".join(str(exc[k]) for k in ("exception.type", "exception.message") if exc.get(k))
            if head:
                return head
    return str(status.get("message") or "tool call failed (status ERROR, no message)")


def _context(span: dict[str, Any], trace: list[dict[str, Any]], keys: tuple[str, ...], *, user: bool) -> str:
    by_id = {s.get("spanId"): s for s in trace}
    chain, parent = [], by_id.get(span.get("parentSpanId"))
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = by_id.get(parent.get("parentSpanId"))
    others = [s for s in trace if s not in chain and _operation(s) in _CONTEXT_OPERATIONS]
    for candidate in chain + others:
        found = _message(candidate, keys)
        if found is not None:
            return _messages_text(found, user=user)
    return ""


def _operation(span: dict[str, Any]) -> str:
    operation = _attributes(span.get("attributes")).get("gen_ai.operation.name")
    return str(operation or str(span.get("name") or "").split(" ")[0])


def _message(span: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The first of `keys` on the span's attributes or on its events' (the older conventions put the
    prompt and completion on events)."""
    sources = [_attributes(span.get("attributes"))]
    sources += [_attributes(e.get("attributes")) for e in span.get("events") or [] if isinstance(e, dict)]
    for key in keys:
        for attrs in sources:
            if attrs.get(key) not in (None, ""):
                return attrs[key]
    return None


def _messages_text(value: Any, *, user: bool) -> str:
    """Chat messages ([{"role", "parts": [{"type": "text", "content"}]}], or the older {"role", "content"})
    as text: the last user message for a prompt, the assistant's text for an answer; plain text as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not isinstance(value, list):
        return _text(value)
    wanted = [m for m in value if isinstance(m, dict) and (m.get("role") == "user") == user] or value
    texts = [_message_text(m) for m in (wanted[-1:] if user else wanted)]
    return "\n".join(t for t in texts if t)


def _message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return _text(message)
    if isinstance(message.get("parts"), list):
        return "\n".join(str(p.get("content", "")) for p in message["parts"]
                         if isinstance(p, dict) and p.get("type", "text") == "text")
    return _text(message.get("content", ""))


def _attributes(raw: Any) -> dict[str, Any]:
    """OTLP key/value list -> dict; entries that are not key/value objects are skipped."""
    out: dict[str, Any] = {}
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _value(item.get("value"))
    return out


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:  # a string in OTLP JSON: 64-bit integers do not fit a JSON number
        return int(value["intValue"]) if str(value["intValue"]).lstrip("-").isdigit() else value["intValue"]
    if "arrayValue" in value:
        return [_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return _attributes((value["kvlistValue"] or {}).get("values"))
    return None


def _time(nanos: Any) -> str | None:
    if nanos in (None, "", 0, "0"):
        return None
    try:
        return datetime.fromtimestamp(int(nanos) / 1e9, tz=UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        raise _Malformed(f"startTimeUnixNano {nanos!r} is not a time in nanoseconds") from None


def _first(attrs: dict[str, Any], resource: dict[str, Any], *keys: str) -> Any:
    for source in (attrs, resource):
        for key in keys:
            if source.get(key) not in (None, ""):
                return source[key]
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
