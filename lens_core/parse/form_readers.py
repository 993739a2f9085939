"""One reader per form a skill_output arrives in, each turning it into the parser's fields: free text (log
lines), Python tracebacks, HTML error pages, and the structures read by `stacktraces` (JVM, .NET, Node.js, Go),
`xml_bodies` (S3, AWS, SOAP) and `grpc_statuses` (inside any form). `lens_core.parse.parsing` picks the reader.
"""

from __future__ import annotations

import html
import re
from typing import Any

from lens_core.parse.endpoints import normalize_plugin
from lens_core.parse.grpc_statuses import grpc_status
from lens_core.parse.json_bodies import fields_from_json
from lens_core.parse.literals import embedded_object_fields
from lens_core.parse.messages import (
    LOG_PREFIX,
    NOT_PLUGINS,
    SCAN,
    caused_by,
    clean_text,
    find_status,
    leading_name,
    scan_call,
    scan_text,
)
from lens_core.parse.stacktraces import read_stacktrace
from lens_core.parse.wrappers import api_exception_fields, logfmt_fields
from lens_core.parse.xml_bodies import parse_xml, xml_as_dict, xml_error_fields


# --- free text: log lines -----------------------------------------------------------------------
def read_text(text: str) -> dict[str, Any]:
    """A log line or any other free text: its prefix's plugin tag, a leading name, an object it ends with."""
    prefix = LOG_PREFIX.match(text)
    body = text[prefix.end():] if prefix else text
    fields = scan_text(text)
    tag = prefix.group(1) if prefix else None
    if tag and tag.lower() not in NOT_PLUGINS:
        fields["plugin"] = normalize_plugin(tag)
    if (logfmt := logfmt_fields(body)) is not None:  # level=error status=429 msg="...": the message is msg's
        body = logfmt["message"]
        fields["status_code"] = logfmt["status_code"] or find_status(body)
    leading = leading_name(body)
    if leading:
        found, body = leading
        fields.update({k: v for k, v in found.items() if v is not None})
    if caused := caused_by(body):
        fields["error_type"] = caused
    fields["message"] = body
    # "(403)\nReason: Forbidden\nHTTP response body: {...}" (a generated client's exception, logged), or
    # "Graph call failed: {"error": {...}}": the body or the object is the more specific statement
    found = api_exception_fields(body) or embedded_object_fields(body if logfmt else text)
    if found:
        fields.update({k: v for k, v in found.items() if v is not None})
    return fields


# --- Python tracebacks --------------------------------------------------------------------------
TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^[ \t]+File "([^"]+)", line \d+.*$', re.M)
_PLUGIN_PATH = re.compile(r"(?:^|[\\/])plugins[\\/]([A-Za-z_][\w-]*)[\\/]")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::[ \t]?(.*))?$", re.S)


def read_traceback(text: str) -> dict[str, Any]:
    """A Python traceback: its final exception line, and the plugin folder of its innermost plugin frame."""
    tail = text[-SCAN:]
    frames = list(_FRAME.finditer(tail))
    plugin = None
    for frame in reversed(frames):  # the innermost frame inside a plugin folder names the plugin
        folder = _PLUGIN_PATH.search(frame.group(1))
        if folder:
            plugin = normalize_plugin(folder.group(1))
            break
    start = frames[-1].end() if frames else max(tail.rfind(TRACEBACK), 0) + len(TRACEBACK)
    lines = tail[start:].splitlines()
    # After the last frame come its indented source and caret lines, then the exception itself.
    while lines and (not lines[0].strip() or lines[0][:1].isspace()):
        lines.pop(0)
    final = "\n".join(lines).strip()
    match = _EXC_LINE.match(final)
    error_type, message = (match.group(1), match.group(2)) if match else (None, final)
    fields = scan_text(message or "")
    fields.update(plugin=plugin or fields["plugin"], error_type=caused_by(message) or error_type, message=message)
    # "ApiException: (400)\nReason: ...\nHTTP response body: {...}" (a generated client): the body says more;
    # else "openai.RateLimitError: Error code: 429 - {'error': {...}}": so does the object that ends it
    found = (api_exception_fields(message) or embedded_object_fields(message)) if message else None
    if found:
        fields.update({k: v for k, v in found.items() if v is not None and k != "error_type"})
    return fields


# --- HTML error pages ---------------------------------------------------------------------------
HTML_SNIFF = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html|head|body|title|h1)\b", re.I)
_HEADINGS = tuple((re.compile(rf"<{tag}\b[^>]*>", re.I), re.compile(rf"</{tag}\s*>", re.I))
                  for tag in ("title", "h1", "h2"))  # opening, closing: searched apart to stay linear
_TAG = re.compile(r"<[^<>]*>")  # [^<>]: a stray "<" must not make the scan quadratic
_DROP = re.compile(r"<(?:script|style)\b[^<>]*>[^<]*", re.I)  # code is not a message (linear, not exact)
_HEADING_STATUS = re.compile(r"(?:^|\D)([1-5]\d\d)(?:\.\d+)?(?!\d)\s*(?:[-:|\u2013]\s*)?(.*)$", re.S)


def read_html(text: str) -> dict[str, Any]:
    """An HTML error page: the status and message of its first heading that states one."""
    head = text[: SCAN * 10]
    headings = []
    for opening, closing in _HEADINGS:
        start = opening.search(head)
        end = closing.search(head, start.end(), start.end() + 4000) if start else None
        if end:
            headings.append(clean_text(html.unescape(_TAG.sub(" ", head[start.end():end.start()]))) or "")
    for heading in headings:  # "504 Gateway Time-out" -> 504, "Gateway Time-out"
        match = _HEADING_STATUS.search(heading)
        if match:
            return {"status_code": int(match.group(1)), "message": match.group(2).strip() or heading}
    message = next((h for h in headings if h), None)
    if message is None:
        message = html.unescape(_TAG.sub(" ", _DROP.sub(" ", head)))
    return {"message": message}


# --- other stacks: JVM / .NET / Node.js / Go traces, XML bodies, gRPC statuses (read in their modules) ---
def read_stacktrace_fields(text: str) -> dict[str, Any] | None:
    """The fields a JVM, .NET, Node.js or Go trace states; None when the text is not one."""
    trace = read_stacktrace(text)
    if trace is None:
        return None
    root = trace.root()
    stated = "\n".join(trace.messages())[:SCAN]  # root cause first: its status and URL are the most specific
    status = next((exc.status for exc in reversed(trace.chain) if exc.status), None)
    fields = scan_call(stated)
    fields.update(error_type=root.type, error_code=trace.code(), message=trace.message(),
                  status_code=status or find_status(stated))
    embedded = embedded_object_fields(fields["message"]) if fields["message"] else None
    if embedded:  # "HttpException: ... data: { errorMessages: [...] }": the response body says more
        fields.update({k: v for k, v in embedded.items() if v is not None and k != "error_type"})
    for frame in trace.frames:  # the innermost frame (printed first) inside a plugins/ folder names it
        folder = _PLUGIN_PATH.search(frame)
        if folder:
            fields["plugin"] = normalize_plugin(folder.group(1))
            break
    return fields


def read_xml_fields(text: str) -> dict[str, Any] | None:
    """The fields an XML error body (or other small document) states; None when it does not parse."""
    root = parse_xml(text)
    if root is None:
        return None
    fields = xml_error_fields(root)
    if fields is None:  # no <Error> or <Fault>: read the tree as the JSON reader reads an object
        return fields_from_json(xml_as_dict(root))
    message = fields.get("message")
    if isinstance(message, str):
        stated = scan_text(message)
        fields.update({k: v for k, v in stated.items() if fields.get(k) is None})
    return fields


def with_grpc_status(fields: dict[str, Any], text: str) -> dict[str, Any]:
    """A gRPC status the text states is its code, its description the message; never an HTTP status."""
    if fields.get("error_code") is not None:
        return fields
    found = grpc_status(text[:SCAN])
    if found:
        fields["error_code"] = found[0]
        fields["message"] = found[1] or fields.get("message")
    return fields

