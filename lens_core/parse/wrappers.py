"""What loggers and SDKs wrap an error in, read off so that the error itself is what the parser reads:

- a logfmt line (Go's slog and logrus, Heroku, many tool runners): `ts=... level=error status=429
  msg="throttled by FedEx"` -> the message and the status its keys state;
- the text of an OpenAPI-generator client's ApiException (the Python clients of Xero, DocuSign, Plaid,
  Kubernetes and most generated SDKs): `(400)\\nReason: Bad Request\\nHTTP response headers: ...\\nHTTP
  response body: {...}` -> the status, and the body's fields (JSON) or text; the headers say nothing about
  the cause but fill the text with ids and dates.
BSD syslog headers (`Jun  3 14:55:01 host prog[42]: ...`) are part of lens_core.parse.messages.LOG_PREFIX.
"""

from __future__ import annotations

import re
from typing import Any

from lens_core.parse.json_bodies import fields_from_json, load_json

# One key=value pair at a position; a line is read pair after pair (in Python, so a line that is not
# logfmt fails in linear time: one regex for the whole line backtracks exponentially on "k=a=a=a...").
_LOGFMT_PAIR = re.compile(r'\s*([A-Za-z_][\w.-]*)=("(?:[^"\\\n]|\\.)*"|[^\s"]*)(?=\s|$)')
LOGFMT_MESSAGE_KEYS = ("msg", "message", "error", "err")  # first found is the message
LOGFMT_STATUS_KEYS = ("status", "status_code", "http_status", "statuscode")
_STATUS = re.compile(r"^[1-5]\d\d$")


def logfmt_fields(text: str) -> dict[str, Any] | None:
    """message and status_code of a logfmt line that has a message key; None for any other text."""
    line = text.strip()
    if "=" not in line or "\n" in line:
        return None
    pairs: dict[str, str] = {}
    position = 0
    while position < len(line):
        pair = _LOGFMT_PAIR.match(line, position)
        if pair is None:
            return None  # something that is no key=value pair: not a logfmt line
        pairs.setdefault(pair.group(1).lower(), _unquote(pair.group(2)))
        position = pair.end()
    message = next((pairs[k] for k in LOGFMT_MESSAGE_KEYS if pairs.get(k)), None)
    if message is None:
        return None
    status = next((int(pairs[k]) for k in LOGFMT_STATUS_KEYS if _STATUS.match(pairs.get(k, ""))), None)
    return {"message": message, "status_code": status}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


# Line by line, with no two adjacent runs that could match the same spaces (linear on any input).
_API_EXCEPTION = re.compile(
    r"^\s*\(([1-5]\d\d)\)[ \t]*\r?\n[ \t]*Reason: ?([^\n]*)\n(?:[ \t]*HTTP response headers: ?[^\n]*\n)?"
    r"[ \t]*HTTP response body: ?(.*)$", re.S)
_EMPTY_BODIES = frozenset({"", '""', "''", "b''", 'b""', "None", "null"})


def api_exception_fields(message: str) -> dict[str, Any] | None:
    """status_code and message (with the body's error code or type where its JSON states one) of an
    OpenAPI-generator ApiException's text; None for any other text."""
    match = _API_EXCEPTION.match(message)
    if not match:
        return None
    status, reason, body = int(match.group(1)), match.group(2).strip(), match.group(3).strip()
    if len(body) >= 3 and body[0] == "b" and body[1] in "'\"" and body[-1] == body[1]:
        body = body[2:-1]  # the body as Python printed its bytes
    fields: dict[str, Any] = {"message": reason or None}
    obj = load_json(body) if body[:1] in ("{", "[") else None
    if isinstance(obj, (dict, list)):
        fields.update({k: v for k, v in fields_from_json(obj).items() if v is not None})
    elif body not in _EMPTY_BODIES:
        fields["message"] = body
    fields["status_code"] = status  # the response's own status, whatever its body restates
    return fields
